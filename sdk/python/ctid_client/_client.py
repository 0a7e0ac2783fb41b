"""The async client: one implementation for asyncio and trio (through anyio).

``async with Client(url, token=...) as client`` connects, logs in, and starts
two kinds of task in the client's task group: a *supervisor* that owns the
connection (opens it, logs in or resumes, reconnects with backoff) and, per
socket, a *reader* that feeds the sans-IO core (``_protocol``) and acts on
what comes out: replies wake their requests, events go to the ``EventHub``.

Reconnecting (see README "Reconnect semantics"): after a lost socket the
client resumes its session with ``session.resume`` and receives every event
it missed, with the original seq. If the session is gone or the events left
the replay window, it logs in again, starts the application's monitors
again, and publishes ``SessionRestarted`` before any event of the new
session. It never reconnects after close codes 4001, 4002 or 4004.

With a *token provider* (a callback returning a fresh token, e.g. a signed
JWT from the CRM) instead of a fixed token, the client asks it for a token
at every login and resume, refreshes the session's token when the server
sends ``session.expiring``, and after close 4001 ``token expired`` or a
refused stale token it fetches a fresh token and logs in again.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import ssl
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType, TracebackType
from typing import Any, Final, TypeVar

import anyio
import anyio.abc

from . import _http
from ._backoff import ReconnectPolicy
from ._calls import Call
from ._codec import CodecName, make_codec
from ._errors import (
    AuthenticationError,
    CloseCode,
    ConnectionClosed,
    CtidError,
    NotActive,
    ProtocolError,
    RequestTimeout,
    RpcError,
    SessionLost,
)
from ._events import Event, SessionRestarted
from ._failover import Endpoints, snapshot_request
from ._fax import FaxDocument
from ._groups import unwrap
from ._protocol import (
    ClientProtocol,
    ErrorReply,
    EventReceived,
    Incoming,
    Params,
    ProtocolViolation,
    Reply,
    SeqAnomaly,
    UnmatchedReply,
)
from ._services import AsyncInvoker, Services
from ._state import BatchOutcome, ClientStatistics, ConnectionState, Counters, Waiter
from ._subscriptions import (
    DEFAULT_EVENT_BUFFER,
    EventCallback,
    EventHub,
    EventStream,
    RestartCallback,
)
from ._transport import (
    DEFAULT_MAX_MESSAGE_SIZE,
    StreamConnector,
    TcpConnector,
    WebSocket,
    open_websocket,
)
from ._values import SessionInfo

__all__ = ["Client", "TokenProvider"]

log = logging.getLogger("ctid_client")

R = TypeVar("R")

#: Seconds ``aclose`` waits for the server to confirm the logout.
CLOSE_TIMEOUT: Final = 2.0
DEFAULT_RECONNECT: Final = ReconnectPolicy()

#: Returns a fresh token (e.g. a JWT from the CRM's backend), or an awaitable of one.
TokenProvider = Callable[[], "str | Awaitable[str]"]


class _Retry(Exception):
    """This connection attempt failed in a way worth retrying; ``error`` says how.

    ``immediate``: a standby named the active node, which is worth trying at once.
    """

    def __init__(self, error: CtidError, *, immediate: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.immediate = immediate


class Client(Services, AsyncInvoker):
    """An async client of a ctid server; runs under asyncio and trio.

    Use it as ``async with Client(url, token=...) as client:``. Entering
    connects and logs in (raising ``AuthenticationError``, ``ConnectionClosed``
    or ``RequestTimeout`` if that fails); leaving logs out and closes. The
    typed methods (``make_call``, ``monitor_start``, ...) and ``call`` raise
    ``RpcError`` subclasses for the server's errors, ``RequestTimeout`` after
    ``timeout`` (default ``request_timeout``) seconds, and ``ConnectionClosed``
    when the connection closed before the reply (the outcome is then unknown).

    Exceptions leave ``async with`` unwrapped: never as an ``ExceptionGroup``
    unless two unrelated failures happened at once (see ``_groups``).
    """

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        codec: CodecName = "json",
        request_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        reconnect: ReconnectPolicy | None = DEFAULT_RECONNECT,
        event_buffer: int = DEFAULT_EVENT_BUFFER,
        ssl_context: ssl.SSLContext | None = None,
        connector: StreamConnector | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        """Describe a client; nothing happens until ``async with``.

        ``url`` is one server's URL or, for a hot-standby cluster, several:
        the client tries them in turn and follows a standby's ``NotActive`` to
        the active node (see ``_failover``).

        ``codec`` is ``"json"`` or ``"msgpack"`` (needs the ``msgpack`` extra).
        ``reconnect=None`` turns reconnecting off: a lost connection then
        closes the client. ``event_buffer`` is the default ``maxsize`` of
        ``events()`` streams. ``connector`` opens the byte stream (default:
        TCP, with TLS and ``ssl_context`` for ``wss://``).

        Give ``token``, or ``token_provider``: a callable (plain or async)
        returning a fresh token, called at every login and resume and when the
        session's signed token is about to expire (see the module docstring).
        """
        if (token is None) == (token_provider is None):
            raise ValueError("give exactly one of token and token_provider")
        self._endpoints = Endpoints([url] if isinstance(url, str) else url)
        self._token = token or ""
        self._token_provider = token_provider
        self._refreshing = False
        self._core = ClientProtocol(make_codec(codec))
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.reconnect = reconnect
        self.event_buffer = event_buffer
        self._connector: StreamConnector = connector or TcpConnector(ssl_context)
        self._max_message_size = max_message_size
        self._hub = EventHub()
        self._waiters: dict[int, Waiter] = {}
        self._counters = Counters()
        self._state = ConnectionState.CONNECTING
        self._socket: WebSocket | None = None
        self._session: SessionInfo | None = None
        self._terminal: BaseException | None = None
        #: Set once the application closes or logs out: what requests raise afterwards.
        self._closing: ConnectionClosed | None = None
        self._changed = anyio.Event()
        self._finished = anyio.Event()
        #: The application's monitors: cross-ref id -> MonitorStart params, in start order.
        self._monitors: dict[str, dict[str, Any]] = {}
        #: Events held back while a restarted session's monitors are set up again.
        self._held: list[Event] | None = None
        #: Set while a session restart is owed to the application (old session, last seq, why).
        self._restart_from: tuple[SessionInfo, int, SessionLost] | None = None
        self._tg: anyio.abc.TaskGroup | None = None

    # ----------------------------------------------------------- public state

    @property
    def url(self) -> str:
        """The server URL in use (or tried next)."""
        return self._endpoints.current

    async def fax_upload(self, data: bytes, *, name: str | None = None) -> FaxDocument:
        """Upload a PDF or TIFF to fax (``POST /fax/documents``); raises ``HttpError``
        (a ``ProtocolError``) with the server's reason if it is refused."""
        target = "/fax/documents" + (f"?name={urllib.parse.quote(name, safe='')}" if name else "")
        _, _, body = await _http.request(
            self._connector,
            self._endpoints.endpoint,
            "POST",
            target,
            token=await self._fresh_token(),
            body=data,
            content_type="application/pdf" if data.startswith(b"%PDF-") else "image/tiff",
        )
        return FaxDocument.from_wire(json.loads(body), "POST /fax/documents")

    async def fax_download(
        self, fax_id: str | None = None, *, document: str | None = None, format: str = "tiff"
    ) -> bytes:
        """A fax's image (``fax_id``) or a document (id or name) as ``tiff`` or ``pdf``."""
        if (fax_id is None) == (document is None):
            raise ValueError("give exactly one of fax_id and document")
        if format not in ("tiff", "pdf"):
            raise ValueError("format: tiff or pdf")
        key, value = ("id", fax_id) if fax_id is not None else ("document", document)
        query = urllib.parse.urlencode({key: value, "format": format})
        _, _, body = await _http.request(
            self._connector,
            self._endpoints.endpoint,
            "GET",
            f"/fax/download?{query}",
            token=await self._fresh_token(),
        )
        return body

    @property
    def urls(self) -> tuple[str, ...]:
        """Every server URL the client was given."""
        return self._endpoints.urls

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def session(self) -> SessionInfo | None:
        """The current session (it changes when the client has to log in again)."""
        return self._session

    @property
    def monitors(self) -> Mapping[str, Mapping[str, Any]]:
        """The monitors the application started and has not stopped: cross-ref id -> params."""
        return MappingProxyType(self._monitors)

    def statistics(self) -> ClientStatistics:
        c = self._counters
        return ClientStatistics(
            state=self._state,
            session_id=self._session.session_id if self._session else None,
            last_seq=self._core.seq.last,
            connections=c.connections,
            resumes=c.resumes,
            restarts=c.restarts,
            events=c.events,
            duplicate_events=c.duplicate_events,
            seq_gaps=c.seq_gaps,
            unmatched_replies=c.unmatched_replies,
            protocol_violations=c.protocol_violations,
            pending_requests=self._core.pending,
        )

    # ---------------------------------------------------------------- events

    def on(self, name: str, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(event)`` for every event called ``name`` (``"*"``: all events).

        Callbacks run in the client's reader, in order: keep them short, and
        hand long work to your own tasks. An exception from a callback stops the
        client and is raised from its ``async with``. Returns an unsubscribe function.
        """
        return self._hub.on(name, callback)

    def on_restart(self, callback: RestartCallback) -> Callable[[], None]:
        """Call ``callback(notice)`` when the session had to be replaced (take snapshots)."""
        return self._hub.on_restart(callback)

    def events(self, *names: str, maxsize: int | None = None) -> EventStream:
        """A stream of the events from now on (only ``names``, if given), and ``SessionRestarted``.

        It buffers up to ``maxsize`` (default ``event_buffer``) events; a reader
        that falls further behind gets ``EventBufferFull`` after the buffered
        ones, since events it never saw were lost. It ends when the client closes.
        """
        return self._hub.stream(frozenset(names) or None, maxsize or self.event_buffer)

    # -------------------------------------------------------------- requests

    # A timeout parameter rather than the caller's fail_after (ASYNC109): a timed-out
    # request must be forgotten by id so its late reply is dropped, and the blocking
    # facade has no cancel scope to offer.
    async def call(
        self,
        method: str,
        params: Params = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Any:
        """Call any method by name and return its raw result (for methods with no typed wrapper)."""
        return await self._request(method, params, timeout)

    async def notify(self, method: str, params: Params = None) -> None:
        """Send a JSON-RPC notification: no reply comes, not even an error."""
        with anyio.move_on_after(self.request_timeout):
            socket = await self._wait_connected()
            await socket.send(self._core.notification(method, params).frame)
            return
        raise RequestTimeout(method, self.request_timeout)

    async def call_batch(
        self,
        calls: Sequence[tuple[str, Params]],
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> list[BatchOutcome]:
        """Send several requests in one frame; their outcomes in the order of ``calls``.

        Server errors come back as ``BatchOutcome.error``; a timeout or a lost
        connection raises, as for one request.
        """
        limit = self.request_timeout if timeout is None else timeout
        with anyio.move_on_after(limit) as scope:
            socket = await self._wait_connected()
            out = self._core.batch(calls)
            waiters = [self._waiter(i) for i in out.ids]
            try:
                await socket.send(out.frame)
                outcomes = []
                for waiter in waiters:
                    await waiter.done.wait()
                    if isinstance(waiter.error, RpcError):
                        outcomes.append(BatchOutcome(error=waiter.error))
                    elif waiter.error is not None:
                        raise waiter.error
                    else:
                        outcomes.append(BatchOutcome(result=waiter.result))
                for (method, params), outcome in zip(calls, outcomes, strict=True):
                    if outcome.error is None:
                        self._track_monitors(method, params, outcome.result)
                return outcomes
            finally:
                for i in out.ids:
                    self._drop_waiter(i)
        assert scope.cancelled_caught
        raise RequestTimeout("batch", limit)

    async def _invoke_async(self, call: Call[R]) -> R:
        return call.parse(await self._request(call.method, call.params, call.timeout))

    async def _request(self, method: str, params: Params, timeout: float | None) -> Any:  # noqa: ASYNC109
        limit = self.request_timeout if timeout is None else timeout
        if method == "session.logout":
            # The server answers, then closes with 4002: that close is no error.
            self._closing = ConnectionClosed(CloseCode.LOGGED_OUT, "logged out by the application")
        with anyio.move_on_after(limit):
            socket = await self._wait_connected()
            result = await self._exchange(socket, method, params)
            self._track_monitors(method, params, result)
            return result
        raise RequestTimeout(method, limit)

    def _waiter(self, request_id: int) -> Waiter:
        waiter = self._waiters[request_id] = Waiter()
        return waiter

    def _drop_waiter(self, request_id: int) -> None:
        self._waiters.pop(request_id, None)
        self._core.forget(request_id)

    async def _exchange(self, socket: WebSocket, method: str, params: Params) -> Any:
        """Send one request on ``socket`` and wait for its reply (no timeout of its own)."""
        out = self._core.request(method, params)
        request_id = out.ids[0]
        waiter = self._waiter(request_id)
        try:
            await socket.send(out.frame)
            await waiter.done.wait()
        finally:
            self._drop_waiter(request_id)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _track_monitors(self, method: str, params: Params, result: Any) -> None:
        if method == "MonitorStart" and isinstance(params, Mapping) and isinstance(result, dict):
            xref = result.get("monitorCrossRefID")
            if isinstance(xref, str):
                self._monitors[xref] = dict(params)
        elif method == "MonitorStop" and isinstance(params, Mapping):
            self._monitors.pop(str(params.get("monitorCrossRefID")), None)

    async def _wait_connected(self) -> WebSocket:
        """The logged-in socket, waiting for a reconnect if need be (check, wait for a change)."""
        while True:
            if self._terminal is not None:
                raise _copy(self._terminal)
            if self._state is ConnectionState.CONNECTED and self._socket is not None:
                return self._socket
            await self._changed.wait()

    def _set_state(self, state: ConnectionState) -> None:
        self._state = state
        self._changed.set()
        self._changed = anyio.Event()

    # ------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Client:
        if self._tg is not None:
            raise RuntimeError("a Client can be entered only once")
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        try:
            await self._tg.start(self._supervise)
        except BaseException as exc:
            self._finish(exc, clean=False)
            self._tg.cancel_scope.cancel()
            await self._exit_task_group(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._tg is not None
        # When the block was cancelled from outside, so is the client's reader: a logout
        # would wait for a reply nobody reads. Then the socket is just closed, and the
        # server ends the session after its linger time.
        cancelled = isinstance(exc, anyio.get_cancelled_exc_class())
        if not self._tg.cancel_scope.cancel_called and not cancelled:
            await self._goodbye()
        self._tg.cancel_scope.cancel()
        try:
            error = await self._exit_task_group(exc_type, exc, tb)
        except BaseException as group:
            self._finish(group, clean=False)
            raise
        if error is None or error is exc:
            # Left normally, or the body's own exception: the client itself is fine.
            self._finish(
                ConnectionClosed(CloseCode.NORMAL, "closed by the application"), clean=True
            )
        else:
            # A callback or the client failed: event streams in other tasks get the error too.
            self._finish(error, clean=False)
        if error is not None:
            raise error
        return None

    async def _exit_task_group(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> BaseException | None:
        """Leave the task group; the exception to raise instead of its group, if any."""
        assert self._tg is not None
        try:
            await self._tg.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            error = unwrap(group)
            if error is group:
                raise
            return error
        finally:
            if self._socket is not None:
                with anyio.CancelScope(shield=True):
                    await self._socket.aclose()
        return None

    async def aclose(self) -> None:
        """Log out and close now (``async with`` does this on leaving).

        The rest of the ``async with`` body runs on; requests then raise ``ConnectionClosed``.
        """
        await self._goodbye()
        # Not cancelling the task group here: the body runs inside it and would be
        # cancelled too. The supervisor ends with the socket; __aexit__ cleans up.
        self._finish(ConnectionClosed(CloseCode.NORMAL, "closed by the application"), clean=True)

    async def _goodbye(self) -> None:
        """Log out (the server then closes the socket), within ``CLOSE_TIMEOUT``."""
        if self._closing is None:
            self._closing = ConnectionClosed(CloseCode.NORMAL, "closed by the application")
        socket = self._socket
        if self._terminal is not None or socket is None:
            return
        with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
            logged_out = False
            if self._state is ConnectionState.CONNECTED:
                with contextlib.suppress(CtidError):
                    await self._exchange(socket, "session.logout", None)
                    logged_out = True
            if not logged_out:
                # After a logout the server closes; closing from both ends at once would race.
                await socket.close()
            await self._finished.wait()

    def _finish(self, error: BaseException, *, clean: bool) -> None:
        """Stop for good: requests raise ``error``; event streams raise it too, unless ``clean``."""
        if self._terminal is not None:
            return
        self._terminal = error
        for request_id in self._core.connection_lost():
            waiter = self._waiters.get(request_id)
            if waiter is not None:
                waiter.settle(error=_copy_ctid(error))
        self._hub.close(None if clean else error)
        self._set_state(ConnectionState.CLOSED)
        self._finished.set()

    # ------------------------------------------------------------ supervisor

    async def _supervise(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        """Own the connection: connect, log in or resume, read, and reconnect."""
        attempt = 0
        started = False
        first_failures = 0
        while True:
            immediate = False
            try:
                closed = await self._one_connection(None if started else task_status)
                started = True
                attempt = 0
            except _Retry as retry:
                if not started:
                    # At start, each URL is tried once, and a standby's pointer followed.
                    first_failures += 1
                    urls = len(self._endpoints.urls)
                    if first_failures <= 2 * urls and (retry.immediate or first_failures < urls):
                        continue
                    raise retry.error from retry.error.__cause__
                log.info("ctid: reconnect attempt failed: %s", retry.error)
                closed = ConnectionClosed(CloseCode.ABNORMAL, str(retry.error))
                attempt += 1
                immediate = retry.immediate
            except AuthenticationError as exc:
                wait = exc.retry_after
                if not started or wait is None or self.reconnect is None:
                    if started:
                        log.error("ctid: giving up reconnecting: %s", exc)
                        self._finish(exc, clean=False)
                        return
                    raise
                # Logins from this address are refused for a while (too many failures
                # here, or behind the same NAT): wait as told, then try again.
                log.warning("ctid: %s; trying again in %g s", exc, wait)
                self._set_state(ConnectionState.RECONNECTING)
                await anyio.sleep(wait)
                continue
            if self._closing is not None:
                self._finish(self._closing, clean=True)
                return
            renewable = closed.token_expired and self._token_provider is not None
            if (closed.fatal and not renewable) or self.reconnect is None:
                self._finish(closed, clean=False)
                return
            policy = self.reconnect
            if policy.max_attempts is not None and attempt >= policy.max_attempts:
                self._finish(closed, clean=False)
                return
            self._set_state(ConnectionState.RECONNECTING)
            delay = 0.0 if immediate else policy.delay(attempt)
            log.info("ctid: no connection (%s); trying again in %.2f s", closed, delay)
            await anyio.sleep(delay)

    async def _one_connection(
        self, task_status: anyio.abc.TaskStatus[None] | None
    ) -> ConnectionClosed:
        """Open a socket, establish the session on it, and read until it ends."""
        try:
            with anyio.fail_after(self.connect_timeout):
                endpoint = self._endpoints.endpoint
                stream = await self._connector(endpoint)
                try:
                    socket = await open_websocket(
                        stream,
                        endpoint,
                        self._core.codec.subprotocol,
                        max_message_size=self._max_message_size,
                    )
                except BaseException:
                    with anyio.CancelScope(shield=True):
                        await stream.aclose()
                    raise
        except (OSError, ConnectionClosed, ProtocolError) as exc:
            # TimeoutError (connect_timeout) is an OSError too.
            error = ConnectionClosed(
                CloseCode.ABNORMAL, f"could not connect to {self.url}: {exc!r}"
            )
            error.__cause__ = exc
            self._endpoints.failed()
            raise _Retry(error) from exc
        self._counters.connections += 1
        self._socket = socket
        ended = anyio.Event()
        outcome: list[ConnectionClosed] = []
        failure: CtidError | None = None
        try:
            # Nothing is raised inside this block on purpose: the task group would
            # wrap it in an ExceptionGroup. Failures are kept and raised after it.
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._reader, socket, outcome, ended)
                try:
                    await self._establish(socket)
                except (ConnectionClosed, RequestTimeout, RpcError, ProtocolError) as exc:
                    failure = exc
                    tg.cancel_scope.cancel()
                else:
                    self._set_state(ConnectionState.CONNECTED)
                    if task_status is not None:
                        task_status.started()
                    await ended.wait()
        finally:
            with anyio.CancelScope(shield=True):
                await socket.aclose()
        if failure is not None:
            self._lost(ConnectionClosed(CloseCode.ABNORMAL, f"could not log in: {failure}"))
            if isinstance(failure, AuthenticationError):
                raise failure
            if isinstance(failure, NotActive):
                log.info("ctid: %s is a standby (active: %s)", self.url, failure.active)
                raise _Retry(failure, immediate=self._endpoints.follow(failure.active))
            raise _Retry(failure)
        return outcome[0]

    def _lost(self, closed: ConnectionClosed) -> None:
        """The socket ended: every request waiting on it fails with ``closed``."""
        self._socket = None
        for request_id in self._core.connection_lost():
            waiter = self._waiters.get(request_id)
            if waiter is not None:
                waiter.settle(error=ConnectionClosed(closed.code, closed.reason))
        if self._state is ConnectionState.CONNECTED:
            self._set_state(ConnectionState.RECONNECTING)

    async def _establish(self, socket: WebSocket) -> None:
        """Log in (first time), resume, or log in again and restart the monitors."""
        with anyio.fail_after(self.request_timeout):
            try:
                await self._establish_within(socket)
            except TimeoutError:
                raise RequestTimeout("session.login", self.request_timeout) from None

    async def _establish_within(self, socket: WebSocket) -> None:
        old = self._session
        if old is None:
            self._session = await self._login(socket)
            return
        if self._restart_from is None:
            last_seq = self._core.seq.last
            try:
                reply = await self._with_token(
                    socket,
                    "session.resume",
                    {"sessionID": old.session_id, "lastSeq": last_seq},
                )
            except SessionLost as exc:
                log.warning("ctid: cannot resume the session (%s); logging in again", exc)
                self._restart_from = (old, last_seq, exc)
            else:
                self._counters.resumes += 1
                info = reply if isinstance(reply, dict) else {}
                log.info(
                    "ctid: resumed the session: %s events replayed (last close: %s)",
                    info.get("replayed"),
                    info.get("lastCloseReason"),
                )
                return
        await self._restart(socket, *self._restart_from)

    async def _login(self, socket: WebSocket) -> SessionInfo:
        result = await self._with_token(socket, "session.login", {})
        return SessionInfo.from_wire(result)

    async def _with_token(self, socket: WebSocket, method: str, params: dict[str, Any]) -> Any:
        """``method`` with a token; with a provider, once more with a fresh one if it was stale."""
        try:
            return await self._exchange(
                socket, method, {"token": await self._fresh_token()} | params
            )
        except AuthenticationError as exc:
            if self._token_provider is None or not exc.token_expired:
                raise
            log.info("ctid: the token had expired; asking for a fresh one")
            return await self._exchange(
                socket, method, {"token": await self._fresh_token()} | params
            )

    async def _fresh_token(self) -> str:
        """The fixed token, or a fresh one from the provider."""
        provider = self._token_provider
        if provider is None:
            return self._token
        try:
            token = provider()
            if inspect.isawaitable(token):
                token = await token
        except Exception as exc:
            error = ConnectionClosed(CloseCode.ABNORMAL, f"the token provider failed: {exc!r}")
            raise error from exc
        if not isinstance(token, str) or not token:
            raise ProtocolError(f"the token provider returned {token!r:.40}, not a token")
        self._token = token
        return token

    async def _refresh_token(self) -> None:
        """Give the session a fresh token (``session.expiring`` came); failures are logged."""
        if self._refreshing:
            return
        self._refreshing = True
        try:
            token = await self._fresh_token()
            reply = await self._request("session.refresh", {"token": token}, None)
            expires = reply.get("expiresAt") if isinstance(reply, dict) else None
            log.info("ctid: token refreshed; the session now lasts until %s", expires)
        except CtidError as exc:
            # The server ends the session when the token expires; the client then
            # reconnects with a fresh token (close 4001 "token expired").
            log.warning("ctid: could not refresh the token: %s", exc)
        finally:
            self._refreshing = False

    async def _restart(
        self, socket: WebSocket, old: SessionInfo, last_seq: int, reason: SessionLost
    ) -> None:
        """Log in again, start the monitors again, then tell the application.

        Events of the new session are held back until ``SessionRestarted`` is
        published, so the notice comes before them. If this fails half-way,
        the next connection starts the restart over (with a fresh login).
        """
        self._held = []
        try:
            self._core.seq.reset()
            self._session = await self._login(socket)
            moved: dict[str, str] = {}
            failed: dict[str, Exception] = {}
            renewed: dict[str, dict[str, Any]] = {}
            for xref, params in self._monitors.items():
                try:
                    result = await self._exchange(socket, "MonitorStart", params)
                except RpcError as exc:
                    failed[xref] = exc
                    continue
                new = result.get("monitorCrossRefID") if isinstance(result, dict) else None
                if not isinstance(new, str):
                    raise ProtocolError(f"MonitorStart: no monitorCrossRefID in {result!r:.80}")
                moved[xref] = new
                renewed[new] = params
            snapshots = await self._snapshots(socket, renewed)
        except BaseException:
            self._held = None  # the next attempt logs in afresh; these events die with this session
            raise
        self._monitors = renewed
        self._restart_from = None
        self._counters.restarts += 1
        held, self._held = self._held, None
        self._hub.publish_restart(
            SessionRestarted(
                reason=reason,
                old_session_id=old.session_id,
                new_session_id=self._session.session_id,
                last_seq=last_seq,
                monitors=MappingProxyType(moved),
                failed_monitors=MappingProxyType(failed),
                snapshots=MappingProxyType(snapshots),
                url=self.url,
            )
        )
        for event in held:
            self._deliver(event)

    async def _snapshots(
        self, socket: WebSocket, monitors: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Any]:
        """A fresh snapshot of what each monitor watches, by its cross-reference id."""
        snapshots: dict[str, Any] = {}
        for xref, params in monitors.items():
            request = snapshot_request(params)
            if request is None:
                continue
            try:
                snapshots[xref] = await self._exchange(socket, *request)
            except RpcError as exc:
                # The monitor itself works; the application can still ask for this one.
                log.warning("ctid: no snapshot for monitor %s after a restart: %s", xref, exc)
        return snapshots

    # ---------------------------------------------------------------- reader

    async def _reader(
        self, socket: WebSocket, outcome: list[ConnectionClosed], ended: anyio.Event
    ) -> None:
        try:
            while True:
                data = await socket.receive()
                for item in self._core.receive(data):
                    self._handle(item)
        except ConnectionClosed as exc:
            outcome.append(exc)
            # Fail the waiting requests now: one of them may be the login itself.
            self._lost(exc)
        ended.set()

    def _handle(self, item: Incoming) -> None:
        if isinstance(item, Reply | ErrorReply):
            waiter = self._waiters.get(item.request_id)
            if waiter is not None:
                if isinstance(item, Reply):
                    waiter.settle(result=item.result)
                else:
                    waiter.settle(error=item.error)
        elif isinstance(item, EventReceived):
            if (
                item.event.name == "session.expiring"
                and self._token_provider is not None
                and self._tg is not None
            ):
                self._tg.start_soon(self._refresh_token)
            if self._held is not None:
                self._held.append(item.event)
            else:
                self._deliver(item.event)
        elif isinstance(item, SeqAnomaly):
            if item.kind == "duplicate":
                self._counters.duplicate_events += 1
                log.debug("ctid: dropped duplicate %s seq %d", item.name, item.received)
            else:
                self._counters.seq_gaps += 1
                log.warning(
                    "ctid: events lost: expected seq %d, got %d (%s)",
                    item.expected,
                    item.received,
                    item.name,
                )
        elif isinstance(item, UnmatchedReply):
            self._counters.unmatched_replies += 1
            log.info("ctid: reply to no waiting request: %.200r", item.message)
        elif isinstance(item, ProtocolViolation):
            self._counters.protocol_violations += 1
            log.error("ctid: skipped a frame: %s", item.reason)

    def _deliver(self, event: Event) -> None:
        self._counters.events += 1
        if event.name == "MonitorEndedEvent" and event.monitor_cross_ref_id is not None:
            self._monitors.pop(event.monitor_cross_ref_id, None)
        self._hub.publish(event)


def _copy(error: BaseException) -> BaseException:
    """A fresh instance to raise, so tracebacks do not pile up on one shared object."""
    if isinstance(error, ConnectionClosed):
        return ConnectionClosed(error.code, error.reason)
    return error


def _copy_ctid(error: BaseException) -> CtidError:
    copied = _copy(error)
    return (
        copied
        if isinstance(copied, CtidError)
        else ConnectionClosed(CloseCode.ABNORMAL, str(error))
    )
