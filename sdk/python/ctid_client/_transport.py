"""A WebSocket client connection: wsproto (sans-IO) over an anyio byte stream.

This is the only module that reads or writes the network. It works on
asyncio and trio alike because it only uses anyio. How the byte stream is
opened is a seam (``StreamConnector``): the default opens TCP, with TLS for
``wss://``; tests and proxies pass their own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ssl
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlsplit

import anyio
import anyio.abc
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from ._errors import CloseCode, ConnectionClosed, ProtocolError

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "Endpoint",
    "StreamConnector",
    "TcpConnector",
    "WebSocket",
    "open_websocket",
    "parse_url",
]

RECEIVE_SIZE: Final = 65536
#: Largest message accepted from the server (a big snapshot fits many times over).
DEFAULT_MAX_MESSAGE_SIZE: Final = 64 * 1024 * 1024


@dataclasses.dataclass(frozen=True, kw_only=True)
class Endpoint:
    """Where a ``ws://`` or ``wss://`` URL points."""

    host: str
    port: int
    tls: bool
    #: The request target: path and query, e.g. ``/v1``.
    target: str
    #: The ``Host`` header value.
    host_header: str


def parse_url(url: str) -> Endpoint:
    """Split a ``ws://HOST:PORT/PATH`` (or ``wss://``) URL; ``ValueError`` if it is not one."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"expected a ws:// or wss:// URL, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    tls = parts.scheme == "wss"
    default_port = 443 if tls else 80
    port = parts.port or default_port
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Endpoint(
        host=host,
        port=port,
        tls=tls,
        target=target,
        host_header=shown if port == default_port else f"{shown}:{port}",
    )


#: Opens the byte stream to an endpoint (TCP, TLS, a proxy, or memory streams in tests).
StreamConnector = Callable[[Endpoint], Awaitable[anyio.abc.ByteStream]]


class TcpConnector:
    """The default ``StreamConnector``: TCP, and TLS for ``wss://`` (with ``ssl_context``)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context

    async def __call__(self, endpoint: Endpoint) -> anyio.abc.ByteStream:
        if endpoint.tls:
            return await anyio.connect_tcp(
                endpoint.host,
                endpoint.port,
                tls=True,
                ssl_context=self.ssl_context or ssl.create_default_context(),
                tls_hostname=endpoint.host,
            )
        return await anyio.connect_tcp(endpoint.host, endpoint.port)


