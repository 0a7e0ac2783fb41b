"""``POST /v1/rpc``: one-shot JSON-RPC over HTTP, for a CRM's server ("click to dial").

The body is a JSON-RPC 2.0 request or batch; ``Authorization: Bearer <token>``
(a static token or a JWT, as ``session.login`` takes) says who asks. The
request runs through the same dispatcher as a WebSocket frame: the same
methods, roles, access checks, input limits and errors. What needs a session
that outlives the request (monitors, ``session.*`` but ``session.ping``) is
answered with error -32011. Failed tokens count against the client's address
in the same login throttle as WebSocket logins.

HTTP statuses: 200 with the JSON-RPC reply (errors included), 204 when the
body held only notifications, 400 for a body that is not JSON, 401 for a
missing or refused token (with the JSON-RPC error -32002 as the body), 405
for another method than POST, 413 for a body over ``[api]
max_message_bytes``, 415 for a body that is not ``application/json``.
"""

from __future__ import annotations

import logging
from typing import Any, Final, cast

import trio

from ..bus import EventLog
from . import rpc
from .codec import JsonCodec
from .connection import LARGE_MESSAGE, WsConnection
from .context import ApiContext, RequestContext
from .dispatch import dispatch
from .methods.session import check_token, refuse_on_standby
from .rpc import RpcError
from .server import HttpRequest, HttpResponse
from .session import Session

__all__ = ["NEEDS_SESSION", "PATH", "SESSION_REQUIRED", "rpc_route"]

log = logging.getLogger(__name__)

PATH: Final = "/v1/rpc"
#: JSON-RPC error: the method needs a WebSocket session (docs/protocol.md).
SESSION_REQUIRED: Final = -32011
#: Methods that keep state in a session beyond one request.
NEEDS_SESSION: Final = frozenset(
    {
        "MonitorStart",
        "MonitorStop",
        "session.login",
        "session.resume",
        "session.refresh",
        "session.logout",
    }
)
_CODEC: Final = JsonCodec()


class _Peer:
    """What methods read of ``RequestContext.connection`` on this path: the address."""

    def __init__(self, client_address: str) -> None:
        self.client_address = client_address

    def login_failed(self) -> None:
        """Nothing to close: every HTTP request stands alone (the throttle still counts)."""


def _json(status: int, value: Any, headers: tuple[tuple[str, str], ...] = ()) -> HttpResponse:
    return HttpResponse(status=status, body=_CODEC.encode(value), headers=headers)


def _refused(exc: RpcError) -> HttpResponse:
    return _json(401, rpc.error(None, exc), (("www-authenticate", 'Bearer realm="ctid"'),))


def rpc_route(api: ApiContext) -> Any:
    """The handler of ``POST /v1/rpc`` (``ApiServer.routes``)."""

    async def handle(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(
                status=405,
                body=_CODEC.encode({"error": "use POST"}),
                headers=(("allow", "POST"),),
            )
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            return _json(415, {"error": "send the request as application/json"})
        peer = _Peer(request.client)
        ctx = RequestContext(api=api, connection=cast(WsConnection, peer), session=None)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _refused(
                RpcError(rpc.AUTHENTICATION_FAILED, "send Authorization: Bearer <token>")
            )
        try:
            refuse_on_standby(ctx)
            credential = check_token(ctx, token.strip())
        except RpcError as exc:
            if exc.code == rpc.NOT_ACTIVE:
                return _json(503, rpc.error(None, exc))
            return _refused(exc)
        try:
            if len(request.body) <= LARGE_MESSAGE:
                obj = _CODEC.decode(request.body)
            else:
                # Large bodies take turns with large WebSocket frames (docs/security.md).
                async with api.decode_lock:
                    obj = _CODEC.decode(request.body)
        except RpcError as exc:
            return _json(400, rpc.error(None, exc))
        # A session for this request only: not in the session manager, its log
        # not on the bus, so no event is ever routed to it.
        ctx.session = Session(
            session_id=f"http-{id(request):x}",
            credential=credential,
            log=EventLog("http", api.bus.limits),
            created_at=trio.current_time(),
        )
        frame = rpc.parse_frame(obj, api.limits.input)
        replies: list[dict[str, Any]] = []
        for item in frame.items:
            if isinstance(item, dict):
                replies.append(item)
                continue
            if item.method in NEEDS_SESSION:
                if not item.is_notification:
                    replies.append(
                        rpc.error(
                            item.id,
                            RpcError(
                                SESSION_REQUIRED,
                                f"{item.method} needs a WebSocket session (ws://.../v1); "
                                "POST /v1/rpc serves one-shot requests",
                            ),
                        )
                    )
                continue
            reply = await dispatch(ctx, item)
            if reply is not None:
                replies.append(reply)
        if not replies:
            return HttpResponse(status=204)
        return _json(200, replies if frame.batch else replies[0])

    return handle
