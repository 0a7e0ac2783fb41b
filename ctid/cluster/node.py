"""The election's I/O shell: runs ``Election`` on trio time against the lease.

``ClusterNode.run`` owns the active part of the daemon (the switch driver and
the services that act on calls): it starts it when the lease is granted and
cancels it when the lease is lost, then raises ``LeadershipLost``: ``ctid run``
then builds the daemon afresh in the same process, as a standby (``patient``:
it waits out the database), without needing a supervisor to restart it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol

import trio

from ..errors import CtidError
from .election import (
    RETRY_FRACTION,
    ActiveSeen,
    BecameActive,
    Change,
    Election,
    LeaseView,
    Role,
    SteppedDown,
)

__all__ = ["ClusterNode", "LeadershipLost", "LeaseClient", "LeaseUnavailable", "SessionLost"]

log = logging.getLogger(__name__)

#: Seconds a clean stop may spend giving the lease back.
RELEASE_TIMEOUT: Final = 2.0


class LeadershipLost(CtidError):
    """The node was active and lost the lease: it has stopped controlling the switch."""


class LeaseUnavailable(CtidError):
    """The lease could not be read or written (the database is unreachable)."""


class SessionLost(LeaseUnavailable):
    """The database session that held the advisory lock has ended: an active node
    stops at once, since a standby may now take over before the lease runs out."""


class LeaseClient(Protocol):
    """The lease as the node uses it; raises ``LeaseUnavailable`` for database trouble."""

    #: What the lease row says when this node holds it.
    holder: str

    async def prepare(self) -> str: ...
    async def acquire(self) -> LeaseView: ...
    async def release(self) -> None: ...
    def close(self) -> None: ...


class ClusterNode:
    """One node's election, run with real (or mock) time."""

    def __init__(
        self, *, name: str, election: Election, lease: LeaseClient, advertise_url: str
    ) -> None:
        self.name = name
        self.election = election
        self.lease = lease
        self.advertise_url = advertise_url
        #: Seconds the node gives its active part and clients to stop when it steps down:
        #: half of what is left before a standby may take over.
        self.stop_wait = election.lease / 4
        self._serving = False
        self._active = trio.Event()
        self._serving_event = trio.Event()
        self._active_done = trio.Event()
        self._active_scope = trio.CancelScope()
        self._on_step_down: Callable[[str], Awaitable[Any]] | None = None
        #: Start serving (as a standby) at once and wait out a database that cannot be
        #: reached, instead of failing: a process starting again after it lost the lease
        #: (often because the database went away) must not exit for it.
        self.patient = False

    @property
    def node_name(self) -> str:
        return self.name

    @property
    def serving(self) -> bool:
        """True while this node is active and its switch driver and services are up."""
        return self._serving

    @property
    def role(self) -> str:
        """``"active"`` while serving, else ``"standby"`` (starting, waiting or stopped)."""
        return Role.ACTIVE.value if self._serving else Role.STANDBY.value

    @property
    def active_url(self) -> str:
        """Where the active node is, as far as this node knows ("": unknown)."""
        if self._serving:
            return self.advertise_url
        if self.election.role is Role.STANDBY:
            return self.election.active_url
        return ""

    async def wait_serving(self) -> None:
        """Return once this node is active and serving."""
        await self._serving_event.wait()

    async def run(
        self,
        serve_active: Callable[..., Awaitable[Any]],
        on_step_down: Callable[[str], Awaitable[Any]],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Take part in the election; run ``serve_active`` (start protocol) while active.

        Ready at once (a standby serves its refusals). When the lease is lost,
        ``serve_active`` is cancelled, ``on_step_down(reason)`` closes the
        clients, and ``LeadershipLost`` is raised. Cancelled while active, the
        node gives the lease back after its active part has stopped.
        """
        self._on_step_down = on_step_down
        if self.patient:
            task_status.started()
            task_status = trio.TASK_STATUS_IGNORED
            await self._prepare_patiently()
        else:
            log.info("cluster: %s", await self.lease.prepare())
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._elect)
                task_status.started()
                await self._active.wait()
                try:
                    with self._active_scope:
                        async with trio.open_nursery() as active:
                            await active.start(serve_active)
                            self._serving = True
                            self._serving_event.set()
                            log.info(
                                "cluster: node %r is active (term %d)",
                                self.node_name,
                                self.election.term,
                            )
                finally:
                    self._serving = False
                    self._active_done.set()
        finally:
            if self.election.role is Role.ACTIVE:
                with trio.move_on_after(RELEASE_TIMEOUT, shield=True):
                    try:
                        await self.lease.release()
                        log.info("cluster: node %r gave the lease back", self.node_name)
                    except LeaseUnavailable as exc:
                        log.warning("cluster: could not give the lease back: %s", exc)
            self.lease.close()

    async def _prepare_patiently(self) -> None:
        delay = self.election.lease * RETRY_FRACTION
        while True:
            try:
                log.info("cluster: %s", await self.lease.prepare())
                return
            except Exception as exc:  # the database is away: as a standby, wait for it
                log.warning("cluster: database unavailable (%s); trying again", exc)
            await trio.sleep(delay)

    async def _elect(self) -> None:
        election = self.election
        while True:
            await self._apply(election.on_time(trio.current_time()))
            wake = election.next_attempt
            deadline = election.deadline
            if deadline is not None and deadline < wake:
                await trio.sleep_until(deadline)
                continue
            await trio.sleep_until(wake)
            sent_at = trio.current_time()
            view: LeaseView | None = None
            with trio.move_on_after(election.attempt_timeout(sent_at)):
                try:
                    view = await self.lease.acquire()
                except SessionLost as exc:
                    log.warning("cluster: the lease session ended: %s", exc)
                    await self._apply(election.on_lock_lost())
                except LeaseUnavailable as exc:
                    log.warning("cluster: lease unavailable: %s", exc)
            if view is None and election.role is Role.ACTIVE:
                log.warning("cluster: lease renewal failed; stepping down at the deadline")
            await self._apply(
                election.on_result(sent_at=sent_at, view=view, now=trio.current_time())
            )

    async def _apply(self, changes: list[Change]) -> None:
        for change in changes:
            match change:
                case BecameActive():
                    log.info("cluster: node %r won the lease; starting", self.node_name)
                    self._active.set()
                case ActiveSeen(url=url):
                    log.info("cluster: the active node is %s", url or "unknown")
                case SteppedDown(reason=reason):
                    await self._step_down(reason)

    async def _step_down(self, reason: str) -> None:
        log.error("cluster: node %r stops being active: %s", self.node_name, reason)
        self._serving = False
        # The driver stops first: from here on this node sends nothing to the switch.
        self._active_scope.cancel()
        with trio.move_on_after(self.stop_wait):
            if self._active.is_set():
                await self._active_done.wait()
            assert self._on_step_down is not None
            await self._on_step_down(reason)
        raise LeadershipLost(f"node {self.node_name!r} lost leadership: {reason}")
