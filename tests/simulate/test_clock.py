"""The simulations' clocks read exactly what trio's MockClock reads, without the real clock;
``JumpingClock`` in one scheduler pass less per jump."""

from __future__ import annotations

import math
from typing import Any

import trio
import trio.testing

from ctid.simulate.clock import JumpingClock, mock_clock


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
