"""The ``--campaign`` side of ``ctid simulate`` (flags, checks, report, chart).

    ctid simulate --campaign --dialer preview|progressive|predictive --agents N \\
        --answer-rate P --machine-rate M --ring-seconds S --aht SECONDS \\
        --wrap-up SECONDS --hours H --max-abandon A --seed S [--json] [--chart FILE]

``--json`` prints exactly one object with the keys of ``CampaignResult.to_json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from ..config import ConfigError
from .dialers import DIALERS

if TYPE_CHECKING:
    # Imported when a campaign is simulated: ``ctid simulate`` without --campaign
    # needs neither the outbound service nor the records database (issue 14).
    from .campaign import CampaignResult, CampaignScenario

__all__ = ["add_flags", "run", "scenario_from_args", "write_campaign_svg"]

REQUIRED: Final = (
    "--dialer",
    "--agents",
    "--answer-rate",
    "--machine-rate",
    "--ring-seconds",
    "--aht",
    "--hours",
    "--max-abandon",
)


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The flags only ``--campaign`` takes (``--agents``, ``--aht``, ``--wrap-up``,
    ``--hours``, ``--seed``, ``--json`` and ``--chart`` are ``ctid simulate``'s own)."""
    parser.add_argument(
        "--campaign",
        action="store_true",
        help="simulate an outbound campaign's dialler instead of inbound traffic",
    )
    parser.add_argument("--dialer", choices=DIALERS, help="with --campaign: the dialling mode")
    parser.add_argument(
        "--answer-rate", type=float, help="with --campaign: share of calls answered (0-1)"
    )
    parser.add_argument(
        "--machine-rate", type=float, help="with --campaign: share of answers by machines (0-1)"
    )
    parser.add_argument(
        "--ring-seconds",
        type=float,
        help="with --campaign: seconds a callee's phone rings before the dialler gives up",
    )
    parser.add_argument(
        "--max-abandon",
        type=float,
        help="with --campaign: the campaign's maximum abandon rate (0-1, e.g. 0.03)",
    )


def _fail(problem: str) -> ConfigError:
    return ConfigError("<command line>", None, problem)


def scenario_from_args(args: argparse.Namespace) -> CampaignScenario:
    """The scenario of the flags; ``ConfigError`` names what is missing or wrong."""
    from .campaign import CampaignScenario

    missing = [f for f in REQUIRED if getattr(args, f[2:].replace("-", "_")) is None]
    if missing:
        raise _fail(f"--campaign needs {', '.join(missing)}")
    for flag in ("--calls-per-hour", "--strategy", "--config", "--solve-agents"):
        if getattr(args, flag[2:].replace("-", "_")) not in (None, False):
            raise _fail(f"{flag} does not go with --campaign")
    for flag in ("--answer-rate", "--machine-rate", "--max-abandon"):
        value = getattr(args, flag[2:].replace("-", "_"))
        if not 0 <= value <= 1:
            raise _fail(f"{flag} must be a fraction from 0 to 1, not {value:g}")
    if args.agents < 1 or args.agents > 1000:
        raise _fail("--agents must be from 1 to 1000 with --campaign")
    if not 5 <= args.ring_seconds <= 300:
        raise _fail("--ring-seconds must be from 5 to 300")
    if args.aht <= 0:
        raise _fail("--aht must be more than 0 seconds")
    if args.hours <= 0:
        raise _fail("--hours must be more than 0")
    return CampaignScenario(
        dialer=args.dialer,
        agents=args.agents,
        answer_rate=args.answer_rate,
        machine_rate=args.machine_rate,
        ring_seconds=args.ring_seconds,
        aht=args.aht,
        wrap_up=args.wrap_up,
        hours=args.hours,
        max_abandon=args.max_abandon,
        seed=1 if args.seed is None else args.seed,
    )


def run(args: argparse.Namespace, progress: Any = None) -> int:
    from .campaign import run_campaign

    try:
        scenario = scenario_from_args(args)
        result = run_campaign(scenario, progress=progress)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.chart is not None:
        write_campaign_svg(result, args.chart)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        _report(scenario, result, sys.stdout)
    return 0


def _report(scenario: CampaignScenario, result: CampaignResult, out: TextIO) -> None:
    out.write(
        f"{scenario.dialer} dialling, {scenario.agents} agents, {scenario.hours:g} h, "
        f"answer rate {scenario.answer_rate:g} (machines {scenario.machine_rate:g}), "
        f"AHT {scenario.aht:g} s + {scenario.wrap_up:g} s wrap-up, seed {scenario.seed}\n"
    )
    rows = [
        ("dialled", f"{result.dialled}"),
        ("answered by a person", f"{result.answered}"),
        ("answering machines", f"{result.machines}"),
        ("connected to an agent", f"{result.connected}"),
        ("abandoned", f"{result.abandoned}"),
        ("abandon rate", f"{result.abandon_rate:.2%} (max {scenario.max_abandon:.2%})"),
        ("agent occupancy", f"{result.agent_occupancy:.1%}"),
        ("contacts per agent hour", f"{result.contacts_per_agent_hour:.2f}"),
        ("wall time", f"{result.wall_seconds:.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        out.write(f"  {name:<{width}}  {value}\n")


def write_campaign_svg(result: CampaignResult, path: Path) -> None:
    """Lines in flight and agents by state, minute by minute, and the abandon rate."""
    width, height, margin = 900, 360, 50
    samples = result.samples
    if not samples:
        path.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
        return
    series: list[tuple[str, str, list[float]]] = [
        ("lines", "#d62728", [float(s.lines) for s in samples]),
        ("ready", "#2ca02c", [float(s.agents.get("ready", 0)) for s in samples]),
        ("busy", "#1f77b4", [float(s.agents.get("busy", 0)) for s in samples]),
        (
            "workingAfterCall",
            "#9467bd",
            [float(s.agents.get("workingAfterCall", 0)) for s in samples],
        ),
    ]
    top = max(1.0, *(max(v) for _, _, v in series))
    start, end = result.start, samples[-1].at
    span = max(1.0, end - start)

    def x(t: float) -> float:
        return margin + (t - start) / span * (width - 2 * margin)

    def y(v: float, scale: float = top) -> float:
        return height - margin - v / scale * (height - 2 * margin)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" '
        f'y2="{height - margin}" stroke="black"/>',
        f'<text x="{margin - 8}" y="{margin + 4}" text-anchor="end">{top:g}</text>',
    ]
    for i, (name, colour, values) in enumerate(series):
        points = " ".join(f"{x(s.at):.1f},{y(v):.1f}" for s, v in zip(samples, values, strict=True))
        parts.append(f'<polyline fill="none" stroke="{colour}" points="{points}"/>')
        parts.append(
            f'<text x="{width - margin + 4}" y="{margin + 16 * i}" fill="{colour}">{name}</text>'
        )
    # The day's abandon rate so far, on a scale of 0 to 10 %.
    rates = [s.abandoned / s.persons if s.persons else 0.0 for s in samples]
    points = " ".join(
        f"{x(s.at):.1f},{y(min(r, 0.1), 0.1):.1f}" for s, r in zip(samples, rates, strict=True)
    )
    parts.append(f'<polyline fill="none" stroke="black" stroke-dasharray="4 3" points="{points}"/>')
    parts.append(f'<text x="{width - margin + 4}" y="{margin + 80}">abandon rate (0-10 %)</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")
