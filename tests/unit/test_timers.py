import trio

from ctid.timers import TimerQueue


async def test_callbacks_run_at_their_deadlines_in_order(
    autojump_clock: trio.testing.MockClock,
) -> None:
    timers = TimerQueue()
    ran: list[tuple[str, float]] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(timers.run)
        start = trio.current_time()

        def note(name: str) -> None:
            ran.append((name, trio.current_time() - start))

        timers.call_later(5, lambda: note("five"))
        timers.call_later(1, lambda: note("one"))
        later = timers.call_later(3, lambda: note("cancelled"))
        timers.call_later(1, lambda: note("one-again"))
        later.cancel()
        later.cancel()  # idempotent
        assert len(timers) == 3
        # A callback may schedule another, earlier than everything else waiting.
        timers.call_later(2, lambda: timers.call_later(0.5, lambda: note("nested")))
        await trio.sleep(10)
        nursery.cancel_scope.cancel()
    assert ran == [("one", 1), ("one-again", 1), ("nested", 2.5), ("five", 5)]
    assert len(timers) == 0 and not later.active
