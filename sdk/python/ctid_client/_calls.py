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
from ._generated import CallRecord, RecordsHistoryResult, RecordsSearchResult
from ._ivr import (
    FlowInfo,
    FlowValidation,
    IvrCall,
    IvrReload,
    IvrStatistics,
    RoutingDecision,
    RoutingOverride,
)
from ._outbound import (
    CallbackBooking,
    CampaignInfo,
    CampaignSummary,
    DncChange,
    DncStatus,
    ListImportResult,
    OutboundRouteChoice,
)
from ._records import Recording, RecordingStatus, RecordsStatus, Report, ReportInfo
from ._values import (
    CallSnapshot,
    ConnectionID,
    DeviceCall,
    Discovery,
    SimHears,
    SimLine,
    SimMessageWaiting,
    field,
    items,
    strings,
)
from ._voicemail import Mailbox, VoicemailMessage
from ._webhooks import Webhook, WebhookStatus, WebhookTest, spec_params

#: How a campaign's attempt ended (``records.search {campaignOutcome}``).
CampaignOutcome = Literal[
    "answered", "machine", "busy", "noAnswer", "failed", "abandoned", "dnc", "invalidNumber"
]

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
    fax: str | None = None,
    mailbox: str | None = None,
    campaign: str | None = None,
    timeout: float | None = None,
) -> Call[str]:
    """``MonitorStart``: receive the events of a ``device``, of one ``call``, or (with the
    ACD) of an ``agent`` wherever it logs on or of a ``queue`` (``"*"``: every agent, every
    queue), of a voicemail ``mailbox`` (``"queue:sales"``, ``"agent:2001"``,
    ``"number:8100"``: ``voicemail.new``/``voicemail.changed``), or the ``fax`` events
    of a fax mailbox (``"*"``: every fax), or the ``campaign.*`` events of an outbound
    ``campaign`` (``"*"``: every campaign).

    Give exactly one. A device monitor also brings the agent events of whoever is
    logged on at the device; a queue monitor brings ``queue.figures``, ``queue.allBusy``
    and its members' agent events. Returns the ``monitorCrossRefID`` its events carry.
    The client restarts the monitor by itself if it ever has to log in again.
    """
    given = {
        "deviceObject": device,
        "agentObject": agent,
        "queueObject": queue,
        "faxObject": fax,
        "mailboxObject": mailbox,
        "campaignObject": campaign,
    }
    objects: Json = {key: value for key, value in given.items() if value is not None}
    if call is not None:
        objects["callObject"] = _call_ref(call)
    if len(objects) != 1:
        raise ValueError(
            "monitor_start needs exactly one of device, call, agent, queue, mailbox, fax "
            "and campaign"
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


def sim_message_waiting(device: str, *, timeout: float | None = None) -> Call[SimMessageWaiting]:
    """``sim.messageWaiting``: the new and old messages a simulated phone's lamp shows."""
    return Call(
        method="sim.messageWaiting",
        params={"device": device},
        parse=SimMessageWaiting.from_wire,
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


def outbound_route_test(
    called_number: str, *, timeout: float | None = None
) -> Call[OutboundRouteChoice]:
    """``routing.test`` (outbound): the route, digits and line a call to the outside
    ``called_number`` would take now (nothing is dialled)."""
    return Call(
        method="routing.test",
        params={"calledNumber": called_number, "direction": "outbound"},
        parse=OutboundRouteChoice.from_wire,
        timeout=timeout,
    )


# ------------------------------------------------------------ outbound campaigns


def campaign_create(
    name: str, queue: str, *, timeout: float | None = None, **definition: Any
) -> Call[CampaignInfo]:
    """``campaign.create``: define a campaign (it starts ``stopped``). ``definition`` takes
    the other keys as the server does (``mode="predictive"``, ``maxAbandonRate=0.02``,
    ``windows=[...]``; docs/outbound.md)."""
    return Call(
        method="campaign.create",
        params={"name": name, "queue": queue, **definition},
        parse=lambda r: CampaignInfo.from_wire(r, "campaign.create"),
        timeout=timeout,
    )


def campaign_update(
    name: str, changes: Mapping[str, Any], *, timeout: float | None = None
) -> Call[CampaignInfo]:
    """``campaign.update``: change a campaign's definition (lowerCamel keys); checked whole."""
    return Call(
        method="campaign.update",
        params={"name": name, "changes": dict(changes)},
        parse=lambda r: CampaignInfo.from_wire(r, "campaign.update"),
        timeout=timeout,
    )


def campaign_get(name: str, *, timeout: float | None = None) -> Call[CampaignInfo]:
    """``campaign.get``: definition, state, records by status, each list's counts."""
    return Call(
        method="campaign.get", params={"name": name}, parse=CampaignInfo.from_wire, timeout=timeout
    )


def campaign_list(*, timeout: float | None = None) -> Call[tuple[CampaignSummary, ...]]:
    """``campaign.list``: every campaign with its records by status."""
    return Call(
        method="campaign.list",
        params=None,
        parse=lambda r: tuple(
            CampaignSummary.from_wire(x) for x in items(r, "campaigns", "campaign.list")
        ),
        timeout=timeout,
    )


def campaign_set_state(
    name: str,
    state: Literal["running", "paused", "stopped"],
    *,
    timeout: float | None = None,
) -> Call[CampaignInfo]:
    """``campaign.setState``: start (``running``), pause, resume or stop a campaign's
    dialling."""
    return Call(
        method="campaign.setState",
        params={"name": name, "state": state},
        parse=lambda r: CampaignInfo.from_wire(r, "campaign.setState"),
        timeout=timeout,
    )


def campaign_import_list(
    campaign: str,
    list_name: str,
    number_column: str,
    csv: str,
    *,
    timeout: float | None = None,
) -> Call[ListImportResult]:
    """``campaign.importList``: add a CSV list (with a header); rows left out come back by
    line. A text over the server's 16 KB string limit is sent in chunks."""
    chunk = 16_000
    parts = [csv[i : i + chunk] for i in range(0, len(csv), chunk)] or [""]
    return Call(
        method="campaign.importList",
        params={
            "campaign": campaign,
            "list": list_name,
            "numberColumn": number_column,
            "csv": parts[0] if len(parts) == 1 else parts,
        },
        parse=ListImportResult.from_wire,
        timeout=timeout,
    )


def campaign_schedule_callback(
    record: int, at: str, *, agent_only: bool = False, timeout: float | None = None
) -> Call[CallbackBooking]:
    """``campaign.scheduleCallback``: call a record back at ``at`` (ISO 8601 with a zone),
    offered to the calling agent only (``agent_only``) or to any agent of the campaign."""
    return Call(
        method="campaign.scheduleCallback",
        params={"record": record, "at": at, "agentOnly": agent_only},
        parse=CallbackBooking.from_wire,
        timeout=timeout,
    )


def dnc_add(
    numbers: Sequence[str],
    *,
    campaign: str | None = None,
    note: str = "",
    timeout: float | None = None,
) -> Call[DncChange]:
    """``dnc.add``: put numbers on the global do-not-call list, or ``campaign``'s."""
    return Call(
        method="dnc.add",
        params=_drop_none(numbers=list(numbers), campaign=campaign, note=note),
        parse=lambda r: DncChange.from_wire(r, "dnc.add"),
        timeout=timeout,
    )


def dnc_remove(
    numbers: Sequence[str], *, campaign: str | None = None, timeout: float | None = None
) -> Call[DncChange]:
    """``dnc.remove``: take numbers off the global do-not-call list, or ``campaign``'s."""
    return Call(
        method="dnc.remove",
        params=_drop_none(numbers=list(numbers), campaign=campaign),
        parse=lambda r: DncChange.from_wire(r, "dnc.remove"),
        timeout=timeout,
    )


def dnc_import(
    csv: str,
    number_column: str,
    *,
    campaign: str | None = None,
    note: str = "",
    timeout: float | None = None,
) -> Call[DncChange]:
    """``dnc.import``: add the numbers of a CSV file (with a header) to a do-not-call list."""
    chunk = 16_000
    parts = [csv[i : i + chunk] for i in range(0, len(csv), chunk)] or [""]
    return Call(
        method="dnc.import",
        params=_drop_none(
            csv=parts[0] if len(parts) == 1 else parts,
            numberColumn=number_column,
            campaign=campaign,
            note=note,
        ),
        parse=lambda r: DncChange.from_wire(r, "dnc.import"),
        timeout=timeout,
    )


def dnc_check(number: str, *, timeout: float | None = None) -> Call[DncStatus]:
    """``dnc.check``: whether a number is on a do-not-call list, and on which."""
    return Call(
        method="dnc.check", params={"number": number}, parse=DncStatus.from_wire, timeout=timeout
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


def _record(data: Any, where: str) -> CallRecord:
    """A call record (the generated ``CallRecord``), its identity and legs checked."""
    field(data, "callID", str, where)
    field(data, "startedAt", str, where)
    for leg in items(data, "legs", where):
        field(leg, "device", str, f"{where}.legs[]")
    record: CallRecord = data
    return record


def _search_page(data: Any) -> RecordsSearchResult:
    w = "records.search"
    for record in items(data, "records", w):
        _record(record, f"{w}.records[]")
    if data.get("nextCursor") is not None:
        field(data, "nextCursor", str, w)
    page: RecordsSearchResult = data
    return page


def _history(data: Any) -> RecordsHistoryResult:
    w = "records.history"
    field(data, "number", str, w)
    for record in items(data, "calls", w):
        _record(record, f"{w}.calls[]")
    if data.get("callerInfo") is not None:
        field(data, "callerInfo", dict, w)
    history: RecordsHistoryResult = data
    return history


def records_search(
    *,
    from_: str | None = None,
    to: str | None = None,
    number: str | None = None,
    agent: str | None = None,
    queue: str | None = None,
    campaign: str | None = None,
    campaign_record: int | None = None,
    campaign_outcome: CampaignOutcome | None = None,
    disposition: str | None = None,
    direction: Literal["inbound", "outbound", "internal"] | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    timeout: float | None = None,
) -> Call[RecordsSearchResult]:
    """``records.search``: call records with their legs, newest first, one page
    (``limit``, server default 100, at most 1000) at a time; pass the page's
    ``nextCursor`` as ``cursor`` for the next (None on the last page). ``number``
    matches the caller or the called number, full or as a prefix; ``from_``/``to``
    are ISO 8601; ``campaign``, ``campaign_record`` and ``campaign_outcome`` find a
    campaign's attempts. Agents find their own calls, supervisors their queues'."""
    return Call(
        method="records.search",
        params=_drop_none(
            **{"from": from_},
            to=to,
            number=number,
            agent=agent,
            queue=queue,
            campaign=campaign,
            campaignRecord=campaign_record,
            campaignOutcome=campaign_outcome,
            disposition=disposition,
            direction=direction,
            limit=limit,
            cursor=cursor,
        ),
        parse=_search_page,
        timeout=timeout,
    )


def records_get(call_id: str, *, timeout: float | None = None) -> Call[CallRecord]:
    """``records.get``: one call's record with its legs."""
    return Call(
        method="records.get",
        params={"callID": call_id},
        parse=lambda r: _record(r, "records.get"),
        timeout=timeout,
    )


def records_history(
    number: str, *, limit: int | None = None, timeout: float | None = None
) -> Call[RecordsHistoryResult]:
    """``records.history``: a number's previous calls, newest first (agent, queue,
    disposition, recording ids, ``userData``), and ``callerInfo`` (where the number
    is from). An agent may ask only about a number in a call at its devices."""
    return Call(
        method="records.history",
        params=_drop_none(number=number, limit=limit),
        parse=_history,
        timeout=timeout,
    )


# ---------------------------------------------------------------- webhooks (admin)


def _webhook(result: Any) -> Webhook:
    return Webhook.from_wire(field(result, "webhook", dict, "webhook"))


def _webhook_call(
    method: str,
    name: str,
    url: str,
    secret_env: str,
    events: Sequence[str],
    options: dict[str, Any],
    timeout: float | None,
) -> Call[Webhook]:
    params = spec_params(name, url, secret_env, events, **options)
    return Call(method=method, params=params, parse=_webhook, timeout=timeout)


def webhook_create(
    name: str,
    url: str,
    secret_env: str,
    events: Sequence[str],
    *,
    queues: Sequence[str] | None = None,
    devices: Sequence[str] | None = None,
    campaigns: Sequence[str] | None = None,
    batch_max: int | None = None,
    timeout_seconds: float | None = None,
    max_retry_hours: float | None = None,
    max_backlog: int | None = None,
    allow_insecure: bool | None = None,
    enabled: bool | None = None,
    timeout: float | None = None,
) -> Call[Webhook]:
    """``webhook.create``: a webhook kept in the database (docs/webhooks.md)."""
    options = {
        "queues": queues, "devices": devices, "campaigns": campaigns, "batch_max": batch_max,
        "timeout_seconds": timeout_seconds, "max_retry_hours": max_retry_hours,
        "max_backlog": max_backlog, "allow_insecure": allow_insecure, "enabled": enabled,
    }  # fmt: skip
    return _webhook_call("webhook.create", name, url, secret_env, events, options, timeout)


def webhook_update(
    name: str,
    url: str,
    secret_env: str,
    events: Sequence[str],
    *,
    queues: Sequence[str] | None = None,
    devices: Sequence[str] | None = None,
    campaigns: Sequence[str] | None = None,
    batch_max: int | None = None,
    timeout_seconds: float | None = None,
    max_retry_hours: float | None = None,
    max_backlog: int | None = None,
    allow_insecure: bool | None = None,
    enabled: bool | None = None,
    timeout: float | None = None,
) -> Call[Webhook]:
    """``webhook.update``: replace a stored webhook's definition; its backlog stays."""
    options = {
        "queues": queues, "devices": devices, "campaigns": campaigns, "batch_max": batch_max,
        "timeout_seconds": timeout_seconds, "max_retry_hours": max_retry_hours,
        "max_backlog": max_backlog, "allow_insecure": allow_insecure, "enabled": enabled,
    }  # fmt: skip
    return _webhook_call("webhook.update", name, url, secret_env, events, options, timeout)


def webhook_delete(name: str, *, timeout: float | None = None) -> Call[None]:
    """``webhook.delete``: delete a stored webhook and the events waiting for it."""
    return Call(method="webhook.delete", params={"name": name}, parse=_none, timeout=timeout)


def webhook_list(*, timeout: float | None = None) -> Call[tuple[Webhook, ...]]:
    """``webhook.list``: every webhook, the config file's and the stored ones."""

    def parse(result: Any) -> tuple[Webhook, ...]:
        entries = items(result, "webhooks", "webhook.list")
        return tuple(Webhook.from_wire(w, f"webhook.list[{i}]") for i, w in enumerate(entries))

    return Call(method="webhook.list", params=None, parse=parse, timeout=timeout)


def webhook_test(name: str, *, timeout: float | None = None) -> Call[WebhookTest]:
    """``webhook.test``: POST one signed ``webhook.test`` event to the webhook now."""
    return Call(
        method="webhook.test", params={"name": name}, parse=WebhookTest.from_wire, timeout=timeout
    )


def webhook_status(
    name: str | None = None, *, timeout: float | None = None
) -> Call[tuple[WebhookStatus, ...]]:
    """``webhook.status``: backlog, deliveries, last success and error, next retry."""

    def parse(result: Any) -> tuple[WebhookStatus, ...]:
        entries = items(result, "webhooks", "webhook.status")
        return tuple(
            WebhookStatus.from_wire(w, f"webhook.status[{i}]") for i, w in enumerate(entries)
        )

    return Call(method="webhook.status", params=_drop_none(name=name), parse=parse, timeout=timeout)


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
