"""An SVG chart of a simulation: waiting calls and agents by state, minute by minute.

Written by hand (a few polylines on a grid), so it needs no plotting library.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .run import SimulationResult

__all__ = ["write_svg"]

WIDTH: Final = 900
HEIGHT: Final = 360
MARGIN: Final = 50
SERIES: Final = (
    ("waiting", "#d62728"),
    ("ready", "#2ca02c"),
    ("busy", "#1f77b4"),
    ("workingAfterCall", "#9467bd"),
    ("notReady", "#7f7f7f"),
)


def write_svg(result: SimulationResult, path: Path) -> None:
    samples = result.samples
    if not samples:
        path.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
        return
    start, end = result.start, samples[-1].at
    values = {
        name: [s.waiting if name == "waiting" else s.agents.get(name, 0) for s in samples]
        for name, _ in SERIES
    }
    top = max(1, *(max(v) for v in values.values()))
    span = max(1.0, end - start)

    def x(t: float) -> float:
        return MARGIN + (t - start) / span * (WIDTH - 2 * MARGIN)

    def y(v: float) -> float:
        return HEIGHT - MARGIN - v / top * (HEIGHT - 2 * MARGIN)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" '
        f'y2="{HEIGHT - MARGIN}" stroke="black"/>',
        f'<line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{HEIGHT - MARGIN}" stroke="black"/>',
        f'<text x="{MARGIN - 8}" y="{MARGIN + 4}" text-anchor="end">{top}</text>',
        f'<text x="{MARGIN - 8}" y="{HEIGHT - MARGIN + 4}" text-anchor="end">0</text>',
    ]
    hours = int(span // 3600)
    for h in range(hours + 1):
        px = x(start + h * 3600)
        parts.append(
            f'<text x="{px:.1f}" y="{HEIGHT - MARGIN + 18}" text-anchor="middle">{h} h</text>'
        )
    for i, (name, colour) in enumerate(SERIES):
        points = " ".join(
            f"{x(s.at):.1f},{y(v):.1f}" for s, v in zip(samples, values[name], strict=True)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>'
        )
        parts.append(
            f'<text x="{WIDTH - MARGIN + 4}" y="{MARGIN + 16 * i}" fill="{colour}">{name}</text>'
        )
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")
