"""Conformance scenarios: ctid killed (``kill -9``) and started again while calls are up.

The switch keeps its calls while ctid is away; the restarted ctid must show each
of them as it was: the same callID and data, held and consultation legs as one
call with the right connection states, a phone still ringing picked up too, and
every CSTA service working on them. The simulator lives inside ctid and dies with
it, so these scenarios need ``Capability.SURVIVES_RESTART``.

Each scenario's daemon keeps its live state on a state directory of its own
(``RESTART_CONFIG``), which the restarted daemon opens again.
"""

from __future__ import annotations

from typing import Any, Final

import trio

from ...switch_drivers.base import Capability
from ..client import RpcTestClient
from .harness import CALLER
from .run import ScenarioRun, brief, conn, scenario

__all__ = ["RESTART_CONFIG"]

#: What a restart scenario adds to the daemon's configuration: a database for the
#: live state (the records' database, on the scenario's own state directory).
RESTART_CONFIG: Final[dict[str, Any]] = {"records": {"enabled": True}}

NEEDS: Final = Capability.SURVIVES_RESTART


async def _states(mon: RpcTestClient, call_id: str) -> dict[str, str]:
    """Each device's connection state in ``call_id``, from SnapshotCall."""
    snapshot = await mon.call("SnapshotCall", {"snapshotObject": call_id})
    return {d["deviceOnCall"]: d["localConnectionState"] for d in snapshot["snapshotData"]}


async def _caller_to_agent(run: ScenarioRun) -> tuple[RpcTestClient, str]:
    """An outside caller calls A, who answers; the call gets data."""
    mon = await run.watch(run.a)
    call_id = await run.inbound(CALLER, run.a)
    await mon.call(
        "AssociateData",
        {"existingCall": call_id, "userData": {"customer": "C-42"}, "correlatorData": "case-7"},
    )
    await run.settle()
    return mon, call_id


