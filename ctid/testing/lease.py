"""The ``cluster_lease`` row in memory, on trio's clock: elections on MockClock.

It grants and renews exactly as ``ctid.cluster.lease`` does in PostgreSQL
(``tests/cluster/test_lease.py`` runs the same steps on both), with trio's
clock standing in for the database's. A node can be cut off (``partition``):
its requests then hang, as they do behind a dead TCP connection, until the
node's own time limit gives up on them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import attrs
import trio

from ..cluster.election import LeaseView
from ..cluster.node import SessionLost

__all__ = ["FakeLease", "FakeLeaseDatabase"]


@attrs.define
class FakeLeaseDatabase:
    """One lease row shared by the nodes of a test.

    ``clock`` is the database's clock: trio's (MockClock) by default;
    ``time.monotonic`` for nodes that run in several threads, each with its
    own trio loop (the row is then guarded by a lock).
    """

    holder: str = ""
    advertise_url: str = ""
    term: int = 0
    expires_at: float = -math.inf
    #: Nodes that cannot reach the database.
    partitioned: set[str] = attrs.field(factory=set)
    #: Who holds the session advisory lock (``ctid.cluster.lease.LOCK_KEY``).
    lock_holder: str | None = None
    #: The row's ``locked``: its holder held the lock when it renewed.
    locked: bool = False
    #: Per node, seconds each of its next requests waits before the database runs
    #: it (a loaded server). It runs even if the node gives up waiting, as a real
    #: one goes on in its worker thread; the node's next request waits for it.
    stalls: dict[str, list[float]] = attrs.field(factory=dict)
    #: Owns the stalled requests (set by a test that stalls any).
    nursery: trio.Nursery | None = None
    #: Nodes whose session the server ended while they live (``terminate``).
    terminated: set[str] = attrs.field(factory=set)
    #: The holder's holding began with an early grant (``LeaseView.early``, sticky).
    early_holding: bool = False
    #: Every grant, as (time, node, term): who held the lease when.
    grants: list[tuple[float, str, int]] = attrs.field(factory=list)
    clock: Callable[[], float] = trio.current_time
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def client(self, node: str, advertise_url: str, lease: float) -> FakeLease:
        return FakeLease(self, node, advertise_url, lease)

    def acquire(self, node: str, advertise_url: str, lease: float) -> LeaseView:
        with self._lock:
            return self._acquire(node, advertise_url, lease)

    def _acquire(self, node: str, advertise_url: str, lease: float) -> LeaseView:
        now = self.clock()
        had_lock = self.lock_holder == node
        if self.lock_holder is None:
            self.lock_holder = node
        locked = self.lock_holder == node
        early = self.holder != node and self.expires_at >= now and locked and self.locked
        if self.holder == node or self.expires_at < now or early:
            if not (self.holder == node and self.expires_at >= now):
                self.term += 1
                self.early_holding = early
            self.holder = node
            self.advertise_url = advertise_url
            self.expires_at = now + lease
            self.locked = locked
            self.grants.append((now, node, self.term))
        elif locked and not had_lock:
            self.lock_holder = None  # not granted: the lock is left to the holder
        return LeaseView(
            holder=self.holder,
            advertise_url=self.advertise_url,
            term=self.term,
            early=self.holder == node and self.early_holding,
        )

    def died(self, node: str) -> None:
        """``node``'s process is gone: its connections close, so its lock is freed
        (and it asks nothing more)."""
        with self._lock:
            self.partitioned.add(node)
            if self.lock_holder == node:
                self.lock_holder = None

    def terminate(self, node: str) -> None:
        """The server ends ``node``'s session (``pg_terminate_backend``) while its process
        lives: its lock is freed, and its next request fails with ``SessionLost``."""
        with self._lock:
            self.terminated.add(node)
            if self.lock_holder == node:
                self.lock_holder = None

    def release(self, node: str) -> None:
        with self._lock:
            if self.holder == node:
                self.expires_at = self.clock() - 1.0
                self.locked = False
            if self.lock_holder == node:
                self.lock_holder = None


class FakeLease:
    """One node's way to the ``FakeLeaseDatabase`` (a ``ctid.cluster.node.LeaseClient``)."""

    def __init__(self, db: FakeLeaseDatabase, node: str, advertise_url: str, lease: float) -> None:
        self.db = db
        self.node = node
        self.holder = node
        self.advertise_url = advertise_url
        self.lease = lease
        #: A stalled request still running (``FakeLeaseDatabase.stalls``).
        self._pending: trio.Event | None = None

    async def _reach(self) -> None:
        await trio.lowlevel.checkpoint()
        if self.node in self.db.partitioned:
            await trio.sleep_forever()

    async def prepare(self) -> str:
        await self._reach()
        return "fake lease database"

    async def acquire(self) -> LeaseView:
        await self._reach()
        if self._pending is not None:
            await self._pending.wait()  # one request at a time, as on one session
        if self.node in self.db.terminated:
            self.db.terminated.discard(self.node)
            raise SessionLost("terminating connection due to administrator command")
        stalls = self.db.stalls.get(self.node)
        if not stalls:
            return self.db.acquire(self.node, self.advertise_url, self.lease)
        stall = stalls.pop(0)
        answer: list[LeaseView] = []
        done = self._pending = trio.Event()

        async def late() -> None:
            await trio.sleep(stall)
            answer.append(self.db.acquire(self.node, self.advertise_url, self.lease))
            self._pending = None
            done.set()

        assert self.db.nursery is not None, "a test that stalls requests gives the nursery"
        self.db.nursery.start_soon(late)
        await done.wait()
        return answer[0]

    async def release(self) -> None:
        await self._reach()
        self.db.release(self.node)

    def close(self) -> None:
        """Nothing to close: the row is in memory."""
