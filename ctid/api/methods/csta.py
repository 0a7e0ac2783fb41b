"""CSTA call control services (ECMA-269/323 names and parameter names)."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from ...calls.errors import CstaError, CstaErrorValue
from ...calls.values import ConnectionID
from .. import policy as on
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from .base import registry

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
    # The caller's right to the connection was checked before the handler ran
    # (the method's policy, ``api.access``).
    return ref.value()


def existing_call(ctx: RequestContext, call_id: str) -> None:
    """Refuse a call that does not exist (the policy has checked the caller's right to it)."""
    if call_id not in ctx.api.calls.model.calls:
        raise CstaError(CstaErrorValue.INVALID_CALL_IDENTIFIER, f"no call {call_id!r}")


#: A ConnectionID names a device and a call; both are checked.
CONNECTION = Target.DEVICE | Target.CALL
TWO_CALLS = (*on.connection("heldCall"), *on.connection("activeCall"))


@attrs.frozen(kw_only=True)
class MakeCallParams:
    calling_device: str
    called_directory_number: str
    auto_originate: Literal["prompt", "doNotPrompt"] = "prompt"
    correlator_data: str | None = None
    user_data: dict[str, Any] | None = None


@registry.method(
    "MakeCall",
    params=MakeCallParams,
    roles=ALL_ROLES,
    target=Target.DEVICE,
    objects=on.device("callingDevice"),
)
async def make_call(ctx: RequestContext, p: MakeCallParams) -> Json:
    """Call ``calledDirectoryNumber`` from ``callingDevice``.

    With ``autoOriginate: "prompt"`` the calling phone rings first and the call
    is made when it answers; with ``"doNotPrompt"`` it goes off-hook by itself.
    """
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


@registry.method(
    "AnswerCall",
    params=AnswerCallParams,
    roles=ALL_ROLES,
    target=CONNECTION,
    objects=on.connection("callToBeAnswered"),
)
async def answer_call(ctx: RequestContext, p: AnswerCallParams) -> Json:
    """Answer a call that is ringing at a device."""
    calls = ctx.api.calls
    await calls.request(calls.csta.answer_call, _conn(ctx, p.call_to_be_answered))
    return {}


@attrs.frozen(kw_only=True)
class ClearConnectionParams:
    connection_to_be_cleared: ConnectionRef


@registry.method(
    "ClearConnection",
    params=ClearConnectionParams,
    roles=ALL_ROLES,
    target=CONNECTION,
    objects=on.connection("connectionToBeCleared"),
)
async def clear_connection(ctx: RequestContext, p: ClearConnectionParams) -> Json:
    """Take one device out of a call (hang up its party)."""
    calls = ctx.api.calls
    await calls.request(calls.csta.clear_connection, _conn(ctx, p.connection_to_be_cleared))
    return {}


@attrs.frozen(kw_only=True)
class ClearCallParams:
    call_to_be_cleared: CallRef | str


@registry.method(
    "ClearCall",
    params=ClearCallParams,
    roles=ALL_ROLES,
    target=Target.CALL,
    objects=on.call("callToBeCleared"),
)
async def clear_call(ctx: RequestContext, p: ClearCallParams) -> Json:
    """End a call for every party in it."""
    call_id = call_id_of(p.call_to_be_cleared)
    existing_call(ctx, call_id)
    calls = ctx.api.calls
    await calls.request(calls.csta.clear_call, call_id)
    return {}


@attrs.frozen(kw_only=True)
class HoldCallParams:
    call_to_be_held: ConnectionRef


@registry.method(
    "HoldCall",
    params=HoldCallParams,
    roles=ALL_ROLES,
    target=CONNECTION,
    objects=on.connection("callToBeHeld"),
)
async def hold_call(ctx: RequestContext, p: HoldCallParams) -> Json:
    """Put a call on hold at a device; the other parties hear music."""
    calls = ctx.api.calls
    await calls.request(calls.csta.hold_call, _conn(ctx, p.call_to_be_held))
    return {}


@attrs.frozen(kw_only=True)
class RetrieveCallParams:
    call_to_be_retrieved: ConnectionRef


@registry.method(
    "RetrieveCall",
    params=RetrieveCallParams,
    roles=ALL_ROLES,
    target=CONNECTION,
    objects=on.connection("callToBeRetrieved"),
)
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


@registry.method(
    "ConsultationCall",
    params=ConsultationCallParams,
    roles=ALL_ROLES,
    target=CONNECTION,
    objects=on.connection("existingCall"),
)
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


@registry.method(
    "TransferCall", params=TwoCallParams, roles=ALL_ROLES, target=CONNECTION, objects=TWO_CALLS
)
async def transfer_call(ctx: RequestContext, p: TwoCallParams) -> Json:
    """Join the held call's parties to the active call's and leave both."""
    calls = ctx.api.calls
    call_id, to_device = await calls.request(calls.csta.transfer_call, *_two(ctx, p))
    return {"transferredCall": {"callID": call_id, "deviceID": to_device}}


@registry.method(
    "ConferenceCall", params=TwoCallParams, roles=ALL_ROLES, target=CONNECTION, objects=TWO_CALLS
)
async def conference_call(ctx: RequestContext, p: TwoCallParams) -> Json:
    """Join the held and the active call into one conference."""
    calls = ctx.api.calls
    held, active = _two(ctx, p)
    call_id = await calls.request(calls.csta.conference_call, held, active)
    return {"conferenceCall": {"callID": call_id, "deviceID": held.device_id}}


@registry.method(
    "AlternateCall", params=TwoCallParams, roles=ALL_ROLES, target=CONNECTION, objects=TWO_CALLS
)
async def alternate_call(ctx: RequestContext, p: TwoCallParams) -> Json:
    """Hold the active call and retrieve the held one, in one step."""
    calls = ctx.api.calls
    await calls.request(calls.csta.alternate_call, *_two(ctx, p))
    return {}


@registry.method(
    "ReconnectCall", params=TwoCallParams, roles=ALL_ROLES, target=CONNECTION, objects=TWO_CALLS
)
async def reconnect_call(ctx: RequestContext, p: TwoCallParams) -> Json:
    """Leave the active call and retrieve the held one."""
    calls = ctx.api.calls
    await calls.request(calls.csta.reconnect_call, *_two(ctx, p))
    return {}


@attrs.frozen(kw_only=True)
class SingleStepTransferParams:
    active_call: ConnectionRef
    transferred_to: str


@registry.method(
    "SingleStepTransferCall",
    params=SingleStepTransferParams,
    roles=ALL_ROLES,
    target=CONNECTION,
    objects=on.connection("activeCall"),
)
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


@registry.method(
    "DeflectCall",
    params=DeflectCallParams,
    roles=ALL_ROLES,
    target=CONNECTION,
    objects=on.connection("callToBeDiverted"),
)
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


@registry.method(
    "GenerateDigits",
    params=GenerateDigitsParams,
    roles=ALL_ROLES,
    target=CONNECTION,
    objects=on.connection("connectionToSendDigits"),
)
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


@registry.method(
    "AssociateData",
    params=AssociateDataParams,
    roles=ALL_ROLES,
    target=Target.CALL,
    objects=on.call("existingCall"),
)
async def associate_data(ctx: RequestContext, p: AssociateDataParams) -> Json:
    """Change the data that travels with a call.

    ``userData`` keys are merged into the call's; a key set to null is removed.
    """
    call_id = call_id_of(p.existing_call)
    existing_call(ctx, call_id)
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


@registry.method(
    "SnapshotDevice",
    params=SnapshotDeviceParams,
    roles=ALL_ROLES,
    target=Target.DEVICE,
    objects=on.device("snapshotObject"),
)
async def snapshot_device(ctx: RequestContext, p: SnapshotDeviceParams) -> Json:
    """The calls at a device now, with its connection state in each."""
    return {"snapshotData": ctx.api.calls.csta.snapshot_device(p.snapshot_object)}


@attrs.frozen(kw_only=True)
class SnapshotCallParams:
    snapshot_object: CallRef | str


@registry.method(
    "SnapshotCall",
    params=SnapshotCallParams,
    roles=ALL_ROLES,
    target=Target.CALL,
    objects=on.call("snapshotObject"),
)
async def snapshot_call(ctx: RequestContext, p: SnapshotCallParams) -> Json:
    """A call's parties with their connection states, and its data."""
    call_id = call_id_of(p.snapshot_object)
    existing_call(ctx, call_id)
    return ctx.api.calls.csta.snapshot_call(call_id)
