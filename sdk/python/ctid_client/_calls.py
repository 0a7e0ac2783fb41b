"""What each typed method sends and how its result is read, as pure values (no I/O).

Each function here builds a ``Call``: the method name, the params in wire
form, the per-call timeout, and the parser for the result. ``_services.py``
turns each into a method of both clients (async and blocking), so a service is
written once. Adding a method family (ACD, IVR, records) is one function here
and one line in ``_services.Services``.

Parameter names are the ECMA-323 names in snake_case (``calling_device`` is
``callingDevice`` on the wire). ``timeout`` overrides the client's
``request_timeout`` for that one call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Generic, Literal, TypeVar

from ._values import (
    CallSnapshot,
    ConnectionID,
    DeviceCall,
    Discovery,
    SimHears,
    SimLine,
    field,
    items,
)

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
    timeout: float | None = None,
) -> Call[str]:
    """``MonitorStart``: receive the events of a ``device``, or of one ``call``.

    Give exactly one. Returns the ``monitorCrossRefID`` its events carry. The
    client restarts the monitor by itself if it ever has to log in again.
    """
    if (device is None) == (call is None):
        raise ValueError("monitor_start needs exactly one of device and call")
    monitor_object: Json = (
        {"callObject": _call_ref(call)} if call is not None else {"deviceObject": device}
    )
    return Call(
        method="MonitorStart",
        params={"monitorObject": monitor_object},
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
# Administration and reporting: results are the server's JSON, read-only.


def _mapping(method: str) -> Callable[[Any], Mapping[str, Any]]:
    def parse(result: Any) -> Mapping[str, Any]:
        if not isinstance(result, dict):
            raise TypeError(f"{method}: expected an object, got {type(result).__name__}")
        return MappingProxyType(result)

    return parse


def ivr_list_flows(*, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``ivr.listFlows``: the loaded flows with their versions and the numbers they serve."""
    return Call(
        method="ivr.listFlows", params=None, parse=_mapping("ivr.listFlows"), timeout=timeout
    )


def ivr_validate_flow(
    *,
    name: str | None = None,
    body: str | None = None,
    format: Literal["json", "yaml"] = "yaml",
    timeout: float | None = None,
) -> Call[Mapping[str, Any]]:
    """``ivr.validateFlow``: check a loaded flow by ``name``, or a flow file's ``body``."""
    return Call(
        method="ivr.validateFlow",
        params=_drop_none(name=name, body=body, format=format),
        parse=_mapping("ivr.validateFlow"),
        timeout=timeout,
    )


def ivr_reload(*, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``ivr.reload``: load the flows and routing again (calls in progress keep their version)."""
    return Call(method="ivr.reload", params=None, parse=_mapping("ivr.reload"), timeout=timeout)


def ivr_calls(*, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``ivr.calls``: every call in the IVR now, with its flow and node."""
    return Call(method="ivr.calls", params=None, parse=_mapping("ivr.calls"), timeout=timeout)


def ivr_statistics(
    *, flow: str | None = None, day: str | None = None, timeout: float | None = None
) -> Call[Mapping[str, Any]]:
    """``ivr.statistics``: node visits, menu choices, time in IVR and exits, per flow and day."""
    return Call(
        method="ivr.statistics",
        params=_drop_none(flow=flow, day=day),
        parse=_mapping("ivr.statistics"),
        timeout=timeout,
    )


def routing_overrides(*, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``routing.overrides``: the forced routing overrides and which are switched on."""
    return Call(
        method="routing.overrides",
        params=None,
        parse=_mapping("routing.overrides"),
        timeout=timeout,
    )


def routing_set_override(
    name: str, active: bool, *, timeout: float | None = None
) -> Call[Mapping[str, Any]]:
    """``routing.setOverride``: switch an override (e.g. an emergency closure) on or off."""
    return Call(
        method="routing.setOverride",
        params={"name": name, "active": active},
        parse=_mapping("routing.setOverride"),
        timeout=timeout,
    )


def routing_test(
    called_number: str, calling_number: str = "", *, timeout: float | None = None
) -> Call[Mapping[str, Any]]:
    """``routing.test``: where a call from ``calling_number`` to ``called_number`` would go now."""
    return Call(
        method="routing.test",
        params={"calledNumber": called_number, "callingNumber": calling_number},
        parse=_mapping("routing.test"),
        timeout=timeout,
    )


# ------------------------------------------------------------ agents and queues (ACD)

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
) -> Call[Mapping[str, Any]]:
    """``SetAgentState``: log an agent on at ``device`` (with ``agent_id``), make it ready,
    not ready (with a configured ``reason_code``), start or end after-call work, log it off."""
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
        parse=_mapping("SetAgentState"),
        timeout=timeout,
    )


def get_agent_state(device: str, *, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``GetAgentState``: the state of the agent logged on at ``device``."""
    return Call(
        method="GetAgentState",
        params={"device": device},
        parse=_mapping("GetAgentState"),
        timeout=timeout,
    )


def agent_list(*, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``agent.list``: every agent with its state."""
    return Call(method="agent.list", params=None, parse=_mapping("agent.list"), timeout=timeout)


def agent_snapshot(agent_id: str, *, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``agent.snapshot``: an agent's state, and its calls and times today."""
    return Call(
        method="agent.snapshot",
        params={"agentID": agent_id},
        parse=_mapping("agent.snapshot"),
        timeout=timeout,
    )


def queue_list(*, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``queue.list``: every queue with its figures."""
    return Call(method="queue.list", params=None, parse=_mapping("queue.list"), timeout=timeout)


def queue_snapshot(queue: str, *, timeout: float | None = None) -> Call[Mapping[str, Any]]:
    """``queue.snapshot``: waiting calls, agents by state and today's figures of a queue."""
    return Call(
        method="queue.snapshot",
        params={"queue": queue},
        parse=_mapping("queue.snapshot"),
        timeout=timeout,
    )


def single_step_conference_call(
    active_call: ConnectionID,
    device_to_join: str,
    *,
    participation_type: Literal["silent", "active"] = "active",
    timeout: float | None = None,
) -> Call[Mapping[str, Any]]:
    """``SingleStepConferenceCall``: a supervisor at ``device_to_join`` listens to an agent's
    call (``silent``) or barges in (``active``)."""
    return Call(
        method="SingleStepConferenceCall",
        params={
            "activeCall": active_call.to_wire(),
            "deviceToJoin": device_to_join,
            "participationType": participation_type,
        },
        parse=_mapping("SingleStepConferenceCall"),
        timeout=timeout,
    )


def supervisor_whisper(
    active_call: ConnectionID, device_to_join: str, *, timeout: float | None = None
) -> Call[Mapping[str, Any]]:
    """``supervisor.whisper``: a supervisor coaches the agent; the caller does not hear it."""
    return Call(
        method="supervisor.whisper",
        params={"activeCall": active_call.to_wire(), "deviceToJoin": device_to_join},
        parse=_mapping("supervisor.whisper"),
        timeout=timeout,
    )
