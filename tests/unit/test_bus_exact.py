"""The event bus at its edges: what mutation testing showed the other bus tests let through.

Each test names the line it guards: the overflow mark when unsent deliveries leave the
window, the index kept while one of two monitors on a target goes, delivering once to a
monitor named twice by one event, the counts, and a call merged into one the session
already monitors.
"""

from __future__ import annotations

import pytest
import trio

from ctid.bus import BusLimits, EventBus, EventLog, MonitorKind, Published, ReplayGap


def ev(
    n: int,
    *,
    devices: tuple[str, ...] = ("1001",),
    calls: tuple[str, ...] = (),
    broadcast: bool = False,
) -> Published:
    return Published(
        name=f"E{n}",
        params={"n": n},
        timestamp="t",
        devices=devices,
        calls=calls,
        broadcast=broadcast,
    )


def overflowed(log: EventLog) -> bool:
    # A call, not the attribute: mypy would take an earlier assert as the value for good.
    return log.overflowed


def seqs(log: EventLog, limit: int = 256) -> list[int]:
    return [seq for seq, *_ in log.take_pending(limit)]


def test_default_limits_are_the_documented_ones() -> None:
    assert BusLimits() == BusLimits(replay_events=10_000, replay_seconds=300.0, max_pending=5_000)
    assert EventBus().limits == BusLimits()


async def test_unsent_deliveries_out_of_the_window_overflow_the_writer() -> None:
    # max_pending is far away: only take_pending can see that seq 1..3 are gone unsent.
    bus = EventBus(BusLimits(replay_events=3, replay_seconds=1000, max_pending=100))
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    for n in range(1, 7):
        bus.publish(ev(n))
    assert (log.oldest, log.sent, log.pending, log.dropped) == (4, 0, 6, 3)
    assert not overflowed(log)
    assert log.take_pending() == []
    assert overflowed(log) and log.sent == 0
    with pytest.raises(ReplayGap) as info:
        log.rewind(0)
    assert (info.value.last_seq, info.value.oldest) == (0, 4)
    assert str(info.value) == (
        "events after seq 0 are no longer kept (oldest kept is 4); take snapshots again"
    )
    log.rewind(3)  # the oldest kept is exactly the next one: no gap
    assert not overflowed(log)
    assert seqs(log) == [4, 5, 6]


async def test_take_pending_honours_its_limit_and_the_window_edge() -> None:
    bus = EventBus(BusLimits(replay_events=4, replay_seconds=1000, max_pending=100))
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    assert log.oldest == 1 and log.take_pending() == []
    for n in range(1, 5):
        bus.publish(ev(n))
    assert len(log.entries) == 4 and log.oldest == 1  # exactly replay_events kept
    assert seqs(log, 3) == [1, 2, 3] and log.sent == 3 and log.pending == 1
    assert seqs(log, 3) == [4] and log.sent == 4
    assert log.take_pending() == [] and log.sent == 4
    bus.publish(ev(5))
    assert len(log.entries) == 4 and log.oldest == 2 and log.dropped == 0
    assert seqs(log) == [5]


async def test_age_limit_is_strict(autojump_clock: trio.testing.MockClock) -> None:
    bus = EventBus(BusLimits(replay_events=100, replay_seconds=60, max_pending=100))
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    bus.publish(ev(1))
    assert seqs(log) == [1]
    await trio.sleep(60)
    bus.publish(ev(2))  # seq 1 is exactly 60 s old: still kept
    assert log.oldest == 1
    await trio.sleep(1)
    bus.publish(ev(3))  # now older than 60 s and written: it goes
    assert log.oldest == 2 and log.dropped == 0


async def test_rewind_bounds_and_listener() -> None:
    bus = EventBus()
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    bus.publish(ev(1))
    bus.publish(ev(2))
    assert seqs(log) == [1, 2]
    woken: list[int] = []
    log.listener = lambda: woken.append(log.pending)
    with pytest.raises(ValueError, match=r"^lastSeq -1 is outside 0\.\.2$"):
        log.rewind(-1)
    with pytest.raises(ValueError, match=r"^lastSeq 3 is outside 0\.\.2$"):
        log.rewind(3)
    assert woken == [] and log.sent == 2
    log.rewind(2)  # nothing to send again, but the writer is woken all the same
    assert woken == [0] and log.sent == 2
    log.rewind(1)
    assert woken == [0, 1] and seqs(log) == [2]


