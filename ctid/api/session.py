"""Sessions: a logged-in client's identity, monitors and event log, which outlive its socket.

A session is created by ``session.login`` and survives a lost socket for
``linger`` seconds, so a client can ``session.resume`` on a new socket and
receive every event it missed. ``session.logout`` (or the linger running
out) ends it and its monitors.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable
from typing import Any, Final, Protocol

import attrs
import trio

from ..bus import EventBus, EventLog
from ..clock import WallClock
from ..ids import IdFactory
from ..timers import Timer, TimerQueue
from .auth import Credential

__all__ = ["EXPIRY_WARNING", "Attachment", "Session", "SessionManager"]

log = logging.getLogger(__name__)

#: Seconds before a signed token expires that its session is told (``session.expiring``).
EXPIRY_WARNING: Final = 60.0


class Attachment(Protocol):
    """The socket a session is attached to (``api.connection.WsConnection``)."""

    def close_soon(self, code: int, reason: str) -> None: ...

    def wake(self) -> None: ...

    def notify(self, method: str, params: dict[str, Any]) -> None: ...


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
    #: The ``session.expiring`` warning and the end of a signed token's session.
    token_timers: list[Timer] = attrs.field(factory=list)
    _xref: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1))

    def next_cross_ref_id(self) -> str:
        return f"m{next(self._xref)}"


class SessionManager:
    """Creates, finds, attaches, detaches and expires sessions."""

    def __init__(
        self,
        *,
        bus: EventBus,
        timers: TimerQueue,
        ids: IdFactory,
        linger: float = 300.0,
        clock: WallClock | None = None,
    ) -> None:
        self.bus = bus
        self.timers = timers
        self.ids = ids
        self.linger = linger
        #: Maps a signed token's wall-clock expiry onto trio time.
        self.clock = clock
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
        self._arm_token_timers(session)
        return session

    def renew(self, session: Session, credential: Credential) -> None:
        """Carry on ``session`` with a fresh credential of the same principal (refresh, resume)."""
        session.credential = credential
        self._arm_token_timers(session)

    def _arm_token_timers(self, session: Session) -> None:
        for timer in session.token_timers:
            timer.cancel()
        session.token_timers = []
        expires_at = session.credential.expires_at
        if expires_at is None:
            return
        assert self.clock is not None, "signed tokens need the session manager's clock"
        deadline = self.clock.anchor_trio + (expires_at - self.clock.anchor_wall)
        now = trio.current_time()
        # Halfway through a token with less than twice the warning left: warning at
        # once would make a client that mints short tokens refresh in a tight loop.
        warn_at = max(deadline - EXPIRY_WARNING, now + (deadline - now) / 2)
        session.token_timers = [
            self.timers.call_at(warn_at, lambda: self._token_expiring(session, deadline)),
            self.timers.call_at(deadline, lambda: self._token_expired(session)),
        ]

    def _token_expiring(self, session: Session, deadline: float) -> None:
        if session.attachment is None:
            return
        assert self.clock is not None
        session.attachment.notify(
            "session.expiring",
            {
                "expiresAt": self.clock.iso(deadline),
                "secondsLeft": max(0, math.ceil(deadline - trio.current_time())),
            },
        )

    def _token_expired(self, session: Session) -> None:
        log.info(
            "session %s of %s ended: token expired",
            session.session_id[:8],
            session.credential.name,
        )
        self.end(session, code=4001, reason="token expired")

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

    def end(self, session: Session, *, code: int = 4002, reason: str = "logged out") -> None:
        """End ``session`` and its monitors; its socket, if any, closes with ``code``/``reason``."""
        if self.sessions.pop(session.session_id, None) is None:
            return
        for callback in self.on_end:
            callback(session)
        if session.expiry is not None:
            session.expiry.cancel()
        for timer in session.token_timers:
            timer.cancel()
        self.bus.close_log(session.log)
        if session.attachment is not None:
            session.attachment.close_soon(code, reason)
        log.info("session %s of %s ended", session.session_id[:8], session.credential.name)
