"""The durable live-state store: rows ``(kind, key) -> JSON object``, written behind the caller.

Services tell the store what changed (``put``, ``delete``) as it changes, from
the trio thread and without waiting: each call only records the newest value
of its row in a pending map, so many changes to one row between two commits
cost one write (coalescing). The writer task (``run``) takes the whole pending
map at once and commits it in one transaction in a worker thread; whatever
changes meanwhile waits for the next commit.

At start ``run`` reads every row (once, before it reports itself started)
and ``load(kind)`` hands them to the services restoring their state.

The database is the records database (``ctid.records.db``: SQLite by default,
PostgreSQL in production) and its table ``live_state`` (migration 0002).

A database that cannot be reached is retried with back-off, logged once when
it goes and once when it is back; the changes wait in the pending map. That
map holds at most one entry per row, and a row that never reached the
database and is deleted again leaves nothing behind, so it is bounded by the
live state itself (agents, calls in progress) and not by the outage's length;
``max_pending`` is a last guard past which new rows are dropped, counted and
logged. The call path never waits for any of this.

What a ``kill -9`` loses: the changes not yet committed, i.e. those of the
commit in flight and of the one before it at most (docs/design.md, "Durable
live state").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Final

import attrs
import sqlalchemy as sa
import trio
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ..blocking import Blocking, in_thread
from ..records import db
from ..records.schema import live_state
from ..records.store import is_outage

__all__ = ["KINDS", "MAX_PENDING", "LiveStore", "LiveStoreStatistics", "StoreNotLoaded"]

log = logging.getLogger(__name__)

#: The kinds of rows ctid keeps (docs/design.md, "Durable live state").
KINDS: Final = frozenset(
    {
        "agent",
        "queue",
        "queue_entry",
        "last_agent",
        "call",
        "leg",
        "record",
        "recording",
        "fax",
        "campaign",
        "campaign_attempt",
    }
)
#: Rows waiting for the database past which new rows are dropped (a last guard:
#: the pending map is bounded by the live state in normal running).
MAX_PENDING: Final = 200_000
#: The longest ``kind`` and ``key`` the table takes (migration 0002).
MAX_KIND: Final = 32
MAX_KEY: Final = 255

_Key = tuple[str, str]
#: A pending change: the row's JSON text, or None to delete it.
_Change = str | None


class StoreNotLoaded(RuntimeError):
    """``load`` was called before ``run`` read the database."""


@attrs.frozen(kw_only=True)
class LiveStoreStatistics:
    #: Rows changed and not yet committed.
    pending: int
    #: Rows written or deleted in the database since start.
    committed: int
    #: Changes dropped because ``max_pending`` was reached.
    dropped: int
    #: Transactions committed since start.
    commits: int
    db_up: bool
    db_error: str | None


class LiveStore:
    """Durable live state: rows (kind, key) -> JSON-able dict, written behind the caller's back."""

    def __init__(
        self,
        *,
        engine: Engine,
        blocking: Blocking = in_thread,
        limiter: trio.CapacityLimiter | None = None,
        max_pending: int = MAX_PENDING,
        retry_first: float = 0.25,
        retry_max: float = 5.0,
        prepare_schema: bool = True,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        #: The wall clock rows are stamped with (the daemon's, which tests anchor).
        self.wall = wall
        self.blocking = blocking
        #: One thread at a time writes.
        self.limiter = limiter or trio.CapacityLimiter(1)
        self.max_pending = max_pending
        self.retry_first = retry_first
        self.retry_max = retry_max
        #: Create the schema in an empty database / check it, before loading.
        self.prepare_schema = prepare_schema
        self._loaded: dict[str, dict[str, dict[str, Any]]] | None = None
        #: When the newest row found at load was written (wall seconds; None: no rows):
        #: the previous run's last sign of life (``ctid.records.progress``).
        self.last_written: float | None = None
        self._pending: dict[_Key, _Change] = {}
        #: Rows the database holds (as far as this store knows): a delete of a
        #: row it does not hold needs no write.
        self._stored: set[_Key] = set()
        #: Changes made so far / changes known committed (for ``flush``).
        self._seq = 0
        self._committed_seq = 0
        self.committed = 0
        self.commits = 0
        self.dropped = 0
        self.db_up = False
        self.db_error: str | None = None
        self._work = trio.Event()
        self._changed = trio.Event()
        self._drop_logged = False
        #: The batch being committed now (None: no commit under way).
        self._in_flight: dict[_Key, _Change] | None = None
        #: Called with the number of rows of each commit (metrics).
        self.commit_observers: list[Callable[[int], None]] = []

    # ------------------------------------------------------------ reading

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def load(self, kind: str) -> dict[str, dict[str, Any]]:
        """What was stored for ``kind`` at start-up: key -> value (a fresh copy each call)."""
        if self._loaded is None:
            raise StoreNotLoaded("the live-state store has not read the database yet")
        _check_kind(kind)
        return json.loads(json.dumps(self._loaded.get(kind, {})))  # type: ignore[no-any-return]

    # ------------------------------------------------------------ writing

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` as the row (kind, key); never blocks.

        ``value`` is encoded now (later changes to the dict are not seen);
        a value that is not JSON-able raises ``TypeError`` here, in the caller.
        """
        _check_kind(kind)
        _check_key(key)
        if not isinstance(value, dict):
            raise TypeError(f"live state values are dicts, not {type(value).__name__}")
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
        self._change((kind, key), text)

    def delete(self, kind: str, key: str) -> None:
        """Remove the row (kind, key) if there is one; never blocks."""
        _check_kind(kind)
        _check_key(key)
        row = (kind, key)
        if self._maybe_stored(row):
            self._change(row, None)
            return
        # Never reached the database (put and deleted between two commits):
        # forgetting the put is the whole delete.
        self._pending.pop(row, None)
        self._seq += 1
        if not self._pending and self._in_flight is None:
            self._committed_seq = self._seq
            self._wake()

    def _maybe_stored(self, row: _Key) -> bool:
        """Whether the database holds ``row`` or will once the commit under way is done."""
        if row in self._stored:
            return True
        return self._in_flight is not None and self._in_flight.get(row) is not None

    def _waiting(self) -> int:
        """Rows changed and not committed: pending, or in the commit under way."""
        if self._in_flight is None:
            return len(self._pending)
        return len(self._pending) + sum(1 for row in self._in_flight if row not in self._pending)

    def _change(self, row: _Key, change: _Change) -> None:
        known = row in self._pending or (self._in_flight is not None and row in self._in_flight)
        flying = len(self._in_flight) if self._in_flight is not None else 0
        # The exact count walks the batch in flight: only near the limit.
        full = len(self._pending) + flying >= self.max_pending
        if not known and full and self._waiting() >= self.max_pending:
            self.dropped += 1
            if not self._drop_logged:
                log.error(
                    "live state: %d changes wait for the database; dropping new ones "
                    "(%d dropped so far)",
                    self._waiting(),
                    self.dropped,
                )
                self._drop_logged = True
            return
        self._pending[row] = change
        self._seq += 1
        self._work.set()

    async def flush(self) -> None:
        """Wait until everything put/deleted so far is committed (waits out an outage)."""
        target = self._seq
        while self._committed_seq < target:
            await self._changed.wait()

    def statistics(self) -> LiveStoreStatistics:
        return LiveStoreStatistics(
            pending=self._waiting(),
            committed=self.committed,
            dropped=self.dropped,
            commits=self.commits,
            db_up=self.db_up,
            db_error=self.db_error,
        )

    async def wait_for(self, predicate: Callable[[LiveStoreStatistics], bool]) -> None:
        """Wait until ``predicate(statistics())`` holds (re-checked at every change)."""
        while not predicate(self.statistics()):
            await self._changed.wait()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    # ---------------------------------------------------------------- run

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Read every row (retrying while the database is away), then write changes; forever.

        Reports itself started only once the rows are loaded, so services
        restore from them before the API serves. Cancelled, it stops at once:
        a graceful shutdown calls ``flush`` first.
        """
        await self.reload()
        task_status.started()
        await self._writer()

    async def reload(self) -> None:
        """Read every row from the database again (start, a standby taking over)."""
        delay = self.retry_first
        while True:
            try:
                rows, newest = await self.blocking(self._read_all, limiter=self.limiter)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._outage(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            break
        self._back()
        loaded: dict[str, dict[str, dict[str, Any]]] = {}
        stored: set[_Key] = set()
        for kind, key, text in rows:
            try:
                value = json.loads(text)
            except ValueError:
                log.error("live state: row (%s, %s) is not JSON; ignored", kind, key)
                continue
            if not isinstance(value, dict):
                log.error("live state: row (%s, %s) is not a JSON object; ignored", kind, key)
                continue
            loaded.setdefault(kind, {})[key] = value
            stored.add((kind, key))
        self._loaded = loaded
        self._stored = stored
        self.last_written = newest
        log.info(
            "live state loaded: %s",
            ", ".join(f"{len(v)} {k}" for k, v in sorted(loaded.items())) or "nothing",
        )

    def _read_all(self) -> tuple[list[tuple[str, str, str]], float | None]:
        """(thread) Prepare the schema if asked, read every row and the newest write time."""
        if self.prepare_schema:
            db.prepare(self.engine)
        with self.engine.connect() as conn:
            result = conn.execute(
                sa.select(
                    live_state.c.kind, live_state.c.key, live_state.c.value, live_state.c.updated_at
                )
            )
            rows = []
            newest: float | None = None
            for r in result:
                rows.append((r.kind, r.key, r.value))
                written = r.updated_at.timestamp()
                newest = written if newest is None else max(newest, written)
            return rows, newest

    async def _writer(self) -> None:
        delay = self.retry_first
        while True:
            while not self._pending:
                await self._work.wait()
                self._work = trio.Event()
            batch = self._pending
            target = self._seq
            self._pending = {}
            self._in_flight = batch
            try:
                await self.blocking(self._commit, batch, self.wall(), limiter=self.limiter)
            except Exception as exc:
                self._in_flight = None
                if not is_outage(exc):
                    raise
                # Put the batch back under what changed meanwhile (newer wins).
                batch.update(self._pending)
                self._pending = batch
                self._outage(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            self._in_flight = None
            delay = self.retry_first
            self._back()
            for row, change in batch.items():
                if change is None:
                    self._stored.discard(row)
                else:
                    self._stored.add(row)
            self.committed += len(batch)
            self.commits += 1
            self._drop_logged = False
            if not self._pending:
                # Deletes of never-written rows made meanwhile need nothing more.
                target = self._seq
            self._committed_seq = max(self._committed_seq, target)
            for observer in self.commit_observers:
                observer(len(batch))
            self._wake()

    def _commit(self, batch: dict[_Key, _Change], stamp: float) -> None:
        """(thread) Write ``batch`` in one transaction, its rows stamped ``stamp``."""
        now = dt.datetime.fromtimestamp(stamp, dt.UTC)
        puts = [
            {"kind": k, "key": key, "value": v, "updated_at": now}
            for (k, key), v in batch.items()
            if v is not None
        ]
        deletes = [{"b_kind": k, "b_key": key} for (k, key), v in batch.items() if v is None]
        with self.engine.begin() as conn:
            if puts:
                conn.execute(_upsert(conn), puts)
            if deletes:
                conn.execute(_DELETE, deletes)

    def _outage(self, exc: BaseException) -> None:
        if self.db_up or self.db_error is None:
            log.error("live-state database unavailable, keeping changes in memory: %s", _short(exc))
        self.db_up = False
        self.db_error = _short(exc)
        self._wake()

    def _back(self) -> None:
        if not self.db_up:
            if self.db_error is not None:
                log.info("live-state database is back; writing the changes kept meanwhile")
            self.db_up = True
            self.db_error = None
            self._wake()


_DELETE = (
    sa.delete(live_state)
    .where(live_state.c.kind == sa.bindparam("b_kind"))
    .where(live_state.c.key == sa.bindparam("b_key"))
)


def _upsert(conn: Connection) -> Any:
    insert: Any
    if conn.dialect.name == "postgresql":
        insert = postgresql.insert(live_state)
    elif conn.dialect.name == "sqlite":
        insert = sqlite.insert(live_state)
    else:
        raise NotImplementedError(f"live state needs SQLite or PostgreSQL, not {conn.dialect.name}")
    return insert.on_conflict_do_update(
        index_elements=[live_state.c.kind, live_state.c.key],
        set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
    )


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown live-state kind {kind!r} (known: {', '.join(sorted(KINDS))})")


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise ValueError(f"a live-state key is a string of 1 to {MAX_KEY} characters: {key!r}")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return f"{type(exc).__name__}: {first}"[:300]
