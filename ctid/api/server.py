"""The API server: HTTP/1.1 (h11) on a TCP listener, upgrading ``/v1`` to WebSocket (wsproto).

We use h11 and wsproto directly, the two sans-IO libraries trio-websocket is
built on, rather than trio-websocket's server. It lets the connection writer
put many frames into one ``send_all`` (the per-message cost of the WebSocket
shell dominates event delivery) and serve plain HTTP on the same port for
``/healthz`` and authenticated downloads. See docs/design.md.

``handle_stream`` takes any trio ``Stream``, so tests run the real protocol
over memory streams on ``MockClock`` as well as over real sockets on port 0.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from typing import Any, Final

import attrs
import h11
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, RejectConnection, RejectData, Request

from ..descriptors import socket_budget
from ..transport import ConnectionCounter, Network, OriginPolicy, client_address
from .codec import CODECS, JSON_SUBPROTOCOL
from .connection import WsConnection
from .context import ApiContext

__all__ = ["ApiServer", "HttpRequest", "HttpResponse", "ServerOptions", "send_response"]

log = logging.getLogger(__name__)

WS_PATH: Final = "/v1"
#: Seconds a client has to send its request head.
HANDSHAKE_TIMEOUT: Final = 10.0
#: Seconds an HTTP route that takes a body (a fax document upload) waits for all of it.
BODY_TIMEOUT: Final = 120.0
MAX_HEAD: Final = 16 * 1024
#: Seconds the accept loop waits after accept() failed for want of descriptors
#: or memory, instead of spinning on the error.
ACCEPT_BACKOFF: Final = 0.1
#: Errors of accept() that mean "not now" rather than "the listener is broken".
ACCEPT_CAPACITY_ERRORS: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS})
#: Seconds a 503 asks the client to wait before trying again.
RETRY_AFTER: Final = 5


@attrs.frozen(kw_only=True)
class ServerOptions:
    """The listener's rules (``[server]`` limits and proxies, ``[api] allowed_origins``)."""

    max_connections: int = 10_000
    max_connections_per_address: int = 1_000
    trusted_proxies: tuple[Network, ...] = ()
    #: Default: a handshake with an ``Origin`` header is refused (none listed).
    origins: OriginPolicy = attrs.field(factory=lambda: OriginPolicy(()))
    #: Sockets accepted at once at most (None: from the open file limit at ``serve``).
    socket_budget: int | None = None


