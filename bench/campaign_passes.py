"""``python -m bench passes``: trio's scheduler passes and task steps of a campaign day.

Runs ``ctid simulate --campaign`` (predictive, the issue-12 day's flags, ``--hours``
and ``--agents`` as given) with a trio ``Instrument`` that counts the scheduler's
passes (each ``before_io_wait``) and every task step by task name, and prints them per
dial. Counts, not times: the same on a loaded machine as on an idle one.
"""

from __future__ import annotations

import argparse
import collections
from typing import Any

import trio

from ctid.simulate import campaign


class Steps(trio.abc.Instrument):
    """Scheduler passes and task steps by task name."""

    def __init__(self) -> None:
        self.passes = 0
        self.steps: collections.Counter[str] = collections.Counter()

    def before_io_wait(self, timeout: float) -> None:
        self.passes += 1

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self.steps[task.name] += 1


def count(scenario: campaign.CampaignScenario) -> tuple[campaign.CampaignResult, Steps]:
    """Run ``scenario`` counting its passes and steps."""
    steps = Steps()
    real_run = trio.run

    def run_counting(*args: Any, **kwargs: Any) -> Any:
        return real_run(*args, instruments=[steps], **kwargs)

    trio.run = run_counting  # type: ignore[assignment]
    try:
        result = campaign.run_campaign(scenario)
    finally:
        trio.run = real_run
    return result, steps


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench passes")
    parser.add_argument("--hours", type=float, default=0.5)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=12, help="tasks listed")
    args = parser.parse_args(argv)
    scenario = campaign.CampaignScenario(
        dialer="predictive",
        agents=args.agents,
        answer_rate=0.3,
        machine_rate=0.1,
        ring_seconds=25,
        aht=270,
        wrap_up=10,
        hours=args.hours,
        max_abandon=0.03,
        seed=args.seed,
    )
    result, steps = count(scenario)
    dials = max(1, result.dialled)
    total = sum(steps.steps.values())
    print(f"dialled {result.dialled}")
    print(f"scheduler passes {steps.passes} ({steps.passes / dials:.2f} a dial)")
    print(f"task steps {total} ({total / dials:.2f} a dial)")
    for name, n in steps.steps.most_common(args.top):
        print(f"{n:9d} {n / dials:7.2f}  {name}")
