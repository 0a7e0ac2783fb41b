"""Sessions: a logged-in client's identity, monitors and event log, which outlive its socket.

A session is created by ``session.login`` and survives a lost socket for
``linger`` seconds, so a client can ``session.resume`` on a new socket and
receive every event it missed. ``session.logout`` (or the linger running
out) ends it and its monitors.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Protocol

import attrs
import trio

from ..bus import EventBus, EventLog
from ..ids import IdFactory
from ..timers import Timer, TimerQueue
from .auth import Credential

__all__ = ["Attachment", "Session", "SessionManager"]

log = logging.getLogger(__name__)


class Attachment(Protocol):
    """The socket a session is attached to (``api.connection.WsConnection``)."""

    def close_soon(self, code: int, reason: str) -> None: ...

    def wake(self) -> None: ...


@attrs.define(eq=False)
class Session:
    session_id: str
    credential: Credential
    log: EventLog
    created_at: float
    attachment: Attachment | None = None
    detached_at: float | None = None
    #: Why its last socket was closed by the server (told to the client on resume).
    last_close_reason: str | None = None
    expiry: Timer | None = None
    _xref: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1))

    def next_cross_ref_id(self) -> str:
        return f"m{next(self._xref)}"


class SessionManager:
    """Creates, finds, attaches, detaches and expires sessions."""

    def __init__(
        self, *, bus: EventBus, timers: TimerQueue, ids: IdFactory, linger: float = 300.0
    ) -> None:
        self.bus = bus
        self.timers = timers
        self.ids = ids
        self.linger = linger
        self.sessions: dict[str, Session] = {}
        #: Called with a session just before it ends (services drop its subscriptions).
        self.on_end: list[Callable[[Session], None]] = []

    def create(self, credential: Credential) -> Session:
        session_id = self.ids.token()
        session = Session(
            session_id=session_id,
            credential=credential,
            log=self.bus.open_log(session_id),
            created_at=trio.current_time(),
        )
        self.sessions[session_id] = session
        return session

    def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    def attach(self, session: Session, attachment: Attachment) -> None:
        old = session.attachment
        if old is not None and old is not attachment:
            old.close_soon(4001, "session resumed on another connection")
        session.attachment = attachment
        session.detached_at = None
        session.log.listener = attachment.wake
        if session.expiry is not None:
            session.expiry.cancel()
            session.expiry = None

    def detach(self, session: Session, attachment: Attachment) -> None:
        if session.attachment is not attachment:
            return
        session.attachment = None
        session.log.listener = None
        session.detached_at = trio.current_time()
        if session.session_id in self.sessions:
            session.expiry = self.timers.call_later(self.linger, lambda: self.end(session))

    def end(self, session: Session) -> None:
        if self.sessions.pop(session.session_id, None) is None:
            return
        for callback in self.on_end:
            callback(session)
        if session.expiry is not None:
            session.expiry.cancel()
        self.bus.close_log(session.log)
        if session.attachment is not None:
            session.attachment.close_soon(4002, "logged out")
        log.info("session %s of %s ended", session.session_id[:8], session.credential.name)
