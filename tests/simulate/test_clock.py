"""The simulations' clocks read exactly what trio's MockClock reads, without the real clock;
``JumpingClock`` in one scheduler pass less per jump."""

from __future__ import annotations

import collections
import math
from collections.abc import Callable
from typing import Any

import pytest
import trio
import trio.testing

from ctid.simulate.clock import JumpingClock, mock_clock
from ctid.timers import TimerQueue


def test_reads_what_mockclock_reads_after_every_jump() -> None:
    ours, theirs = mock_clock(), trio.testing.MockClock(autojump_threshold=0)
    assert ours.current_time() == theirs.current_time() == 0.0
    for seconds in (0.1, 0.2, 1e-9, 3600.0, 0.0, 7.25, 1 / 3):
        ours.jump(seconds)
        theirs.jump(seconds)
        assert ours.current_time() == theirs.current_time()
    assert ours.current_time() == 0.1 + 0.2 + 1e-9 + 3600.0 + 7.25 + 1 / 3
    assert ours.rate == 0.0
    assert ours.autojump_threshold == 0.0
    # Its own reading, not MockClock's (which reads the real clock each time).
    assert "current_time" in vars(ours)


def test_autojumps_to_each_deadline_in_a_run() -> None:
    seen: list[float] = []

    async def main() -> None:
        for delay in (1.5, 0.25, 3600.0):
            await trio.sleep(delay)
            seen.append(trio.current_time())
        with trio.move_on_after(10.0):
            await trio.sleep_forever()
        seen.append(trio.current_time())

    trio.run(main, clock=mock_clock())
    assert seen == [1.5, 1.75, 3601.75, 3611.75]


class _Passes(trio.abc.Instrument):
    def __init__(self) -> None:
        self.passes = 0

    def before_io_wait(self, timeout: float) -> None:
        self.passes += 1


def _sleepers(seen: list[tuple[str, float]]) -> Any:
    """Tasks sleeping to awkward float deadlines, some of them the same instant."""

    async def sleeper(name: str, delays: tuple[float, ...]) -> None:
        for delay in delays:
            await trio.sleep(delay)
            seen.append((name, trio.current_time()))

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sleeper, "a", (0.1, 0.2, 1e-9, 3600.0, 7.25, 1 / 3))
            nursery.start_soon(sleeper, "b", (0.3, 1e-9, 1 / 7, 3600.0))
            nursery.start_soon(sleeper, "c", (0.0, 0.1, 0.2, 0.3, 5e-324))
        with trio.move_on_after(10.0):
            await trio.sleep_forever()
        seen.append(("main", trio.current_time()))

    return main


def _run(clock: trio.abc.Clock) -> tuple[list[tuple[str, float]], int]:
    seen: list[tuple[str, float]] = []
    passes = _Passes()
    trio.run(_sleepers(seen), clock=clock, instruments=[passes])
    return seen, passes.passes


def test_jumping_clock_reads_what_mockclock_reads_in_one_pass_less_per_jump() -> None:
    ours, ours_passes = _run(JumpingClock())
    theirs, their_passes = _run(trio.testing.MockClock(autojump_threshold=0))
    # The same instants, to the last bit, for each task (trio shuffles the order of
    # tasks woken in the same pass, so only each task's own order is compared).
    for name in ("a", "b", "c", "main"):
        assert [t for n, t in ours if n == name] == [t for n, t in theirs if n == name]
    assert len(ours) == len(theirs) == 16
    assert ours[-1] == ("main", theirs[-1][1])
    jumps = len({t for _, t in theirs})
    assert ours_passes < their_passes
    assert their_passes - ours_passes >= jumps - 1


def test_jumping_clock_answers_trio() -> None:
    clock = JumpingClock()
    clock.start_clock()
    assert clock.current_time() == 0.0
    assert clock.deadline_to_sleep_time(-1.0) == 0.0
    assert clock.current_time() == 0.0
    assert clock.deadline_to_sleep_time(0.1) == 0.0
    assert clock.current_time() == 0.1
    assert clock.deadline_to_sleep_time(0.1 + 0.2) == 0.0
    assert clock.current_time() == 0.1 + (0.1 + 0.2 - 0.1)
    # No deadline: sleep until I/O rather than jump to infinity.
    assert clock.deadline_to_sleep_time(math.inf) == math.inf
    assert clock.current_time() == 0.1 + (0.1 + 0.2 - 0.1)


