"""``record.callClosed`` and ``recording.available``: published once the database has them.

The record writer tells its ``applied_observers`` which ops each committed
transaction held. A finished call record (``CallClose``) and a recording
whose file is complete (``RecordingOp`` in state ``done``) are then read
back from the database and published on the bus: the event carries exactly
what ``records.get`` / ``recording.get`` return, and a receiver that looks the
record up on the event finds it.

A record is read back only if its event would reach someone when it is
published (``CstaPublisher.wants``: a monitor of one of the call's devices, of
the call or of its queue, an observer, a webhook tap). With nobody listening
(``ctid simulate``, a daemon without sessions or webhooks) the read-back, most of
the cost of an event, is skipped and the event counted as unheard.

They reach device monitors of the call's devices, topic monitors of the call's
queue (``queueObject``), and the webhooks. After a crash the spool replays
what the database may not have had, so an event can come twice (the webhook
receiver drops duplicates by the call's or recording's id).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import trio

from ..publish import CstaPublisher
from . import ops as o
from .lookup import load_records, recording_row
from .service import RecordsService
from .store import is_outage
from .wire import record_to_wire, recording_to_wire

__all__ = ["CALL_CLOSED", "RECORDING_AVAILABLE", "Announcer"]

log = logging.getLogger(__name__)

CALL_CLOSED: Final = "record.callClosed"
RECORDING_AVAILABLE: Final = "recording.available"
#: Records read back per query.
READ_BATCH: Final = 200


class Announcer:
    """See the module docstring."""

    def __init__(self, records: RecordsService, publisher: CstaPublisher) -> None:
        self.records = records
        self.publisher = publisher
        #: Finished calls to announce (the op says whom the event would reach).
        self._calls: list[o.CallClose] = []
        self._recordings: list[str] = []
        self._wake = trio.Event()
        self.published = 0

    def on_applied(self, ops: Sequence[o.Op]) -> None:
        """Writer observer: note what just became readable."""
        for op in ops:
            if isinstance(op, o.CallClose):
                self._calls.append(op)
            elif isinstance(op, o.RecordingOp) and op.state == "done":
                self._recordings.append(op.recording_id)
        if self._calls or self._recordings:
            self._wake.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            while self._calls or self._recordings:
                calls, self._calls = self._calls[:READ_BATCH], self._calls[READ_BATCH:]
                recordings = self._recordings[:READ_BATCH]
                self._recordings = self._recordings[READ_BATCH:]
                try:
                    await self._announce(calls, recordings)
                except Exception as exc:
                    if not is_outage(exc):
                        raise
                    # Committed a moment ago, so the database is there; a blip
                    # costs these events rather than holding up the ones after.
                    log.error("could not read back %d record(s) to announce: %s", len(calls), exc)

    def _heard(self, op: o.CallClose) -> bool:
        """Whether ``record.callClosed`` of ``op`` would reach anyone now (the record's
        legs are the op's: ``store.apply`` writes them from it)."""
        return self.publisher.wants(
            devices=[leg.device for leg in op.legs],
            calls=[op.call_id],
            topics=[f"queue:{op.queue}"] if op.queue else [],
        )

    async def _announce(self, closed: list[o.CallClose], recordings: list[str]) -> None:
        calls = [op.call_id for op in closed if self._heard(op)]
        # Nobody to tell of the others: no read-back, counted as ``publish`` counts them.
        for _ in range(len(closed) - len(calls)):
            self.published += 1
            self.publisher.bus.unheard()
        records = await self.records.read(load_records, calls) if calls else []
        for record in records:
            params = record_to_wire(record)
            self._publish(
                CALL_CLOSED,
                params,
                call_id=params["callID"],
                devices=[leg["device"] for leg in params["legs"]],
                queue=params["queue"],
            )
        for recording_id in recordings:
            row: dict[str, Any] | None = await self.records.read(recording_row, recording_id)
            if row is None or row["state"] != "done":
                continue  # deleted since, or replayed from the spool after it changed
            params = recording_to_wire(row)
            self._publish(
                RECORDING_AVAILABLE,
                params,
                call_id=params["callID"],
                devices=list(row.get("devices", ())),
                queue=params["queue"],
            )

    def _publish(
        self,
        name: str,
        params: dict[str, Any],
        *,
        call_id: str | None,
        devices: list[str],
        queue: str | None,
    ) -> None:
        self.published += 1
        self.publisher.publish(
            name,
            params,
            devices=sorted(set(devices)),
            calls=[call_id] if call_id else [],
            topics=[f"queue:{queue}"] if queue else [],
        )
