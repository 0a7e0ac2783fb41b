"""Supervisor features through the API, checked on the simulator's media model."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from acdkit import (
    AGENT_TOKEN,
    SUPERVISOR_TOKEN,
    SUPPORT_SUPERVISOR_TOKEN,
    acd_centre,
    agent,
    call_in,
    centre,
    log_on,
    queue,
    snapshot,
)

from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient

CUSTOMER = "+15550001"
SUP = "1009"


def config() -> Any:
    return centre(
        {
            "queues": [queue("sales"), queue("support")],
            "agents": [agent("2001", "sales"), agent("2002", "support")],
        }
    )


async def _talking(cc: CallCentre, admin: RpcTestClient) -> dict[str, str]:
    """Agent 2001 at 1001 talks with a customer; returns its connection."""
    await log_on(admin, "2001", "1001")
    call_id = await call_in(admin, CUSTOMER, "sales")
    await trio.sleep(1)
    cc.sim.off_hook("1001")
    await trio.sleep(1)
    return {"callID": call_id, "deviceID": "1001"}


def _who_hears(cc: CallCentre) -> set[tuple[str, str]]:
    parties = [CUSTOMER, "1001", SUP]
    return {(a, b) for a in parties for b in parties if a != b and cc.sim.card.hears(a, b)}


TALK = {(CUSTOMER, "1001"), ("1001", CUSTOMER)}
LISTEN = {(SUP, "1001"), (SUP, CUSTOMER)}


async def test_listen_whisper_barge_and_switching(autojump_clock: Any) -> None:
    async with acd_centre(config()) as cc:
        admin = await cc.client()
        sue = await cc.client(token=SUPERVISOR_TOKEN)
        conn = await _talking(cc, admin)
        reply = await sue.call(
            "SingleStepConferenceCall",
            {"activeCall": conn, "deviceToJoin": SUP, "participationType": "silent"},
        )
        assert reply["participationType"] == "silent"
        assert reply["conferencedCall"]["deviceID"] == SUP
        await trio.sleep(0.1)
        assert _who_hears(cc) == TALK | LISTEN
        await sue.call("supervisor.whisper", {"activeCall": conn, "deviceToJoin": SUP})
        await trio.sleep(0.1)
        assert _who_hears(cc) == TALK | LISTEN | {("1001", SUP)}
        barge = await sue.call(
            "SingleStepConferenceCall",
            {"activeCall": conn, "deviceToJoin": SUP, "participationType": "active"},
        )
        assert barge["participationType"] == "active"
        await trio.sleep(0.1)
        assert _who_hears(cc) == TALK | LISTEN | {("1001", SUP), (CUSTOMER, SUP)}
        await sue.call(
            "SingleStepConferenceCall",
            {"activeCall": conn, "deviceToJoin": SUP, "participationType": "silent"},
        )
        await trio.sleep(0.1)
        assert _who_hears(cc) == TALK | LISTEN
        # The customer's side never saw the supervisor.
        assert SUP not in cc.app.model.calls[conn["callID"]].connections
        # The supervisor hangs up; the conversation goes on.
        cc.sim.on_hook(SUP)
        await trio.sleep(0.1)
        assert _who_hears(cc) == TALK


async def test_force_release_and_forced_states(autojump_clock: Any) -> None:
    async with acd_centre(config()) as cc:
        admin = await cc.client()
        sue = await cc.client(token=SUPERVISOR_TOKEN)
        conn = await _talking(cc, admin)
        await sue.call("ClearConnection", {"connectionToBeCleared": conn})
        await trio.sleep(0.1)
        assert conn["callID"] not in cc.app.model.calls
        snap = await snapshot(admin, "2001")
        assert snap["agentState"] == "ready"  # the queue has no wrap-up
        await sue.call(
            "SetAgentState",
            {"device": "1001", "requestedAgentState": "notReady", "reasonCode": "meeting"},
        )
        snap = await snapshot(admin, "2001")
        assert (snap["agentState"], snap["reasonCode"]) == ("notReady", "meeting")
        await sue.call("SetAgentState", {"device": "1001", "requestedAgentState": "loggedOff"})
        assert (await snapshot(admin, "2001"))["agentState"] == "loggedOff"


def _without_clock(snap: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without today's durations, which grow as time passes."""
    return {k: v for k, v in snap.items() if k != "today"} | {"calls": snap["today"]["calls"]}


