"""The simulations' clock reads exactly what trio's MockClock reads, without the real clock."""

from __future__ import annotations

import trio
import trio.testing

from ctid.simulate.clock import mock_clock


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