async def _consulting(run: ScenarioRun) -> tuple[str, str]:
    """Caller -> A (answered, with data); A consults B, who answers."""
    a, b = run.a, run.b
    mon, first = await _caller_to_agent(run)
    r = await run.after(
        mon.call("ConsultationCall", {"existingCall": conn(first, a), "consultedDevice": b}),
        "DeliveredEvent",
        alertingDevice=b,
    )
    second = str(r["connection"]["callID"])
    await run.answer(b)
    return first, second


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_keeps_a_connected_call(run: ScenarioRun) -> None:
    """A call up across a restart keeps its callID, correlatorData and userData; it ends
    normally."""
    a = run.a
    _, call_id = await _caller_to_agent(run)
    await run.restart()
    mon = await run.watch(a)
    assert await _states(mon, call_id) == {CALLER: "connected", a: "connected"}
    snapshot = await mon.call("SnapshotCall", {"snapshotObject": call_id})
    assert snapshot["userData"] == {"customer": "C-42"}
    assert snapshot["correlatorData"] == "case-7"
    await run.expect_hearing(CALLER, a, hears=True, music=False)
    await run.switch.hang_up(CALLER)
    await run.settle()
    cleared = mon.take()
    assert [brief(e) for e in cleared] == [
        ("ConnectionClearedEvent", "connected", CALLER, "normalClearing"),
        ("ConnectionClearedEvent", "null", a, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    assert {e["droppedConnection"]["callID"] for e in cleared[:2]} == {call_id}
    assert cleared[2]["clearedCall"] == call_id


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_keeps_a_held_call(run: ScenarioRun) -> None:
    """A call on hold across a restart is one call with A on hold; RetrieveCall works."""
    a = run.a
    mon, call_id = await _caller_to_agent(run)
    await mon.call("HoldCall", {"callToBeHeld": conn(call_id, a)})
    await run.restart()
    mon = await run.watch(a)
    assert await _states(mon, call_id) == {CALLER: "connected", a: "hold"}
    await run.expect_hearing(CALLER, a, hears=False, music=True)
    await mon.call("RetrieveCall", {"callToBeRetrieved": conn(call_id, a)})
    await run.expect_hearing(CALLER, a, hears=True, music=False)
    assert [brief(e) for e in mon.take()] == [("RetrievedEvent", "connected", a, "normal")]
    assert await _states(mon, call_id) == {CALLER: "connected", a: "connected"}


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_then_the_holding_agent_hangs_up(run: ScenarioRun) -> None:
    """After a restart, the agent of a held call hangs up: the caller is released, not
    left hearing music."""
    a = run.a
    mon, call_id = await _caller_to_agent(run)
    await mon.call("HoldCall", {"callToBeHeld": conn(call_id, a)})
    await run.restart()
    mon = await run.watch(a)
    await run.switch.hang_up(a)
    await run.settle()
    events = mon.take()
    assert [brief(e) for e in events] == [
        ("ConnectionClearedEvent", "null", a, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    assert events[1]["clearedCall"] == call_id
    await run.expect_hearing(CALLER, a, hears=False, music=False)
    assert not run.cc.app.model.calls


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_in_consultation_then_transfer(run: ScenarioRun) -> None:
    """A consultation across a restart: both calls kept; TransferCall joins the caller and B."""
    a, b = run.a, run.b
    first, second = await _consulting(run)
    await run.restart()
    mon = await run.watch(a, b)
    assert await _states(mon, first) == {CALLER: "connected", a: "hold"}
    assert await _states(mon, second) == {a: "connected", b: "connected"}
    await run.expect_hearing(CALLER, a, hears=False, music=True)
    await run.expect_hearing(b, a, hears=True, music=False)
    result = await mon.call(
        "TransferCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)}
    )
    assert result == {"transferredCall": conn(first, b)}
    await run.expect_hearing(CALLER, b, hears=True, music=False)
    snapshot = await mon.call("SnapshotCall", {"snapshotObject": first})
    assert {d["deviceOnCall"] for d in snapshot["snapshotData"]} == {CALLER, b}
    assert snapshot["userData"] == {"customer": "C-42"}


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_in_consultation_then_reconnect(run: ScenarioRun) -> None:
    """A consultation across a restart; ReconnectCall ends it and A talks to the caller again."""
    a, b = run.a, run.b
    first, second = await _consulting(run)
    await run.restart()
    mon = await run.watch(a)
    await mon.call("ReconnectCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)})
    await run.expect_hearing(CALLER, a, hears=True, music=False)
    await run.expect_hearing(b, a, hears=False, music=False)
    assert await _states(mon, first) == {CALLER: "connected", a: "connected"}
    assert [brief(e) for e in mon.take()] == [
        ("ConnectionClearedEvent", "null", a, "normalClearing"),
        ("RetrievedEvent", "connected", a, "normal"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_in_consultation_then_conference(run: ScenarioRun) -> None:
    """A consultation across a restart; ConferenceCall joins the three of them."""
    a, b = run.a, run.b
    first, second = await _consulting(run)
    await run.restart()
    mon = await run.watch(a)
    result = await mon.call(
        "ConferenceCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)}
    )
    assert result == {"conferenceCall": conn(first, a)}
    for listener, speaker in [(CALLER, a), (CALLER, b), (a, b), (b, CALLER)]:
        await run.expect_hearing(listener, speaker, hears=True, music=False)
    assert await _states(mon, first) == {CALLER: "connected", a: "connected", b: "connected"}


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_after_a_conference(run: ScenarioRun) -> None:
    """A conference made before the restart is one call of three after it; the
    consultation it absorbed stays gone, so A can hold and retrieve it.

    Found on the lab's Asterisk 22.10.1: the merged consultation's row stayed in the
    live store, and the restart brought it back at A and B beside the conference."""
    a, b = run.a, run.b
    first, second = await _consulting(run)
    mon = await run.watch(a)
    await mon.call("ConferenceCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)})
    await run.settle()
    await run.restart()
    mon = await run.watch(a, b)
    assert await _states(mon, first) == {CALLER: "connected", a: "connected", b: "connected"}
    for device in (a, b):
        snapshot = await mon.call("SnapshotDevice", {"snapshotObject": device})
        assert [d["connectionIdentifier"]["callID"] for d in snapshot["snapshotData"]] == [first]
    await mon.call("HoldCall", {"callToBeHeld": conn(first, a)})
    await mon.call("RetrieveCall", {"callToBeRetrieved": conn(first, a)})
    await run.settle()
    names = {e["_name"] for e in mon.take()}
    assert {"HeldEvent", "RetrievedEvent"} <= names
    assert await _states(mon, first) == {CALLER: "connected", a: "connected", b: "connected"}


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_while_make_call_rings(run: ScenarioRun) -> None:
    """MakeCall's called phone still rings across a restart; its answer is on the old callID."""
    a, b = run.a, run.b
    call_id = await run.make_call(a, b, correlatorData="click-1")
    await run.observer.event("DeliveredEvent", alertingDevice=b)
    await run.settle()
    await run.restart()
    mon = await run.watch(a, b)
    assert await _states(mon, call_id) == {a: "connected", b: "alerting"}
    await run.switch.answer(b)
    established = await mon.event("EstablishedEvent", answeringDevice=b)
    assert established["establishedConnection"] == conn(call_id, b)
    assert established["correlatorData"] == "click-1"
    await run.expect_hearing(a, b, hears=True, music=False)


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_in_a_conference(run: ScenarioRun) -> None:
    """A three-party conference across a restart: one call with the caller, A and B
    connected, all hearing each other, its callID and data kept; B leaves, the caller
    and A talk on; the caller hangs up and the call ends."""
    a, b = run.a, run.b
    first, second = await _consulting(run)
    mon = await run.watch(a)
    await mon.call("ConferenceCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)})
    await run.settle()
    await run.restart()
    mon = await run.watch(a)
    assert await _states(mon, first) == {CALLER: "connected", a: "connected", b: "connected"}
    snapshot = await mon.call("SnapshotCall", {"snapshotObject": first})
    assert (snapshot["userData"], snapshot["correlatorData"]) == ({"customer": "C-42"}, "case-7")
    for listener, speaker in [(CALLER, a), (CALLER, b), (a, b), (b, CALLER), (a, CALLER)]:
        await run.expect_hearing(listener, speaker, hears=True, music=False)
    await run.switch.hang_up(b)
    await run.settle()
    assert await _states(mon, first) == {CALLER: "connected", a: "connected"}
    await run.expect_hearing(CALLER, a, hears=True, music=False)
    await run.switch.hang_up(CALLER)
    await run.settle()
    events = mon.take()
    assert [brief(e) for e in events] == [
        ("ConnectionClearedEvent", "connected", b, "normalClearing"),
        ("ConnectionClearedEvent", "connected", CALLER, "normalClearing"),
        ("ConnectionClearedEvent", "null", a, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    assert events[3]["clearedCall"] == first
    assert not run.cc.app.model.calls


@scenario(NEEDS, config=RESTART_CONFIG)
async def restart_after_a_transfer(run: ScenarioRun) -> None:
    """A consultation transferred before a restart is one call after it (the caller and
    B, the caller's callID and data): the consultation call does not come back."""
    a, b = run.a, run.b
    first, second = await _consulting(run)
    mon = await run.watch(a)
    await mon.call("TransferCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)})
    await run.settle()
    await run.restart()
    mon = await run.watch(b)
    assert set(run.cc.app.model.calls) == {first}
    assert await _states(mon, first) == {CALLER: "connected", b: "connected"}
    snapshot = await mon.call("SnapshotCall", {"snapshotObject": first})
    assert snapshot["userData"] == {"customer": "C-42"}
    await run.expect_hearing(CALLER, b, hears=True, music=False)
    await run.switch.hang_up(b)
    await run.settle()
    events = mon.take()
    assert [brief(e) for e in events] == [
        ("ConnectionClearedEvent", "null", b, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    assert events[1]["clearedCall"] == first
    assert not run.cc.app.model.calls


#: A queue ``sales`` at 8001 with agent 2001 (as in ``services.py``), kept across restarts.
QUEUE: Final = "8001"
AGENT: Final = "2001"
RESTART_ACD: Final[dict[str, Any]] = {
    **RESTART_CONFIG,
    "acd": {
        "queues": [{"name": "sales", "number": QUEUE, "ring_timeout": 60.0, "wrap_up": 0.0}],
        "agents": [{"id": AGENT, "skills": [{"queue": "sales"}]}],
    },
}


@scenario(NEEDS, config=RESTART_ACD)
async def restart_while_a_queue_offer_rings(run: ScenarioRun) -> None:
    """A queue's offer still rings at the agent across a restart: the agent's answer is
    on the old callID, the caller and the agent talk, and the call ends when the agent
    hangs up (the caller is not left waiting in the queue)."""
    b = run.b
    for state in ("loggedOn", "ready"):
        params = {"device": b, "requestedAgentState": state}
        if state == "loggedOn":
            params["agentID"] = AGENT
        await run.observer.call("SetAgentState", params)
    delivered = await run.after(
        run.switch.incoming_call(CALLER, QUEUE), "DeliveredEvent", alertingDevice=b
    )
    call_id = str(delivered["connection"]["callID"])
    await run.settle()
    await run.restart()
    mon = await run.watch(b)
    assert (await _states(mon, call_id))[b] == "alerting"
    await run.switch.answer(b)
    established = await mon.event("EstablishedEvent", answeringDevice=b)
    assert established["establishedConnection"] == conn(call_id, b)
    await run.expect_hearing(CALLER, b, hears=True, music=False)
    await run.switch.hang_up(b)
    await run.settle()
    assert call_id not in run.cc.app.model.calls


@scenario(NEEDS, Capability.RECORDING, config=RESTART_CONFIG)
async def restart_while_recording(run: ScenarioRun) -> None:
    """A call recorded across a restart: recording.stop after it works, and the recording
    ends done with the whole length (the switch went on recording meanwhile).

    Found on the lab's Asterisk 22.10.1: the restarted driver no longer knew the
    switch's name of the recording, so recording.stop was refused (noSuchRecording)
    and the recording stayed "recording" after the call ended."""
    b = run.b
    call_id = await run.inbound(CALLER, b)
    mon = await run.watch(b)
    started = await mon.call("recording.start", {"callID": call_id})
    rid = started["recordingID"]
    await trio.sleep(10)
    await run.restart()
    mon = await run.watch(b)
    await trio.sleep(5)
    stop = await mon.call("recording.stop", {"recordingID": rid})
    assert (stop["recordingID"], stop["callID"]) == (rid, call_id)
    await run.received(mon, "RecordingStoppedEvent")
    [stopped] = mon.take()
    assert (stopped["_name"], stopped["state"], stopped["duration"]) == (
        "RecordingStoppedEvent",
        "done",
        15.0,
    )
    await mon.call("records.flush", {"until": "database"})
    got = await mon.call("recording.get", {"recordingID": rid})
    assert (got["callID"], got["state"], got["duration"]) == (call_id, "done", 15.0)
    await run.switch.hang_up(CALLER)
    await run.settle()


async def _supervised(run: ScenarioRun, mode: str) -> tuple[str, str]:
    """Agent 2001 at B answers a queue caller; C joins the call in ``mode``.

    Returns the agent's call id and the supervisor's."""
    b, sup = run.b, run.c
    for state in ("loggedOn", "ready"):
        params = {"device": b, "requestedAgentState": state}
        if state == "loggedOn":
            params["agentID"] = AGENT
        await run.observer.call("SetAgentState", params)
    delivered = await run.after(
        run.switch.incoming_call(CALLER, QUEUE), "DeliveredEvent", alertingDevice=b
    )
    await run.answer(b)
    supervisor = await run.watch(sup)
    join = {"activeCall": conn(str(delivered["connection"]["callID"]), b), "deviceToJoin": sup}
    if mode == "whisper":
        reply = await supervisor.call("supervisor.whisper", join)
    else:
        reply = await supervisor.call(
            "SingleStepConferenceCall", {**join, "participationType": mode}
        )
    await run.received(supervisor, "EstablishedEvent")
    await run.settle()
    return str(delivered["connection"]["callID"]), str(reply["conferencedCall"]["callID"])


async def _supervisor_hears(run: ScenarioRun, *, agent_hears: bool, caller_hears: bool) -> None:
    b, sup = run.b, run.c
    await run.expect_hearing(sup, b, hears=True, music=False)
    await run.expect_hearing(sup, CALLER, hears=True, music=False)
    await run.expect_hearing(b, sup, hears=agent_hears, music=False)
    await run.expect_hearing(CALLER, sup, hears=caller_hears, music=False)
    await run.expect_hearing(b, CALLER, hears=True, music=False)
    await run.expect_hearing(CALLER, b, hears=True, music=False)


@scenario(NEEDS, Capability.SUPERVISION, config=RESTART_ACD)
async def restart_while_supervising(run: ScenarioRun) -> None:
    """A supervisor whispering to an agent across a restart is still whispering, in its
    own call under its old callID; it can barge in after the restart, and it is released
    when the agent's call ends, as without a restart."""
    b, sup = run.b, run.c
    call_id, supervision = await _supervised(run, "whisper")
    await _supervisor_hears(run, agent_hears=True, caller_hears=False)
    await run.restart()
    mon = await run.watch(b, sup)
    await _supervisor_hears(run, agent_hears=True, caller_hears=False)
    assert await _states(mon, supervision) == {sup: "connected"}
    assert await _states(mon, call_id) == {CALLER: "connected", b: "connected"}
    join = {"activeCall": conn(call_id, b), "deviceToJoin": sup}
    reply = await mon.call("SingleStepConferenceCall", {**join, "participationType": "active"})
    assert (reply["conferencedCall"], reply["participationType"]) == (
        conn(supervision, sup),
        "active",
    )
    await _supervisor_hears(run, agent_hears=True, caller_hears=True)
    await run.settle()
    assert mon.take() == []  # nobody's call saw any of it
    await run.switch.hang_up(CALLER)
    await run.received(mon, "CallClearedEvent")
    await run.settle()
    events = [(e["_name"], e.get("droppedConnection") or e.get("clearedCall")) for e in mon.take()]
    assert [e for e in events if e[0] != "AgentReadyEvent"] == [
        ("ConnectionClearedEvent", conn(call_id, CALLER)),
        ("ConnectionClearedEvent", conn(call_id, b)),
        ("CallClearedEvent", call_id),
        ("ConnectionClearedEvent", conn(supervision, sup)),
        ("CallClearedEvent", supervision),
    ]
    await run.expect_hearing(sup, b, hears=False, music=False)
    assert not run.cc.app.model.calls


@scenario(NEEDS, Capability.SUPERVISION, config=RESTART_ACD)
async def restart_after_the_supervised_call_ended(run: ScenarioRun) -> None:
    """The agent's call ends while ctid is away: the restarted ctid releases the
    supervisor (its phone is hung up, not left on a dead line) and keeps nothing of it."""
    b, sup = run.b, run.c
    await _supervised(run, "silent")

    async def agent_call_ends() -> None:
        await run.switch.hang_up(CALLER)
        await run.switch.hang_up(b)

    await run.restart(agent_call_ends)
    await run.expect_hearing(sup, b, hears=False, music=False)
    assert not run.cc.app.model.calls
    mon = await run.watch(sup)
    reply = await mon.call("SnapshotDevice", {"snapshotObject": sup})
    assert reply["snapshotData"] == []
