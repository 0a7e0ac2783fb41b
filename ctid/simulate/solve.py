"""``ctid simulate --solve-agents``: the fewest agents that meet a service level target.

The planner's question. Queueing theory (``theory.py``) gives a first answer; the
simulation, with ctid's own routing, confirms it: each number of agents runs once
per seed, and a number meets the target when its service level averaged over the
seeds does. From Erlang's answer the search goes down while the number below still
meets the target, or up until one does; every run is kept for the report and chart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

import attrs

from .run import Scenario, run_simulation
from .theory import Prediction

__all__ = ["SolveAnswer", "SolveRun", "solve_agents", "write_solve_svg"]

#: No search goes past this many agents.
MAX_AGENTS: Final = 10_000


@attrs.frozen(kw_only=True)
class SolveRun:
    agents: int
    seed: int
    service_level: float


@attrs.frozen(kw_only=True)
class SolveAnswer:
    #: The fewest agents whose mean simulated service level meets the target.
    agents: int
    #: The fewest agents that meet it by queueing theory (where the search began).
    erlang_agents: int
    target: float
    runs: tuple[SolveRun, ...]

    def by_agents(self) -> list[tuple[int, list[SolveRun]]]:
        """The runs grouped by number of agents, fewest first."""
        groups: dict[int, list[SolveRun]] = {}
        for run in self.runs:
            groups.setdefault(run.agents, []).append(run)
        return sorted(groups.items())

    def to_json(self) -> dict[str, Any]:
        return {
            "agents": self.agents,
            "erlang_agents": self.erlang_agents,
            "target_service_level": self.target,
            "runs": [
                {"agents": r.agents, "seed": r.seed, "service_level": round(r.service_level, 4)}
                for r in self.runs
            ],
        }


def erlang_answer(theory: Callable[[int], Prediction], target: float) -> int:
    """The fewest agents that theory says meet ``target``."""
    for agents in range(1, MAX_AGENTS + 1):
        if theory(agents).service_level >= target:
            return agents
    raise ValueError(f"no number of agents up to {MAX_AGENTS} meets the target")


def solve_agents(
    scenario_for: Callable[[int, int], Scenario],
    *,
    theory: Callable[[int], Prediction],
    target: float,
    seeds: Iterable[int],
) -> SolveAnswer:
    """Search as the module says; ``scenario_for(agents, seed)`` builds each run."""
    seed_list = list(seeds)
    runs: list[SolveRun] = []
    means: dict[int, float] = {}

    def meets(agents: int) -> bool:
        if agents not in means:
            levels = []
            for seed in seed_list:
                level = run_simulation(scenario_for(agents, seed)).summary.service_level
                runs.append(SolveRun(agents=agents, seed=seed, service_level=level))
                levels.append(level)
            means[agents] = sum(levels) / len(levels)
        return means[agents] >= target

    start = erlang_answer(theory, target)
    agents = start
    if meets(agents):
        while agents > 1 and meets(agents - 1):
            agents -= 1
    else:
        while not meets(agents + 1):
            agents += 1
            if agents >= MAX_AGENTS:
                raise ValueError(f"no number of agents up to {MAX_AGENTS} meets the target")
        agents += 1
    return SolveAnswer(agents=agents, erlang_agents=start, target=target, runs=tuple(runs))


def write_solve_svg(answer: SolveAnswer, path: Path) -> None:
    """Service level against agents: each seed's run, their mean, and the target."""
    width, height, margin = 640, 360, 50
    groups = answer.by_agents()
    lo, hi = groups[0][0] - 1, groups[-1][0] + 1

    def x(agents: float) -> float:
        return margin + (agents - lo) / (hi - lo) * (width - 2 * margin)

    def y(level: float) -> float:
        return height - margin - level * (height - 2 * margin)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<line x1="{margin}" y1="{y(0)}" x2="{width - margin}" y2="{y(0)}" stroke="black"/>',
        f'<line x1="{margin}" y1="{y(0)}" x2="{margin}" y2="{y(1)}" stroke="black"/>',
        f'<text x="{margin - 8}" y="{y(1) + 4}" text-anchor="end">100%</text>',
        f'<text x="{margin - 8}" y="{y(0) + 4}" text-anchor="end">0%</text>',
        f'<line x1="{margin}" y1="{y(answer.target):.1f}" x2="{width - margin}" '
        f'y2="{y(answer.target):.1f}" stroke="#d62728" stroke-dasharray="4 3"/>',
        f'<text x="{width - margin + 4}" y="{y(answer.target) + 4:.1f}" fill="#d62728">'
        f"target {answer.target:.0%}</text>",
    ]
    means = []
    for agents, runs in groups:
        mean = sum(r.service_level for r in runs) / len(runs)
        means.append(f"{x(agents):.1f},{y(mean):.1f}")
        parts.append(
            f'<text x="{x(agents):.1f}" y="{y(0) + 18}" text-anchor="middle">{agents}</text>'
        )
        for r in runs:
            parts.append(
                f'<circle cx="{x(agents):.1f}" cy="{y(r.service_level):.1f}" r="3" '
                'fill="#1f77b4" fill-opacity="0.5"/>'
            )
    parts.append(
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{" ".join(means)}"/>'
    )
    parts.append(
        f'<text x="{width / 2:.0f}" y="{height - 12}" text-anchor="middle">agents '
        f"(answer: {answer.agents}; Erlang: {answer.erlang_agents})</text>"
    )
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")
