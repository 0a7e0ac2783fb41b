"""``sim.*``: drive the voice-card simulator's phones and outside callers (admin only)."""

from __future__ import annotations

from typing import Any, Final

import attrs
import trio

from ...switch_drivers.base import EndpointKind
from ...switch_drivers.simulator.driver import SimError, SimulatorDriver
from .. import rpc
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..rpc import RpcError
from .base import registry

ADMIN: Final = frozenset({Role.ADMIN})
#: Seconds to wait for the call model to fold a new call in before answering.
CALL_ID_TIMEOUT: Final = 5.0


def _sim(ctx: RequestContext) -> SimulatorDriver:
    if ctx.api.simulator is None:
        raise RpcError(rpc.METHOD_NOT_FOUND, "sim.* methods exist only with the simulator driver")
    return ctx.api.simulator


def _fail(exc: SimError) -> RpcError:
    return RpcError(rpc.OPERATION_FAILED, str(exc), {"reason": "simulator"})


@attrs.frozen(kw_only=True)
class IncomingCallParams:
    calling_number: str
    called_number: str
    trunk: str | None = None


@registry.method("sim.incomingCall", params=IncomingCallParams, roles=ADMIN, target=Target.NONE)
async def incoming_call(ctx: RequestContext, p: IncomingCallParams) -> dict[str, Any]:
    """An outside caller ``callingNumber`` dials ``calledNumber`` on a free (or given) line.

    Returns the ``callID`` of the new call.
    """
    sim = _sim(ctx)
    try:
        channel_id = sim.incoming_call(p.calling_number, p.called_number, p.trunk)
    except SimError as exc:
        raise _fail(exc) from None
    with trio.move_on_after(CALL_ID_TIMEOUT):
        return {"callID": await ctx.api.calls.call_for_channel(channel_id)}
    raise RpcError(rpc.OPERATION_FAILED, "the call did not reach ctid's call model in time")


@attrs.frozen(kw_only=True)
class DeviceParams:
    device: str


@registry.method("sim.offHook", params=DeviceParams, roles=ADMIN, target=Target.NONE)
async def off_hook(ctx: RequestContext, p: DeviceParams) -> dict[str, Any]:
    """Lift a phone's handset: it answers if it rings, or gets dial tone."""
    try:
        _sim(ctx).off_hook(p.device)
    except SimError as exc:
        raise _fail(exc) from None
    return {}


@registry.method("sim.onHook", params=DeviceParams, roles=ADMIN, target=Target.NONE)
async def on_hook(ctx: RequestContext, p: DeviceParams) -> dict[str, Any]:
    """Hang up a phone, or an outside caller given by its number."""
    try:
        _sim(ctx).on_hook(p.device)
    except SimError as exc:
        raise _fail(exc) from None
    return {}


@attrs.frozen(kw_only=True)
class DigitsParams:
    device: str
    digits: str


@registry.method("sim.pressDigits", params=DigitsParams, roles=ADMIN, target=Target.NONE)
async def press_digits(ctx: RequestContext, p: DigitsParams) -> dict[str, Any]:
    """Press keys on a phone (dialling, or DTMF in a call), or DTMF from an outside caller."""
    try:
        _sim(ctx).press_digits(p.device, p.digits)
    except SimError as exc:
        raise _fail(exc) from None
    return {}


@registry.method("sim.holdKey", params=DeviceParams, roles=ADMIN, target=Target.NONE)
async def hold_key(ctx: RequestContext, p: DeviceParams) -> dict[str, Any]:
    """Press a phone's own hold key (toggles hold on the phone itself)."""
    try:
        _sim(ctx).hold_key(p.device)
    except SimError as exc:
        raise _fail(exc) from None
    return {}


@registry.method("sim.lines", roles=ADMIN, target=Target.NONE)
async def lines(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Every line of the card with its voice-card state."""
    card = _sim(ctx).card
    return {
        "lines": [
            {
                "line": line.name,
                "kind": line.kind.value,
                "state": line.state.value,
                "party": line.party,
                "offHook": line.off_hook,
            }
            for line in card.lines.values()
        ]
    }


@registry.method("sim.messageWaiting", params=DeviceParams, roles=ADMIN, target=Target.NONE)
async def message_waiting(ctx: RequestContext, p: DeviceParams) -> dict[str, Any]:
    """What a phone's message-waiting lamp and display show: its new and old messages."""
    line = _sim(ctx).card.lines.get(p.device)
    if line is None or line.kind is not EndpointKind.EXTENSION:
        raise RpcError(rpc.INVALID_PARAMS, f"device: {p.device!r} is not a phone of this switch")
    new, old = line.message_waiting
    return {"device": p.device, "newMessages": new, "oldMessages": old}


@attrs.frozen(kw_only=True)
class HearsParams:
    listener: str
    speaker: str


@registry.method("sim.hears", params=HearsParams, roles=ADMIN, target=Target.NONE)
async def hears(ctx: RequestContext, p: HearsParams) -> dict[str, Any]:
    """Whether ``listener`` hears ``speaker`` right now (the simulator's media model)."""
    try:
        card = _sim(ctx).card
        return {"hears": card.hears(p.listener, p.speaker), "music": card.hears_music(p.listener)}
    except SimError as exc:
        raise _fail(exc) from None


@registry.method("sim.dropLink", roles=ADMIN, target=Target.NONE)
async def drop_link(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Pretend the connection to the switch was lost (to try reconnect handling)."""
    _sim(ctx).drop_link()
    return {}


@registry.method("sim.restoreLink", roles=ADMIN, target=Target.NONE)
async def restore_link(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Reconnect the simulated switch; calls are resynchronised."""
    _sim(ctx).restore_link()
    return {}
