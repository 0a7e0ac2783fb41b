"""Enforcing the access table: the one place a request's objects are checked.

``enforce`` runs before every handler (``api.dispatch``): the caller's role
must be among the method's ``roles``, and for every object the method names
in its params (``MethodSpec.objects``) the registered ``ObjectCheck`` for that
kind must pass. Admins pass every object check. An object that does not exist
is left to the handler, which reports it in its own words (there is nothing
to leak about a call that is not there).

Also here: ending device monitors whose session lost the right to the device
(an agent logged off the phone it was monitoring).
"""

from __future__ import annotations

from typing import Final

from ..bus import Monitor, MonitorKind, Published
from ..calls.errors import CstaError, CstaErrorValue
from ..calls.events import MonitorEndedEvent
from ..calls.values import EventCause
from . import rpc
from .auth import Role
from .context import ApiContext, RequestContext
from .policy import Target
from .registry import MethodSpec, ObjectCheck
from .rpc import RpcError

__all__ = ["BUILTIN_CHECKS", "check_call", "check_device", "end_revoked_device_monitors", "enforce"]

FORBIDDEN_ROLE: Final = rpc.FORBIDDEN
PRIVILEGE: Final = CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE


async def enforce(ctx: RequestContext, spec: MethodSpec, params: object) -> None:
    """Refuse the request unless its session may call ``spec`` on the objects in ``params``."""
    session = ctx.session
    if session is None:
        return  # session.login/resume: login_required=False, nobody to check yet
    role = session.credential.role
    if role not in spec.roles:
        raise RpcError(FORBIDDEN_ROLE, f"{spec.name} is not allowed for role {role.value}")
    if role is Role.ADMIN:
        return
    checks = ctx.api.registry.checks
    for ref, value in spec.targets_of(params):
        check = checks.get(ref.target)
        if check is None:
            # Fail closed: a kind of object nobody knows how to check is refused.
            raise RpcError(FORBIDDEN_ROLE, f"{spec.name}: no access rule for {ref.describe()}")
        if ref.part_of_connection and value not in ctx.api.calls.model.calls:
            continue
        try:
            await check(ctx, value)
        except CstaError as exc:
            if spec.refuse_as_forbidden and exc.value is PRIVILEGE:
                raise RpcError(FORBIDDEN_ROLE, exc.message) from None
            raise


async def check_device(ctx: RequestContext, device: str) -> None:
    """A device: an agent's own (or where it is logged on); a supervisor's unless the
    policies say otherwise (the ACD: not at an agent of a queue it does not supervise)."""
    if ctx.session is not None:
        ctx.api.check_device(ctx.session, device)


async def check_call(ctx: RequestContext, call_id: str) -> None:
    """A call: see ``ApiContext.check_call``. A call that is not there is the handler's."""
    call = ctx.api.calls.model.calls.get(call_id)
    if call is not None and ctx.session is not None:
        ctx.api.check_call(ctx.session, call)


BUILTIN_CHECKS: Final[dict[Target, ObjectCheck]] = {
    Target.DEVICE: check_device,
    Target.CALL: check_call,
}


def end_revoked_device_monitors(api: ApiContext, device: str, cause: EventCause) -> list[Monitor]:
    """End the device monitors on ``device`` whose session may no longer act on it.

    Each gets a last ``MonitorEndedEvent`` with ``cause``. Returns them.
    """
    ended = []
    for monitor in list(api.bus.monitors_of(MonitorKind.DEVICE, device)):
        session = api.sessions.get(monitor.log.session_id)
        if session is None:
            continue
        try:
            api.check_device(session, device)
        except CstaError:
            ended.append(monitor)
    if ended:
        notice = Published(
            name=MonitorEndedEvent.name,
            params=MonitorEndedEvent(cause=cause).to_params(),
            timestamp=api.clock.iso(),
        )
        for monitor in ended:
            api.bus.end_monitor(monitor, notice)
    return ended