async def test_removing_one_of_two_monitors_on_a_target_keeps_the_other() -> None:
    bus = EventBus()
    a, b = bus.open_log("a"), bus.open_log("b")
    ma = bus.add_monitor(a, MonitorKind.DEVICE, "1001", "m1")
    mb = bus.add_monitor(b, MonitorKind.DEVICE, "1001", "m1")
    assert bus.monitors_of(MonitorKind.DEVICE, "1001") == (ma, mb)
    bus.remove_monitor(ma)
    assert bus.monitors_of(MonitorKind.DEVICE, "1001") == (mb,)
    assert a.monitors == {} and b.monitors == {"m1": mb}
    bus.publish(ev(1))
    assert seqs(a) == [] and seqs(b) == [1]
    bus.remove_monitor(ma)  # twice: nothing happens
    assert bus.monitors_of(MonitorKind.DEVICE, "1001") == (mb,)
    bus.remove_monitor(mb)
    assert bus.monitors_of(MonitorKind.DEVICE, "1001") == ()
    assert "1001" not in bus._by_device
    # A monitor of another kind on the same name is another index.
    mt = bus.add_monitor(a, MonitorKind.TOPIC, "1001", "t1")
    assert bus.monitors_of(MonitorKind.DEVICE, "1001") == ()
    assert bus.monitors_of(MonitorKind.TOPIC, "1001") == (mt,)
    assert bus.find_monitor(a, MonitorKind.TOPIC, "1001") is mt
    assert bus.find_monitor(b, MonitorKind.TOPIC, "1001") is None
    assert bus.find_monitor(a, MonitorKind.CALL, "1001") is None


async def test_one_event_reaches_a_monitor_once_however_often_it_names_it() -> None:
    bus = EventBus()
    a = bus.open_log("a")
    bus.add_monitor(a, MonitorKind.DEVICE, "1001", "dev")
    bus.add_monitor(a, MonitorKind.CALL, "c1", "call")
    bus.add_monitor(a, MonitorKind.TOPIC, "queue:sales", "topic")
    bus.publish(
        ev(1, devices=("1001", "1001"), calls=("c1", "c1")),
        topics=["queue:sales", "queue:sales"],
    )
    assert [(s, m.cross_ref_id if m else None) for s, _, m, _ in a.take_pending()] == [
        (1, "dev"),
        (2, "call"),
        (3, "topic"),
    ]
    assert (bus.published, bus.delivered) == (1, 3)


async def test_broadcast_reaches_every_session_once_and_is_counted() -> None:
    bus = EventBus()
    a, b, c = bus.open_log("a"), bus.open_log("b"), bus.open_log("c")
    bus.add_monitor(a, MonitorKind.DEVICE, "1001", "m1")
    seen: list[str] = []
    bus.observers.append(lambda event: seen.append(event.name))
    bus.publish(ev(1, broadcast=True))
    assert [seqs(log) for log in (a, b, c)] == [[1], [1], [1]]
    assert (bus.published, bus.delivered) == (1, 3)
    bus.publish(ev(2))
    assert (bus.published, bus.delivered) == (2, 4)
    assert seen == ["E1", "E2"]


async def test_end_monitor_delivers_to_that_monitor_alone() -> None:
    bus = EventBus()
    a, b = bus.open_log("a"), bus.open_log("b")
    ma = bus.add_monitor(a, MonitorKind.DEVICE, "1001", "m1")
    bus.add_monitor(b, MonitorKind.DEVICE, "1001", "m1")
    ended = ev(9, devices=("1001",))
    bus.end_monitor(ma, ended)
    assert [(s, e, m) for s, e, m, _ in a.take_pending()] == [(1, ended, ma)]
    assert seqs(b) == []
    assert a.monitors == {} and bus.delivered == 1 and bus.published == 0
    bus.publish(ev(1))
    assert seqs(a) == [] and seqs(b) == [1]


async def test_a_call_merged_into_one_already_monitored_is_delivered_once() -> None:
    bus = EventBus()
    a, b = bus.open_log("a"), bus.open_log("b")
    old_a = bus.add_monitor(a, MonitorKind.CALL, "c2", "m-old")
    kept = bus.add_monitor(a, MonitorKind.CALL, "c1", "m-kept")
    old_b = bus.add_monitor(b, MonitorKind.CALL, "c2", "m-b")
    bus.move_call_monitors("c2", "c1")
    # Session a already monitored c1: its c2 monitor goes; session b's follows the call.
    assert a.monitors == {"m-kept": kept}
    assert b.monitors == {"m-b": old_b}
    assert bus.monitors_of(MonitorKind.CALL, "c1") == (kept, old_b)
    assert bus.monitors_of(MonitorKind.CALL, "c2") == ()
    assert old_a.target == "c1" and old_b.target == "c1"
    bus.publish(ev(1, devices=(), calls=("c1",)))
    assert [(s, m) for s, _, m, _ in a.take_pending()] == [(1, kept)]
    assert [(s, m) for s, _, m, _ in b.take_pending()] == [(1, old_b)]
    bus.move_call_monitors("c7", "c1")  # nothing monitors c7
    assert bus.monitors_of(MonitorKind.CALL, "c1") == (kept, old_b)
    assert bus.end_call_monitors("c1") == [kept, old_b]
    assert a.monitors == {} and b.monitors == {}
    assert bus.end_call_monitors("c1") == []


