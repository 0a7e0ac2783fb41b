"""One WebSocket connection: reader, request processor, and batching writer.

Three tasks share the connection, all owned by its nursery:

* the **reader** turns bytes into WebSocket messages (wsproto), answers pings,
  enforces the message size limit, and hands whole messages to the processor
  through a small bounded channel (a client that floods requests is read no
  faster than they are served);
* the **processor** decodes and runs requests one at a time, in order, so a
  client sees its requests take effect in the order it sent them;
* the **writer** sends replies and the session's pending events. It writes
  everything that is waiting as one ``send_all``: many frames per system call
  is where the throughput of a busy server comes from.

The connection is a **containment boundary** (docs/design.md): each of its
tasks runs under ``_contained``, so whatever a bug lets escape while serving
this client (decoding, a method, encoding a reply or an event) is logged once
with the peer and the method and closes this connection with 1011 "internal
error". It never reaches the server's nursery, other sessions or the call
model.

A slow client never slows anyone else: events wait in its session's log, and
when more than ``max_pending`` wait the connection is closed with code 4000
and a reason. The session survives (``session.resume`` replays what was
missed). If the writer is stuck mid-write to a client that stopped reading,
the write is cancelled and the TCP connection dropped, since a half-written
frame leaves no way to send a proper close frame.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final

import trio
from wsproto import WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError

from ..bus import MonitorKind
from . import rpc
from .codec import Codec
from .context import ApiContext, RequestContext
from .dispatch import dispatch
from .rpc import RpcError
from .session import Session

__all__ = ["CLOSE_CODES", "WsConnection", "host_of"]

log = logging.getLogger(__name__)

#: Whole messages waiting for the processor.
INBOX_SIZE: Final = 16
#: Replies waiting for the writer before the client counts as not reading.
MAX_QUEUED_REPLIES: Final = 1000
#: Events encoded per write.
EVENTS_PER_WRITE: Final = 512
#: Seconds to wait for the client's answer to our close frame.
CLOSE_TIMEOUT: Final = 2.0
RECEIVE_SIZE: Final = 65536
#: Messages larger than this are decoded under the daemon-wide decode lock.
LARGE_MESSAGE: Final = 65536
#: Scheduler passes a reader sits out after each chunk while the message it is
#: assembling is past ``LARGE_MESSAGE``: a client streaming huge frames gets a
#: fraction of the loop, so small requests of other clients keep their latency.
BULK_PASSES: Final = 4
#: The close code and reason when something escapes a connection's tasks (RFC 6455).
INTERNAL_ERROR_CLOSE: Final = (1011, "internal error")

#: Close codes ctid uses (4000-4999 are for applications).
CLOSE_CODES: Final = {
    4000: "slow consumer",
    4001: "session resumed on another connection; or token expired",
    4002: "logged out",
    4003: "login timeout",
    4004: "too many failed logins",
    4005: "keep-alive timeout",
    1001: "server shutting down",
    1011: "internal error",
}


_TOO_LARGE: Final = b"<too large>"


class _Assembler:
    """Joins a WebSocket message's fragments, dropping any message over the size limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str | bytes] = []
        self.size = 0
        self.too_large = False

    def feed(self, event: TextMessage | BytesMessage) -> str | bytes | None:
        """The message once its last fragment is in, ``_TOO_LARGE``, or None (more to come)."""
        if not self.too_large:
            self.size += len(event.data)
            if self.size > self.limit:
                self.too_large = True
                self.parts.clear()
            else:
                self.parts.append(event.data if isinstance(event.data, str) else bytes(event.data))
        if not event.message_finished:
            return None
        parts, too_large = self.parts, self.too_large
        self.parts, self.size, self.too_large = [], 0, False
        if too_large:
            return _TOO_LARGE
        if isinstance(event, TextMessage):
            return "".join(p for p in parts if isinstance(p, str))
        return b"".join(p for p in parts if isinstance(p, bytes))


def host_of(peer: str) -> str:
    """The host part of ``"host:port"`` / ``"[v6]:port"`` / ``"v6:port"`` (else as is)."""
    if peer.startswith("["):
        return peer[1:].partition("]")[0]
    host, sep, port = peer.rpartition(":")
    return host if sep and port.isdigit() else peer


