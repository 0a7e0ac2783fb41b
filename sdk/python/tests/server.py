"""The real ctid server in a background thread, with its own trio loop.

Tests on asyncio and on trio reach it the same way, over real sockets bound
to port 0. Readiness is a signal from the server (its bound URL), never a sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Final, TypeVar

import trio
import trio.lowlevel

from ctid.testing import CallCentre, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

__all__ = ["ADMIN_TOKEN", "ServerThread"]

T = TypeVar("T")

#: A safety net only: starting takes milliseconds.
START_TIMEOUT: Final = 30.0


class ServerThread:
    """``with ServerThread() as server:`` runs a ctid daemon (simulator) until the block ends."""

    def __init__(self, overrides: Mapping[str, Any] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self.url = ""
        self._centre: CallCentre | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="ctid-server", daemon=True)

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        async with call_centre(sim_config(self.overrides)) as centre:
            self._centre = centre
            self.url = centre.app.url
            self._token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._error is not None:
            raise RuntimeError(f"the ctid server did not start: {self._error!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stop is not None:
            self.run_sync(self._stop.set)
        self._thread.join(START_TIMEOUT)

    @property
    def centre(self) -> CallCentre:
        assert self._centre is not None
        return self._centre

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the server's thread and return its result."""
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await fn(*args)`` in the server's loop and return its result."""
        return trio.from_thread.run(fn, *args, trio_token=self._token)

    def connections(self) -> int:
        return self.run_sync(lambda: len(self.centre.app.server.connections))

    def _connections(self, session_id: str | None) -> list[Any]:
        return [
            c
            for c in self.centre.app.server.connections
            if session_id is None or (c.session is not None and c.session.session_id == session_id)
        ]

    def drop_connections(self, session_id: str | None = None) -> int:
        """Cut clients' TCP connections (all, or one session's) from the server side.

        No close frame is sent: the client sees the connection end, as after a network failure.
        """

        async def drop() -> int:
            connections = self._connections(session_id)
            for connection in connections:
                await connection.stream.aclose()
            return len(connections)

        return self.run(drop)

    def close_connections(self, code: int, reason: str, session_id: str | None = None) -> int:
        """Close clients' connections (all, or one session's) with a WebSocket close frame."""

        def close() -> int:
            connections = self._connections(session_id)
            for connection in connections:
                connection.close_soon(code, reason)
            return len(connections)

        return self.run_sync(close)

    def end_session(self, session_id: str) -> None:
        """End a session on the server (as its linger running out would)."""

        def end() -> None:
            sessions = self.centre.app.api.sessions
            session = sessions.get(session_id)
            assert session is not None, f"no session {session_id}"
            sessions.end(session)

        self.run_sync(end)

    def incoming_call(self, calling: str, called: str) -> None:
        """An outside caller dials ``called`` on the simulator."""
        self.run_sync(self.centre.sim.incoming_call, calling, called)
