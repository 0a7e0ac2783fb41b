"""The switch's events caused by the daemon's timers are folded in the timer task's turn.

``ctid simulate`` has its timer task, after the callbacks due at an instant, fold the
events they made the simulated switch send (``CallService.fold_after``, wired as
``TimerQueue.wrap_due``), instead of waking the call service's event loop for them in
the next scheduler pass (issue 14: two passes and two task steps a call less). It does
so only when nothing could have run between; otherwise the events go to the event
loop. Every way gives the same day, call by call, as the kept fingerprints do.
"""

from __future__ import annotations

from typing import Any

import pytest
import trio

from ctid.calls.service import CallService
from ctid.simulate.clock import JumpingClock
from ctid.simulate.run import run_simulation, single_queue
from ctid.switch_drivers.simulator.driver import SimulatorDriver
from ctid.timers import TimerQueue

from .simulate_days import SCENARIOS, fingerprint, kept
from .steps import Steps

LOOP_TASK = "ctid.calls.service.CallService._event_loop"
KEPT = (
    "round-robin-abandon-wrapup",
    "ring-all-answer-delay-abandon",
    "two-queues-skills-overflow-rona",
)


def simulate(monkeypatch: pytest.MonkeyPatch, name: str | None = None) -> tuple[Any, int, Steps]:
    steps = Steps()
    real_run = trio.run

    def run_counting(*args: Any, **kwargs: Any) -> Any:
        return real_run(*args, instruments=[steps], **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(trio, "run", run_counting)
        if name is None:
            scenario = single_queue(
                agents=6, calls_per_hour=150, aht=120, hours=1, strategy="longest-idle", patience=90
            )
        else:
            scenario = SCENARIOS[name][0]()
        result = run_simulation(scenario)
    return fingerprint(result), result.summary.offered, steps


def test_the_timer_task_folds_the_events_and_the_day_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_turn, offered, steps = simulate(monkeypatch)
    assert offered > 100
    # The event loop woke only at start (the link coming up), never for a call.
    assert steps.steps[LOOP_TASK] < 10

    # Without it, the event loop folds them in a wake-up of its own, twice a call.
    monkeypatch.setattr(CallService, "fold_after", lambda self, work, alone: work())
    by_loop, offered_too, steps_too = simulate(monkeypatch)
    assert offered_too == offered
    assert steps_too.steps[LOOP_TASK] >= 2 * offered
    # Its wake-ups were scheduler passes of their own (give or take the odd pass
    # it shares with the simulator's task: trio orders a pass's tasks at random).
    saved = steps_too.steps[LOOP_TASK] - steps.steps[LOOP_TASK]
    assert steps_too.passes - steps.passes >= 0.9 * saved
    assert by_loop == in_turn


def test_events_held_and_not_folded_go_to_the_event_loop_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fall-back of ``fold_after``: events kept while the callbacks ran, handed over
    to the event loop afterwards (``hold(False)``), as when another task is runnable."""
    in_turn, offered, _ = simulate(monkeypatch)
    monkeypatch.setattr(SimulatorDriver, "take_held", lambda self: None)
    released, offered_too, steps = simulate(monkeypatch)
    assert offered_too == offered
    assert steps.steps[LOOP_TASK] >= 2 * offered
    assert released == in_turn


def test_not_alone_at_the_instant_the_event_loop_folds_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wake-up that shares its instant with another task's (``alone`` false) folds
    nothing in the timer task's turn."""
    in_turn, offered, _ = simulate(monkeypatch)
    real_set_off = TimerQueue.set_off
    monkeypatch.setattr(
        TimerQueue, "set_off", lambda self, *, alone=False: real_set_off(self, alone=False)
    )
    shared, offered_too, steps = simulate(monkeypatch)
    assert offered_too == offered
    assert steps.steps[LOOP_TASK] >= 2 * offered
    assert shared == in_turn


@pytest.mark.parametrize("name", KEPT)
def test_kept_days_with_and_without_folding_in_the_timer_turn(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Abandonment, wrap-up, agents answering after a delay, ring-all, two queues with
    overflow and ring-no-answer: the kept day, either way."""
    found, _, _ = simulate(monkeypatch, name)
    assert found == kept()[name]
    monkeypatch.setattr(CallService, "fold_after", lambda self, work, alone: work())
    assert simulate(monkeypatch, name)[0] == kept()[name]


def test_the_clock_says_alone_only_when_no_other_deadline_shares_the_instant() -> None:
    woken: list[tuple[float, bool]] = []

    def wrap(work: Any, alone: bool) -> None:
        woken.append((trio.current_time(), alone))
        work()

    async def main() -> None:
        timers = TimerQueue()
        clock.serve(timers)
        timers.wrap_due = wrap
        async with trio.open_nursery() as nursery:
            await nursery.start(timers.run)
            timers.call_at(1.5, lambda: None)
            timers.call_at(3.0, lambda: None)  # the instant this task wakes too
            timers.call_at(3.25, lambda: None)
            await trio.sleep_until(3.0)
            await trio.sleep_until(4.0)
            # Due now, set from this task's step: the clock did not wake the timers.
            timers.call_later(0.0, lambda: None)
            await trio.sleep(1.0)
            nursery.cancel_scope.cancel()

    clock = JumpingClock()
    trio.run(main, clock=clock)
    assert woken == [(1.5, True), (3.0, False), (3.25, True), (4.0, False)]
