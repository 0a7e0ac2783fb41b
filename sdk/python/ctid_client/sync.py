"""A blocking client for scripts: the async ``Client`` run in a background thread.

``ctid_client.sync.Client`` starts an event loop in a thread (anyio's
``BlockingPortal``) and runs the one async client there; every method here
hands its work to that loop and waits. Nothing of the protocol is
re-implemented: the typed methods are the same ``Services`` descriptors as on
the async client, read as blocking calls.

Callbacks registered with ``on`` run in the client's thread, not yours: keep
them short and thread-safe. Use the async ``Client`` directly in asyncio or
trio programs.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Literal, TypeVar

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._calls import Call
from ._client import Client as AsyncClient
from ._protocol import Params
from ._services import Services, SyncInvoker
from ._state import BatchOutcome, ClientStatistics, ConnectionState
from ._subscriptions import EventCallback, EventStream, RestartCallback, StreamItem
from ._values import SessionInfo

__all__ = ["Client", "EventIterator"]

R = TypeVar("R")


class EventIterator:
    """A blocking iterator over an ``events()`` stream of the async client.

    ``for event in it`` blocks until the next event; ``next_event(timeout)``
    waits at most ``timeout`` seconds (``TimeoutError`` after that). The
    iteration ends when the client closes. Close it (or use ``with``) to stop
    buffering events you will not read.
    """

    def __init__(self, portal: BlockingPortal, stream: EventStream) -> None:
        self._portal = portal
        self._stream = stream

    def __iter__(self) -> Iterator[StreamItem]:
        return self

    def __next__(self) -> StreamItem:
        try:
            return self._portal.call(self._stream.__anext__)
        except StopAsyncIteration:
            raise StopIteration from None

    def next_event(self, timeout: float | None = None) -> StreamItem:
        """The next event; ``TimeoutError`` if none comes within ``timeout`` seconds."""

        async def receive() -> StreamItem:
            with anyio.fail_after(timeout):
                return await self._stream.__anext__()

        try:
            return self._portal.call(receive)
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        self._portal.call(self._stream.close)

    def __enter__(self) -> EventIterator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Client(Services, SyncInvoker):
    """A blocking ctid client; ``with Client(url, token=...) as client:``.

    Takes the async ``Client``'s keyword options (``codec``, ``request_timeout``,
    ``reconnect``, ...), plus ``backend``: the event loop of the background
    thread, ``"asyncio"`` (default) or ``"trio"``. The typed methods
    (``make_call``, ``monitor_start``, ...) block and return the same values,
    and raise the same errors, as the async client's.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        backend: Literal["asyncio", "trio"] = "asyncio",
        **options: Any,
    ) -> None:
        self.url = url
        self._token = token
        self._backend = backend
        self._options = options
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None
        self._client: AsyncClient | None = None
        self._client_cm: AbstractContextManager[AsyncClient] | None = None

    def __enter__(self) -> Client:
        portal_cm = start_blocking_portal(self._backend)
        portal = portal_cm.__enter__()
        try:
            # Built in the loop's thread: anyio objects need their event loop.
            client = portal.call(
                functools.partial(AsyncClient, self.url, token=self._token, **self._options)
            )
            client_cm = portal.wrap_async_context_manager(client)
            client_cm.__enter__()
        except BaseException as exc:
            portal_cm.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._portal_cm, self._portal = portal_cm, portal
        self._client, self._client_cm = client, client_cm
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        portal_cm, client_cm = self._portal_cm, self._client_cm
        if portal_cm is None or client_cm is None:
            return  # already closed
        self._portal_cm = self._client_cm = None
        try:
            client_cm.__exit__(exc_type, exc, tb)
        finally:
            self._portal = None
            portal_cm.__exit__(None, None, None)

    def close(self) -> None:
        """Log out and close (leaving ``with`` does this)."""
        self.__exit__(None, None, None)

    @property
    def _running(self) -> tuple[BlockingPortal, AsyncClient]:
        if self._portal is None or self._client is None:
            raise RuntimeError("use the client inside `with Client(...) as client:`")
        return self._portal, self._client

    # ------------------------------------------------------------- requests

    def _invoke_sync(self, call: Call[R]) -> R:
        portal, client = self._running
        return portal.call(client._invoke_async, call)

    def call(self, method: str, params: Params = None, *, timeout: float | None = None) -> Any:
        """Call any method by name and return its raw result."""
        portal, client = self._running
        return portal.call(functools.partial(client.call, method, params, timeout=timeout))

    def call_batch(
        self, calls: Sequence[tuple[str, Params]], *, timeout: float | None = None
    ) -> list[BatchOutcome]:
        """Several requests in one frame; see the async ``Client.call_batch``."""
        portal, client = self._running
        return portal.call(functools.partial(client.call_batch, calls, timeout=timeout))

    def notify(self, method: str, params: Params = None) -> None:
        """Send a notification (no reply)."""
        portal, client = self._running
        portal.call(client.notify, method, params)

    # --------------------------------------------------------------- events

    def on(self, name: str, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(event)`` for each event ``name`` (``"*"``: all), in the client's thread.

        Returns an unsubscribe function.
        """
        portal, client = self._running
        return self._unsubscriber(portal.call(client.on, name, callback))

    def on_restart(self, callback: RestartCallback) -> Callable[[], None]:
        """Call ``callback(notice)`` when the session was replaced (take snapshots)."""
        portal, client = self._running
        return self._unsubscriber(portal.call(client.on_restart, callback))

    def _unsubscriber(self, unsubscribe: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            portal = self._portal
            if portal is not None:
                # RuntimeError: the client's thread has stopped; nothing is subscribed any more.
                with contextlib.suppress(RuntimeError):
                    portal.call(unsubscribe)

        return run

    def events(self, *names: str, maxsize: int | None = None) -> EventIterator:
        """Events from now on (only ``names``, if given); see the async ``Client.events``."""
        portal, client = self._running
        stream = portal.call(functools.partial(client.events, *names, maxsize=maxsize))
        return EventIterator(portal, stream)

    # ---------------------------------------------------------------- state

    @property
    def session(self) -> SessionInfo | None:
        return self._running[1].session

    @property
    def state(self) -> ConnectionState:
        return self._running[1].state

    def statistics(self) -> ClientStatistics:
        portal, client = self._running
        return portal.call(client.statistics)
