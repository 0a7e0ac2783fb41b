"""One live event-socket connection: the I/O around ``EslConnection``.

``EslLink`` owns the stream while it is connected: a reader task turns bytes
into frames, hands each reply to the command that is waiting for it (replies
come in the order the commands were sent) and each event to ``on_event``.
Commands are sent under a lock so that the order of the waiters is the order
on the wire. When the connection ends, every waiter fails with
``DriverUnavailable``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

import attrs
import trio

from ..base import DriverUnavailable
from .errors import EslProtocolError
from .frames import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    ConnectionClosed,
    DisconnectNotice,
    EslEvent,
    Frame,
    RudeRejection,
)
from .proto import NEED_DATA, EslConnection

__all__ = ["AuthRefused", "EslLink", "LinkLost"]

#: Bytes asked of the stream per read; with the frame limit it bounds our buffer.
READ_SIZE: Final = 65536


class LinkLost(Exception):
    """The connection ended; ``str()`` says how."""


class AuthRefused(LinkLost):
    """FreeSWITCH refused the password (``-ERR invalid``): a configuration error."""


@attrs.define
class _Waiter:
    done: trio.Event = attrs.field(factory=trio.Event)
    reply: CommandReply | ApiResponse | None = None
    error: str | None = None
    #: Called by the reader as the reply arrives, before any later frame.
    on_reply: Callable[[], None] | None = None


class EslLink:
    """An authenticated ESL connection; see the module docstring."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        *,
        max_frame_size: int,
        on_event: Callable[[EslEvent], Awaitable[None]],
    ) -> None:
        self._stream = stream
        self._conn = EslConnection(max_frame_size=max_frame_size)
        self._on_event = on_event
        self._waiters: deque[_Waiter] = deque()
        self._send_lock = trio.Lock()
        self._closed: str | None = None

    # ------------------------------------------------------------ set-up

    async def _next_frame(self) -> Frame:
        while True:
            frame = self._conn.next_event()
            if frame is not NEED_DATA:
                return frame
            data = await self._stream.receive_some(READ_SIZE)
            self._conn.receive_data(bytes(data) if data else None)

    async def authenticate(self, password: str) -> None:
        """Wait for ``auth/request`` and log in; raises ``AuthRefused`` if refused."""
        frame = await self._next_frame()
        if not isinstance(frame, AuthRequest):
            raise LinkLost(f"expected auth/request, got {type(frame).__name__}")
        await self._stream.send_all(self._conn.send_auth(password))
        frame = await self._next_frame()
        if not isinstance(frame, CommandReply) or not frame.ok:
            text = frame.reply_text if isinstance(frame, CommandReply) else type(frame).__name__
            raise AuthRefused(f"authentication refused: {text}")

    # ------------------------------------------------------------ commands

    async def request(
        self, build: Callable[[EslConnection], bytes], on_reply: Callable[[], None] | None = None
    ) -> CommandReply | ApiResponse:
        """Send one command (``build`` makes its bytes) and wait for its reply."""
        if self._closed is not None:
            raise DriverUnavailable(self._closed)
        waiter = _Waiter(on_reply=on_reply)
        async with self._send_lock:
            data = build(self._conn)
            self._waiters.append(waiter)
            try:
                await self._stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                self._fail_all(f"send failed: {exc!r}")
        await waiter.done.wait()
        if waiter.reply is None:
            raise DriverUnavailable(waiter.error or "connection lost")
        return waiter.reply

    # -------------------------------------------------------------- reader

    async def read_forever(self) -> None:
        """Dispatch frames until the connection ends; then raise ``LinkLost``."""
        reason = "connection closed"
        try:
            while True:
                frame = await self._next_frame()
                if isinstance(frame, CommandReply | ApiResponse):
                    waiter = self._waiters.popleft()
                    waiter.reply = frame
                    if waiter.on_reply is not None:
                        waiter.on_reply()
                    waiter.done.set()
                elif isinstance(frame, EslEvent):
                    await self._on_event(frame)
                elif isinstance(frame, DisconnectNotice | RudeRejection):
                    reason = f"switch said: {frame.text.strip()}"
                elif isinstance(frame, ConnectionClosed):
                    break
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            reason = f"connection broken: {exc!r}"
        except EslProtocolError as exc:
            reason = f"protocol error: {exc}"
        self._fail_all(reason)
        raise LinkLost(reason)

    def _fail_all(self, reason: str) -> None:
        self._closed = self._closed or reason
        while self._waiters:
            waiter = self._waiters.popleft()
            waiter.error = reason
            waiter.done.set()

    async def aclose(self) -> None:
        """Close the stream and fail what still waits."""
        self._fail_all("driver stopped")
        await trio.aclose_forcefully(self._stream)
