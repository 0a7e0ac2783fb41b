"""Conformance scenarios of ctid's services on a switch: the ACD, recording, supervision.

Each runs the real service with its own configuration (``@scenario(config=...)``):
a queue ``sales`` at ``8001`` with agent ``2001``, and for recordings call
records switched on (``run_scenario`` then gives the daemon a temporary state
directory, where the recordings go too).
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import trio

from ...switch_drivers.base import Capability
from ..client import RpcTestClient
from ..harness import ADMIN_TOKEN
from .harness import CALLER
from .run import ScenarioRun, brief, conn, scenario

__all__: list[str] = []

#: The queue's number (also reachable by its name, ``sales``).
QUEUE: Final = "8001"
AGENT: Final = "2001"
ACD: Final[dict[str, Any]] = {
    "acd": {
        "queues": [{"name": "sales", "number": QUEUE, "ring_timeout": 20.0, "wrap_up": 0.0}],
        "agents": [{"id": AGENT, "skills": [{"queue": "sales"}]}],
    }
}
RECORDS: Final[dict[str, Any]] = {
    "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6}
}


async def _agent_state(client: RpcTestClient, device: str, state: str) -> None:
    params = {"device": device, "requestedAgentState": state}
    if state == "loggedOn":
        params["agentID"] = AGENT
    await client.call("SetAgentState", params)


async def _agent_talking(run: ScenarioRun) -> str:
    """Agent 2001, logged on and ready at B, answers a caller of the queue; the call id."""
    b = run.b
    await _agent_state(run.observer, b, "loggedOn")
    await _agent_state(run.observer, b, "ready")
    delivered = await run.after(
        run.switch.incoming_call(CALLER, QUEUE), "DeliveredEvent", alertingDevice=b
    )
    await run.answer(b)
    return str(delivered["connection"]["callID"])


@scenario(config=ACD)
async def queued_call_answered_by_an_agent(run: ScenarioRun) -> None:
    """A caller waits in a queue with music; its data, set while it waits, reaches the
    agent with the offer; the agent answers, and the caller hangs up."""
    b = run.b
    agent = await run.watch(b)
    queue = await run.watch(QUEUE)
    await _agent_state(agent, b, "loggedOn")
    await run.switch.incoming_call(CALLER, QUEUE)
    await run.received(queue, "QueuedEvent")
    await run.settle()
    await run.expect_hearing(CALLER, b, hears=False, music=True)
    (queued,) = [e for e in queue.take() if e["_name"] == "QueuedEvent"]
    call_id = queued["queuedConnection"]["callID"]
    await queue.call("AssociateData", {"existingCall": call_id, "userData": {"customer": "C-42"}})
    await trio.sleep(5)
    agent.take()
    await _agent_state(agent, b, "ready")
    await run.received(agent, "DeliveredEvent")
    await run.answer(b)
    await run.expect_hearing(CALLER, b, hears=True, music=False)
    await run.expect_hearing(b, CALLER, hears=True, music=False)
    await run.switch.hang_up(CALLER)
    await run.settle()
    events = agent.take()
    assert [brief(e) for e in events] == [
        ("AgentReadyEvent", None, None, "forced"),  # an admin's session asked it
        ("agent.reserved", None, None, "offered"),
        ("DeliveredEvent", "alerting", b, "newCall"),
        ("EstablishedEvent", "connected", b, "newCall"),
        ("AgentBusyEvent", None, None, "answered"),
        ("DivertedEvent", "connected", b, "distributed"),  # the queue lets the call go
        ("ConnectionClearedEvent", "connected", CALLER, "normalClearing"),
        ("ConnectionClearedEvent", "null", b, "normalClearing"),
        ("AgentReadyEvent", None, None, "callEnded"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    delivered = events[2]
    assert delivered["connection"] == conn(call_id, b)
    assert (delivered["callingDevice"], delivered["calledDevice"]) == (CALLER, QUEUE)
    assert delivered["userData"] == {"customer": "C-42", "ctid.queue": "sales"}
    assert delivered["trunk"] in run.switch.trunks
    # The queue saw the call from its side: data, offer, answer, and letting it go.
    assert [brief(e) for e in queue.take() if not e["_name"].startswith("queue.")] == [
        ("CallInformationEvent", "queued", "<call>", None),
        ("DeliveredEvent", "queued", b, "newCall"),
        ("EstablishedEvent", "queued", b, "newCall"),
        ("DivertedEvent", "null", b, "distributed"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]


@scenario(Capability.RECORDING, config=RECORDS)
async def record_a_call_on_demand(run: ScenarioRun) -> None:
    """recording.start, pause and resume (where the switch can), stop: the events, the
    recording's record, and the file in ctid's recordings directory."""
    b = run.b
    mon = await run.watch(b)
    call_id = await run.inbound(CALLER, b)
    mon.take()
    started = await mon.call("recording.start", {"callID": call_id, "tags": ["conformance"]})
    rid = started["recordingID"]
    assert started == {
        "recordingID": rid,
        "callID": call_id,
        "state": "recording",
        "startedBy": "admin",
        "tags": ["conformance"],
    }
    await trio.sleep(10)
    pausing = Capability.RECORDING_PAUSE in run.capabilities
    if pausing:
        await mon.call("recording.pause", {"recordingID": rid})
        await trio.sleep(4)
        await mon.call("recording.resume", {"recordingID": rid})
    await trio.sleep(6)
    await mon.call("recording.stop", {"recordingID": rid})
    await run.received(mon, "RecordingStoppedEvent")
    events = mon.take()
    states = [(e["_name"], e["state"]) for e in events]
    assert states == [
        ("RecordingStartedEvent", "recording"),
        *([("RecordingPausedEvent", "paused"), ("RecordingResumedEvent", "recording")] * pausing),
        ("RecordingStoppedEvent", "done"),
    ]
    assert events[-1]["duration"] == 20.0
    # Its record, and its file (from ctid's recordings directory) to download.
    await mon.call("records.flush", {"until": "database"})
    got = await mon.call("recording.get", {"recordingID": rid})
    assert (got["callID"], got["state"], got["duration"]) == (call_id, "done", 20.0)
    assert (got["caller"], got["called"], got["tags"]) == (CALLER, b, ["conformance"])
    assert got["pausedSeconds"] == (4.0 if pausing else 0.0)
    status, _, body = await run.cc.http(
        got["download"], headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert status == 200
    assert len(body) == got["sizeBytes"] > 0
    assert hashlib.sha256(body).hexdigest() == got["sha256"]
    # The call goes on, unrecorded, until the caller hangs up.
    await run.expect_hearing(CALLER, b, hears=True, music=False)
    await run.switch.hang_up(CALLER)
    await run.settle()
    assert [e["_name"] for e in mon.take()] == [
        "ConnectionClearedEvent",
        "ConnectionClearedEvent",
        "CallClearedEvent",
    ]


async def _expect(run: ScenarioRun, sup: str, *, agent_hears: bool, caller_hears: bool) -> None:
    """The supervisor hears both parties; the agent and the caller hear it as the mode says."""
    b = run.b
    await run.expect_hearing(sup, b, hears=True, music=False)
    await run.expect_hearing(sup, CALLER, hears=True, music=False)
    await run.expect_hearing(b, sup, hears=agent_hears, music=False)
    await run.expect_hearing(CALLER, sup, hears=caller_hears, music=False)
    await run.expect_hearing(b, CALLER, hears=True, music=False)
    await run.expect_hearing(CALLER, b, hears=True, music=False)


@scenario(Capability.SUPERVISION, config=ACD)
async def supervisor_listens_whispers_and_barges_in(run: ScenarioRun) -> None:
    """SingleStepConferenceCall silent, then supervisor.whisper, then active (barge-in),
    then silent again on the live call; the customer's call sees no event of it."""
    b, sup = run.b, run.c
    call_id = await _agent_talking(run)
    agent = await run.watch(b)
    supervisor = await run.watch(sup)
    join = {"activeCall": conn(call_id, b), "deviceToJoin": sup}
    reply = await supervisor.call(
        "SingleStepConferenceCall", {**join, "participationType": "silent"}
    )
    assert reply["participationType"] == "silent"
    assert reply["conferencedCall"]["deviceID"] == sup
    await run.received(supervisor, "EstablishedEvent")
    await _expect(run, sup, agent_hears=False, caller_hears=False)
    reply = await supervisor.call("supervisor.whisper", join)
    assert reply["participationType"] == "whisper"
    await _expect(run, sup, agent_hears=True, caller_hears=False)
    await supervisor.call("SingleStepConferenceCall", {**join, "participationType": "active"})
    await _expect(run, sup, agent_hears=True, caller_hears=True)
    await supervisor.call("SingleStepConferenceCall", {**join, "participationType": "silent"})
    await _expect(run, sup, agent_hears=False, caller_hears=False)
    # The supervisor leaves; the conversation goes on.
    await run.switch.hang_up(sup)
    await run.settle()
    await run.expect_hearing(b, CALLER, hears=True, music=False)
    assert agent.take() == []
    supervision = reply["conferencedCall"]["callID"]
    assert supervision != call_id
    assert [brief(e)[:3] for e in supervisor.take()] == [
        ("DeliveredEvent", "alerting", sup),
        ("EstablishedEvent", "connected", sup),
        ("ConnectionClearedEvent", "null", sup),
        ("CallClearedEvent", "null", "<call>"),
    ]


@scenario(Capability.SUPERVISION, config=ACD)
async def supervisor_released_when_the_call_ends(run: ScenarioRun) -> None:
    """A supervisor barging in is released when the agent's call ends."""
    b, sup = run.b, run.c
    call_id = await _agent_talking(run)
    supervisor = await run.watch(sup)
    await supervisor.call(
        "SingleStepConferenceCall",
        {"activeCall": conn(call_id, b), "deviceToJoin": sup, "participationType": "active"},
    )
    await run.received(supervisor, "EstablishedEvent")
    await _expect(run, sup, agent_hears=True, caller_hears=True)
    await run.switch.hang_up(CALLER)
    await run.received(supervisor, "CallClearedEvent")
    await run.settle()
    assert [brief(e)[:3] for e in supervisor.take()] == [
        ("DeliveredEvent", "alerting", sup),
        ("EstablishedEvent", "connected", sup),
        ("ConnectionClearedEvent", "null", sup),
        ("CallClearedEvent", "null", "<call>"),
    ]
    await run.expect_hearing(sup, b, hears=False, music=False)
