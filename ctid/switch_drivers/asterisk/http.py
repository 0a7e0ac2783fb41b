"""A minimal HTTP/1.1 client for ARI: h11 over an injected trio ``Stream``.

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

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

import attrs
import h11
import trio

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

_RECEIVE_SIZE: Final = 65536


class HttpError(Exception):
    """Base of the HTTP client's errors."""


class ConnectFailed(HttpError):
    """The server could not be reached."""


class ConnectionLost(HttpError):
    """The connection broke before the whole answer arrived."""


class ProtocolFailure(HttpError):
    """The server's bytes were not valid HTTP/1.1."""


class ResponseTooLarge(HttpError):
    """The answer was larger than the client accepts."""


class RequestTimedOut(HttpError):
    """No whole answer within the request's deadline."""


@attrs.frozen
class Response:
    """One HTTP answer."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body, such as a 204)."""
        if not self.body:
            return None
        return json.loads(self.body)


def basic_auth(user: str, password: str) -> bytes:
    """The value of an ``Authorization`` header for HTTP basic authentication."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}".encode("ascii")


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


class _Connection:
    """One kept-alive connection: a stream and its h11 state."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(our_role=h11.CLIENT)

    @property
    def reusable(self) -> bool:
        return self.h11.our_state is h11.IDLE and self.h11.their_state is h11.IDLE

    async def exchange(self, head: h11.Request, body: bytes, limit: int) -> Response:
        """Send one request and read its answer; ``_Stale`` if nothing came back at all."""
        got_bytes = False
        eof = False
        try:
            data = self.h11.send(head)
            data += self.h11.send(h11.Data(data=body)) if body else b""
            data += self.h11.send(h11.EndOfMessage())
            await self.stream.send_all(data)
            status = 0
            headers: tuple[tuple[bytes, bytes], ...] = ()
            chunks: list[bytes] = []
            size = 0
            while True:
                event = self.h11.next_event()
                if event is h11.NEED_DATA:
                    raw = await self.stream.receive_some(_RECEIVE_SIZE)
                    got_bytes = got_bytes or bool(raw)
                    eof = not raw
                    self.h11.receive_data(bytes(raw))
                    continue
                if isinstance(event, h11.Response):
                    status = event.status_code
                    headers = tuple((k, v) for k, v in event.headers)
                    length = _content_length(headers)
                    if length is not None and length > limit:
                        raise ResponseTooLarge(f"answer of {length} bytes (limit {limit})")
                elif isinstance(event, h11.Data):
                    size += len(event.data)
                    if size > limit:
                        raise ResponseTooLarge(f"answer over {limit} bytes")
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
                        self.h11.start_next_cycle()
                    return Response(status=status, headers=headers, body=b"".join(chunks))
                elif isinstance(event, h11.ConnectionClosed):
                    raise _Stale() if not got_bytes else ConnectionLost("closed mid-answer")
                # InformationalResponse (1xx): keep reading for the final answer.
        except h11.RemoteProtocolError as exc:
            if not got_bytes:
                raise _Stale() from exc
            if eof:  # h11 says the answer was cut short by the close
                raise ConnectionLost(str(exc)) from exc
            raise ProtocolFailure(str(exc)) from exc
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            if not got_bytes:
                raise _Stale() from exc
            raise ConnectionLost(str(exc)) from exc


class _Stale(Exception):
    """The connection failed before any byte of an answer arrived."""


def _content_length(headers: tuple[tuple[bytes, bytes], ...]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value)
    return None


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
        self._idle: list[_Connection] = []
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
            except _Stale:
                pass  # the server closed an idle connection: one fresh try below
        conn = await self._connect()
        try:
            return await self._use(conn, head, body)
        except _Stale as exc:
            raise ConnectionLost("connection closed before any answer") from exc

    async def _use(self, conn: _Connection, head: h11.Request, body: bytes) -> Response:
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
                await _close(conn.stream)

    async def _connect(self) -> _Connection:
        try:
            stream = await self._open_stream(self._host, self._port)
        except OSError as exc:
            raise ConnectFailed(f"cannot reach {self._host}:{self._port}: {exc}") from exc
        return _Connection(stream)

    async def aclose(self) -> None:
        """Close every idle connection; later requests fail with ``ConnectFailed``."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await _close(conn.stream)


async def _close(stream: trio.abc.Stream) -> None:
    with trio.CancelScope(shield=True):
        await trio.aclose_forcefully(stream)
