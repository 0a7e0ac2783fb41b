"""Events nobody would receive are not built (issue 14): ``EventBus.wants`` and the publisher."""

from __future__ import annotations

from typing import Any

import trio

from ctid.bus import EventBus, MonitorKind, Published
from ctid.calls.directory import Directory
from ctid.calls.events import DeliveredEvent
from ctid.calls.objects import Emitted
from ctid.calls.values import ConnectionID
from ctid.clock import WallClock
from ctid.publish import CstaPublisher


def test_wants_follows_the_monitors_observers_and_taps() -> None:
    bus = EventBus()
    assert not bus.wants(devices=("1001",), calls=("c1",), topics=("queues",))
    assert not bus.wants(broadcast=True)  # no session at all
    log = bus.open_log("a")
    assert bus.wants(broadcast=True)
    device = bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    call = bus.add_monitor(log, MonitorKind.CALL, "c1", "m2")
    topic = bus.add_monitor(log, MonitorKind.TOPIC, "queue:sales", "m3")
    assert bus.wants(devices=("1002", "1001"))
    assert not bus.wants(devices=("1002",), calls=("c2",), topics=("queue:support",))
    assert bus.wants(calls=("c1",))
    assert bus.wants(topics=("agents", "queue:sales"))
    for monitor in (device, call, topic):
        bus.remove_monitor(monitor)
    assert not bus.wants(devices=("1001",), calls=("c1",), topics=("queue:sales",))
    seen: list[Published] = []
    bus.observers.append(seen.append)
    assert bus.wants(devices=("9999",))
    bus.observers.clear()
    bus.taps.append(lambda event, topics: None)
    assert bus.wants()


def _delivered(at_device: str, caller: str) -> Emitted:
    event = DeliveredEvent(
        connection=ConnectionID(call_id="c1", device_id=at_device),
        alerting_device=at_device,
        calling_device=caller,
        called_device=at_device,
    )
    return Emitted(
        event=event,
        calls=("c1",),
        devices=(at_device, caller),
        local_states={at_device: "alerting", caller: "connected"},
        at=trio.current_time(),
    )


async def test_the_publisher_builds_only_what_someone_receives() -> None:
    bus = EventBus()
    publisher = CstaPublisher(bus, WallClock.start(1_800_000_000.0))
    looked_up: list[str] = []

    def caller_info(number: str) -> dict[str, Any]:
        looked_up.append(number)
        return {"number": number, "country": "US"}

    publisher.caller_info = caller_info
    publisher.directory = Directory(extensions={"1001"})
    # Nobody listens: counted as published, but no caller lookup and nothing delivered.
    publisher(_delivered("1001", "+15550100"))
    assert (bus.published, bus.delivered, looked_up) == (1, 0, [])
    publisher.publish("agent.ready", {"agentID": "2001"}, devices=["1001"], topics=["agents"])
    assert (bus.published, bus.delivered) == (2, 0)
    # A monitor of the phone: built as ever, caller information and all.
    log = bus.open_log("a")
    bus.add_monitor(log, MonitorKind.DEVICE, "1001", "m1")
    publisher(_delivered("1001", "+15550100"))
    assert (bus.published, bus.delivered, looked_up) == (3, 1, ["+15550100"])
    [(seq, published, monitor, _)] = log.take_pending()
    assert (seq, published.name, monitor and monitor.cross_ref_id) == (1, "DeliveredEvent", "m1")
    assert published.params["callerInfo"] == {"number": "+15550100", "country": "US"}
    assert published.params["alertingDevice"] == "1001"
    assert published.calls == ("c1",) and published.devices == ("1001", "+15550100")
    # A topic monitor receives the ACD's events again.
    bus.add_monitor(log, MonitorKind.TOPIC, "agents", "m2")
    publisher.publish("agent.ready", {"agentID": "2001"}, topics=["agents"])
    assert (bus.published, bus.delivered) == (4, 2)
    [(_, ready, _, _)] = log.take_pending()
    assert (ready.name, ready.params) == ("agent.ready", {"agentID": "2001"})