def _timer_day(clock: trio.abc.Clock, by_clock: bool) -> tuple[list[tuple[str, float]], int]:
    """Timers set from outside and from callbacks, cancelled, tied, due now, earlier than
    the first; another task sleeping to some of the same instants."""
    seen: list[tuple[str, float]] = []
    steps = collections.Counter[str]()

    class Steps(trio.abc.Instrument):
        def before_task_step(self, task: trio.lowlevel.Task) -> None:
            steps[task.name] += 1

    async def main() -> None:
        timers = TimerQueue()

        def note(name: str) -> Callable[[], None]:
            def fire() -> None:
                now = trio.current_time()
                seen.append((name, now))
                if name == "a":
                    timers.call_later(1 / 3, note("a2"))
                    timers.call_later(0.0, note("a-now"))  # due at once, from a callback
                    timers.call_at(now + 2.0, note("tie1"))
                    timers.call_at(now + 2.0, note("tie2"))

            return fire

        async with trio.open_nursery() as nursery:
            await nursery.start(timers.run)
            if by_clock:
                assert isinstance(clock, JumpingClock)
                clock.serve(timers)
            timers.call_later(0.1, note("a"))
            dropped = timers.call_later(0.2, note("cancelled"))
            timers.call_later(5.0, note("late"))
            await trio.sleep(0.15)
            dropped.cancel()
            timers.call_later(0.0, note("now, from a task"))
            timers.call_later(0.05, note("earlier than the first"))
            await trio.sleep(2.0 + 1 / 3)
            seen.append(("task", trio.current_time()))
            await trio.sleep(10.0)
            assert len(timers) == 0
            nursery.cancel_scope.cancel()

    trio.run(main, clock=clock, instruments=[Steps()])
    return seen, steps["ctid.timers.TimerQueue.run"]


def test_timers_woken_by_the_clock_run_what_a_cancel_scope_runs() -> None:
    ours, _ = _timer_day(JumpingClock(), by_clock=True)
    theirs, _ = _timer_day(trio.testing.MockClock(autojump_threshold=0), by_clock=False)
    assert [name for name, _ in ours] == [name for name, _ in theirs]
    assert ours == theirs
    assert [name for name, _ in ours if name != "task"] == [
        "a",
        "a-now",
        "now, from a task",
        "earlier than the first",
        "a2",
        "tie1",
        "tie2",
        "late",
    ]


def test_timers_woken_by_the_clock_sleep_parked_and_stop_when_cancelled() -> None:
    clock = JumpingClock()
    timers = TimerQueue()
    fired: list[float] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(timers.run)
            clock.serve(timers)
            await trio.sleep(0.5)  # time moves only once every task waits
            assert timers.parked
            timers.call_later(3.0, lambda: fired.append(trio.current_time()))
            await trio.sleep(1.0)
            assert timers.parked  # nothing due: not woken
            await trio.sleep(5.0)
            assert fired == [3.5]
            assert timers.parked
            nursery.cancel_scope.cancel()  # the parked task is cancelled like any other
        assert not timers.parked

    trio.run(main, clock=clock)
    # Without a queue to serve, the clock is what it was.
    assert JumpingClock().timers is None


def test_a_simulated_call_takes_fewer_scheduler_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """On MockClock a call took 6.2 passes (2 of them empty, where the clock jumped)
    and its two timer wake-ups each raised Cancelled; now ~4.1 and none."""
    from ctid.simulate.run import run_simulation, single_queue

    passes = _Passes()
    cancelled: list[str] = []
    real_run = trio.run

    def run_counting(*args: Any, **kwargs: Any) -> Any:
        return real_run(*args, instruments=[passes], **kwargs)

    real_move_on_at = trio.move_on_at

    def move_on_at(deadline: float, **kwargs: Any) -> trio.CancelScope:
        cancelled.append("scope")
        return real_move_on_at(deadline, **kwargs)

    monkeypatch.setattr(trio, "run", run_counting)
    monkeypatch.setattr(trio, "move_on_at", move_on_at)
    result = run_simulation(
        single_queue(agents=20, calls_per_hour=240, aht=240, hours=1, strategy="longest-idle")
    )
    monkeypatch.undo()
    calls = result.summary.offered
    assert calls > 200
    assert passes.passes / calls < 4.5
    # The timer task sleeps in no cancel scope (only start-up's few sleep in one).
    assert len(cancelled) < 20


def test_a_simulation_reads_its_clock_directly_the_same_float_as_trio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The call model, the ACD and the simulator read the run's clock itself (issue 14):
    every reading is what ``trio.current_time()`` says at that moment."""
    from ctid.simulate import run as run_module
    from ctid.simulate.run import run_simulation, single_queue

    readings: list[tuple[str, float, float]] = []
    real = run_module._read_clock_directly

    def checking(app: Any, clock: JumpingClock) -> None:
        real(app, clock)
        for name, part in (("model", app.model), ("acd", app.acd.engine), ("sim", app.driver)):
            assert part.now == clock.current_time
            assert part.now is not trio.current_time
            bound = part.now

            def read(name: str = name, bound: Callable[[], float] = bound) -> float:
                value = bound()
                readings.append((name, value, trio.current_time()))
                return value

            part.now = read

    monkeypatch.setattr(run_module, "_read_clock_directly", checking)
    result = run_simulation(
        single_queue(agents=3, calls_per_hour=60, aht=120, hours=0.2, strategy="longest-idle")
    )
    assert result.summary.offered > 0
    assert {name for name, _, _ in readings} == {"model", "acd", "sim"}
    assert all(value == trio_time for _, value, trio_time in readings)
    assert max(value for _, value, _ in readings) > 0.2 * 3600
