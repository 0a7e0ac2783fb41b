"""The bus counts deliveries a session lost before they reached its socket (a metric)."""

from __future__ import annotations

import trio

from ctid.bus import BusLimits, EventBus, MonitorKind, Published


def event(n: int) -> Published:
    return Published(name="E", params={"n": n}, timestamp="t", devices=("1001",))


async def test_unsent_deliveries_pushed_out_of_the_window_are_dropped(
    autojump_clock: trio.abc.Clock,
) -> None:
    bus = EventBus(BusLimits(replay_events=3, replay_seconds=60, max_pending=100))
    log = bus.open_log("s1")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    for n in range(2):
        bus.publish(event(n))
    assert [seq for seq, *_ in log.take_pending()] == [1, 2]
    for n in range(2, 7):
        bus.publish(event(n))
    # Five unsent, a window of three: the two oldest unsent are lost; the two
    # sent ones left the window without loss.
    assert (log.dropped, bus.dropped) == (2, 2)
    await trio.sleep(120)
    bus.publish(event(7))  # the window holds only unsent ones: the oldest is lost
    assert bus.dropped == 3
    bus.close_log(log)
    assert bus.dropped == 3
    assert bus.delivered == 8
