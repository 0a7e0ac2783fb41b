"""A reload that removes a queue sends its waiting callers to the queue's own overflow,
else to ``[acd.removed_queue_destination]``, else hangs them up: end to end on the
simulator, the callers followed by their events and the agents who take them."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from acdkit import Notices, agent, centre, log_on, queue

from ctid.acd.config import acd_config
from ctid.calls.notices import CallEnded
from ctid.config import ConfigError
from ctid.testing import call_centre

CALLER = "+15550001"


def acd(queues: list[dict[str, Any]], agents: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"queues": queues, "agents": agents, **extra}


OLD = queue(
    "old", number="5003", overflow=[{"when": "no_agents", "action": "queue", "target": "sales"}]
)
BEFORE = acd(
    [queue("sales", number="5001"), queue("support", number="5002"), OLD],
    [agent("2001", "sales"), agent("2002", "sales", "old")],
)


@pytest.mark.parametrize(
    "destination",
    [{"action": "queue", "target": "sales"}, {"action": "device", "target": "1003"}],
    ids=["queue", "device"],
)
async def test_waiting_callers_go_to_the_configured_destination(
    autojump_clock: Any, destination: dict[str, str]
) -> None:
    with trio.fail_after(600):
        await _to_destination(destination)


async def _to_destination(destination: dict[str, str]) -> None:
    async with call_centre(centre(BEFORE)) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices)
        admin = await cc.client()
        for device in ("1001", "1003"):
            await admin.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
        await log_on(admin, "2001", "1001", ready=False)  # logged on, not ready: callers wait
        # support has no overflow of its own: its caller waits.
        waiting = (
            await admin.call("sim.incomingCall", {"callingNumber": CALLER, "calledNumber": "5002"})
        )["callID"]
        await cc.settle()
        assert [
            e.call_id for e in cc.app.api.services["acd"].engine.queues["support"].callers_waiting()
        ] == [waiting]
        after = centre(
            acd(
                [queue("sales", number="5001"), OLD],
                [agent("2001", "sales"), agent("2002", "sales", "old")],
                removed_queue_destination=destination,
            )
        )
        report = await cc.app.reloads.reload(cc.app.config, after)
        assert report.refused == []
        assert report.applied["acd"]["queues"] == {
            "added": [],
            "changed": [],
            "removed": ["support"],
        }
        await cc.settle()
        if destination["action"] == "queue":
            # Now in sales, where agent 2001 takes it when ready.
            await admin.call(
                "SetAgentState",
                {"device": "1001", "requestedAgentState": "ready", "agentID": "2001"},
            )
            delivered = await admin.event("DeliveredEvent", alertingDevice="1001")
        else:
            delivered = await admin.event("DeliveredEvent", alertingDevice="1003")
        assert delivered["connection"]["callID"] == waiting
        assert delivered["callingDevice"] == CALLER
        await admin.call("sim.offHook", {"device": delivered["alertingDevice"]})
        established = await admin.event("EstablishedEvent")
        assert established["establishedConnection"]["callID"] == waiting
        assert not [n for n in notices.of(CallEnded) if n.call_id == waiting]
        assert "5002" not in cc.app.directory.route_points


async def test_the_queue_own_overflow_comes_first(autojump_clock: Any) -> None:
    with trio.fail_after(600):
        await _own_overflow_first()


async def _own_overflow_first() -> None:
    async with call_centre(centre(BEFORE)) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1003"}})
        await log_on(admin, "2001", "1001", ready=False)
        await log_on(admin, "2002", "1002", ready=False)
        calls = {}
        for number, caller in (("5002", CALLER), ("5003", "+15550002")):
            reply = await admin.call(
                "sim.incomingCall", {"callingNumber": caller, "calledNumber": number}
            )
            calls[number] = reply["callID"]
        await cc.settle()
        engine = cc.app.api.services["acd"].engine
        # Both removed: old's caller follows old's own overflow (to sales), support's
        # (no overflow of its own) the configured destination.
        after = centre(
            acd(
                [queue("sales", number="5001")],
                [agent("2001", "sales"), agent("2002", "sales")],
                removed_queue_destination={"action": "device", "target": "1003"},
            )
        )
        report = await cc.app.reloads.reload(cc.app.config, after)
        assert report.applied["acd"]["queues"]["removed"] == ["support", "old"]
        delivered = await admin.event("DeliveredEvent", alertingDevice="1003")
        assert delivered["connection"]["callID"] == calls["5002"]
        await cc.settle()
        assert [e.call_id for e in engine.queues["sales"].callers_waiting()] == [calls["5003"]]
        assert set(engine.queues) == {"sales"}


def test_the_destination_is_checked() -> None:
    base = {"queues": [{"name": "sales"}]}
    good = acd_config(
        {**base, "removed_queue_destination": {"action": "voicemail", "target": "queue:sales"}}
    )
    assert good.removed_queue_destination is not None
    assert (good.removed_queue_destination.action.value, good.removed_queue_destination.target) == (
        "voicemail",
        "queue:sales",
    )
    assert acd_config(base).removed_queue_destination is None
    for bad, key, problem in [
        ({"action": "queue", "target": "nosuch"}, "target", 'no queue "nosuch"'),
        ({"action": "device"}, "target", 'required with action = "device"'),
        ({"action": "queue", "target": "sales", "when": "timeout"}, "when", "not used here"),
    ]:
        with pytest.raises(ConfigError) as info:
            acd_config({**base, "removed_queue_destination": bad}, "ctid.toml")
        assert (info.value.key, info.value.problem) == (
            f"acd.removed_queue_destination.{key}",
            problem,
        )
