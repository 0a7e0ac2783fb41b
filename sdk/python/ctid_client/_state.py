"""Small values of the async client: its state, statistics, batch outcomes, waiting requests."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import anyio

from ._errors import CtidError, RpcError

__all__ = ["BatchOutcome", "ClientStatistics", "ConnectionState", "Counters", "Waiter"]


class ConnectionState(enum.Enum):
    #: Opening the first connection (inside ``async with``).
    CONNECTING = "connecting"
    #: Logged in; requests go out at once.
    CONNECTED = "connected"
    #: The connection was lost; requests wait (within their timeout) for the next one.
    RECONNECTING = "reconnecting"
    #: Stopped for good; requests raise the error that stopped it.
    CLOSED = "closed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClientStatistics:
    """Counters of one client (for metrics and tests)."""

    state: ConnectionState
    session_id: str | None
    #: The seq of the last event received in this session.
    last_seq: int
    #: WebSocket connections opened (the first one included).
    connections: int
    #: Sessions resumed after a lost connection.
    resumes: int
    #: Sessions replaced by a new login (each one published a ``SessionRestarted``).
    restarts: int
    events: int
    #: Events dropped because their seq had been seen (normal around a resume).
    duplicate_events: int
    #: Times the server's seq skipped ahead (events lost: a server bug).
    seq_gaps: int
    #: Replies to no waiting request (late replies after a timeout).
    unmatched_replies: int
    #: Frames that were not protocol v1, skipped.
    protocol_violations: int
    pending_requests: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class BatchOutcome:
    """One request's outcome in ``call_batch``: its ``result``, or its ``error``."""

    result: Any = None
    error: RpcError | None = None

    def unwrap(self) -> Any:
        """The result, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.result


class Waiter:
    """One request waiting for its reply."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: Any = None
        self.error: CtidError | None = None

    def settle(self, result: Any = None, error: CtidError | None = None) -> None:
        if not self.done.is_set():
            self.result, self.error = result, error
            self.done.set()


@dataclasses.dataclass
class Counters:
    connections: int = 0
    resumes: int = 0
    restarts: int = 0
    events: int = 0
    duplicate_events: int = 0
    seq_gaps: int = 0
    unmatched_replies: int = 0
    protocol_violations: int = 0
