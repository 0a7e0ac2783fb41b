"""CSTA call control services (ECMA-269/323 names and parameter names)."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from ...calls.errors import CstaError, CstaErrorValue
from ...calls.values import ConnectionID
from ..context import RequestContext
from . import registry

Json = dict[str, Any]


@attrs.frozen(kw_only=True)
class ConnectionRef:
    """A ConnectionID on the wire: ``{"callID": ..., "deviceID": ...}``."""

    call_id: str
    device_id: str

    def value(self) -> ConnectionID:
        return ConnectionID(call_id=self.call_id, device_id=self.device_id)


@attrs.frozen(kw_only=True)
class CallRef:
    """A call, as a ConnectionID whose ``deviceID`` may be left out."""

    call_id: str
    device_id: str | None = None


def call_id_of(ref: CallRef | str) -> str:
    return ref if isinstance(ref, str) else ref.call_id


def _conn(ctx: RequestContext, ref: ConnectionRef) -> ConnectionID:
    ctx.require_device(ref.device_id)
    return ref.value()


def _call_devices(ctx: RequestContext, call_id: str) -> None:
    call = ctx.api.calls.model.calls.get(call_id)
    if call is None:
        raise CstaError(CstaErrorValue.INVALID_CALL_IDENTIFIER, f"no call {call_id!r}")
    ctx.require_any_device(call.connections)


@attrs.frozen(kw_only=True)
class MakeCallParams:
    calling_device: str
    called_directory_number: str
    auto_originate: Literal["prompt", "doNotPrompt"] = "prompt"
    correlator_data: str | None = None
    user_data: dict[str, Any] | None = None


@registry.method("MakeCall", params=MakeCallParams)
async def make_call(ctx: RequestContext, p: MakeCallParams) -> Json:
    """Call ``calledDirectoryNumber`` from ``callingDevice``.

    With ``autoOriginate: "prompt"`` the calling phone rings first and the call
    is made when it answers; with ``"doNotPrompt"`` it goes off-hook by itself.
    """
    ctx.require_device(p.calling_device)
    calls = ctx.api.calls
    cid = await calls.request(
        calls.csta.make_call,
        p.calling_device,
        p.called_directory_number,
        prompt=p.auto_originate == "prompt",
        correlator_data=p.correlator_data,
        user_data=p.user_data,
    )
    return {"callingDevice": cid.to_wire()}


@attrs.frozen(kw_only=True)
class AnswerCallParams:
    call_to_be_answered: ConnectionRef


@registry.method("AnswerCall", params=AnswerCallParams)
async def answer_call(ctx: RequestContext, p: AnswerCallParams) -> Json:
    """Answer a call that is ringing at a device."""
    calls = ctx.api.calls
    await calls.request(calls.csta.answer_call, _conn(ctx, p.call_to_be_answered))
    return {}


@attrs.frozen(kw_only=True)
class ClearConnectionParams:
    connection_to_be_cleared: ConnectionRef


@registry.method("ClearConnection", params=ClearConnectionParams)
async def clear_connection(ctx: RequestContext, p: ClearConnectionParams) -> Json:
    """Take one device out of a call (hang up its party)."""
    calls = ctx.api.calls
    await calls.request(calls.csta.clear_connection, _conn(ctx, p.connection_to_be_cleared))
    return {}


@attrs.frozen(kw_only=True)
class ClearCallParams:
    call_to_be_cleared: CallRef | str


@registry.method("ClearCall", params=ClearCallParams)
async def clear_call(ctx: RequestContext, p: ClearCallParams) -> Json:
    """End a call for every party in it."""
    call_id = call_id_of(p.call_to_be_cleared)
    _call_devices(ctx, call_id)
    calls = ctx.api.calls
    await calls.request(calls.csta.clear_call, call_id)
    return {}


@attrs.frozen(kw_only=True)
class HoldCallParams:
    call_to_be_held: ConnectionRef


@registry.method("HoldCall", params=HoldCallParams)
async def hold_call(ctx: RequestContext, p: HoldCallParams) -> Json:
    """Put a call on hold at a device; the other parties hear music."""
    calls = ctx.api.calls
    await calls.request(calls.csta.hold_call, _conn(ctx, p.call_to_be_held))
    return {}


@attrs.frozen(kw_only=True)
class RetrieveCallParams:
    call_to_be_retrieved: ConnectionRef


@registry.method("RetrieveCall", params=RetrieveCallParams)
async def retrieve_call(ctx: RequestContext, p: RetrieveCallParams) -> Json:
    """Take a held call off hold."""
    calls = ctx.api.calls
    await calls.request(calls.csta.retrieve_call, _conn(ctx, p.call_to_be_retrieved))
    return {}


@attrs.frozen(kw_only=True)
class ConsultationCallParams:
    existing_call: ConnectionRef
    consulted_device: str
    user_data: dict[str, Any] | None = None


@registry.method("ConsultationCall", params=ConsultationCallParams)
async def consultation_call(ctx: RequestContext, p: ConsultationCallParams) -> Json:
    """Hold a call and call another device from the same one (before a transfer or conference)."""
    calls = ctx.api.calls
    cid = await calls.request(
        calls.csta.consultation_call,
        _conn(ctx, p.existing_call),
        p.consulted_device,
        user_data=p.user_data,
    )
    return {"initiatedCall": cid.to_wire()}


@attrs.frozen(kw_only=True)
class TwoCallParams:
    held_call: ConnectionRef
    active_call: ConnectionRef


def _two(ctx: RequestContext, p: TwoCallParams) -> tuple[ConnectionID, ConnectionID]:
    return _conn(ctx, p.held_call), _conn(ctx, p.active_call)


@registry.method("TransferCall", params=TwoCallParams)
async def transfer_call(ctx: RequestContext, p: TwoCallParams) -> Json:
    """Join the held call's parties to the active call's and leave both."""
    calls = ctx.api.calls
    call_id, to_device = await calls.request(calls.csta.transfer_call, *_two(ctx, p))
    return {"transferredCall": {"callID": call_id, "deviceID": to_device}}


@registry.method("ConferenceCall", params=TwoCallParams)
async def conference_call(ctx: RequestContext, p: TwoCallParams) -> Json:
    """Join the held and the active call into one conference."""
    calls = ctx.api.calls
    held, active = _two(ctx, p)
    call_id = await calls.request(calls.csta.conference_call, held, active)
    return {"conferenceCall": {"callID": call_id, "deviceID": held.device_id}}


@registry.method("AlternateCall", params=TwoCallParams)
async def alternate_call(ctx: RequestContext, p: TwoCallParams) -> Json:
    """Hold the active call and retrieve the held one, in one step."""
    calls = ctx.api.calls
    await calls.request(calls.csta.alternate_call, *_two(ctx, p))
    return {}


@registry.method("ReconnectCall", params=TwoCallParams)
async def reconnect_call(ctx: RequestContext, p: TwoCallParams) -> Json:
    """Leave the active call and retrieve the held one."""
    calls = ctx.api.calls
    await calls.request(calls.csta.reconnect_call, *_two(ctx, p))
    return {}


@attrs.frozen(kw_only=True)
class SingleStepTransferParams:
    active_call: ConnectionRef
    transferred_to: str


@registry.method("SingleStepTransferCall", params=SingleStepTransferParams)
async def single_step_transfer(ctx: RequestContext, p: SingleStepTransferParams) -> Json:
    """Send a call on to ``transferredTo`` and leave it (blind transfer)."""
    calls = ctx.api.calls
    call_id = await calls.request(
        calls.csta.single_step_transfer, _conn(ctx, p.active_call), p.transferred_to
    )
    return {"transferredCall": {"callID": call_id, "deviceID": p.transferred_to}}


@attrs.frozen(kw_only=True)
class DeflectCallParams:
    call_to_be_diverted: ConnectionRef
    new_destination: str


@registry.method("DeflectCall", params=DeflectCallParams)
async def deflect_call(ctx: RequestContext, p: DeflectCallParams) -> Json:
    """Send a call that rings at a device on to another destination before answering."""
    calls = ctx.api.calls
    await calls.request(
        calls.csta.deflect_call, _conn(ctx, p.call_to_be_diverted), p.new_destination
    )
    return {}


@attrs.frozen(kw_only=True)
class GenerateDigitsParams:
    connection_to_send_digits: ConnectionRef
    characters_to_send: str


@registry.method("GenerateDigits", params=GenerateDigitsParams)
async def generate_digits(ctx: RequestContext, p: GenerateDigitsParams) -> Json:
    """Send DTMF digits on a connection (to an IVR or voicemail at the far end)."""
    calls = ctx.api.calls
    await calls.request(
        calls.csta.generate_digits, _conn(ctx, p.connection_to_send_digits), p.characters_to_send
    )
    return {}


@attrs.frozen(kw_only=True)
class AssociateDataParams:
    existing_call: CallRef | str
    correlator_data: str | None = None
    user_data: dict[str, Any] | None = None


@registry.method("AssociateData", params=AssociateDataParams)
async def associate_data(ctx: RequestContext, p: AssociateDataParams) -> Json:
    """Change the data that travels with a call.

    ``userData`` keys are merged into the call's; a key set to null is removed.
    """
    call_id = call_id_of(p.existing_call)
    _call_devices(ctx, call_id)
    device = p.existing_call.device_id if isinstance(p.existing_call, CallRef) else None
    calls = ctx.api.calls
    await calls.request(
        calls.csta.associate_data,
        call_id,
        correlator_data=p.correlator_data,
        user_data=p.user_data,
        device=device,
    )
    return {}


@attrs.frozen(kw_only=True)
class SnapshotDeviceParams:
    snapshot_object: str


@registry.method("SnapshotDevice", params=SnapshotDeviceParams)
async def snapshot_device(ctx: RequestContext, p: SnapshotDeviceParams) -> Json:
    """The calls at a device now, with its connection state in each."""
    ctx.require_device(p.snapshot_object)
    return {"snapshotData": ctx.api.calls.csta.snapshot_device(p.snapshot_object)}


@attrs.frozen(kw_only=True)
class SnapshotCallParams:
    snapshot_object: CallRef | str


@registry.method("SnapshotCall", params=SnapshotCallParams)
async def snapshot_call(ctx: RequestContext, p: SnapshotCallParams) -> Json:
    """A call's parties with their connection states, and its data."""
    call_id = call_id_of(p.snapshot_object)
    _call_devices(ctx, call_id)
    return ctx.api.calls.csta.snapshot_call(call_id)
