import pytest
import trio

from ctid.bus import BusLimits, EventBus, MonitorKind, Published, ReplayGap


def ev(
    n: int, *, devices: tuple[str, ...] = ("1001",), calls: tuple[str, ...] = ("c1",)
) -> Published:
    return Published(name=f"E{n}", params={"n": n}, timestamp="t", devices=devices, calls=calls)


async def test_routing_and_gap_free_seq() -> None:
    bus = EventBus()
    a, b = bus.open_log("a"), bus.open_log("b")
    bus.add_monitor(a, MonitorKind.DEVICE, "1001", "m1")
    bus.add_monitor(a, MonitorKind.DEVICE, "1002", "m2")
    bus.add_monitor(b, MonitorKind.CALL, "c2", "m1")
    bus.publish(ev(1, devices=("1001", "1002")))  # a gets it twice: one per monitor (ECMA)
    bus.publish(ev(2, devices=("1003",), calls=("c2",)))
    bus.publish(ev(3, devices=("1009",), calls=("c9",)))  # nobody
    assert [(s, e.name, m.cross_ref_id if m else None) for s, e, m, _ in a.take_pending()] == [
        (1, "E1", "m1"),
        (2, "E1", "m2"),
    ]
    assert [(s, e.name) for s, e, _, _ in b.take_pending()] == [(1, "E2")]
    assert bus.published == 3 and bus.delivered == 3


async def test_topics_and_broadcast() -> None:
    bus = EventBus()
    a, b = bus.open_log("a"), bus.open_log("b")
    bus.add_monitor(a, MonitorKind.TOPIC, "queue:sales", "m1")
    bus.publish(Published(name="Q", params={}, timestamp="t"), topics=["queue:sales"])
    bus.publish(Published(name="S", params={}, timestamp="t", broadcast=True))
    assert [e.name for _, e, _, _ in a.take_pending()] == ["Q", "S"]
    assert [(e.name, m) for _, e, m, _ in b.take_pending()] == [("S", None)]


async def test_remove_monitor_and_close_log() -> None:
    bus = EventBus()
    a = bus.open_log("a")
    m = bus.add_monitor(a, MonitorKind.DEVICE, "1001", "m1")
    assert bus.find_monitor(a, MonitorKind.DEVICE, "1001") is m
    bus.remove_monitor(m)
    bus.publish(ev(1))
    assert a.take_pending() == []
    bus.add_monitor(a, MonitorKind.DEVICE, "1001", "m2")
    bus.close_log(a)
    bus.publish(ev(2))
    assert a.seq == 0 and "a" not in bus.logs


async def test_replay_window_by_count() -> None:
    bus = EventBus(BusLimits(replay_events=5, replay_seconds=1000, max_pending=100))
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    for n in range(1, 11):
        bus.publish(ev(n))
        log.take_pending()  # written to the socket
    assert log.oldest == 6
    log.rewind(5)
    assert [s for s, *_ in log.take_pending()] == [6, 7, 8, 9, 10]
    with pytest.raises(ReplayGap) as info:
        log.rewind(4)
    assert info.value.oldest == 6
    with pytest.raises(ValueError, match="outside"):
        log.rewind(11)


async def test_replay_window_by_age_keeps_unsent(autojump_clock: trio.testing.MockClock) -> None:
    bus = EventBus(BusLimits(replay_events=100, replay_seconds=60, max_pending=100))
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    bus.publish(ev(1))
    bus.publish(ev(2))
    log.take_pending(1)  # seq 1 written, seq 2 still waiting
    await trio.sleep(61)
    bus.publish(ev(3))
    # seq 1 aged out; seq 2 is old too but was never written, so it stays.
    assert log.oldest == 2
    assert [s for s, *_ in log.take_pending()] == [2, 3]


async def test_overflow_marks_the_log_and_calls_the_listener() -> None:
    bus = EventBus(BusLimits(replay_events=100, replay_seconds=60, max_pending=3))
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    woken = []
    log.listener = lambda: woken.append(log.pending)
    for n in range(3):
        bus.publish(ev(n))
    assert not log.overflowed
    bus.publish(ev(4))
    assert log.overflowed and woken == [1, 2, 3, 4]
    log.rewind(0)  # a resume clears it
    assert not log.overflowed and log.pending == 4


async def test_call_monitors_follow_merges_and_end() -> None:
    bus = EventBus()
    a = bus.open_log("a")
    m = bus.add_monitor(a, MonitorKind.CALL, "c2", "m1")
    bus.move_call_monitors("c2", "c1")
    bus.publish(ev(1, devices=(), calls=("c1",)))
    assert len(a.take_pending()) == 1 and m.target == "c1"
    assert bus.end_call_monitors("c1") == [m]
    assert a.monitors == {}
