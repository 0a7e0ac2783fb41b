"""What each typed method sends and how its result is read, as pure values (no I/O).

Each function here builds a ``Call``: the method name, the params in wire
form, the per-call timeout, and the parser for the result. ``_services.py``
turns each into a method of both clients (async and blocking), so a service is
written once. Adding a method family (ACD, IVR, records) is one function here
and one line in ``_services.Services``.

Results are frozen values (``_values.py``, ``_acd.py``, ``_ivr.py``, ``_records.py``)
read from the wire by ``from_wire``; a reply of the wrong shape raises ``ProtocolError``.

Parameter names are the ECMA-323 names in snake_case (``calling_device`` is
``callingDevice`` on the wire). ``timeout`` overrides the client's
``request_timeout`` for that one call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar

from ._acd import (
    AgentSnapshot,
    AgentStateResult,
    AgentSummary,
    QueueSnapshot,
    QueueSummary,
    Supervision,
)
from ._ivr import (
    FlowInfo,
    FlowValidation,
    IvrCall,
    IvrReload,
    IvrStatistics,
    RoutingDecision,
    RoutingOverride,
)
from ._records import Recording, RecordingStatus, RecordsStatus, Report, ReportInfo
from ._values import (
    CallSnapshot,
    ConnectionID,
    DeviceCall,
    Discovery,
    SimHears,
    SimLine,
    field,
    items,
    strings,
)
from ._voicemail import Mailbox, VoicemailMessage

__all__ = ["Call"]

R = TypeVar("R")

Json = dict[str, Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Call(Generic[R]):
    """One request to make: method, params, and how to read its result."""

    method: str
    params: Json | None
    parse: Callable[[Any], R]
    #: Seconds to wait for the reply; ``None``: the client's default.
    timeout: float | None = None


def _none(result: Any) -> None:
    return None


def _connection(key: str, method: str) -> Callable[[Any], ConnectionID]:
    def parse(result: Any) -> ConnectionID:
        return ConnectionID.from_wire(field(result, key, dict, method), f"{method}.{key}")

    return parse


def _call_ref(value: str | ConnectionID) -> str | dict[str, str]:
    return value if isinstance(value, str) else value.to_wire()


def _drop_none(**params: Any) -> Json:
    return {k: v for k, v in params.items() if v is not None}


# ------------------------------------------------------------------ session


def ping(*, timeout: float | None = None) -> Call[str]:
    """``session.ping``: the server's time (ISO 8601), for latency checks."""
    return Call(
        method="session.ping",
        params=None,
        parse=lambda r: field(r, "timestamp", str, "session.ping"),
        timeout=timeout,
    )


def logout(*, timeout: float | None = None) -> Call[None]:
    """``session.logout``: end the session (its monitors stop); the client then closes."""
    return Call(method="session.logout", params=None, parse=_none, timeout=timeout)


def discover(*, timeout: float | None = None) -> Call[Discovery]:
    """``rpc.discover``: every method with its params schema and roles, and every event name."""
    return Call(method="rpc.discover", params=None, parse=Discovery.from_wire, timeout=timeout)


# ------------------------------------------------------------ call control


