"""``webhook.*``: webhooks stored in the database, created and watched by admins.

Webhooks of the config file (``[[webhooks]]``) are listed and watched here too,
but changed only in the file. See docs/webhooks.md.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from ...webhooks.service import Hook, WebhookError, WebhookService
from ...webhooks.spec import WebhookSpec, check, to_wire
from .. import rpc
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..rpc import RpcError
from .base import registry

ADMIN: Final = frozenset({Role.ADMIN})


def _service(ctx: RequestContext) -> WebhookService:
    service = ctx.api.services.get("webhooks")
    if not isinstance(service, WebhookService):
        raise RpcError(
            rpc.METHOD_NOT_FOUND,
            "webhooks are off: they keep their outbox in the records database ([records])",
        )
    return service


def _fail(exc: WebhookError) -> RpcError:
    return RpcError(rpc.OPERATION_FAILED, exc.message, {"reason": exc.reason})


def _checked(spec: WebhookSpec) -> WebhookSpec:
    from ...naming import wire_name

    problem = check(spec)
    if problem is not None:
        key, what = problem
        raise RpcError(rpc.INVALID_PARAMS, f"params.{wire_name(key)}: {what}")
    return spec


def _wire(hook: Hook) -> dict[str, Any]:
    return {**to_wire(hook.spec), "source": hook.source}


@attrs.frozen(kw_only=True)
class NameParams:
    name: str


@attrs.frozen(kw_only=True)
class StatusParams:
    #: One webhook; absent: all of them.
    name: str | None = None


async def _define(ctx: RequestContext, p: WebhookSpec, *, new: bool) -> dict[str, Any]:
    service = _service(ctx)
    spec = _checked(p)
    try:
        hook = await (service.create(spec) if new else service.update(spec))
    except WebhookError as exc:
        raise _fail(exc) from None
    return {"webhook": _wire(hook)}


@registry.method("webhook.create", params=WebhookSpec, roles=ADMIN, target=Target.NONE)
async def create(ctx: RequestContext, p: WebhookSpec) -> dict[str, Any]:
    """Create a webhook (kept in the database); events published from now on go to it."""
    return await _define(ctx, p, new=True)


@registry.method("webhook.update", params=WebhookSpec, roles=ADMIN, target=Target.NONE)
async def update(ctx: RequestContext, p: WebhookSpec) -> dict[str, Any]:
    """Replace a stored webhook's definition (named by ``name``); its backlog stays."""
    return await _define(ctx, p, new=False)


@registry.method("webhook.delete", params=NameParams, roles=ADMIN, target=Target.NONE)
async def delete(ctx: RequestContext, p: NameParams) -> dict[str, Any]:
    """Delete a stored webhook and the events still waiting for it."""
    try:
        await _service(ctx).delete(p.name)
    except WebhookError as exc:
        raise _fail(exc) from None
    return {}


@registry.method("webhook.list", roles=ADMIN, target=Target.NONE)
async def list_(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Every webhook (the config file's and the stored ones), by name."""
    service = _service(ctx)
    return {"webhooks": [_wire(service.hooks[name]) for name in sorted(service.hooks)]}


@registry.method("webhook.test", params=NameParams, roles=ADMIN, target=Target.NONE)
async def test(ctx: RequestContext, p: NameParams) -> dict[str, Any]:
    """POST one signed ``webhook.test`` event to the webhook now (not through the outbox)."""
    try:
        return await _service(ctx).test(p.name)
    except WebhookError as exc:
        raise _fail(exc) from None


@registry.method("webhook.status", params=StatusParams, roles=ADMIN, target=Target.NONE)
async def status(ctx: RequestContext, p: StatusParams) -> dict[str, Any]:
    """Backlog, deliveries, last success, last error and next retry of each webhook."""
    service = _service(ctx)
    if p.name is not None:
        try:
            hooks = [service.get(p.name)]
        except WebhookError as exc:
            raise _fail(exc) from None
    else:
        hooks = [service.hooks[name] for name in sorted(service.hooks)]
    return {"webhooks": [service.status(hook) for hook in hooks]}
