"""The record writer: ops from the trio thread to the spool, and from the spool to the database.

Two tasks, each with its own worker-thread limiter, so neither waits for the other:

* the **journaller** takes ops from a bounded intake queue in batches and
  appends them to the spool (``Journal``, fsync): the durable point;
* the **committer** reads what the spool holds beyond what the database has,
  applies it in one transaction per batch, and deletes spool segments the
  database has wholly committed.

Call handling only ever calls ``submit()``, which never blocks: a full intake
queue (the disk is far behind) or a full spool (a long database outage) drops
the op, counts it and logs it, because holding up calls for their records
would be worse. A database that cannot be reached is retried with back-off
while the spool grows; a write the database rejects as invalid is set aside
in ``rejected.jsonl`` beside the spool so it cannot block the ones after it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import attrs
import trio
from sqlalchemy.engine import Engine

from ..blocking import Blocking, in_thread
from . import db, store
from . import ops as o
from .bulk import apply
from .journal import FRAME_OVERHEAD, Journal, Position
from .store import is_outage, out_of_descriptors

__all__ = ["INTAKE_SIZE", "RecordWriter", "WriterLimits", "WriterStatistics"]

log = logging.getLogger(__name__)

#: Ops waiting for the journaller. Full: new ops are dropped (the disk is stuck).
INTAKE_SIZE: Final = 20_000
#: Ops per spool append.
JOURNAL_BATCH: Final = 2_000
#: Seconds a stopping daemon gives the database for what is still in the spool.
FINAL_COMMIT_SECONDS: Final = 5.0


@attrs.frozen(kw_only=True)
class WriterLimits:
    #: Bytes the spool may hold; past it new records are dropped (and counted).
    spool_max_bytes: int = 256 << 20
    segment_bytes: int = 4 << 20
    #: Ops per database transaction.
    db_batch: int = 500
    #: fsync the spool after every append (off only for tests that do not need it).
    fsync: bool = True
    #: First and longest wait between attempts to reach a database that is down.
    retry_first: float = 0.25
    retry_max: float = 5.0
    #: Seconds the committer waits once something new is in the spool before it
    #: commits, so what comes meanwhile shares the transaction. 0 (the daemon's):
    #: at once, a pass taking what the spool holds then (threads make batches of
    #: what arrives during a commit). ``ctid simulate`` runs the database inline,
    #: where every pass would hold an op or two, and sets it (records stay durable
    #: in the spool meanwhile; a stop commits what is left).
    commit_delay: float = 0.0


@attrs.frozen(kw_only=True)
class WriterStatistics:
    submitted: int
    #: Ops in the spool the database has not committed yet.
    spooled: int
    spool_bytes: int
    committed: int
    dropped: int
    rejected: int
    db_up: bool
    db_error: str | None


class RecordWriter:
    """See the module docstring. ``run`` starts it; ``submit`` feeds it."""

    def __init__(
        self,
        *,
        engine: Engine,
        spool_dir: Path,
        limits: WriterLimits | None = None,
        db_limiter: trio.CapacityLimiter | None = None,
        blocking: Blocking = in_thread,
    ) -> None:
        self.engine = engine
        self.blocking = blocking
        self.limits = limits or WriterLimits()
        self.journal = Journal(
            spool_dir, segment_bytes=self.limits.segment_bytes, fsync=self.limits.fsync
        )
        self.rejected_path = spool_dir / "rejected.jsonl"
        #: One thread at a time talks to the database for writes.
        self.db_limiter = db_limiter or trio.CapacityLimiter(1)
        self._journal_limiter = trio.CapacityLimiter(1)
        self._send, self._receive = trio.open_memory_channel[o.Op](INTAKE_SIZE)
        #: Called with the seconds each committed transaction took (metrics).
        self.commit_observers: list[Callable[[float], None]] = []
        #: Called with the ops of each committed transaction, in order, once the
        #: database has them (``records.announce`` publishes finished records).
        self.applied_observers: list[Callable[[Sequence[o.Op]], None]] = []
        self.submitted = 0
        self.dropped = 0
        self.rejected = 0
        self.committed = 0
        self._processed = 0
        self._frames_written = 0
        self._frames_applied = 0
        self._spool_bytes = 0
        self._end = Position(1, 0)
        self._cursor = Position(1, 0)
        self.db_up = False
        self.db_error: str | None = None
        #: The schema was checked (the records service does it at start; after a
        #: start with the database away, the first commit checks it).
        self.schema_checked = False
        self._changed = trio.Event()
        self._full_logged = False

    # ---------------------------------------------------------------- feeding

    def submit(self, op: o.Op) -> bool:
        """Queue ``op`` for writing; never blocks. False if it had to be dropped."""
        self.submitted += 1
        try:
            self._send.send_nowait(op)
        except trio.WouldBlock:
            self._drop(1, "the spool writer is behind (intake queue full)")
            self._processed += 1
            return False
        return True

    def _drop(self, count: int, why: str) -> None:
        self.dropped += count
        if not self._full_logged:
            log.error("records lost: %s; %d record(s) dropped so far", why, self.dropped)
            self._full_logged = True

    def statistics(self) -> WriterStatistics:
        return WriterStatistics(
            submitted=self.submitted,
            spooled=self._frames_written - self._frames_applied,
            spool_bytes=self._spool_bytes,
            committed=self.committed,
            dropped=self.dropped,
            rejected=self.rejected,
            db_up=self.db_up,
            db_error=self.db_error,
        )

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def wait_committed(self) -> None:
        """Wait until everything submitted so far is in the database (or was dropped)."""
        target = self.submitted
        while self._processed < target:
            await self._changed.wait()
        frames = self._frames_written
        while self._frames_applied < frames:
            await self._changed.wait()

    async def wait_for(self, predicate: Callable[[WriterStatistics], bool]) -> None:
        """Wait until ``predicate(statistics())`` holds (re-checked at every change)."""
        while not predicate(self.statistics()):
            await self._changed.wait()

    async def wait_spooled(self) -> None:
        """Wait until everything submitted so far is in the spool (durable) or dropped."""
        target = self.submitted
        while self._processed < target:
            await self._changed.wait()

    # ------------------------------------------------------------------- run

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        recovered = await self.blocking(self.journal.open, limiter=self._journal_limiter)
        if recovered.frames:
            log.info(
                "spool holds %d record(s) not yet known to be in the database; writing them",
                recovered.frames,
            )
        self._cursor = recovered.start
        self._end = recovered.end
        self._frames_written = recovered.frames
        self._spool_bytes = recovered.bytes
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._journaller)
                nursery.start_soon(self._committer)
                task_status.started()
        finally:
            # Stopping: the journaller has put what was queued into the spool;
            # the database gets it now rather than at the next start.
            with trio.CancelScope(shield=True), trio.move_on_after(FINAL_COMMIT_SECONDS):
                await self._final_commit()
            self.journal.close()

    async def _final_commit(self) -> None:
        if not self.db_up:
            return  # it is away: the spool keeps the records for the next start
        while self._cursor < self._end:
            try:
                count, cursor, _, rejected, applied = await self.blocking(
                    self._commit_some, self._cursor, self._end, limiter=self.db_limiter
                )
            except Exception as exc:
                log.warning("records left in the spool for the next start: %s", _short(exc))
                return
            self._cursor = cursor
            self._frames_applied += count
            self.committed += count - rejected
            self.rejected += rejected
            self._applied(applied)

    async def _journaller(self) -> None:
        try:
            while True:
                first = await self._receive.receive()
                batch = [first]
                while len(batch) < JOURNAL_BATCH:
                    try:
                        batch.append(self._receive.receive_nowait())
                    except trio.WouldBlock:
                        break
                await self._journal(batch)
        finally:
            # Cancelled (shutdown): what is already queued still goes to disk.
            with trio.CancelScope(shield=True), trio.move_on_after(5):
                rest: list[o.Op] = []
                while True:
                    try:
                        rest.append(self._receive.receive_nowait())
                    except trio.WouldBlock:
                        break
                if rest:
                    await self._journal(rest)

    async def _journal(self, batch: list[o.Op]) -> None:
        payloads = []
        size = 0
        room = self.limits.spool_max_bytes - self._spool_bytes
        for op in batch:
            payload = o.encode(op)
            if size + len(payload) + FRAME_OVERHEAD > room:
                self._drop(1, f"the spool is full ({self.limits.spool_max_bytes} bytes)")
                continue
            size += len(payload) + FRAME_OVERHEAD
            payloads.append(payload)
        if payloads:
            try:
                end, written = await self.blocking(
                    self.journal.append, payloads, limiter=self._journal_limiter
                )
            except OSError as exc:
                self._drop(len(payloads), f"cannot write the spool: {exc}")
            else:
                self._end = end
                self._spool_bytes += written
                self._frames_written += len(payloads)
                self._full_logged = False
        self._processed += len(batch)
        self._wake()

    async def _committer(self) -> None:
        delay = self.limits.retry_first
        while True:
            caught_up = False
            while self._cursor >= self._end:
                caught_up = True
                await self._changed.wait()
            if caught_up and self.limits.commit_delay > 0:
                await trio.sleep(self.limits.commit_delay)
            try:
                count, cursor, elapsed, rejected, applied = await self.blocking(
                    self._commit_some, self._cursor, self._end, limiter=self.db_limiter
                )
            except _SpoolUnreadable as exc:
                # The spool (a local file), not the database: /healthz keeps
                # reporting the database as it last was.
                log.error("cannot read the records spool, retrying: %s", exc.__cause__)
                await trio.sleep(delay)
                delay = min(delay * 2, self.limits.retry_max)
                continue
            except Exception as exc:
                if not (is_outage(exc) or isinstance(exc, db.SchemaError)):
                    raise
                if out_of_descriptors(exc):
                    log.error("out of file descriptors writing records, retrying: %s", _short(exc))
                    await trio.sleep(delay)
                    delay = min(delay * 2, self.limits.retry_max)
                    continue
                if self.db_up or self.db_error is None:
                    log.error("records database unavailable, spooling: %s", _short(exc))
                self.db_up = False
                self.db_error = _short(exc)
                self._wake()
                await trio.sleep(delay)
                delay = min(delay * 2, self.limits.retry_max)
                continue
            if not self.db_up:
                if self.db_error is not None:
                    log.info("records database is back; writing the spool")
                self.db_up = True
                self.db_error = None
            delay = self.limits.retry_first
            moved_segment = cursor.segment != self._cursor.segment
            self._cursor = cursor
            self._frames_applied += count
            self.committed += count - rejected
            self.rejected += rejected
            for observer in self.commit_observers:
                observer(elapsed)
            self._applied(applied)
            if moved_segment:
                freed = await self.blocking(self.journal.release, cursor, limiter=self.db_limiter)
                self._spool_bytes -= freed
            self._wake()

    def _applied(self, applied: Sequence[o.Op]) -> None:
        if applied:
            for observer in self.applied_observers:
                observer(applied)

    def _commit_some(
        self, start: Position, end: Position
    ) -> tuple[int, Position, float, int, list[o.Op]]:
        """(thread) Apply the next batch of spooled ops.

        Returns how many were read, where the next batch starts, the seconds the
        commit took, how many ops were set aside and the ops applied.
        """
        if not self.schema_checked:
            db.prepare(self.engine)
            self.schema_checked = True
        try:
            payloads, cursor = self.journal.read(start, end, self.limits.db_batch)
        except OSError as exc:
            raise _SpoolUnreadable() from exc
        batch = []
        rejected = 0
        for payload in payloads:
            try:
                batch.append(o.decode(payload))
            except (ValueError, TypeError, KeyError) as exc:
                rejected += 1
                self._set_aside(payload, f"cannot decode: {exc}")
        # Real elapsed time of the commit (a metric); trio's clock is not
        # readable from a worker thread.
        started = time.perf_counter()
        applied = batch
        try:
            apply(self.engine, batch)
        except Exception as exc:
            if is_outage(exc):
                raise
            # One bad op must not hold up the rest: apply one by one, set aside
            # those the database refuses.
            applied = []
            for op in batch:
                try:
                    store.apply(self.engine, [op])
                except Exception as one:
                    if is_outage(one):
                        raise
                    rejected += 1
                    self._set_aside(o.encode(op), _short(one))
                else:
                    applied.append(op)
        elapsed = time.perf_counter() - started
        # After the commit: a restart then replays only what follows (the
        # start-up count of records still to write is true).
        try:
            self.journal.mark(cursor)
        except OSError as exc:
            log.warning("cannot note the spool's committed position: %s", exc)
        return len(payloads), cursor, elapsed, rejected, applied

    def _set_aside(self, payload: bytes, why: str) -> None:
        """(thread) Keep a record the database refused, for an operator to look at."""
        log.error("records database refused a record (kept in %s): %s", self.rejected_path, why)
        line = json.dumps({"error": why, "record": payload.decode("utf-8", "replace")})
        with open(self.rejected_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class _SpoolUnreadable(Exception):
    """Reading the spool failed (the cause says why); the database is not to blame."""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return f"{type(exc).__name__}: {first}"[:300]
