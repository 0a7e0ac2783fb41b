"""Running requests: method lookup, login and role checks, params, access policy, errors."""

from __future__ import annotations

import logging
from typing import Any

import trio

from ..calls.errors import CstaError
from . import rpc
from .access import enforce
from .context import RequestContext
from .rpc import Request, RpcError

__all__ = ["dispatch"]

log = logging.getLogger(__name__)


async def dispatch(ctx: RequestContext, request: Request) -> dict[str, Any] | None:
    """Run one request; returns its reply, or None for a notification."""
    started = trio.current_time()
    outcome = "ok"
    reply: dict[str, Any]
    try:
        value = await _run(ctx, request)
        reply = rpc.result(request.id, value)
    except RpcError as exc:
        outcome = f"error:{exc.code}"
        reply = rpc.error(request.id, exc)
    for observer in ctx.api.request_observers:
        observer(request.method, outcome, trio.current_time() - started)
    return None if request.is_notification else reply


async def _run(ctx: RequestContext, request: Request) -> Any:
    spec = ctx.api.registry.get(request.method)
    if spec is None:
        raise RpcError(rpc.METHOD_NOT_FOUND, f"method not found: {request.method}")
    if spec.login_required and ctx.session is None:
        raise RpcError(
            rpc.LOGIN_REQUIRED, f"log in first: call session.login before {request.method}"
        )
    if ctx.session is not None and ctx.session.credential.role not in spec.roles:
        raise RpcError(
            rpc.FORBIDDEN,
            f"{request.method} is not allowed for role {ctx.session.credential.role.value}",
        )
    params = spec.parse_params(request.params, ctx.api.limits.input)
    try:
        # The method's access policy, for every object it names, before the handler runs.
        await enforce(ctx, spec, params)
        return await spec.handler(ctx, params)
    except CstaError as exc:
        raise RpcError(rpc.CSTA_ERROR, exc.message, {"cstaError": exc.value.value}) from None
    except RpcError:
        raise
    except Exception:
        # A bug must not end the session or the daemon; it is logged in full.
        log.exception("internal error in %s", request.method)
        raise RpcError(rpc.INTERNAL_ERROR, f"internal error in {request.method}") from None