class WebSocket:
    """One open WebSocket connection.

    ``receive`` must be called by one task at a time (the client's reader);
    ``send`` may be called from many. Pings from the server are answered
    inside ``receive``.
    """

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        ws: WSConnection,
        subprotocol: str,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        self.stream = stream
        self.subprotocol = subprotocol
        self.max_message_size = max_message_size
        self._ws = ws
        self._send_lock = anyio.Lock()
        self._parts: list[str | bytes] = []
        self._size = 0
        self._closed: ConnectionClosed | None = None

    async def _write(self, data: bytes) -> None:
        try:
            await self.stream.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise ConnectionClosed(CloseCode.ABNORMAL, f"connection lost: {exc!r}") from exc

    async def send(self, data: str | bytes) -> None:
        """Send one message (text for ``str``, binary for ``bytes``)."""
        message = TextMessage(data=data) if isinstance(data, str) else BytesMessage(data=data)
        async with self._send_lock:
            if self._closed is not None:
                raise self._closed
            try:
                frame = self._ws.send(message)
            except LocalProtocolError:
                raise ConnectionClosed(CloseCode.ABNORMAL, "the connection is closing") from None
            await self._write(frame)

    async def receive(self) -> str | bytes:
        """The next whole message; raises ``ConnectionClosed`` once the connection has ended."""
        while True:
            self._raise_if_closed()
            for event in self._ws.events():
                message = await self._handle(event)
                if message is not None:
                    return message
                # A close frame or an oversized message ends the connection mid-batch.
                self._raise_if_closed()
            try:
                data = await self.stream.receive(RECEIVE_SIZE)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                data = b""
            except OSError as exc:
                self._closed = ConnectionClosed(CloseCode.ABNORMAL, f"connection lost: {exc!r}")
                continue
            if not data:
                self._closed = ConnectionClosed(CloseCode.ABNORMAL, "connection lost")
                continue
            try:
                self._ws.receive_data(data)
            except RemoteProtocolError as exc:
                self._closed = ConnectionClosed(CloseCode.ABNORMAL, f"bad WebSocket data: {exc}")

    def _raise_if_closed(self) -> None:
        if self._closed is not None:
            raise self._closed

    async def _handle(self, event: object) -> str | bytes | None:
        if isinstance(event, TextMessage | BytesMessage):
            self._size += len(event.data)
            if self._size > self.max_message_size:
                await self.close(1009, "message too big")
                self._closed = ConnectionClosed(1009, "a message from the server was too big")
                return None
            self._parts.append(event.data if isinstance(event.data, str) else bytes(event.data))
            if not event.message_finished:
                return None
            parts, self._parts, self._size = self._parts, [], 0
            if isinstance(event, TextMessage):
                return "".join(p for p in parts if isinstance(p, str))
            return b"".join(p for p in parts if isinstance(p, bytes))
        if isinstance(event, Ping):
            async with self._send_lock:
                if self._closed is None:
                    await self._write(self._ws.send(event.response()))
        elif isinstance(event, CloseConnection):
            async with self._send_lock:
                if self._ws.state is ConnectionState.REMOTE_CLOSING:
                    # The server closed first: answer its close frame, as the protocol asks.
                    with contextlib.suppress(ConnectionClosed):
                        await self._write(self._ws.send(event.response()))
                self._closed = ConnectionClosed(event.code, event.reason or "")
        return None

    async def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Send a close frame (if still possible); the server's answer ends ``receive``."""
        async with self._send_lock:
            if self._closed is not None:
                return
            try:
                data = self._ws.send(CloseConnection(code=code, reason=reason))
            except LocalProtocolError:
                return
            try:
                await self._write(data)
            except ConnectionClosed as exc:
                self._closed = exc

    async def aclose(self) -> None:
        """Close the byte stream at once (no close handshake)."""
        if self._closed is None:
            self._closed = ConnectionClosed(CloseCode.ABNORMAL, "closed by the client")
        await self.stream.aclose()


async def open_websocket(
    stream: anyio.abc.ByteStream,
    endpoint: Endpoint,
    subprotocol: str,
    *,
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
) -> WebSocket:
    """Do the opening handshake on ``stream``, asking for ``subprotocol``.

    Raises ``ProtocolError`` if the server refuses the upgrade or picks another
    subprotocol, ``ConnectionClosed`` if the connection drops meanwhile.
    """
    ws = WSConnection(ConnectionType.CLIENT)
    data = ws.send(
        Request(host=endpoint.host_header, target=endpoint.target, subprotocols=[subprotocol])
    )
    socket = WebSocket(stream, ws, subprotocol, max_message_size=max_message_size)
    await socket._write(data)
    status: int | None = None
    body = b""
    while True:
        try:
            chunk = await stream.receive(RECEIVE_SIZE)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            chunk = b""
        if not chunk:
            if status is not None:
                raise _refused(status, body)
            raise ConnectionClosed(CloseCode.ABNORMAL, "connection lost during the handshake")
        try:
            ws.receive_data(chunk)
        except RemoteProtocolError as exc:
            raise ProtocolError(f"bad WebSocket handshake from the server: {exc}") from exc
        for event in ws.events():
            if isinstance(event, AcceptConnection):
                if event.subprotocol != subprotocol:
                    raise ProtocolError(
                        f"the server chose subprotocol {event.subprotocol!r}, not {subprotocol!r}"
                    )
                return socket
            if isinstance(event, RejectConnection):
                status = event.status_code
                if not event.has_body:
                    raise _refused(status, body)
            elif isinstance(event, RejectData):
                body += bytes(event.data)
                if event.body_finished:
                    raise _refused(status, body)


def _refused(status: int | None, body: bytes) -> ProtocolError:
    text = body[:200].decode("utf-8", "replace").strip()
    return ProtocolError(
        f"the server refused the WebSocket upgrade (HTTP {status})" + (f": {text}" if text else "")
    )
