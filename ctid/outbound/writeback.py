"""Ended attempts written behind, in batches (``claims.write_records``).

The dialler learns how an attempt ended in the trio thread, at a rate of many
per second in a big campaign; writing each at once was one transaction per
attempt. ``RecordWriter.submit`` only notes the record's new standing; one task
writes everything noted so far in one transaction per pass (a record noted
twice is written once, the newer standing over the older), keeps the batch and
retries through a database outage (as ``ctid.livestate.store`` does), and a
graceful stop waits for it (``flush``).

What a ``kill -9`` loses: the standings noted since the last pass. Their records
stay ``dialling`` in the database (they were claimed before they were dialled);
the next start of the campaign finds them (``claims.orphan_claims``) and moves
them on as attempts, by their call record's outcome or as ``failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

import trio

from ..records.store import is_outage
from .claims import RecordWrite, write_records

__all__ = ["RecordWriter"]

log = logging.getLogger(__name__)

#: Seconds before the first retry through an outage, and the longest wait between two.
RETRY_FIRST: Final = 0.25
RETRY_MAX: Final = 5.0

Reader = Callable[..., Awaitable[Any]]


class RecordWriter:
    """Campaign records' standings, written behind in batches; see the module docstring."""

    def __init__(
        self,
        read: Reader,
        *,
        retry_first: float = RETRY_FIRST,
        retry_max: float = RETRY_MAX,
        linger: float = 0.0,
    ) -> None:
        self._read = read
        self.retry_first = retry_first
        self.retry_max = retry_max
        #: Seconds a pass waits after the first standing is noted, so the ones noted
        #: meanwhile share its transaction. 0 (the daemon's): at once. ``ctid simulate``
        #: sets it: its database work runs inline, where a pass would hold one record.
        self.linger = linger
        self._pending: dict[int, RecordWrite] = {}
        self._in_flight: dict[int, RecordWrite] = {}
        self._seq = 0
        self._written_seq = 0
        self._work = trio.Event()
        self._changed = trio.Event()
        self.commits = 0
        self.written = 0
        self.db_up = True
        self.db_error: str | None = None

    def submit(self, record_id: int, write: RecordWrite) -> None:
        """Note where ``record_id`` stands now; written at the next pass."""
        older = self._pending.get(record_id) or self._in_flight.get(record_id)
        self._pending[record_id] = older.after(write) if older is not None else write
        self._seq += 1
        self._work.set()

    def holds(self, record_id: int) -> bool:
        """Whether a standing of ``record_id`` is not in the database yet."""
        return record_id in self._pending or record_id in self._in_flight

    @property
    def waiting(self) -> int:
        """Records noted and not written yet."""
        return len(self._pending.keys() | self._in_flight.keys())

    async def flush(self) -> None:
        """Wait until everything noted so far is written (waits out an outage)."""
        target = self._seq
        while self._written_seq < target:
            await self._changed.wait()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Write what is noted, one transaction per pass, forever (cancelled: at once;
        a graceful stop calls ``flush`` first)."""
        task_status.started()
        delay = self.retry_first
        while True:
            idle = False
            while not self._pending:
                idle = True
                await self._work.wait()
                self._work = trio.Event()
            if idle and self.linger > 0:
                await trio.sleep(self.linger)
            batch, target = self._pending, self._seq
            self._pending, self._in_flight = {}, batch
            try:
                await self._read(write_records, batch)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                # Put the batch back under what was noted meanwhile (newer wins).
                for record_id, write in self._pending.items():
                    older = batch.get(record_id)
                    batch[record_id] = older.after(write) if older is not None else write
                self._pending, self._in_flight = batch, {}
                if self.db_up:
                    log.error(
                        "campaign records: the database is unavailable, keeping %d "
                        "outcomes in memory: %s",
                        len(batch),
                        exc,
                    )
                self.db_up, self.db_error = False, str(exc).splitlines()[0][:200]
                await trio.sleep(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            self._in_flight = {}
            if not self.db_up:
                log.info("campaign records: the database is back; outcomes written")
            self.db_up, self.db_error = True, None
            delay = self.retry_first
            self.commits += 1
            self.written += len(batch)
            self._written_seq = max(self._written_seq, target)
            self._changed.set()
            self._changed = trio.Event()