async def _refused(client: RpcTestClient, method: str, params: dict[str, Any]) -> None:
    with pytest.raises(RpcErrorReply) as err:
        await client.call(method, params)
    assert err.value.csta_error == "privilegeViolationOnSpecifiedDevice", err.value.message


async def test_wrong_roles_are_refused_and_change_nothing(autojump_clock: Any) -> None:
    async with acd_centre(config()) as cc:
        admin = await cc.client()
        alice = await cc.client(token=AGENT_TOKEN)  # agent 2001
        sam = await cc.client(token=SUPPORT_SUPERVISOR_TOKEN)  # supervises support only
        sue = await cc.client(token=SUPERVISOR_TOKEN)  # supervises sales, devices 1009-1010
        await log_on(admin, "2002", "1002", ready=False)
        conn = await _talking(cc, admin)
        before = {a: _without_clock(await snapshot(admin, a)) for a in ("2001", "2002")}
        listen = {"activeCall": conn, "deviceToJoin": "1005", "participationType": "silent"}
        # Listening and whispering are not for agents at all: the role is refused (-32005).
        for method, params in (
            ("SingleStepConferenceCall", listen),
            ("supervisor.whisper", {"activeCall": conn, "deviceToJoin": "1005"}),
        ):
            with pytest.raises(RpcErrorReply) as err:
                await alice.call(method, params)
            assert err.value.code == -32005, err.value.message
        await _refused(sam, "SingleStepConferenceCall", listen)
        await _refused(sue, "SingleStepConferenceCall", listen)  # 1005 is not one of sue's phones
        await _refused(sam, "ClearConnection", {"connectionToBeCleared": conn})
        await _refused(alice, "SetAgentState", {"device": "1002", "requestedAgentState": "ready"})
        await _refused(
            alice,
            "SetAgentState",
            {"device": "1003", "requestedAgentState": "loggedOn", "agentID": "2002"},
        )
        await _refused(sam, "SetAgentState", {"device": "1001", "requestedAgentState": "loggedOff"})
        await _refused(
            sue,
            "SetAgentState",
            {"device": "1003", "requestedAgentState": "loggedOn", "agentID": "2001"},
        )
        await _refused(sam, "agent.snapshot", {"agentID": "2001"})
        await _refused(alice, "agent.snapshot", {"agentID": "2002"})
        await _refused(alice, "queue.snapshot", {"queue": "support"})
        await _refused(sam, "MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        await _refused(alice, "MonitorStart", {"monitorObject": {"queueObject": "*"}})
        await trio.sleep(1)
        assert {a: _without_clock(await snapshot(admin, a)) for a in ("2001", "2002")} == before
        assert cc.app.model.supervisors == {}
        assert cc.sim.line_state("1005").value == "idle"
        assert cc.sim.card.hears(CUSTOMER, "1001")
        # What each may do, it may.
        assert (await alice.call("agent.snapshot", {"agentID": "2001"}))["agentState"] == "busy"
        assert (await sam.call("agent.snapshot", {"agentID": "2002"}))["agentID"] == "2002"
        assert [q["queue"] for q in (await alice.call("queue.list"))["queues"]] == ["sales"]
        assert [a["agentID"] for a in (await sue.call("agent.list"))["agents"]] == ["2001"]


async def test_an_agent_logs_itself_on_anywhere_and_acts_on_its_phone(
    autojump_clock: Any,
) -> None:
    async with acd_centre(config()) as cc:
        alice = await cc.client(token=AGENT_TOKEN)
        await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        # Hot-desking: no agentID needed, the credential says who it is.
        await alice.call("SetAgentState", {"device": "1004", "requestedAgentState": "loggedOn"})
        on = await alice.event("AgentLoggedOnEvent")
        assert (on["agentDevice"], on["newState"], on["oldState"]) == (
            "1004",
            "notReady",
            "loggedOff",
        )
        await alice.call("SetAgentState", {"device": "1004", "requestedAgentState": "ready"})
        # Its phone is now its own: it may take calls there, and monitor it.
        await alice.call("MonitorStart", {"monitorObject": {"deviceObject": "1004"}})
        state = await alice.call("GetAgentState", {"device": "1004"})
        (item,) = state["agentStateList"]
        assert (item["agentID"], item["agentState"], item["loggedOnState"]) == (
            "2001",
            "ready",
            True,
        )
