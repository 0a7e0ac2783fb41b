"""``session.*``: log in, resume after a lost socket, refresh a signed token, log out, ping.

Every credential check goes through ``_authenticate``: it refuses at once an
address that failed too often (brute-force throttle), and counts and logs
the failures that prove nothing.
"""

from __future__ import annotations

from typing import Any

import attrs
import trio

from ... import PROTOCOL_VERSION
from ...bus import ReplayGap
from .. import rpc
from ..auth import Credential, LoginRefused
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from ..rpc import RpcError
from .base import registry


@attrs.frozen(kw_only=True)
class LoginParams:
    token: str


@attrs.frozen(kw_only=True)
class RefreshParams:
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


def refuse_on_standby(ctx: RequestContext) -> None:
    """A standby node (``[cluster]``) serves nobody: it says where the active node is."""
    cluster = ctx.api.services.get("cluster")
    if cluster is None or cluster.serving:
        return
    active = cluster.active_url or None
    where = f"connect to {active}" if active else "no active node is known yet; try again"
    raise RpcError(rpc.NOT_ACTIVE, f"this ctid node is a standby: {where}", {"active": active})


def _welcome_expiry(ctx: RequestContext, reply: dict[str, Any]) -> dict[str, Any]:
    assert ctx.session is not None
    expires_at = ctx.session.credential.expires_at
    if expires_at is not None:
        reply["expiresAt"] = ctx.api.clock.iso(
            ctx.api.clock.anchor_trio + (expires_at - ctx.api.clock.anchor_wall)
        )
    return reply


def _authenticate(ctx: RequestContext, token: str) -> Credential:
    refuse_on_standby(ctx)
    if ctx.session is not None:
        raise RpcError(rpc.OPERATION_FAILED, "already logged in on this connection")
    return check_token(ctx, token)


def check_token(ctx: RequestContext, token: str) -> Credential:
    address = ctx.connection.client_address
    throttle = ctx.api.throttle
    now = trio.current_time()
    wait = throttle.retry_after(address, now)
    if wait is not None:
        # Refused without looking at the token: guessing gets no answer at all.
        raise RpcError(
            rpc.AUTHENTICATION_FAILED,
            f"too many failed logins from {address}: try again in {wait} s",
            {"retryAfter": wait},
        )
    try:
        return ctx.api.auth.authenticate(token)
    except LoginRefused as exc:
        if exc.counted:
            throttle.failed(address, exc.reason, now)
            if ctx.session is None:
                # A logged-in session's bad refresh is counted, but does not close it.
                ctx.connection.login_failed()
        else:
            throttle.refused(address, exc.reason)
        raise RpcError(rpc.AUTHENTICATION_FAILED, exc.message) from None


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
    return _welcome_expiry(ctx, _welcome(ctx))


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
    if session is None or not session.credential.same_principal(credential):
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
    if credential is not session.credential:
        # A fresh signed token of the same user: the session carries on with it.
        ctx.api.sessions.renew(session, credential)
    ctx.connection.attach(session)
    ctx.session = session
    reply = _welcome_expiry(ctx, _welcome(ctx))
    reply["lastSeq"] = log.seq
    reply["replayed"] = log.seq - p.last_seq
    reply["lastCloseReason"] = session.last_close_reason
    # Reported once: a later resume after an ordinary network loss must not repeat it.
    session.last_close_reason = None
    return reply


@registry.method("session.refresh", params=RefreshParams, roles=ALL_ROLES, target=Target.NONE)
async def refresh(ctx: RequestContext, p: RefreshParams) -> dict[str, Any]:
    """Give the session a fresh signed token before its token expires.

    The token must be for the same user (``sub``) and role; the session then
    ends when the new token expires. Returns ``expiresAt`` (null for a static
    token, which never expires).
    """
    assert ctx.session is not None
    credential = check_token(ctx, p.token)
    if not ctx.session.credential.same_principal(credential):
        raise RpcError(
            rpc.AUTHENTICATION_FAILED,
            "authentication failed: the token is for another user or role than this session",
        )
    ctx.api.sessions.renew(ctx.session, credential)
    reply = _welcome_expiry(ctx, {})
    reply.setdefault("expiresAt", None)
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
