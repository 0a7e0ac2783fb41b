"""``session.*``: log in, resume after a lost socket, log out, ping."""

from __future__ import annotations

from typing import Any

import attrs

from ... import PROTOCOL_VERSION
from ...bus import ReplayGap
from .. import rpc
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from ..rpc import RpcError
from . import registry

MAX_TOKEN = 512


@attrs.frozen(kw_only=True)
class LoginParams:
    token: str


@attrs.frozen(kw_only=True)
class ResumeParams:
    token: str
    session_id: str
    last_seq: int


def _welcome(ctx: RequestContext) -> dict[str, Any]:
    assert ctx.session is not None
    return {
        "sessionID": ctx.session.session_id,
        "protocolVersion": PROTOCOL_VERSION,
        "serverVersion": ctx.api.server_version,
        "role": ctx.session.credential.role.value,
    }


def _refuse_on_standby(ctx: RequestContext) -> None:
    """A standby node (``[cluster]``) serves nobody: it says where the active node is."""
    cluster = ctx.api.services.get("cluster")
    if cluster is None or cluster.serving:
        return
    active = cluster.active_url or None
    where = f"connect to {active}" if active else "no active node is known yet; try again"
    raise RpcError(rpc.NOT_ACTIVE, f"this ctid node is a standby: {where}", {"active": active})


def _authenticate(ctx: RequestContext, token: str) -> Any:
    _refuse_on_standby(ctx)
    if ctx.session is not None:
        raise RpcError(rpc.OPERATION_FAILED, "already logged in on this connection")
    credential = ctx.api.auth.check(token[:MAX_TOKEN])
    if credential is None:
        ctx.connection.login_failed()
        raise RpcError(rpc.AUTHENTICATION_FAILED, "authentication failed: unknown token")
    return credential


@registry.method(
    "session.login", params=LoginParams, roles=ALL_ROLES, target=Target.NONE, login_required=False
)
async def login(ctx: RequestContext, p: LoginParams) -> dict[str, Any]:
    """Log in with a token; must be the first call on a connection.

    Returns ``sessionID`` (keep it to resume), ``protocolVersion``, ``serverVersion`` and ``role``.
    """
    credential = _authenticate(ctx, p.token)
    session = ctx.api.sessions.create(credential)
    ctx.connection.attach(session)
    ctx.session = session
    return _welcome(ctx)


@registry.method(
    "session.resume", params=ResumeParams, roles=ALL_ROLES, target=Target.NONE, login_required=False
)
async def resume(ctx: RequestContext, p: ResumeParams) -> dict[str, Any]:
    """Take a session over on a new connection and receive every event after ``lastSeq``.

    The events follow the reply, in order, with their original ``seq``. If they
    have left the replay window the error says so: take snapshots again.
    """
    credential = _authenticate(ctx, p.token)
    session = ctx.api.sessions.get(p.session_id)
    if session is None or session.credential is not credential:
        raise RpcError(
            rpc.UNKNOWN_SESSION,
            "no such session on this node (it expired, or it belonged to another node or to "
            "ctid before a restart): log in again and take snapshots",
        )
    log = session.log
    if p.last_seq < 0 or p.last_seq > log.seq:
        raise RpcError(
            rpc.INVALID_PARAMS,
            f"invalid params: params.lastSeq: must be between 0 and {log.seq}",
            {"path": "params.lastSeq", "problem": f"must be between 0 and {log.seq}"},
        )
    try:
        log.rewind(p.last_seq)
    except ReplayGap as exc:
        raise RpcError(
            rpc.REPLAY_GAP,
            str(exc),
            {"oldestSeq": exc.oldest, "lastSeq": log.seq},
        ) from None
    ctx.connection.attach(session)
    ctx.session = session
    reply = _welcome(ctx)
    reply["lastSeq"] = log.seq
    reply["replayed"] = log.seq - p.last_seq
    reply["lastCloseReason"] = session.last_close_reason
    # Reported once: a later resume after an ordinary network loss must not repeat it.
    session.last_close_reason = None
    return reply


@registry.method("session.logout", roles=ALL_ROLES, target=Target.NONE)
async def logout(ctx: RequestContext, p: None) -> dict[str, Any]:
    """End the session (its monitors stop) and close the connection."""
    assert ctx.session is not None
    ctx.api.sessions.end(ctx.session)
    return {}


@registry.method("session.ping", roles=ALL_ROLES, target=Target.NONE)
async def ping(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Answer at once with the server's time (for latency checks and keep-alive)."""
    return {"timestamp": ctx.api.clock.iso()}