def make_call(
    calling_device: str,
    called_directory_number: str,
    *,
    auto_originate: Literal["prompt", "doNotPrompt"] = "prompt",
    correlator_data: str | None = None,
    user_data: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> Call[ConnectionID]:
    """``MakeCall``: call ``called_directory_number`` from ``calling_device``.

    With ``auto_originate="prompt"`` the calling phone rings first and the call
    is made when it answers; with ``"doNotPrompt"`` it goes off-hook by itself.
    Returns the calling device's connection in the new call.
    """
    return Call(
        method="MakeCall",
        params=_drop_none(
            callingDevice=calling_device,
            calledDirectoryNumber=called_directory_number,
            autoOriginate=auto_originate,
            correlatorData=correlator_data,
            userData=dict(user_data) if user_data is not None else None,
        ),
        parse=_connection("callingDevice", "MakeCall"),
        timeout=timeout,
    )


def answer_call(call_to_be_answered: ConnectionID, *, timeout: float | None = None) -> Call[None]:
    """``AnswerCall``: answer a call that rings at a device."""
    return Call(
        method="AnswerCall",
        params={"callToBeAnswered": call_to_be_answered.to_wire()},
        parse=_none,
        timeout=timeout,
    )


def clear_connection(
    connection_to_be_cleared: ConnectionID, *, timeout: float | None = None
) -> Call[None]:
    """``ClearConnection``: take one device out of a call (hang up its party)."""
    return Call(
        method="ClearConnection",
        params={"connectionToBeCleared": connection_to_be_cleared.to_wire()},
        parse=_none,
        timeout=timeout,
    )


def clear_call(
    call_to_be_cleared: str | ConnectionID, *, timeout: float | None = None
) -> Call[None]:
    """``ClearCall``: end a call (by callID or a connection in it) for every party."""
    return Call(
        method="ClearCall",
        params={"callToBeCleared": _call_ref(call_to_be_cleared)},
        parse=_none,
        timeout=timeout,
    )


def hold_call(call_to_be_held: ConnectionID, *, timeout: float | None = None) -> Call[None]:
    """``HoldCall``: put a call on hold at a device."""
    return Call(
        method="HoldCall",
        params={"callToBeHeld": call_to_be_held.to_wire()},
        parse=_none,
        timeout=timeout,
    )


def retrieve_call(
    call_to_be_retrieved: ConnectionID, *, timeout: float | None = None
) -> Call[None]:
    """``RetrieveCall``: take a held call off hold."""
    return Call(
        method="RetrieveCall",
        params={"callToBeRetrieved": call_to_be_retrieved.to_wire()},
        parse=_none,
        timeout=timeout,
    )


def consultation_call(
    existing_call: ConnectionID,
    consulted_device: str,
    *,
    user_data: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> Call[ConnectionID]:
    """``ConsultationCall``: hold ``existing_call`` and call ``consulted_device``.

    Returns the consulting device's connection in the new call.
    """
    return Call(
        method="ConsultationCall",
        params=_drop_none(
            existingCall=existing_call.to_wire(),
            consultedDevice=consulted_device,
            userData=dict(user_data) if user_data is not None else None,
        ),
        parse=_connection("initiatedCall", "ConsultationCall"),
        timeout=timeout,
    )


def _two(held_call: ConnectionID, active_call: ConnectionID) -> Json:
    return {"heldCall": held_call.to_wire(), "activeCall": active_call.to_wire()}


def transfer_call(
    held_call: ConnectionID, active_call: ConnectionID, *, timeout: float | None = None
) -> Call[ConnectionID]:
    """``TransferCall``: join the held call's parties to the active call's, and leave.

    Returns the transferred call, as the connection of the device it went to.
    """
    return Call(
        method="TransferCall",
        params=_two(held_call, active_call),
        parse=_connection("transferredCall", "TransferCall"),
        timeout=timeout,
    )


def conference_call(
    held_call: ConnectionID, active_call: ConnectionID, *, timeout: float | None = None
) -> Call[ConnectionID]:
    """``ConferenceCall``: join the held and the active call into one conference.

    Returns the conferencing device's connection in the conference.
    """
    return Call(
        method="ConferenceCall",
        params=_two(held_call, active_call),
        parse=_connection("conferenceCall", "ConferenceCall"),
        timeout=timeout,
    )


def alternate_call(
    held_call: ConnectionID, active_call: ConnectionID, *, timeout: float | None = None
) -> Call[None]:
    """``AlternateCall``: hold the active call and retrieve the held one, in one step."""
    return Call(
        method="AlternateCall", params=_two(held_call, active_call), parse=_none, timeout=timeout
    )


def reconnect_call(
    held_call: ConnectionID, active_call: ConnectionID, *, timeout: float | None = None
) -> Call[None]:
    """``ReconnectCall``: leave the active call and retrieve the held one."""
    return Call(
        method="ReconnectCall", params=_two(held_call, active_call), parse=_none, timeout=timeout
    )


def single_step_transfer_call(
    active_call: ConnectionID, transferred_to: str, *, timeout: float | None = None
) -> Call[ConnectionID]:
    """``SingleStepTransferCall``: send a call on to ``transferred_to`` and leave (blind).

    Returns the call's connection at ``transferred_to``.
    """
    return Call(
        method="SingleStepTransferCall",
        params={"activeCall": active_call.to_wire(), "transferredTo": transferred_to},
        parse=_connection("transferredCall", "SingleStepTransferCall"),
        timeout=timeout,
    )


def deflect_call(
    call_to_be_diverted: ConnectionID, new_destination: str, *, timeout: float | None = None
) -> Call[None]:
    """``DeflectCall``: send a ringing call on to ``new_destination`` before answering."""
    return Call(
        method="DeflectCall",
        params={
            "callToBeDiverted": call_to_be_diverted.to_wire(),
            "newDestination": new_destination,
        },
        parse=_none,
        timeout=timeout,
    )


def generate_digits(
    connection_to_send_digits: ConnectionID,
    characters_to_send: str,
    *,
    timeout: float | None = None,
) -> Call[None]:
    """``GenerateDigits``: send DTMF digits on a connection."""
    return Call(
        method="GenerateDigits",
        params={
            "connectionToSendDigits": connection_to_send_digits.to_wire(),
            "charactersToSend": characters_to_send,
        },
        parse=_none,
        timeout=timeout,
    )


def associate_data(
    existing_call: str | ConnectionID,
    *,
    correlator_data: str | None = None,
    user_data: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> Call[None]:
    """``AssociateData``: change the data that travels with a call.

    ``user_data`` keys are merged into the call's; a key set to ``None`` is removed.
    """
    return Call(
        method="AssociateData",
        params=_drop_none(
            existingCall=_call_ref(existing_call),
            correlatorData=correlator_data,
            userData=dict(user_data) if user_data is not None else None,
        ),
        parse=_none,
        timeout=timeout,
    )


# --------------------------------------------------------------- snapshots


def snapshot_device(
    snapshot_object: str, *, timeout: float | None = None
) -> Call[tuple[DeviceCall, ...]]:
    """``SnapshotDevice``: the calls at a device now, with its state in each."""
    return Call(
        method="SnapshotDevice",
        params={"snapshotObject": snapshot_object},
        parse=lambda r: tuple(
            DeviceCall.from_wire(d) for d in items(r, "snapshotData", "SnapshotDevice")
        ),
        timeout=timeout,
    )


def snapshot_call(
    snapshot_object: str | ConnectionID, *, timeout: float | None = None
) -> Call[CallSnapshot]:
    """``SnapshotCall``: a call's parties with their states, and its data."""
    return Call(
        method="SnapshotCall",
        params={"snapshotObject": _call_ref(snapshot_object)},
        parse=CallSnapshot.from_wire,
        timeout=timeout,
    )


# ---------------------------------------------------------------- monitors


def monitor_start(
    device: str | None = None,
    *,
    call: str | ConnectionID | None = None,
    agent: str | None = None,
    queue: str | None = None,
    mailbox: str | None = None,
    timeout: float | None = None,
) -> Call[str]:
    """``MonitorStart``: receive the events of a ``device``, of one ``call``, or (with the
    ACD) of an ``agent`` wherever it logs on or of a ``queue`` (``"*"``: every agent, every
    queue), or of a voicemail ``mailbox`` (``"queue:sales"``, ``"agent:2001"``,
    ``"number:8100"``: ``voicemail.new``/``voicemail.changed``).

    Give exactly one. A device monitor also brings the agent events of whoever is
    logged on at the device; a queue monitor brings ``queue.figures``, ``queue.allBusy``
    and its members' agent events. Returns the ``monitorCrossRefID`` its events carry.
    The client restarts the monitor by itself if it ever has to log in again.
    """
    given = {
        "deviceObject": device,
        "agentObject": agent,
        "queueObject": queue,
        "mailboxObject": mailbox,
    }
    objects: Json = {key: value for key, value in given.items() if value is not None}
    if call is not None:
        objects["callObject"] = _call_ref(call)
    if len(objects) != 1:
        raise ValueError(
            "monitor_start needs exactly one of device, call, agent, queue and mailbox"
        )
    return Call(
        method="MonitorStart",
        params={"monitorObject": objects},
        parse=lambda r: field(r, "monitorCrossRefID", str, "MonitorStart"),
        timeout=timeout,
    )


def monitor_stop(monitor_cross_ref_id: str, *, timeout: float | None = None) -> Call[None]:
    """``MonitorStop``: stop a monitor; its events stop at once."""
    return Call(
        method="MonitorStop",
        params={"monitorCrossRefID": monitor_cross_ref_id},
        parse=_none,
        timeout=timeout,
    )


# --------------------------------------------------- simulator (admin only)


def sim_incoming_call(
    calling_number: str,
    called_number: str,
    *,
    trunk: str | None = None,
    timeout: float | None = None,
) -> Call[str]:
    """``sim.incomingCall``: an outside caller dials in; returns the new call's callID."""
    return Call(
        method="sim.incomingCall",
        params=_drop_none(callingNumber=calling_number, calledNumber=called_number, trunk=trunk),
        parse=lambda r: field(r, "callID", str, "sim.incomingCall"),
        timeout=timeout,
    )


def sim_off_hook(device: str, *, timeout: float | None = None) -> Call[None]:
    """``sim.offHook``: lift a simulated phone's handset (answers if it rings)."""
    return Call(method="sim.offHook", params={"device": device}, parse=_none, timeout=timeout)


def sim_on_hook(device: str, *, timeout: float | None = None) -> Call[None]:
    """``sim.onHook``: hang up a simulated phone, or an outside caller by its number."""
    return Call(method="sim.onHook", params={"device": device}, parse=_none, timeout=timeout)


def sim_press_digits(device: str, digits: str, *, timeout: float | None = None) -> Call[None]:
    """``sim.pressDigits``: press keys on a simulated phone (or DTMF from an outside caller)."""
    return Call(
        method="sim.pressDigits",
        params={"device": device, "digits": digits},
        parse=_none,
        timeout=timeout,
    )


def sim_hold_key(device: str, *, timeout: float | None = None) -> Call[None]:
    """``sim.holdKey``: press a simulated phone's own hold key."""
    return Call(method="sim.holdKey", params={"device": device}, parse=_none, timeout=timeout)


def sim_lines(*, timeout: float | None = None) -> Call[tuple[SimLine, ...]]:
    """``sim.lines``: every line of the simulated voice card with its state."""
    return Call(
        method="sim.lines",
        params=None,
        parse=lambda r: tuple(SimLine.from_wire(x) for x in items(r, "lines", "sim.lines")),
        timeout=timeout,
    )


def sim_hears(listener: str, speaker: str, *, timeout: float | None = None) -> Call[SimHears]:
    """``sim.hears``: whether ``listener`` hears ``speaker`` now (and whether it hears music)."""
    return Call(
        method="sim.hears",
        params={"listener": listener, "speaker": speaker},
        parse=lambda r: SimHears(
            hears=field(r, "hears", bool, "sim.hears"), music=field(r, "music", bool, "sim.hears")
        ),
        timeout=timeout,
    )


def sim_drop_link(*, timeout: float | None = None) -> Call[None]:
    """``sim.dropLink``: pretend the switch link was lost (not this client's socket)."""
    return Call(method="sim.dropLink", params=None, parse=_none, timeout=timeout)


def sim_restore_link(*, timeout: float | None = None) -> Call[None]:
    """``sim.restoreLink``: bring the simulated switch link back; calls are resynchronised."""
    return Call(method="sim.restoreLink", params=None, parse=_none, timeout=timeout)


# ---------------------------------------------------------------- IVR and routing


def ivr_list_flows(*, timeout: float | None = None) -> Call[tuple[FlowInfo, ...]]:
    """``ivr.listFlows``: the flows new calls start in, with versions, nodes and numbers."""
    return Call(
        method="ivr.listFlows",
        params=None,
        parse=lambda r: tuple(FlowInfo.from_wire(f) for f in items(r, "flows", "ivr.listFlows")),
        timeout=timeout,
    )


def ivr_validate_flow(
    *,
    name: str | None = None,
    body: str | None = None,
    format: Literal["json", "yaml"] = "yaml",
    timeout: float | None = None,
) -> Call[FlowValidation]:
    """``ivr.validateFlow``: check a loaded flow by ``name``, or a flow file's ``body``,
    without loading it (admin). Give exactly one of the two."""
    if (name is None) == (body is None):
        raise ValueError("ivr_validate_flow needs exactly one of name and body")
    return Call(
        method="ivr.validateFlow",
        params=_drop_none(name=name, body=body, format=format),
        parse=FlowValidation.from_wire,
        timeout=timeout,
    )


def ivr_reload(*, timeout: float | None = None) -> Call[IvrReload]:
    """``ivr.reload``: load the flows and routing again (admin); calls in progress keep theirs.

    A flow with a problem changes nothing and raises ``RpcError`` (``data["reason"]`` is
    ``invalidFlow``, with ``file``, ``key`` and ``problem``)."""
    return Call(method="ivr.reload", params=None, parse=IvrReload.from_wire, timeout=timeout)


def ivr_calls(*, timeout: float | None = None) -> Call[tuple[IvrCall, ...]]:
    """``ivr.calls``: every call in the IVR now, with its flow, node and language."""
    return Call(
        method="ivr.calls",
        params=None,
        parse=lambda r: tuple(IvrCall.from_wire(c) for c in items(r, "calls", "ivr.calls")),
        timeout=timeout,
    )


def ivr_statistics(
    *, flow: str | None = None, day: str | None = None, timeout: float | None = None
) -> Call[IvrStatistics]:
    """``ivr.statistics``: calls, node visits, menu choices, time in IVR and exits, per flow and
    day (``day``: YYYY-MM-DD; default every day kept)."""
    return Call(
        method="ivr.statistics",
        params=_drop_none(flow=flow, day=day),
        parse=IvrStatistics.from_wire,
        timeout=timeout,
    )


def _overrides(method: str) -> Callable[[Any], tuple[RoutingOverride, ...]]:
    def parse(result: Any) -> tuple[RoutingOverride, ...]:
        return tuple(RoutingOverride.from_wire(o) for o in items(result, "overrides", method))

    return parse


def routing_overrides(*, timeout: float | None = None) -> Call[tuple[RoutingOverride, ...]]:
    """``routing.overrides``: the inbound routing overrides and which are switched on."""
    return Call(
        method="routing.overrides",
        params=None,
        parse=_overrides("routing.overrides"),
        timeout=timeout,
    )


def routing_set_override(
    name: str, active: bool, *, timeout: float | None = None
) -> Call[tuple[RoutingOverride, ...]]:
    """``routing.setOverride``: switch an override (e.g. an emergency closure) on or off (admin);
    it stays so across restarts. Returns every override."""
    return Call(
        method="routing.setOverride",
        params={"name": name, "active": active},
        parse=_overrides("routing.setOverride"),
        timeout=timeout,
    )


def routing_test(
    called_number: str, calling_number: str = "", *, timeout: float | None = None
) -> Call[RoutingDecision]:
    """``routing.test``: where a call from ``calling_number`` to ``called_number`` would go now
    (nothing is rung)."""
    return Call(
        method="routing.test",
        params={"calledNumber": called_number, "callingNumber": calling_number},
        parse=RoutingDecision.from_wire,
        timeout=timeout,
    )


# ------------------------------------------------------------ agents and queues (ACD)

#: What ``SetAgentState`` may ask for.
AgentStateRequest = Literal["loggedOn", "loggedOff", "notReady", "ready", "workingAfterCall"]


def set_agent_state(
    device: str,
    requested_agent_state: AgentStateRequest,
    *,
    agent_id: str | None = None,
    group: str | None = None,
    reason_code: str | None = None,
    agent_password: str | None = None,
    timeout: float | None = None,
) -> Call[AgentStateResult]:
    """``SetAgentState``: log an agent on at ``device`` (with ``agent_id``, and
    ``agent_password`` if it has a PIN), make it ready, not ready (with a configured
    ``reason_code``), start or end after-call work, or log it off.

    ``group`` logs on to (or off from) one queue only. Asked while the agent is busy or
    an offered call rings, ``notReady``, ``loggedOff`` and ``workingAfterCall`` are
    *pending* until the call ends: the result's ``pending_agent_state`` says so.
    """
    return Call(
        method="SetAgentState",
        params=_drop_none(
            device=device,
            requestedAgentState=requested_agent_state,
            agentID=agent_id,
            group=group,
            reasonCode=reason_code,
            agentPassword=agent_password,
        ),
        parse=AgentStateResult.from_wire,
        timeout=timeout,
    )


def get_agent_state(
    device: str, *, timeout: float | None = None
) -> Call[tuple[AgentSnapshot, ...]]:
    """``GetAgentState``: the agent logged on at ``device`` (CSTA's ``agentStateList``:
    empty if nobody is, one agent otherwise)."""
    return Call(
        method="GetAgentState",
        params={"device": device},
        parse=lambda r: tuple(
            AgentSnapshot.from_wire(a, "GetAgentState.agentStateList[]")
            for a in items(r, "agentStateList", "GetAgentState")
        ),
        timeout=timeout,
    )


def agent_list(*, timeout: float | None = None) -> Call[tuple[AgentSummary, ...]]:
    """``agent.list``: the agents this session may see, with state, device and queues."""
    return Call(
        method="agent.list",
        params=None,
        parse=lambda r: tuple(AgentSummary.from_wire(a) for a in items(r, "agents", "agent.list")),
        timeout=timeout,
    )


def agent_reason_codes(*, timeout: float | None = None) -> Call[tuple[str, ...]]:
    """``agent.reasonCodes``: the not-ready reasons ``set_agent_state`` accepts, in the
    configured order (what a toolbar offers)."""
    return Call(
        method="agent.reasonCodes",
        params=None,
        parse=lambda r: strings(r, "reasonCodes", "agent.reasonCodes"),
        timeout=timeout,
    )


def agent_snapshot(agent_id: str, *, timeout: float | None = None) -> Call[AgentSnapshot]:
    """``agent.snapshot``: one agent now: state, since, reason, pending state, queues, and
    today's figures."""
    return Call(
        method="agent.snapshot",
        params={"agentID": agent_id},
        parse=AgentSnapshot.from_wire,
        timeout=timeout,
    )


def queue_list(*, timeout: float | None = None) -> Call[tuple[QueueSummary, ...]]:
    """``queue.list``: the queues this session may see, with waiting calls and agents now."""
    return Call(
        method="queue.list",
        params=None,
        parse=lambda r: tuple(QueueSummary.from_wire(q) for q in items(r, "queues", "queue.list")),
        timeout=timeout,
    )


def queue_snapshot(queue: str, *, timeout: float | None = None) -> Call[QueueSnapshot]:
    """``queue.snapshot``: a queue (by name or number) now: its figures, its calls in order of
    service, and its agents by state."""
    return Call(
        method="queue.snapshot",
        params={"queue": queue},
        parse=QueueSnapshot.from_wire,
        timeout=timeout,
    )


def single_step_conference_call(
    active_call: ConnectionID,
    device_to_join: str,
    *,
    participation_type: Literal["silent", "active"] = "active",
    timeout: float | None = None,
) -> Call[Supervision]:
    """``SingleStepConferenceCall``: a supervisor's phone ``device_to_join`` joins the agent's
    call ``active_call``: listens (``silent``) or barges in (``active``). Asking again for the
    same agent and phone switches the mode."""
    return Call(
        method="SingleStepConferenceCall",
        params={
            "activeCall": active_call.to_wire(),
            "deviceToJoin": device_to_join,
            "participationType": participation_type,
        },
        parse=lambda r: Supervision.from_wire(r, "SingleStepConferenceCall"),
        timeout=timeout,
    )


def supervisor_whisper(
    active_call: ConnectionID, device_to_join: str, *, timeout: float | None = None
) -> Call[Supervision]:
    """``supervisor.whisper``: a supervisor coaches the agent: the agent hears it, the
    customer does not."""
    return Call(
        method="supervisor.whisper",
        params={"activeCall": active_call.to_wire(), "deviceToJoin": device_to_join},
        parse=lambda r: Supervision.from_wire(r, "supervisor.whisper"),
        timeout=timeout,
    )


# ---------------------------------------------------------------- recording


def _recording(method: str) -> Callable[[Any], RecordingStatus]:
    return lambda r: RecordingStatus.from_wire(r, method)


def recording_start(
    call_id: str, *, tags: Sequence[str] = (), timeout: float | None = None
) -> Call[RecordingStatus]:
    """``recording.start``: record a call (everyone in it) from now until it ends or
    ``recording_stop``; ``RecordingStartedEvent`` follows on the call."""
    return Call(
        method="recording.start",
        params={"callID": call_id, "tags": list(tags)},
        parse=_recording("recording.start"),
        timeout=timeout,
    )


def recording_pause(recording_id: str, *, timeout: float | None = None) -> Call[RecordingStatus]:
    """``recording.pause``: record silence from now on (a card number), until resumed."""
    return Call(
        method="recording.pause",
        params={"recordingID": recording_id},
        parse=_recording("recording.pause"),
        timeout=timeout,
    )


def recording_resume(recording_id: str, *, timeout: float | None = None) -> Call[RecordingStatus]:
    """``recording.resume``: record the call's audio again."""
    return Call(
        method="recording.resume",
        params={"recordingID": recording_id},
        parse=_recording("recording.resume"),
        timeout=timeout,
    )


def recording_stop(recording_id: str, *, timeout: float | None = None) -> Call[RecordingStatus]:
    """``recording.stop``: stop recording (state ``stopping``); ``RecordingStoppedEvent``
    follows when the file is complete."""
    return Call(
        method="recording.stop",
        params={"recordingID": recording_id},
        parse=_recording("recording.stop"),
        timeout=timeout,
    )


def recording_tag(
    recording_id: str, tags: Sequence[str], *, timeout: float | None = None
) -> Call[tuple[str, ...]]:
    """``recording.tag``: add tags to a recording (in progress or finished); returns all tags."""
    return Call(
        method="recording.tag",
        params={"recordingID": recording_id, "tags": list(tags)},
        parse=lambda r: strings(r, "tags", "recording.tag"),
        timeout=timeout,
    )


def recording_set_important(
    recording_id: str, important: bool, *, timeout: float | None = None
) -> Call[bool]:
    """``recording.setImportant``: keep a recording whatever retention says (or no longer);
    returns the mark as set. Supervisors (their queues' calls) and admins."""
    return Call(
        method="recording.setImportant",
        params={"id": recording_id, "important": important},
        parse=lambda r: field(r, "important", bool, "recording.setImportant"),
        timeout=timeout,
    )


def recording_delete(recording_id: str, *, timeout: float | None = None) -> Call[None]:
    """``recording.delete``: delete a finished, unimportant recording's audio (the metadata
    stays, state ``deleted``); ``RecordingDeletedEvent`` follows. Supervisors and admins."""
    return Call(
        method="recording.delete",
        params={"id": recording_id},
        parse=lambda r: None,
        timeout=timeout,
    )


def voicemail_list(
    mailbox: str, *, unheard_only: bool = False, limit: int = 100, timeout: float | None = None
) -> Call[Mailbox]:
    """``voicemail.list``: a mailbox's messages (newest first) and counts."""
    return Call(
        method="voicemail.list",
        params={"mailbox": mailbox, "unheardOnly": unheard_only, "limit": limit},
        parse=Mailbox.from_wire,
        timeout=timeout,
    )


def voicemail_get(message_id: str, *, timeout: float | None = None) -> Call[VoicemailMessage]:
    """``voicemail.get``: one message, with its download path."""
    return Call(
        method="voicemail.get",
        params={"messageID": message_id},
        parse=VoicemailMessage.from_wire,
        timeout=timeout,
    )


def voicemail_mark_heard(message_id: str, *, timeout: float | None = None) -> Call[None]:
    """``voicemail.markHeard``: mark a message heard (its mailbox's lamps follow)."""
    return Call(
        method="voicemail.markHeard",
        params={"messageID": message_id},
        parse=_none,
        timeout=timeout,
    )


def voicemail_delete(message_id: str, *, timeout: float | None = None) -> Call[None]:
    """``voicemail.delete``: delete a message's audio (its metadata stays, marked deleted)."""
    return Call(
        method="voicemail.delete",
        params={"messageID": message_id},
        parse=_none,
        timeout=timeout,
    )


def recording_get(recording_id: str, *, timeout: float | None = None) -> Call[Recording]:
    """``recording.get``: one recording's metadata, with its download path."""
    return Call(
        method="recording.get",
        params={"recordingID": recording_id},
        parse=Recording.from_wire,
        timeout=timeout,
    )


def recording_search(
    *,
    from_: str | None = None,
    to: str | None = None,
    agent_id: str | None = None,
    caller: str | None = None,
    called: str | None = None,
    queue: str | None = None,
    min_duration: float | None = None,
    max_duration: float | None = None,
    tags: Sequence[str] = (),
    limit: int | None = None,
    timeout: float | None = None,
) -> Call[tuple[Recording, ...]]:
    """``recording.search``: recordings started in ``[from_, to)`` (ISO 8601), by agent,
    caller, called number, queue, duration (seconds) and tags (all of them); newest
    first, at most ``limit`` (server default 100, at most 1000)."""
    return Call(
        method="recording.search",
        params=_drop_none(
            **{"from": from_},
            to=to,
            agentID=agent_id,
            caller=caller,
            called=called,
            queue=queue,
            minDuration=min_duration,
            maxDuration=max_duration,
            tags=list(tags) if tags else None,
            limit=limit,
        ),
        parse=lambda r: tuple(
            Recording.from_wire(x, "recording.search.recordings[]")
            for x in items(r, "recordings", "recording.search")
        ),
        timeout=timeout,
    )


# ---------------------------------------------------------------- records (admin)


def records_status(*, timeout: float | None = None) -> Call[RecordsStatus]:
    """``records.status``: the record writer's counters (submitted, spooled, committed,
    dropped, rejected) and whether the database is up."""
    return Call(
        method="records.status", params=None, parse=RecordsStatus.from_wire, timeout=timeout
    )


def records_flush(
    *,
    until: Literal["database", "spool"] = "database",
    wait: float | None = None,
    timeout: float | None = None,
) -> Call[None]:
    """``records.flush``: wait until every record made so far is committed to the database
    (or safe in the spool), at most ``wait`` seconds on the server (default 10); a
    server-side timeout raises ``RpcError`` (``data["reason"] == "timeout"``)."""
    return Call(
        method="records.flush",
        params=_drop_none(until=until, timeout=wait),
        parse=_none,
        timeout=timeout,
    )


# ---------------------------------------------------------------- reports


def report_list(*, timeout: float | None = None) -> Call[tuple[ReportInfo, ...]]:
    """``report.list``: the reports there are, with the method that runs each."""
    return Call(
        method="report.list",
        params=None,
        parse=lambda r: tuple(ReportInfo.from_wire(x) for x in items(r, "reports", "report.list")),
        timeout=timeout,
    )


def _report(
    method: str,
    from_: str,
    to: str,
    queue: str | None,
    agent: str | None,
    interval: Literal["hour", "day"] | None,
    timezone: str | None,
    threshold: float | None,
    timeout: float | None,
) -> Call[Report]:
    return Call(
        method=method,
        params=_drop_none(
            **{"from": from_},
            to=to,
            queue=queue,
            agent=agent,
            interval=interval,
            timezone=timezone,
            threshold=threshold,
        ),
        parse=lambda r: Report.from_wire(r, method),
        timeout=timeout,
    )


def report_ivr_nodes(
    from_: str,
    to: str,
    *,
    queue: str | None = None,
    agent: str | None = None,
    interval: Literal["hour", "day"] | None = None,
    timezone: str | None = None,
    threshold: float | None = None,
    timeout: float | None = None,
) -> Call[Report]:
    """``report.ivrNodes``: visits and distinct calls per IVR flow node, with the spread of
    menu choices. Columns: ``flow``, ``node``, ``nodeType``, ``visits``, ``calls``,
    ``choices``.

    Every report covers ``[from_, to)`` (ISO 8601; a date alone is midnight in
    ``timezone``, default ``[records] timezone``), optionally by ``interval`` (then
    ``interval`` is the first column), for a ``queue`` or an ``agent``.
    """
    return _report(
        "report.ivrNodes", from_, to, queue, agent, interval, timezone, threshold, timeout
    )


def report_handle_times(
    from_: str,
    to: str,
    *,
    queue: str | None = None,
    agent: str | None = None,
    interval: Literal["hour", "day"] | None = None,
    timezone: str | None = None,
    threshold: float | None = None,
    timeout: float | None = None,
) -> Call[Report]:
    """``report.handleTimes``: answered calls with average handle, talk, hold, after-call work
    and wait (seconds). Columns: ``answered``, ``avgHandle``, ``avgTalk``, ``avgHold``,
    ``avgAcw``, ``avgWait``."""
    return _report(
        "report.handleTimes", from_, to, queue, agent, interval, timezone, threshold, timeout
    )


def report_trunk_occupancy(
    from_: str,
    to: str,
    *,
    queue: str | None = None,
    agent: str | None = None,
    interval: Literal["hour", "day"] | None = None,
    timezone: str | None = None,
    threshold: float | None = None,
    timeout: float | None = None,
) -> Call[Report]:
    """``report.trunkOccupancy``: per trunk line, calls, busy seconds and the share of the
    period busy; the row ``all`` has the peak of simultaneous calls. Columns: ``trunk``,
    ``calls``, ``busySeconds``, ``occupancy``, ``peakSimultaneous``."""
    return _report(
        "report.trunkOccupancy", from_, to, queue, agent, interval, timezone, threshold, timeout
    )


def report_agents(
    from_: str,
    to: str,
    *,
    queue: str | None = None,
    agent: str | None = None,
    interval: Literal["hour", "day"] | None = None,
    timezone: str | None = None,
    threshold: float | None = None,
    timeout: float | None = None,
) -> Call[Report]:
    """``report.agents``: per agent, calls answered and talk, after-call work, ready and
    not-ready seconds. Columns: ``agent``, ``calls``, ``talkSeconds``, ``acwSeconds``,
    ``readySeconds``, ``notReadySeconds``."""
    return _report("report.agents", from_, to, queue, agent, interval, timezone, threshold, timeout)


def report_abandoned(
    from_: str,
    to: str,
    *,
    queue: str | None = None,
    agent: str | None = None,
    interval: Literal["hour", "day"] | None = None,
    timezone: str | None = None,
    threshold: float | None = None,
    timeout: float | None = None,
) -> Call[Report]:
    """``report.abandoned``: calls abandoned waiting for an agent, by how long they waited
    (0-10, 10-20, 20-30, 30-60, 60-120, 120+ s). Columns: ``waited``, ``calls``, ``share``."""
    return _report(
        "report.abandoned", from_, to, queue, agent, interval, timezone, threshold, timeout
    )


def report_answer_rate(
    from_: str,
    to: str,
    *,
    queue: str | None = None,
    agent: str | None = None,
    interval: Literal["hour", "day"] | None = None,
    timezone: str | None = None,
    threshold: float | None = None,
    timeout: float | None = None,
) -> Call[Report]:
    """``report.answerRate``: inbound calls (or a queue's) offered, answered, abandoned, and
    the answer rate. Columns: ``offered``, ``answered``, ``abandoned``, ``answerRate``."""
    return _report(
        "report.answerRate", from_, to, queue, agent, interval, timezone, threshold, timeout
    )


def report_service_level(
    from_: str,
    to: str,
    *,
    queue: str | None = None,
    agent: str | None = None,
    interval: Literal["hour", "day"] | None = None,
    timezone: str | None = None,
    threshold: float | None = None,
    timeout: float | None = None,
) -> Call[Report]:
    """``report.serviceLevel``: per queue, calls offered, answered and abandoned within
    ``threshold`` seconds (default 20), and the service level. Columns: ``queue``,
    ``offered``, ``answeredWithin``, ``abandonedWithin``, ``serviceLevel``."""
    return _report(
        "report.serviceLevel", from_, to, queue, agent, interval, timezone, threshold, timeout
    )


def report_queue_waits(
    from_: str,
    to: str,
    *,
    queue: str | None = None,
    agent: str | None = None,
    interval: Literal["hour", "day"] | None = None,
    timezone: str | None = None,
    threshold: float | None = None,
    timeout: float | None = None,
) -> Call[Report]:
    """``report.queueWaits``: per queue, every wait: count, answered, abandoned, average,
    median, 90th percentile and longest (seconds). Columns: ``queue``, ``waits``,
    ``answered``, ``abandoned``, ``avgWait``, ``medianWait``, ``p90Wait``, ``maxWait``."""
    return _report(
        "report.queueWaits", from_, to, queue, agent, interval, timezone, threshold, timeout
    )
