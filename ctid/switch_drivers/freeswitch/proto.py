"""``EslConnection``: the sans-IO client side of the FreeSWITCH event socket.

Shaped like h11: no sockets, no trio, no clock. Feed it what the socket gave
with ``receive_data`` (``None`` for EOF), take parsed messages out with
``next_event`` until it returns ``NEED_DATA``, and write what the ``send_*``
methods return::

    conn = EslConnection()
    conn.receive_data(b"Content-Type: auth/request\\n\\n")
    conn.next_event()                 # AuthRequest()
    sock.send(conn.send_auth("ClueCon"))

The server answers commands one at a time and in order, so the core keeps the
list of commands still waiting for their reply: a reply with nothing waiting is
a protocol error, and ``pending_replies`` tells the shell how many are in flight.

States: ``AWAIT_AUTH_REQUEST`` -> (``auth/request``) ``AUTH_REQUESTED`` ->
(``send_auth``) ``AUTHENTICATING`` -> (``+OK accepted``) ``READY``;
``-ERR invalid`` leads to ``AUTH_REJECTED``. ``send_exit`` leads to ``EXITING``;
EOF to ``CLOSED``. Any protocol error leads to ``ERROR``, after which every
call raises. A bad *argument* to a ``send_*`` method (a newline in it) raises
``LocalProtocolError`` but changes nothing, as nothing was produced.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable
from typing import Final, Literal, NoReturn

from . import commands
from .errors import EslProtocolError, LocalProtocolError, RemoteProtocolError
from .frames import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    ConnectionClosed,
    DisconnectNotice,
    Frame,
    RudeRejection,
    parse_frame,
)
from .framing import DEFAULT_MAX_FRAME_SIZE, FrameReader

__all__ = ["NEED_DATA", "ConnState", "EslConnection", "NeedData"]


class NeedData(enum.Enum):
    """The type of the ``NEED_DATA`` sentinel."""

    NEED_DATA = "NEED_DATA"


#: Returned by ``next_event`` when more bytes must be received first.
NEED_DATA: Final = NeedData.NEED_DATA


class ConnState(enum.Enum):
    """Where the connection stands."""

    AWAIT_AUTH_REQUEST = "awaitAuthRequest"
    AUTH_REQUESTED = "authRequested"
    AUTHENTICATING = "authenticating"
    READY = "ready"
    AUTH_REJECTED = "authRejected"
    EXITING = "exiting"
    CLOSED = "closed"
    ERROR = "error"


class _Expect(enum.Enum):
    AUTH = "auth"
    API = "api"
    COMMAND = "command"


class EslConnection:
    """The client side of one event-socket connection (inbound mode)."""

    def __init__(self, *, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self._reader = FrameReader(max_frame_size=max_frame_size)
        self._state = ConnState.AWAIT_AUTH_REQUEST
        self._pending: deque[_Expect] = deque()
        self._eof = False
        self._error_class: type[EslProtocolError] | None = None
        self._disconnect_notice = False

    # ------------------------------------------------------------ inspection

    @property
    def state(self) -> ConnState:
        """The connection's state; see the module docstring."""
        return self._state

    @property
    def pending_replies(self) -> int:
        """How many sent commands still wait for their reply."""
        return len(self._pending)

    @property
    def buffered_size(self) -> int:
        """Received bytes not yet returned as a frame (at most ``max_frame_size``
        after ``next_event`` returned ``NEED_DATA``)."""
        return self._reader.buffered_size

    @property
    def disconnect_notice_received(self) -> bool:
        """True once the server announced that it will close."""
        return self._disconnect_notice

    # --------------------------------------------------------------- receive

    def receive_data(self, data: bytes | None) -> None:
        """Feed bytes read from the socket; ``None`` or ``b""`` means EOF."""
        self._check_alive(RemoteProtocolError)
        if self._eof:
            self._fail(LocalProtocolError("receive_data after EOF"))
        if not data:
            self._eof = True
            return
        self._reader.feed(data)

    def next_event(self) -> Frame | Literal[NeedData.NEED_DATA]:
        """The next message from the server, ``NEED_DATA``, or ``ConnectionClosed`` at EOF."""
        self._check_alive(RemoteProtocolError)
        try:
            raw = self._reader.next_frame()
            if raw is None:
                if not self._eof:
                    return NEED_DATA
                if self._reader.buffered_size:
                    raise RemoteProtocolError(
                        f"connection closed inside a frame ({self._reader.buffered_size} bytes)"
                    )
                self._state = ConnState.CLOSED
                self._pending.clear()
                return ConnectionClosed()
            frame = parse_frame(raw)
            self._after_receive(frame)
        except EslProtocolError as exc:
            self._fail(exc)
        return frame

    def _after_receive(self, frame: Frame) -> None:
        if isinstance(frame, AuthRequest):
            if self._state is not ConnState.AWAIT_AUTH_REQUEST:
                raise RemoteProtocolError(f"auth/request in state {self._state.value}")
            self._state = ConnState.AUTH_REQUESTED
        elif isinstance(frame, CommandReply | ApiResponse):
            if not self._pending:
                raise RemoteProtocolError("a reply arrived but no command is waiting for one")
            expected = self._pending.popleft()
            if isinstance(frame, ApiResponse) and expected is not _Expect.API:
                raise RemoteProtocolError("api/response to a command that was not api")
            if expected is _Expect.AUTH:
                assert isinstance(frame, CommandReply)
                accepted = frame.ok
                if self._state is ConnState.AUTHENTICATING:
                    self._state = ConnState.READY if accepted else ConnState.AUTH_REJECTED
        elif isinstance(frame, DisconnectNotice | RudeRejection):
            self._disconnect_notice = True

    # ------------------------------------------------------------------ send

    def _send(self, data: bytes, expect: _Expect) -> bytes:
        self._check_alive(LocalProtocolError)
        if self._state in (ConnState.EXITING, ConnState.CLOSED):
            self._fail(LocalProtocolError(f"cannot send in state {self._state.value}"))
        self._pending.append(expect)
        return data

    def send_auth(self, password: str) -> bytes:
        """``auth``; only right after the server's ``auth/request``."""
        data = commands.auth(password)
        self._check_alive(LocalProtocolError)
        if self._state is not ConnState.AUTH_REQUESTED:
            self._fail(LocalProtocolError(f"cannot send auth in state {self._state.value}"))
        self._state = ConnState.AUTHENTICATING
        return self._send(data, _Expect.AUTH)

    def send_event(
        self, names: Iterable[str], *, custom: Iterable[str] = (), format: str = "json"
    ) -> bytes:
        """``event <format> NAMES... [CUSTOM subclasses...]``."""
        return self._send(commands.event(names, custom=custom, format=format), _Expect.COMMAND)

    def send_nixevent(self, names: Iterable[str], *, custom: Iterable[str] = ()) -> bytes:
        """``nixevent NAMES...``."""
        return self._send(commands.nixevent(names, custom=custom), _Expect.COMMAND)

    def send_noevents(self) -> bytes:
        """``noevents``."""
        return self._send(commands.noevents(), _Expect.COMMAND)

    def send_filter(self, header: str, value: str) -> bytes:
        """``filter <Header> <value>``."""
        return self._send(commands.filter_add(header, value), _Expect.COMMAND)

    def send_filter_delete(self, header: str, value: str | None = None) -> bytes:
        """``filter delete <Header> [<value>]``."""
        return self._send(commands.filter_delete(header, value), _Expect.COMMAND)

    def send_api(self, command: str, args: str = "") -> bytes:
        """``api``: answered by an ``ApiResponse``; nothing else arrives meanwhile."""
        data = commands.api(command, args)
        # Before authentication FreeSWITCH answers every command, api included,
        # with a command/reply "-ERR command not found".
        authed = self._state in (ConnState.AUTHENTICATING, ConnState.READY)
        return self._send(data, _Expect.API if authed else _Expect.COMMAND)

    def send_bgapi(self, command: str, args: str = "", *, job_uuid: str | None) -> bytes:
        """``bgapi`` with a client-chosen ``Job-UUID``: answered by a ``CommandReply`` at
        once, and later by a ``BACKGROUND_JOB`` event with that Job-UUID."""
        return self._send(commands.bgapi(command, args, job_uuid=job_uuid), _Expect.COMMAND)

    def send_execute(
        self,
        uuid: str,
        app: str,
        arg: str = "",
        *,
        event_uuid: str | None = None,
        loops: int | None = None,
        event_lock: bool = False,
    ) -> bytes:
        """``sendmsg`` ``execute``: run ``app(arg)`` on channel ``uuid``."""
        data = commands.sendmsg_execute(
            uuid, app, arg, event_uuid=event_uuid, loops=loops, event_lock=event_lock
        )
        return self._send(data, _Expect.COMMAND)

    def send_hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> bytes:
        """``sendmsg`` ``hangup``."""
        return self._send(commands.sendmsg_hangup(uuid, cause), _Expect.COMMAND)

    def send_command(
        self, line: str, headers: Iterable[tuple[str, str]] = (), body: bytes = b""
    ) -> bytes:
        """Any other command (``log``, ``myevents``, ``sendevent``...), answered by a
        ``CommandReply``. Use ``send_api`` for ``api``: its reply differs."""
        if line.split(" ", 1)[0] in ("api", "auth", "exit"):
            raise LocalProtocolError(f"use the dedicated method for {line.split(' ', 1)[0]!r}")
        return self._send(commands.raw_command(line, headers, body), _Expect.COMMAND)

    def send_exit(self) -> bytes:
        """``exit``; afterwards nothing more may be sent."""
        data = self._send(commands.exit_command(), _Expect.COMMAND)
        self._state = ConnState.EXITING
        return data

    # ---------------------------------------------------------------- errors

    def _check_alive(self, default: type[EslProtocolError]) -> None:
        if self._error_class is not None:
            cls = self._error_class if default is RemoteProtocolError else LocalProtocolError
            raise cls("the connection is in its ERROR state after an earlier protocol error")

    def _fail(self, exc: EslProtocolError) -> NoReturn:
        self._state = ConnState.ERROR
        self._error_class = type(exc)
        raise exc