async def test_a_closed_log_counts_its_losses_once() -> None:
    bus = EventBus(BusLimits(replay_events=1, replay_seconds=1000, max_pending=100))
    log = bus.open_log("s")
    other = bus.open_log("t")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    bus.add_monitor(other, MonitorKind.DEVICE, "1002", "m1")
    bus.publish(ev(1))
    bus.publish(ev(2))
    assert log.dropped == 1 and bus.dropped == 1
    bus.close_log(log)
    assert bus.dropped == 1 and bus.logs == {"t": other}
    bus.close_log(log)  # a second close (the session ends twice) adds nothing
    assert bus.dropped == 1 and bus.logs == {"t": other}
    assert log.monitors == {} and bus.monitors_of(MonitorKind.DEVICE, "1001") == ()
    assert [m.cross_ref_id for m in bus.monitors_of(MonitorKind.DEVICE, "1002")] == ["m1"]


def test_published_defaults_and_repr() -> None:
    event = Published(name="X", params={"a": 1}, timestamp="t0")
    assert (event.calls, event.devices, event.local_states, event.broadcast) == ((), (), {}, False)
    assert event.encodings == {}
    assert repr(event) == "<Published X calls=() devices=()>"
    full = Published(
        name="Y",
        params={},
        timestamp="t1",
        calls=("c1",),
        devices=("1001",),
        local_states={"1001": "connected"},
    )
    assert full.local_states == {"1001": "connected"}
    assert repr(full) == "<Published Y calls=('c1',) devices=('1001',)>"


async def test_a_fresh_log_and_a_rewound_one_are_not_overflowed() -> None:
    bus = EventBus(BusLimits(replay_events=100, replay_seconds=1000, max_pending=3))
    log = bus.open_log("a")
    assert log.overflowed is False and (log.seq, log.sent, log.dropped) == (0, 0, 0)
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    for n in range(3):
        bus.publish(ev(n))
    assert seqs(log) == [1, 2, 3]
    # Three written, one waiting: far from max_pending, however many went before.
    bus.publish(ev(4))
    assert log.pending == 1 and overflowed(log) is False
    for n in range(5, 8):
        bus.publish(ev(n))
    assert log.pending == 4 and overflowed(log) is True
    log.rewind(7)
    assert overflowed(log) is False


async def test_take_pending_hands_out_256_at_a_time_by_default() -> None:
    bus = EventBus(BusLimits(replay_events=1000, replay_seconds=1000, max_pending=1000))
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    for n in range(300):
        bus.publish(ev(n))
    assert [seq for seq, *_ in log.take_pending()] == list(range(1, 257))
    assert [seq for seq, *_ in log.take_pending()] == list(range(257, 301))


async def test_losses_of_every_closed_log_add_up() -> None:
    bus = EventBus(BusLimits(replay_events=1, replay_seconds=1000, max_pending=100))
    logs = [bus.open_log(name) for name in ("a", "b")]
    for log in logs:
        bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    for n in range(3):
        bus.publish(ev(n))
    assert [log.dropped for log in logs] == [2, 2] and bus.dropped == 4
    bus.close_log(logs[0])
    bus.close_log(logs[1])
    assert bus.dropped == 4 and bus.logs == {}


async def test_end_monitor_adds_to_the_delivered_count() -> None:
    bus = EventBus()
    log = bus.open_log("a")
    monitor = bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    bus.publish(ev(1))
    bus.publish(ev(2))
    bus.end_monitor(monitor, ev(3))
    assert (bus.published, bus.delivered) == (2, 3)
    assert seqs(log) == [1, 2, 3]


def test_published_keeps_what_it_was_given() -> None:
    params = {"callId": "c1"}
    event = Published(name="Delivered", params=params, timestamp="2027-01-15T08:00:00Z")
    assert event.name == "Delivered"
    assert event.params is params
    assert event.timestamp == "2027-01-15T08:00:00Z"