@attrs.frozen(kw_only=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    #: The request's body: read only for paths in ``ApiServer.body_limits``.
    body: bytes = b""
    #: The client's address (behind trusted proxies, the one they name).
    client: str = ""
    #: Reads the request body, refusing more than ``limit`` bytes (``ValueError``);
    #: for routes that take one (a fax document upload).
    read_body: Callable[[int], Awaitable[bytes]] | None = None


@attrs.frozen(kw_only=True)
class HttpResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    #: A body too large to hold in memory (a recording): its length, and its chunks
    #: as they are read (None for a HEAD request).
    length: int | None = None
    chunks: Callable[[], AsyncIterator[bytes]] | None = None

    @classmethod
    def json(cls, status: int, value: Any) -> HttpResponse:
        return cls(status=status, body=json.dumps(value).encode())


HttpHandler = Callable[[HttpRequest], Awaitable[HttpResponse]]


class ApiServer:
    """Accepts connections and serves the WebSocket API and a few HTTP routes."""

    def __init__(self, api: ApiContext, options: ServerOptions | None = None) -> None:
        self.api = api
        self.options = options or ServerOptions()
        #: The TLS context new connections are wrapped with (None: plain ws://).
        #: Swapped by a certificate reload; open connections keep theirs.
        self.tls: ssl.SSLContext | None = None
        self.counter = ConnectionCounter(
            max_connections=self.options.max_connections,
            max_per_address=self.options.max_connections_per_address,
        )
        #: Accepted sockets open now (handshakes, HTTP requests, WebSocket sessions).
        self.sockets = 0
        self.socket_budget = self.options.socket_budget or 0
        self._socket_freed = trio.Event()
        #: Extra HTTP routes by path (``/healthz``, recording downloads, ...).
        self.routes: dict[str, HttpHandler] = {"/healthz": self._healthz}
        #: Routes that take a request body, by path: the most bytes they accept
        #: (a larger body is answered 413 without being read).
        self.body_limits: dict[str, int] = {}
        self.connections: set[WsConnection] = set()
        self._idle = trio.Event()
        self._idle.set()

    async def serve(
        self,
        host: str,
        port: int,
        *,
        task_status: trio.TaskStatus[list[tuple[str, int]]] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Listen on ``host:port`` (port 0: any free one); ``started`` gets the bound addresses."""
        if not self.socket_budget:
            self.socket_budget = socket_budget()
        if self.socket_budget < self.options.max_connections:
            log.warning(
                "the open file limit allows %d client sockets, below max_connections %d: "
                "raise LimitNOFILE (see docs/operations.md)",
                self.socket_budget,
                self.options.max_connections,
            )
        listeners = await trio.open_tcp_listeners(port, host=host)
        addresses = []
        for listener in listeners:
            sockname = listener.socket.getsockname()
            addresses.append((sockname[0], sockname[1]))
        async with trio.open_nursery() as nursery:
            for listener in listeners:
                nursery.start_soon(self._accept_loop, listener, nursery)
            task_status.started(addresses)

    async def _accept_loop(
        self, listener: trio.SocketListener, handler_nursery: trio.Nursery
    ) -> None:
        """Accept while under the socket budget; past it leave clients in the backlog.

        Stopping before the process runs out of descriptors keeps the reserve
        for the spool, the database and recordings (ctid/descriptors.py).
        """
        async with listener:
            while True:
                while self.sockets >= self.socket_budget:
                    self._socket_freed = trio.Event()
                    await self._socket_freed.wait()
                try:
                    stream = await listener.accept()
                except OSError as exc:
                    if exc.errno not in ACCEPT_CAPACITY_ERRORS:
                        raise
                    log.warning("accept failed (%s); backing off", errno.errorcode[exc.errno])
                    await trio.sleep(ACCEPT_BACKOFF)
                    continue
                self.sockets += 1
                handler_nursery.start_soon(self._serve_socket, stream)

    async def _serve_socket(self, stream: trio.SocketStream) -> None:
        try:
            context = self.tls
            if context is None:
                await self.handle_stream(stream)
            else:
                await self.handle_stream(
                    trio.SSLStream(stream, context, server_side=True, https_compatible=True)
                )
        finally:
            self.sockets -= 1
            self._socket_freed.set()
            # Whatever happened (cancelled mid-handshake at shutdown), the
            # descriptor goes back now, not when the garbage collector finds it.
            await trio.aclose_forcefully(stream)

    async def handle_stream(self, stream: trio.abc.Stream) -> None:
        """Serve one connection: one HTTP request, or a WebSocket session.

        The per-connection containment boundary (docs/design.md): a bug while
        serving this connection is logged once and drops this connection only;
        it never reaches the listener's nursery and so never the daemon's.
        """
        try:
            await self._serve_stream(stream)
        except Exception:
            log.exception("internal error serving %s; connection dropped", _peer(stream)[0])
            await trio.aclose_forcefully(stream)

    async def _serve_stream(self, stream: trio.abc.Stream) -> None:
        peer_host, peer_port = _peer(stream)
        peer = f"{peer_host}:{peer_port}" if peer_port else peer_host
        client = peer_host
        counted = False
        ws_conn: WsConnection | None = None
        trailing = b""
        route: tuple[HttpHandler | None, HttpRequest] | None = None
        try:
            conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
            # The time limit is for the request head; a route's handler may take
            # longer (a database query, a large download).
            with trio.move_on_after(HANDSHAKE_TIMEOUT):
                request = await _read_request(stream, conn)
                if request is None:
                    return
                target = request.target.decode("latin-1")
                path, _, query = target.partition("?")
                header_list = [
                    (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in request.headers
                ]
                headers = dict(header_list)
                client = client_address(peer_host, header_list, self.options.trusted_proxies)
                if client != peer_host:
                    peer = f"{client} via {peer}"
                if path == WS_PATH:
                    if headers.get("upgrade", "").lower() != "websocket":
                        await send_response(
                            stream,
                            conn,
                            HttpResponse.json(426, {"error": "use a WebSocket upgrade"}),
                        )
                        return
                    refusal = self._refusal(headers.get("origin"), client)
                    if refusal is not None:
                        log.info("refused a WebSocket from %s: %s", peer, refusal.body.decode())
                        await send_response(stream, conn, refusal)
                        return
                    # Counted from here, so handshakes in flight cannot overshoot the limits.
                    self.counter.add(client)
                    counted = True
                    trailing, _ = conn.trailing_data
                    ws_conn = await self._upgrade(stream, request, peer, client)
                    if ws_conn is None:
                        return
                else:
                    body = b""
                    limit = self.body_limits.get(path)
                    if limit is not None:
                        body_or_refusal = await _read_body(
                            stream, conn, limit, headers.get("content-length")
                        )
                        if isinstance(body_or_refusal, HttpResponse):
                            await send_response(stream, conn, body_or_refusal)
                            return
                        body = body_or_refusal
                    route = (
                        self.routes.get(path),
                        HttpRequest(
                            method=request.method.decode(),
                            path=path,
                            query=query,
                            headers=headers,
                            body=body,
                            client=client,
                            read_body=functools.partial(_read_body_within, stream, conn),
                        ),
                    )
            if route is not None:
                handler, http_request = route
                if handler is None:
                    response = HttpResponse.json(
                        404, {"error": f"no such path {http_request.path}"}
                    )
                else:
                    response = await handler(http_request)
                await send_response(stream, conn, response, head=http_request.method == "HEAD")
                return
            if ws_conn is None:
                # The client did not finish its request head in time.
                await trio.aclose_forcefully(stream)
                return
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.RemoteProtocolError) as exc:
            log.debug("connection from %s failed: %s", peer, exc)
            await trio.aclose_forcefully(stream)
            return
        finally:
            if counted and ws_conn is None:
                self.counter.remove(client)
        self.connections.add(ws_conn)
        self._idle = trio.Event()
        try:
            await ws_conn.run(trailing)
        finally:
            self.counter.remove(client)
            self.connections.discard(ws_conn)
            if not self.connections:
                self._idle.set()

    def _refusal(self, origin: str | None, client: str) -> HttpResponse | None:
        """The 403 or 503 answer to a WebSocket upgrade, or None to go on."""
        if not self.options.origins.allows(origin):
            return HttpResponse.json(
                403,
                {"error": f"origin {origin} is not allowed (see [api] allowed_origins)"},
            )
        reason = self.counter.refusal(client)
        if reason is not None:
            return HttpResponse(
                status=503,
                body=json.dumps({"error": reason}).encode(),
                headers=(("retry-after", str(RETRY_AFTER)),),
            )
        return None

    async def _upgrade(
        self, stream: trio.abc.Stream, request: h11.Request, peer: str, client: str
    ) -> WsConnection | None:
        ws = WSConnection(ConnectionType.SERVER)
        ws.initiate_upgrade_connection(list(request.headers), request.target)
        ws_request = next((e for e in ws.events() if isinstance(e, Request)), None)
        if ws_request is None:
            await trio.aclose_forcefully(stream)
            return None
        offered = ws_request.subprotocols
        chosen: str | None
        if not offered:
            chosen = None  # no subprotocol asked for: JSON
        else:
            chosen = next((p for p in offered if p in CODECS), None)
            if chosen is None:
                body = f"unsupported subprotocol; use one of {', '.join(CODECS)}".encode()
                data = ws.send(
                    RejectConnection(
                        status_code=400,
                        headers=[
                            (b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                        has_body=True,
                    )
                )
                data += ws.send(RejectData(data=body))
                await stream.send_all(data)
                await trio.aclose_forcefully(stream)
                return None
        codec = CODECS[chosen or JSON_SUBPROTOCOL](self.api.limits.input)
        await stream.send_all(ws.send(AcceptConnection(subprotocol=chosen)))
        return WsConnection(self.api, stream, ws, codec, peer, client_address=client)

    async def _healthz(self, request: HttpRequest) -> HttpResponse:
        link = self.api.calls.model.link_state.value
        checks: dict[str, Any] = {"driver": link}
        for name, check in self.api.services.get("health_checks", {}).items():
            checks[name] = check()
        healthy = link == "up" and all(
            v in ("up", "ok", True) for k, v in checks.items() if k != "driver"
        )
        cluster = self.api.services.get("cluster")
        if cluster is not None:
            # A load balancer follows the active node: a standby is never healthy.
            checks["role"] = cluster.role
            checks["node"] = cluster.node_name
            if not cluster.serving:
                checks["active"] = cluster.active_url or None
                return HttpResponse.json(503, {"status": "standby", **checks})
        return HttpResponse.json(
            200 if healthy else 503, {"status": "ok" if healthy else "degraded", **checks}
        )

    def close_all(self, code: int = 1001, reason: str = "server shutting down") -> None:
        for connection in list(self.connections):
            connection.close_soon(code, reason)

    async def wait_idle(self) -> None:
        """Return once no WebSocket connection is open."""
        await self._idle.wait()


async def _read_request(stream: trio.abc.Stream, conn: h11.Connection) -> h11.Request | None:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await stream.receive_some(MAX_HEAD)
            conn.receive_data(bytes(data))
            continue
        if isinstance(event, h11.Request):
            return event
        return None


async def _read_body(
    stream: trio.abc.Stream, conn: h11.Connection, limit: int, declared: str | None
) -> bytes | HttpResponse:
    """The request's body, or the 413 answer when it is (or says it is) over ``limit`` bytes."""
    too_large = HttpResponse.json(413, {"error": f"the body is limited to {limit} bytes"})
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await stream.receive_some(65536)
            if not data:
                return b""
            conn.receive_data(bytes(data))
            continue
        if isinstance(event, h11.Data):
            size += len(event.data)
            if size > limit:
                return too_large
            chunks.append(bytes(event.data))
            continue
        if isinstance(event, h11.EndOfMessage):
            return b"".join(chunks)
        return b""


async def _read_body_within(stream: trio.abc.Stream, conn: h11.Connection, limit: int) -> bytes:
    """The request's body, at most ``limit`` bytes and within ``BODY_TIMEOUT`` (else
    ``ValueError``): what ``HttpRequest.read_body`` does for routes that read their own."""
    chunks: list[bytes] = []
    size = 0
    with trio.move_on_after(BODY_TIMEOUT) as scope:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await stream.receive_some(64 * 1024)
                conn.receive_data(bytes(data))
                continue
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    raise ValueError(f"the body is larger than {limit} bytes")
                chunks.append(bytes(event.data))
                continue
            if isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            raise ValueError("the request ended before its body")
    assert scope.cancelled_caught
    raise ValueError(f"the body did not arrive within {BODY_TIMEOUT:g} s")


async def send_response(
    stream: trio.abc.Stream, conn: h11.Connection, response: HttpResponse, *, head: bool = False
) -> None:
    """Send ``response`` (no body to a HEAD request) and close the connection.

    A streamed body goes out chunk by chunk, so a large download holds one chunk
    in memory, not the file. If the chunks fall short of the announced length
    (the file went away meanwhile), the connection is cut: the client sees a
    truncated body, never a wrong one.
    """
    length = response.length if response.length is not None else len(response.body)
    headers = [
        ("content-type", response.content_type),
        ("content-length", str(length)),
        ("connection", "close"),
        *response.headers,
    ]
    try:
        phrase = HTTPStatus(response.status).phrase.encode()
    except ValueError:
        phrase = b""
    # A reason phrase is optional (RFC 9112 §4), but people read status lines in logs.
    data = (
        conn.send(h11.Response(status_code=response.status, headers=headers, reason=phrase)) or b""
    )
    try:
        if head:
            pass  # the length says what a GET would get; there is no body
        elif response.chunks is not None:
            await stream.send_all(data)
            data = b""
            async for chunk in response.chunks():
                await stream.send_all(conn.send(h11.Data(data=chunk)) or b"")
        else:
            data += conn.send(h11.Data(data=response.body)) or b""
        data += conn.send(h11.EndOfMessage()) or b""
    except h11.LocalProtocolError as exc:
        log.warning("cut a response short: %s", exc)
        await trio.aclose_forcefully(stream)
        return
    await stream.send_all(data)
    await stream.aclose()


def _peer(stream: trio.abc.Stream) -> tuple[str, int]:
    """The peer's host and port (port 0 when there is none, as on a memory stream)."""
    if isinstance(stream, trio.SSLStream):
        stream = stream.transport_stream
    sock = getattr(stream, "socket", None)
    if sock is None:
        return "memory", 0
    try:
        host, port = sock.getpeername()[:2]
    except OSError:
        return "unknown", 0
    return str(host), int(port)
