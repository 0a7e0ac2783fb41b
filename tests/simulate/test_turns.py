"""Timers of the simulated card that a command made due now run in the call service's turn.

An auto-answering agent's phone answers the moment ctid rings it: a card timer
due now. ``ctid simulate`` (the simulator's ``commands_at_once``) runs it in the
turn of the call service that carried out the command (``advance_now``) rather
than in a wake-up of the driver's task (issue 14: one scheduler pass and one task
step less per call). Where the turn cannot (a command waits for the executor),
``end_of_turn`` leaves it to the driver's task, as before. Both give the same day.
"""

from __future__ import annotations

import collections
from typing import Any

import pytest
import trio
from trio.abc import Instrument

from ctid.simulate.run import run_simulation, single_queue
from ctid.switch_drivers.simulator.driver import SimulatorDriver

from .simulate_days import fingerprint

DRIVER_TASK = "ctid.switch_drivers.simulator.driver.SimulatorDriver.run"


class Steps(Instrument):
    def __init__(self) -> None:
        self.steps: collections.Counter[str] = collections.Counter()

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self.steps[task.name] += 1


def simulate(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], int, Steps]:
    steps = Steps()
    real_run = trio.run

    def run_counting(*args: Any, **kwargs: Any) -> Any:
        return real_run(*args, instruments=[steps], **kwargs)

    monkeypatch.setattr(trio, "run", run_counting)
    result = run_simulation(
        single_queue(
            agents=6, calls_per_hour=150, aht=120, hours=1, strategy="longest-idle", patience=90
        )
    )
    monkeypatch.undo()
    return fingerprint(result), result.summary.answered, steps


def test_due_now_timers_run_in_the_turn_and_make_the_same_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_turn, answered, steps = simulate(monkeypatch)
    assert answered > 100
    # The driver's task woke only to bring the link up.
    assert steps.steps[DRIVER_TASK] < 10

    # The fall-back: the turn never runs them, the driver's task does (once a call).
    monkeypatch.setattr(SimulatorDriver, "advance_now", lambda self: False)
    by_task, answered_too, steps_too = simulate(monkeypatch)
    assert answered_too == answered
    assert steps_too.steps[DRIVER_TASK] >= answered
    assert by_task == in_turn
