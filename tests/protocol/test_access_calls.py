"""The role leaks of issue 10, closed: calls of other queues, and monitors kept after log-off.

On a real call centre (simulator + ACD): queue ``vip`` (agent 2001) overflows
to ``sales`` (agent 2002) after a minute; ``vic`` supervises vip only, ``sam``
sales only; ``alice`` is agent 2001 with phone 1009 of her own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import pytest
import trio

from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient, call_centre, sim_config

ALICE: Final = "access-agent-alice-0123456789"
VIC: Final = "access-supervisor-vip-0123456"
SAM: Final = "access-supervisor-sales-01234"
PRIVILEGE: Final = "privilegeViolationOnSpecifiedDevice"
#: Mock seconds after which a test waiting for what never comes fails.
DEADLINE: Final = 3600.0


@asynccontextmanager
async def centre() -> AsyncIterator[CallCentre]:
    """The call centre, with a deadline: an event that never comes fails the test."""
    with trio.fail_after(DEADLINE):
        async with call_centre(config()) as cc:
            yield cc


def config() -> Any:
    return sim_config(
        {
            "acd": {
                "seed": 1,
                "queues": [
                    {
                        "name": "vip",
                        "ring_timeout": 10.0,
                        "max_wait": 60.0,
                        "overflow": [{"when": "timeout", "action": "queue", "target": "sales"}],
                    },
                    {"name": "sales", "ring_timeout": 10.0},
                ],
                "agents": [
                    {"id": "2001", "skills": [{"queue": "vip"}]},
                    {"id": "2002", "skills": [{"queue": "sales"}]},
                ],
            },
            "auth": {
                "tokens": [
                    {
                        "role": "agent",
                        "name": "alice",
                        "token": ALICE,
                        "agent_id": "2001",
                        "devices": ["1009"],
                    },
                    {"role": "supervisor", "name": "vic", "token": VIC, "queues": ["vip"]},
                    {"role": "supervisor", "name": "sam", "token": SAM, "queues": ["sales"]},
                ]
            },
        }
    )


async def log_on(admin: RpcTestClient, agent_id: str, device: str, state: str) -> None:
    for requested in ("loggedOn", state):
        await admin.call(
            "SetAgentState",
            {"device": device, "requestedAgentState": requested, "agentID": agent_id},
        )


async def refused(client: RpcTestClient, method: str, params: dict[str, Any]) -> str:
    with pytest.raises(RpcErrorReply) as err:
        await client.call(method, params)
    assert (err.value.code, err.value.csta_error) == (-32000, PRIVILEGE), err.value.message
    return err.value.message


def snap(call_id: str) -> dict[str, Any]:
    return {"snapshotObject": {"callID": call_id}}


async def parties(client: RpcTestClient, call_id: str) -> dict[str, str]:
    reply = await client.call("SnapshotCall", snap(call_id))
    return {p["deviceOnCall"]: p["localConnectionState"] for p in reply["snapshotData"]}


async def test_a_queue_limited_supervisor_acts_only_on_calls_of_its_queues(
    autojump_clock: Any,
) -> None:
    async with centre() as cc:
        admin = await cc.client()
        vic = await cc.client(token=VIC)
        sam = await cc.client(token=SAM)
        # Nobody is ready: the call waits in vip.
        await log_on(admin, "2001", "1001", "notReady")
        await log_on(admin, "2002", "1002", "notReady")
        reply = await admin.call(
            "sim.incomingCall", {"callingNumber": "+15550001", "calledNumber": "vip"}
        )
        waiting = str(reply["callID"])
        await trio.sleep(1)
        assert await parties(vic, waiting) == {"+15550001": "connected", "vip": "queued"}
        message = await refused(sam, "SnapshotCall", snap(waiting))
        assert message == f"supervisor sam supervises no queue of call {waiting}"
        await refused(sam, "MonitorStart", {"monitorObject": {"callObject": {"callID": waiting}}})
        await refused(sam, "AssociateData", {"existingCall": waiting, "userData": {"x": "1"}})
        await refused(sam, "ClearCall", {"callToBeCleared": waiting})
        # The refusals changed nothing: no data, the call still waits, sam monitors nothing.
        data = await admin.call("SnapshotCall", snap(waiting))
        assert data["userData"] == {"ctid.queue": "vip"}
        assert cc.app.api.sessions.get(sam_session(cc, "sam")).log.monitors == {}
        # A minute later it overflows to sales: now sam's, and still vic's (it waited in vip).
        await trio.sleep(60)
        assert await parties(sam, waiting) == {"+15550001": "connected", "sales": "queued"}
        assert await parties(vic, waiting) == {"+15550001": "connected", "sales": "queued"}
        await vic.call("AssociateData", {"existingCall": waiting, "userData": {"vip": "yes"}})
        monitor = await sam.call(
            "MonitorStart", {"monitorObject": {"callObject": {"callID": waiting}}}
        )
        assert monitor == {"monitorCrossRefID": "m1"}
        await sam.call("ClearCall", {"callToBeCleared": waiting})
        ended = await sam.event("MonitorEndedEvent")
        assert (ended["cause"], ended["monitorCrossRefID"]) == ("normalClearing", "m1")


def sam_session(cc: CallCentre, name: str) -> str:
    (session,) = [s for s in cc.app.api.sessions.sessions.values() if s.credential.name == name]
    return session.session_id


async def test_calls_at_the_devices_of_its_agents(autojump_clock: Any) -> None:
    async with centre() as cc:
        admin = await cc.client()
        vic = await cc.client(token=VIC)
        await log_on(admin, "2001", "1001", "notReady")
        # Agent 2001 (vip) calls a colleague directly: no queue, but vip's agent is in it.
        made = await admin.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "1005",
                "autoOriginate": "doNotPrompt",
            },
        )
        direct = made["callingDevice"]["callID"]
        await trio.sleep(1)
        assert await parties(vic, direct) == {"1001": "connected", "1005": "alerting"}
        # Two phones without agents: no queue of vic's.
        other = await admin.call(
            "MakeCall",
            {
                "callingDevice": "1006",
                "calledDirectoryNumber": "1007",
                "autoOriginate": "doNotPrompt",
            },
        )
        other_call = other["callingDevice"]["callID"]
        await trio.sleep(1)
        await refused(vic, "SnapshotCall", snap(other_call))
        await refused(vic, "HoldCall", {"callToBeHeld": {"callID": other_call, "deviceID": "1006"}})
        assert await parties(admin, other_call) == {"1006": "connected", "1007": "alerting"}
        # Once agent 2001 has logged off 1001, its call is no longer vic's.
        await admin.call("ClearCall", {"callToBeCleared": direct})
        await admin.call(
            "SetAgentState",
            {"device": "1001", "requestedAgentState": "loggedOff", "agentID": "2001"},
        )
        await admin.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "1005",
                "autoOriginate": "doNotPrompt",
            },
        )
        await trio.sleep(1)
        (after,) = [c for c in cc.app.calls.model.calls if c not in (direct, other_call)]
        await refused(vic, "SnapshotCall", snap(after))


async def test_an_agents_device_monitor_ends_when_it_logs_off(autojump_clock: Any) -> None:
    async with centre() as cc:
        admin = await cc.client()
        alice = await cc.client(token=ALICE)
        await log_on(admin, "2001", "1001", "notReady")
        hot_desk = await alice.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        own_phone = await alice.call("MonitorStart", {"monitorObject": {"deviceObject": "1009"}})
        admin_watch = await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        assert (hot_desk, own_phone, admin_watch) == (
            {"monitorCrossRefID": "m1"},
            {"monitorCrossRefID": "m2"},
            {"monitorCrossRefID": "m1"},
        )
        await alice.call("SetAgentState", {"device": "1001", "requestedAgentState": "loggedOff"})
        logged_off = await alice.event("AgentLoggedOffEvent")
        ended = await alice.event("MonitorEndedEvent")
        assert logged_off["monitorCrossRefID"] == "m1"
        assert (ended["monitorCrossRefID"], ended["cause"]) == ("m1", "agentLoggedOff")
        assert ended["seq"] == logged_off["seq"] + 1
        # Calls at 1001 no longer reach her; her own phone's monitor and the admin's go on.
        before = len(alice.peek())
        cc.sim.off_hook("1001")
        await trio.sleep(1)
        assert len(alice.peek()) == before
        assert (await admin.event("ServiceInitiatedEvent"))["monitorCrossRefID"] == "m1"
        cc.sim.off_hook("1009")
        await trio.sleep(1)
        started = await alice.event("ServiceInitiatedEvent")
        assert started["monitorCrossRefID"] == "m2"
        with pytest.raises(RpcErrorReply) as err:
            await alice.call("MonitorStop", {"monitorCrossRefID": "m1"})
        assert err.value.csta_error == "invalidCrossRefID"
        # And she may not start it again: 1001 is not hers any more.
        await refused(alice, "MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
