"""A minimal HTTP/1.1 client for ARI: h11 (``ctid.http1``) over an injected trio ``Stream``.

ARI's REST side needs very little of HTTP: short JSON requests and answers,
basic authentication and keep-alive. This client does exactly that over
streams from an ``open_stream(host, port)`` callable, so tests run the real
protocol bytes over ``trio.testing.memory_stream_pair`` against the fake
Asterisk, on trio's mock clock.

* Connections are kept alive and reused, at most ``max_connections`` at once;
  a caller waits for a free one. A request is never pipelined.
* A reused connection that the server had already closed (a keep-alive
  race) is retried once on a fresh connection, and only when no byte of the
  answer had arrived.
* Answers larger than ``max_response_size`` are refused, and every request
  has a deadline (``timeout`` seconds on the trio clock).

Errors are one small tree under ``HttpError``. Status codes are not errors
here: the caller gets every ``Response`` and decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import h11
import trio

from ctid.http1 import (
    ConnectFailed,
    Connection,
    ConnectionLost,
    HttpError,
    ProtocolFailure,
    RequestTimedOut,
    Response,
    ResponseTooLarge,
    Stale,
    basic_auth,
    close_stream,
)
from ctid.switch_drivers.asterisk.rest import AriRequest

__all__ = [
    "ConnectFailed",
    "ConnectionLost",
    "HttpClient",
    "HttpError",
    "OpenStream",
    "ProtocolFailure",
    "RequestTimedOut",
    "Response",
    "ResponseTooLarge",
    "basic_auth",
    "build_request",
]

#: ``open_stream(host, port)``: connect and return a byte stream (``trio.open_tcp_stream``).
OpenStream = Callable[[str, int], Awaitable[trio.abc.Stream]]


def build_request(
    request: AriRequest, *, host: str, authorization: bytes, root: str = "/ari"
) -> tuple[h11.Request, bytes]:
    """The h11 request head and body bytes for ``request`` (sans-IO)."""
    body = request.body_bytes()
    headers = [
        (b"Host", host.encode("idna")),
        (b"Authorization", authorization),
        (b"Accept", b"application/json"),
        (b"Content-Length", str(len(body)).encode("ascii")),
    ]
    if body:
        headers.append((b"Content-Type", b"application/json"))
    head = h11.Request(
        method=request.method, target=request.target(root).encode("ascii"), headers=headers
    )
    return head, body


class HttpClient:
    """Send ``AriRequest``s to one ARI server over kept-alive connections."""

    def __init__(
        self,
        *,
        open_stream: OpenStream,
        host: str,
        port: int,
        user: str,
        password: str,
        root: str = "/ari",
        max_connections: int = 4,
        max_response_size: int = 8 << 20,
        timeout: float = 10.0,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._open_stream = open_stream
        self._host = host
        self._port = port
        self._authorization = basic_auth(user, password)
        self._root = root
        self._limit = max_response_size
        self._timeout = timeout
        self._slots = trio.Semaphore(max_connections)
        self._idle: list[Connection] = []
        self._closed = False

    async def request(self, request: AriRequest) -> Response:
        """Send ``request`` and return the answer, whatever its status."""
        if self._closed:
            raise ConnectFailed("client is closed")
        head, body = build_request(
            request,
            host=f"{self._host}:{self._port}",
            authorization=self._authorization,
            root=self._root,
        )
        async with self._slots:
            try:
                with trio.fail_after(self._timeout):
                    return await self._send(head, body)
            except trio.TooSlowError as exc:
                raise RequestTimedOut(
                    f"{request.method} {request.path}: no answer in {self._timeout} s"
                ) from exc

    async def _send(self, head: h11.Request, body: bytes) -> Response:
        conn = self._idle.pop() if self._idle else None
        if conn is not None:
            try:
                return await self._use(conn, head, body)
            except Stale:
                pass  # the server closed an idle connection: one fresh try below
        conn = await self._connect()
        try:
            return await self._use(conn, head, body)
        except Stale as exc:
            raise ConnectionLost("connection closed before any answer") from exc

    async def _use(self, conn: Connection, head: h11.Request, body: bytes) -> Response:
        keep = False
        try:
            response = await conn.exchange(head, body, self._limit)
            keep = conn.reusable and not self._closed
            return response
        finally:
            # A connection left mid-exchange (error or cancellation) is in an
            # unknown state: close it rather than reuse it.
            if keep:
                self._idle.append(conn)
            else:
                await close_stream(conn.stream)

    async def _connect(self) -> Connection:
        try:
            stream = await self._open_stream(self._host, self._port)
        except OSError as exc:
            raise ConnectFailed(f"cannot reach {self._host}:{self._port}: {exc}") from exc
        return Connection(stream)

    async def aclose(self) -> None:
        """Close every idle connection; later requests fail with ``ConnectFailed``."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await close_stream(conn.stream)