def data_frame(payload: bytes, *, binary: bool) -> bytes:
    """One unfragmented, unmasked server-to-client data frame (RFC 6455 §5.2).

    Built here rather than through wsproto: this is the hottest line of event
    delivery, and for a frame that is neither fragmented nor compressed the
    header is all there is to it (see docs/design.md). wsproto still does the
    handshake, parses everything the client sends, and builds control frames.
    """
    first = 0x82 if binary else 0x81
    n = len(payload)
    if n < 126:
        return bytes((first, n)) + payload
    if n < 0x10000:
        return bytes((first, 126)) + n.to_bytes(2, "big") + payload
    return bytes((first, 127)) + n.to_bytes(8, "big") + payload


class WsConnection:
    """See the module docstring."""

    def __init__(
        self,
        api: ApiContext,
        stream: trio.abc.Stream,
        ws: WSConnection,
        codec: Codec,
        peer: str,
        *,
        client_address: str | None = None,
    ) -> None:
        self.api = api
        self.stream = stream
        self.ws = ws
        self.codec = codec
        self.peer = peer
        #: The client's address, host only (behind a trusted proxy: the one it reports);
        #: what failed logins are counted against.
        self.client_address: str = client_address if client_address is not None else host_of(peer)
        self.session: Session | None = None
        self._replies: deque[bytes] = deque()
        self._control: deque[bytes] = deque()
        self._wakeup = trio.Event()
        self._close_request: tuple[int, str] | None = None
        self._peer_closed = trio.Event()
        self._peer_close: tuple[int, str] | None = None
        self._processed = trio.Event()
        self._close_sent = False
        self._scope: trio.CancelScope | None = None
        self._sending = False
        self._failed_logins = 0
        #: The method being served (for the log line if something escapes).
        self._method: str | None = None
        self._failed = False
        self._pong = trio.Event()
        self._logged_in = trio.Event()
        send, receive = trio.open_memory_channel[str | bytes](INBOX_SIZE)
        self._inbox_send = send
        self._inbox_receive = receive

    # -------------------------------------------------------------- control

    def wake(self) -> None:
        """Something to write (called by the session's event log on every push)."""
        session = self.session
        if (
            self._sending
            and session is not None
            and session.log.overflowed
            and self._close_request is None
        ):
            # The writer is blocked on a client that does not read, possibly
            # mid-frame: no close frame can follow, so drop the connection.
            self.close_soon(4000, self._slow_reason())
            log.info("dropping %s: %s", self.peer, self._close_request)
            assert self._scope is not None
            self._scope.cancel()
        self._wakeup.set()

    def close_soon(self, code: int, reason: str) -> None:
        """Close with ``code``/``reason`` after the replies already queued."""
        if self._close_request is None:
            self._close_request = (code, reason)
            if code == 4000 and self.session is not None:
                # Known at once to a client that resumes before this socket is gone.
                self.session.last_close_reason = reason
        self._wakeup.set()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a JSON-RPC notification outside the session's numbered events."""
        self._reply({"jsonrpc": "2.0", "method": method, "params": params})

    def login_failed(self) -> None:
        self._failed_logins += 1
        if self._failed_logins >= self.api.limits.max_failed_logins:
            self.close_soon(4004, "too many failed logins")

    def attach(self, session: Session) -> None:
        self.api.sessions.attach(session, self)
        self.session = session
        self._logged_in.set()
        self._wakeup.set()

    def _slow_reason(self) -> str:
        pending = self.session.log.pending if self.session else 0
        return f"slow consumer: {pending} events unread; resume to continue"

    # ------------------------------------------------------------------ run

    async def run(self, initial: bytes = b"") -> None:
        """Serve the connection until it closes; the session is detached, not ended."""
        try:
            async with trio.open_nursery() as nursery:
                self._scope = nursery.cancel_scope
                guard = self._contained
                nursery.start_soon(guard, "reader", self._reader, initial, nursery.cancel_scope)
                nursery.start_soon(guard, "processor", self._processor)
                nursery.start_soon(guard, "writer", self._writer, nursery.cancel_scope)
                nursery.start_soon(guard, "timers", self._timers)
        finally:
            session = self.session
            if session is not None:
                self.api.sessions.detach(session, self)
            with trio.move_on_after(CLOSE_TIMEOUT, shield=True) as cleanup:
                cleanup.shield = True
                await self.stream.aclose()

    async def _contained(self, part: str, task: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run one of the connection's tasks inside its containment boundary.

        An exception that escapes is a bug: it is logged once, with the peer and
        the method being served, and this connection (only) is closed with 1011.
        Cancellation is not an exception here and passes through.
        """
        try:
            await task(*args)
        except Exception:
            if not self._failed:
                self._failed = True
                log.exception(
                    "internal error on connection %s (%s, method %s); closing it with 1011",
                    self.peer,
                    part,
                    self._method or "-",
                )
            self.close_soon(*INTERNAL_ERROR_CLOSE)
            if part == "writer":
                # Nobody else writes: send the close frame here (nothing half-written
                # precedes it: a failed encode happens before the write), then stop.
                await self._send_close(*(self._close_request or INTERNAL_ERROR_CLOSE))
                assert self._scope is not None
                self._scope.cancel()

    async def _timers(self) -> None:
        limits = self.api.limits
        with trio.move_on_after(limits.login_timeout):
            await self._logged_in.wait()
        if not self._logged_in.is_set():
            self.close_soon(4003, "login timeout: call session.login first")
            return
        if limits.ping_interval <= 0:
            return
        while True:
            await trio.sleep(limits.ping_interval)
            self._pong = trio.Event()
            self._control.append(self.ws.send(Ping(payload=b"ctid")))
            self._wakeup.set()
            with trio.move_on_after(limits.ping_interval):
                await self._pong.wait()
                continue
            self.close_soon(4005, "keep-alive timeout: no pong")
            return

    # --------------------------------------------------------------- reader

    async def _reader(self, initial: bytes, scope: trio.CancelScope) -> None:
        ws = self.ws
        limit = self.api.limits.max_message_bytes
        assembler = _Assembler(limit)
        data = initial
        async with self._inbox_send:
            while True:
                if data:
                    ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, TextMessage | BytesMessage):
                        message = assembler.feed(event)
                        if message is _TOO_LARGE:
                            error = RpcError(
                                rpc.INVALID_REQUEST,
                                f"message too large: more than {limit} bytes",
                                {"limit": limit},
                            )
                            self._reply(rpc.error(None, error))
                        elif message is not None:
                            await self._inbox_send.send(message)
                    elif isinstance(event, Ping):
                        # No pong once our close frame is out: wsproto refuses it,
                        # and the peer is about to be gone anyway (RFC 6455 §5.5.1).
                        if ws.state is ConnectionState.OPEN:
                            self._control.append(ws.send(event.response()))
                            self._wakeup.set()
                    elif isinstance(event, Pong):
                        self._pong.set()
                    elif isinstance(event, CloseConnection):
                        # Requests that came before the close are still served; the
                        # writer answers the close once they are (RFC 6455 §5.5.1).
                        self._peer_close = (event.code, event.reason or "")
                        self._peer_closed.set()
                        self._wakeup.set()
                        return
                if assembler.size > LARGE_MESSAGE or assembler.too_large:
                    for _ in range(BULK_PASSES):
                        await trio.lowlevel.checkpoint()
                try:
                    data = bytes(await self.stream.receive_some(RECEIVE_SIZE))
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    data = b""
                if not data:
                    # The peer went away without a close frame.
                    scope.cancel()
                    return

    # ------------------------------------------------------------ processor

    async def _processor(self) -> None:
        try:
            await self._process()
        finally:
            self._processed.set()
            self._wakeup.set()

    async def _process(self) -> None:
        limits = self.api.limits.input
        async with self._inbox_receive:
            async for message in self._inbox_receive:
                try:
                    obj = await self._decode(message)
                except RpcError as exc:
                    self._reply(rpc.error(None, exc))
                    continue
                frame = rpc.parse_frame(obj, limits)
                replies = []
                for item in frame.items:
                    if isinstance(item, dict):
                        replies.append(item)
                        continue
                    ctx = RequestContext(api=self.api, connection=self, session=self.session)
                    self._method = item.method
                    reply = await dispatch(ctx, item)
                    self._method = None
                    if reply is not None:
                        replies.append(reply)
                if frame.batch:
                    if replies:
                        self._reply(replies)
                else:
                    for reply in replies:
                        self._reply(reply)

    async def _decode(self, message: str | bytes) -> object:
        """Decode one message; a large one waits its turn for the daemon-wide decode lock.

        Decoding is one C call that cannot be interrupted, so many clients sending
        maximum-size frames at once take turns with each other, and everyone else
        runs between two of those turns.
        """
        if len(message) <= LARGE_MESSAGE:
            return self.codec.decode(message)
        async with self.api.decode_lock:
            try:
                return self.codec.decode(message)
            finally:
                await trio.lowlevel.cancel_shielded_checkpoint()

    def _reply(self, message: object) -> None:
        try:
            encoded = self.codec.encode(message)
        except (TypeError, ValueError, OverflowError):
            log.exception(
                "could not encode the reply to %s on connection %s", self._method or "-", self.peer
            )
            encoded = self.codec.encode(
                rpc.error(None, RpcError(rpc.INTERNAL_ERROR, "internal error: reply not encodable"))
            )
        self._replies.append(encoded)
        if len(self._replies) > MAX_QUEUED_REPLIES:
            self.close_soon(4000, "slow consumer: replies unread")
        self._wakeup.set()

    # --------------------------------------------------------------- writer

    async def _writer(self, scope: trio.CancelScope) -> None:
        while True:
            if not self._has_work():
                self._wakeup = trio.Event()
                await self._wakeup.wait()
                # Let the tasks woken in this scheduler pass publish too, so that
                # under load one write carries many frames.
                await trio.lowlevel.cancel_shielded_checkpoint()
            chunks = list(self._control)
            self._control.clear()
            binary = self.codec.binary
            while self._replies:
                chunks.append(data_frame(self._replies.popleft(), binary=binary))
            if self._close_request is None and self._peer_close is None:
                session = self.session
                if session is not None:
                    if session.log.overflowed:
                        self.close_soon(4000, self._slow_reason())
                    else:
                        chunks.extend(self._encode_events(session))
            if chunks and not await self._send(b"".join(chunks)):
                scope.cancel()
                return
            if self._peer_close is not None:
                if self._processed.is_set() and not self._replies:
                    # Answer the client's close; if we were closing ourselves,
                    # our code and reason are what it must learn.
                    code, reason = self._close_request or self._peer_close
                    await self._send_close(code, reason)
                    scope.cancel()
                    return
            elif self._close_request is not None and not self._replies:
                if await self._send_close(*self._close_request):
                    with trio.move_on_after(CLOSE_TIMEOUT):
                        await self._peer_closed.wait()
                scope.cancel()
                return

    def _has_work(self) -> bool:
        if self._control or self._replies:
            return True
        # Once closing, pending events are not sent: counting them as work here
        # made the writer loop without ever yielding (a client's close frame
        # while its request was still running froze the whole daemon).
        if self._peer_close is not None:
            return self._processed.is_set()
        if self._close_request is not None:
            return True
        return self._has_events()

    def _has_events(self) -> bool:
        session = self.session
        return session is not None and session.log.sent < session.log.seq

    def _encode_events(self, session: Session) -> list[bytes]:
        encode = self.codec.encode_event
        binary = self.codec.binary
        out = []
        for seq, event, monitor, _ in session.log.take_pending(EVENTS_PER_WRITE):
            if monitor is None:
                payload = encode(event, seq, None, None)
            elif monitor.kind is MonitorKind.DEVICE:
                local = event.local_states.get(monitor.target)
                payload = encode(event, seq, monitor.cross_ref_id, local)
            else:
                payload = encode(event, seq, monitor.cross_ref_id, None)
            out.append(data_frame(payload, binary=binary))
        return out

    async def _send(self, data: bytes) -> bool:
        """Write; False if the connection is gone."""
        self._sending = True
        try:
            await self.stream.send_all(data)
            return True
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return False
        finally:
            self._sending = False

    async def _send_close(self, code: int, reason: str) -> bool:
        """Send our close frame once; False if it could not be sent."""
        if self._close_sent:
            return True
        self._close_sent = True
        try:
            data = self.ws.send(CloseConnection(code=code, reason=reason))
        except LocalProtocolError:
            return False
        with trio.move_on_after(CLOSE_TIMEOUT):
            return await self._send(data)
        return False
