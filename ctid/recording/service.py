"""The recording service: starts, pauses, resumes and stops recordings of calls.

A recording records a call's bridge (everyone in the call) into a file under
the recordings directory. It starts on demand (``recording.start``) or by
policy when a person answers a call (every call, a queue's, an agent's).
Each change is:

* carried out by the switch (``StartRecording``... through ``CallService``);
* published to clients as ``Recording<State>Event`` on the call and its devices;
* announced to ctid's services as a ``RecordingStateChanged`` notice;
* written to the records database (``RecordingOp``) when records are on.

The recording's id goes into the call's facts (``FACT_RECORDINGS``), so its
call record names it. When the switch says the recording is finished
(``RecordingDone``), the file's size and SHA-256 are taken in a worker
thread. Retention deletes files older than their queue's limit, on the trio
clock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
import trio

from .. import facts as f
from ..blocking import Blocking, in_thread
from ..calls.events import EstablishedEvent
from ..calls.model import Emitted
from ..calls.notices import Notice, RecordingDone
from ..calls.service import CallService
from ..clock import WallClock
from ..ids import IdFactory
from ..publish import CstaPublisher
from ..records import ops as o
from ..switch_drivers import base as sw
from . import files, keep
from .config import RecordingSettings
from .search import expired

if TYPE_CHECKING:
    from ..records.service import RecordsService

__all__ = ["EVENT_NAMES", "ActiveRecording", "RecordingError", "RecordingService"]

#: Every event the recording service publishes, for ``rpc.discover``.
EVENT_NAMES: Final = tuple(
    f"Recording{change.capitalize()}Event"
    for change in ("started", "paused", "resumed", "stopped", "failed", "deleted")
)

log = logging.getLogger(__name__)

#: Calls waiting to be recorded by policy. Full: the recording is skipped (logged).
AUTO_QUEUE_SIZE: Final = 1000
#: Finished recordings waiting for their file to be checked.
DONE_QUEUE_SIZE: Final = 1000


class RecordingError(Exception):
    """A recording request that cannot be done: ``reason`` is a stable slug."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@attrs.define(eq=False)
class ActiveRecording:
    recording_id: str
    call_id: str
    #: Relative to the recordings directory.
    path: str
    format: str
    started_at: float
    started_by: str
    devices: tuple[str, ...]
    caller: str | None
    called: str | None
    queue: str | None
    agent_id: str | None
    tags: tuple[str, ...] = ()
    #: ``starting``, ``recording``, ``paused``, ``stopping``.
    state: str = "starting"
    paused_since: float | None = None
    paused_seconds: float = 0.0
    important: bool = False


class RecordingService:
    """See the module docstring."""

    def __init__(
        self,
        *,
        settings: RecordingSettings,
        calls: CallService,
        publisher: CstaPublisher,
        clock: WallClock,
        ids: IdFactory,
        records: RecordsService | None,
        blocking: Blocking = in_thread,
    ) -> None:
        self.settings = settings
        self.blocking = blocking
        self.calls = calls
        self.model = calls.model
        self.publisher = publisher
        self.clock = clock
        self.ids = ids
        self.records = records
        self.node = records.node if records is not None else "ctid"
        self.active: dict[str, ActiveRecording] = {}
        self.by_call: dict[str, str] = {}
        #: Device -> the ACD agent last seen at it (from the agent state log).
        self.agent_at: dict[str, str] = {}
        self._auto_send, self._auto_receive = trio.open_memory_channel[tuple[str, str]](
            AUTO_QUEUE_SIZE
        )
        self._done_send, self._done_receive = trio.open_memory_channel[RecordingDone](
            DONE_QUEUE_SIZE
        )
        self._file_limiter = trio.CapacityLimiter(1)
        self._ended = trio.Event()
        #: Recordings forgotten but whose file is still being checked.
        self._finishing = 0
        self.started_total = 0
        self.failed_total = 0
        self.deleted_total = 0
        #: Live state (``keep_in``): recordings in progress kept across restarts.
        self.rows: Any = None
        #: Calls that came back under a new id after a restart -> their first id.
        self._first_ids: dict[str, str] = {}

    def keep_in(self, rows: Any) -> None:
        """Keep recordings in progress in ``rows`` (``ctid.livestate.store.LiveStore``)."""
        self.rows = rows

    def _keep(self, rec: ActiveRecording) -> None:
        if self.rows is not None and rec.recording_id in self.active:
            self.rows.put(keep.KIND, rec.recording_id, keep.to_row(rec, self.clock))

    async def _track_restored(self) -> None:
        """Tell the driver which of the switch's recordings are ours: a restarted driver
        knows nothing of them, and could neither stop them nor see them end."""
        for rid, rec in list(self.active.items()):
            call = self.model.calls.get(rec.call_id)
            if call is None or call.bridge_id is None:
                continue
            try:
                await self.calls.execute(
                    [
                        sw.TrackRecording(
                            recording_id=rid,
                            target=sw.MediaTarget.bridge(call.bridge_id),
                            path=str(files.resolve(self.directory, rec.path).with_suffix("")),
                            format=rec.format,
                        )
                    ]
                )
            except sw.DriverError as exc:
                log.warning("recording %s: the switch driver cannot take it back (%s)", rid, exc)

    def _restore(self) -> None:
        """At start: recordings of calls still up go on (the switch still records them)."""
        if self.rows is None:
            return
        progress = getattr(self.records, "progress", None)
        renamed = {k.record_id: cid for cid, k in getattr(progress, "kept", {}).items()}
        for rid, row in self.rows.load(keep.KIND).items():
            try:
                rec = ActiveRecording(**keep.from_row(row, self.clock))
            except (KeyError, ValueError, TypeError) as exc:
                log.error("live state: recording %s not restored (%r)", rid, exc)
                self.rows.delete(keep.KIND, rid)
                continue
            call_id = renamed.get(rec.call_id, rec.call_id)
            if call_id not in self.model.calls or call_id in self.by_call:
                self.rows.delete(keep.KIND, rid)
                continue
            if call_id != rec.call_id:
                self._first_ids[call_id] = rec.call_id
            rec.call_id = call_id
            recorded: list[str] = self.model.calls[call_id].facts.setdefault(f.FACT_RECORDINGS, [])
            if rid not in recorded:
                recorded.append(rid)
            self.active[rid] = rec
            self.by_call[call_id] = rid
            # This run owns it now (the restart marked the earlier run's as failed).
            self._write(rec, "paused" if rec.state == "paused" else "recording")
            log.info("live state: recording %s of call %s goes on", rid, call_id)

    @property
    def directory(self) -> Path:
        return self.settings.directory

    # ---------------------------------------------------------------- control

    async def start(
        self, call_id: str, *, started_by: str, tags: tuple[str, ...] = ()
    ) -> ActiveRecording:
        """Record a call (its whole bridge); raises ``RecordingError``."""
        call = self.model.calls.get(call_id)
        if call is None:
            raise RecordingError("no-such-call", f"no call {call_id!r}")
        if call_id in self.by_call:
            raise RecordingError(
                "already-recording",
                f"call {call_id} is being recorded already ({self.by_call[call_id]})",
            )
        rid = self.ids.new("r")
        relative = files.relative_path(rid, self.clock.datetime(), self.settings.format)
        target = files.resolve(self.directory, relative)
        queue = call.facts.get(f.FACT_QUEUE)
        agent = call.facts.get(f.FACT_AGENT)
        rec = ActiveRecording(
            recording_id=rid,
            call_id=call_id,
            path=relative,
            format=self.settings.format,
            started_at=trio.current_time(),
            started_by=started_by,
            devices=tuple(call.connections),
            caller=call.calling_device,
            called=call.called_device,
            queue=str(queue) if queue is not None else None,
            agent_id=str(agent) if agent is not None else self._agent_of(call.connections),
            tags=tags,
        )
        self.active[rid] = rec
        self.by_call[call_id] = rid
        # In the facts before the switch starts it: the call may end while the
        # command runs, and its record must name the recording.
        recorded: list[str] = call.facts.setdefault(f.FACT_RECORDINGS, [])
        recorded.append(rid)
        try:
            # The switch makes the directories (on its side of the file system).
            await self.calls.execute(
                [
                    sw.StartRecording(
                        recording_id=rid,
                        target=sw.MediaTarget.bridge(call.bridge_id),
                        path=str(target.with_suffix("")),
                        format=self.settings.format,
                    )
                ]
            )
        except (sw.DriverError, OSError) as exc:
            self._forget(rec)
            if rid in recorded and call_id in self.model.calls:
                recorded.remove(rid)
            self.failed_total += 1
            self._changed(rec, "failed", detail=str(exc))
            raise RecordingError("switch-refused", f"the recording did not start: {exc}") from exc
        self.started_total += 1
        if rec.state == "starting":
            rec.state = "recording"
            self._changed(rec, "started")
        return rec

    def _agent_of(self, devices: Any) -> str | None:
        for device in devices:
            agent = self.agent_at.get(device)
            if agent is not None:
                return agent
        return None

    def _active(self, recording_id: str) -> ActiveRecording:
        rec = self.active.get(recording_id)
        if rec is None:
            raise RecordingError("no-such-recording", f"no recording {recording_id!r} in progress")
        return rec

    async def pause(self, recording_id: str) -> ActiveRecording:
        """Silence from now on (a card number is being read out)."""
        rec = self._active(recording_id)
        if rec.state != "recording":
            raise RecordingError("invalid-state", f"recording {recording_id} is {rec.state}")
        await self._command(sw.PauseRecording(recording_id=recording_id))
        rec.state = "paused"
        rec.paused_since = trio.current_time()
        self._changed(rec, "paused")
        return rec

    async def resume(self, recording_id: str) -> ActiveRecording:
        rec = self._active(recording_id)
        if rec.state != "paused":
            raise RecordingError("invalid-state", f"recording {recording_id} is {rec.state}")
        await self._command(sw.ResumeRecording(recording_id=recording_id))
        if rec.paused_since is not None:
            rec.paused_seconds += trio.current_time() - rec.paused_since
            rec.paused_since = None
        rec.state = "recording"
        self._changed(rec, "resumed")
        return rec

    async def stop(self, recording_id: str) -> ActiveRecording:
        """Stop; the file is complete when the switch says so (``RecordingStoppedEvent``)."""
        rec = self._active(recording_id)
        if rec.state in ("starting", "stopping"):
            raise RecordingError("invalid-state", f"recording {recording_id} is {rec.state}")
        rec.state = "stopping"
        await self._command(sw.StopRecording(recording_id=recording_id))
        return rec

    def set_important(self, rec: ActiveRecording, important: bool) -> None:
        """Mark a recording in progress important (finished ones are marked in the database)."""
        rec.important = important
        self._write(rec, "paused" if rec.state == "paused" else "recording")

    async def delete(self, row: Mapping[str, Any], *, by: str) -> None:
        """Delete a finished recording's file at a user's request, and say so.

        The row stays (state ``deleted``), as after retention: the call record
        still shows a recording was made, and the audit line says by whom.
        """
        if self.records is None:
            raise RecordingError("no-records", "recordings are kept in the call records: off")
        recording_id, relative = row["recording_id"], row["path"]
        try:
            path = files.resolve(self.directory, relative)
        except ValueError:
            log.error("recording %s: refusing to delete %r", recording_id, relative)
            raise RecordingError("bad-path", f"recording {recording_id}: bad path") from None
        await self.blocking(files.delete, path, limiter=self._file_limiter)
        self.records.submit(o.RecordingDeleted(recording_id=recording_id, at=self.clock.now()))
        self.deleted_total += 1
        log.warning("AUDIT recording %s deleted by %s", recording_id, by)
        self.publisher.publish(
            "RecordingDeletedEvent",
            {
                "recordingID": recording_id,
                "callID": row["call_id"],
                "state": "deleted",
                "startedBy": row["started_by"],
                "deletedBy": by,
            },
            devices=sorted(row["devices"]),
        )

    def set_tags(self, rec: ActiveRecording, tags: tuple[str, ...]) -> None:
        """Tags of a recording in progress (finished ones are tagged in the database)."""
        rec.tags = tags
        self._write(rec, "paused" if rec.state == "paused" else "recording")

    async def _command(self, command: sw.SwitchCommand) -> None:
        try:
            await self.calls.execute([command])
        except sw.DriverError as exc:
            raise RecordingError("switch-refused", f"the switch refused: {exc}") from exc

    def _forget(self, rec: ActiveRecording) -> None:
        if self.rows is not None:
            self.rows.delete(keep.KIND, rec.recording_id)
        self.active.pop(rec.recording_id, None)
        if self.by_call.get(rec.call_id) == rec.recording_id:
            del self.by_call[rec.call_id]
        self._ended.set()
        self._ended = trio.Event()

    async def wait_idle(self) -> None:
        """Wait until no recording is in progress (every file finished and checked)."""
        while self.active or self._finishing:
            await self._ended.wait()

    # ---------------------------------------------------------- announcements

    def _changed(
        self,
        rec: ActiveRecording,
        change: str,
        *,
        detail: str = "",
        duration: float | None = None,
        size: int | None = None,
        sha256: str | None = None,
    ) -> None:
        """Tell clients, services and the database about a change of ``rec``."""
        now = trio.current_time()
        state = {"started": "recording", "resumed": "recording", "stopped": "done"}.get(
            change, change
        )
        self._write(rec, state, detail=detail, duration=duration, size=size, sha256=sha256)
        self._keep(rec)
        self.model.notify(
            f.RecordingStateChanged(
                recording_id=rec.recording_id,
                call_id=rec.call_id,
                state=change,
                at=now,
                path=rec.path,
                duration=duration,
            )
        )
        self.calls.sync()
        params: dict[str, Any] = {
            "recordingID": rec.recording_id,
            "callID": rec.call_id,
            "state": state,
            "startedBy": rec.started_by,
        }
        if duration is not None:
            params["duration"] = duration
        if detail:
            params["detail"] = detail
        call = self.model.calls.get(rec.call_id)
        devices = set(rec.devices) | (set(call.connections) if call is not None else set())
        self.publisher.publish(
            f"Recording{change.capitalize()}Event",
            params,
            calls=[rec.call_id],
            devices=sorted(devices),
        )

    def _write(
        self,
        rec: ActiveRecording,
        state: str,
        *,
        detail: str = "",
        duration: float | None = None,
        size: int | None = None,
        sha256: str | None = None,
    ) -> None:
        if self.records is None:
            return
        ended = state in ("done", "failed")
        ended_at = None
        if ended:
            # From the switch's duration: the file check before this took real time.
            ended_at = self.clock.at(rec.started_at + duration) if duration else self.clock.now()
        self.records.submit(
            o.RecordingOp(
                recording_id=rec.recording_id,
                # A call that went on across a restart keeps its first id in the records.
                call_id=self._first_ids.get(rec.call_id, rec.call_id),
                node=self.node,
                run_id=self.ids.run_prefix,
                path=rec.path,
                format=rec.format,
                state=state,
                started_at=self.clock.at(rec.started_at),
                ended_at=ended_at,
                duration=duration,
                paused_seconds=rec.paused_seconds,
                size_bytes=size,
                sha256=sha256,
                started_by=rec.started_by,
                caller=rec.caller,
                called=rec.called,
                queue=rec.queue,
                agent_id=rec.agent_id,
                tags=rec.tags,
                detail=detail,
                important=rec.important,
            )
        )

    # ------------------------------------------------------------------ sinks

    def on_event(self, emitted: Emitted) -> None:
        """Event sink: a person answered a call; record it if the policy says so."""
        event = emitted.event
        if not isinstance(event, EstablishedEvent):
            return
        call_id = event.established_connection.call_id
        if call_id in self.by_call:
            return
        kind = self.model.directory.classify(event.answering_device)
        if kind is None or kind.value == "routePoint":
            return
        call = self.model.calls.get(call_id)
        if call is None:
            return
        queue = call.facts.get(f.FACT_QUEUE)
        agent = call.facts.get(f.FACT_AGENT) or self.agent_at.get(event.answering_device)
        reason = self.settings.policy.reason(
            queue=str(queue) if queue is not None else None,
            agent=str(agent) if agent is not None else None,
        )
        if reason is None:
            return
        try:
            self._auto_send.send_nowait((call_id, reason))
        except trio.WouldBlock:
            log.error("recording: too many calls waiting to be recorded; %s is not", call_id)

    def on_notice(self, notice: Notice) -> None:
        """Notice sink: recordings the switch finished, and where agents are."""
        if isinstance(notice, RecordingDone):
            if notice.recording_id in self.active:
                try:
                    self._done_send.send_nowait(notice)
                except trio.WouldBlock:
                    log.error("recording: finish queue full; %s left open", notice.recording_id)
        elif isinstance(notice, f.AgentStateChanged) and notice.device is not None:
            if notice.new_state == "loggedOff":
                self.agent_at.pop(notice.device, None)
            else:
                self.agent_at[notice.device] = notice.agent_id

    # -------------------------------------------------------------------- run

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self._restore()
        await self._track_restored()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._auto_loop)
            nursery.start_soon(self._done_loop)
            if self.settings.retention.rules():
                nursery.start_soon(self._retention_loop)
            task_status.started()

    async def _auto_loop(self) -> None:
        async for call_id, reason in self._auto_receive:
            try:
                await self.start(call_id, started_by=reason)
            except RecordingError as exc:
                log.warning("recording %s by policy: %s", call_id, exc.message)

    async def _done_loop(self) -> None:
        async for notice in self._done_receive:
            await self._finish(notice)

    async def _finish(self, notice: RecordingDone) -> None:
        rec = self.active.get(notice.recording_id)
        if rec is None:
            return
        self._finishing += 1
        try:
            await self._finish_one(rec, notice)
        finally:
            self._finishing -= 1
            self._ended.set()
            self._ended = trio.Event()

    async def _finish_one(self, rec: ActiveRecording, notice: RecordingDone) -> None:
        self._forget(rec)
        if rec.state == "starting":
            # It ended before start() heard back from the switch: say it started first.
            rec.state = "recording"
            self._changed(rec, "started")
        if rec.paused_since is not None:
            rec.paused_seconds += trio.current_time() - rec.paused_since
            rec.paused_since = None
        if notice.failed:
            self.failed_total += 1
            self._changed(rec, "failed", detail=notice.detail, duration=notice.duration)
            return
        path = files.resolve(self.directory, rec.path)
        try:
            size, sha = await self.blocking(files.digest, path, limiter=self._file_limiter)
        except OSError as exc:
            self.failed_total += 1
            self._changed(rec, "failed", detail=f"no file: {exc}", duration=notice.duration)
            return
        self._changed(rec, "stopped", duration=notice.duration, size=size, sha256=sha)

    # -------------------------------------------------------------- retention

    async def _retention_loop(self) -> None:
        while True:
            await self.apply_retention()
            await trio.sleep(self.settings.retention_interval)

    async def apply_retention(self) -> int:
        """Delete the recordings past their queue's retention; returns how many."""
        if self.records is None:
            return 0
        rules = self.settings.retention.rules()
        with_rules = {queue for queue, _ in rules if queue is not None}
        deleted = 0
        for queue, days in rules:
            cutoff = self.clock.datetime(trio.current_time() - days * 86400)
            found = await self.records.read(expired, cutoff, queue, with_rules)
            for recording_id, relative in found:
                try:
                    path = files.resolve(self.directory, relative)
                except ValueError:
                    log.error("recording %s: refusing to delete %r", recording_id, relative)
                    continue
                await self.blocking(files.delete, path, limiter=self._file_limiter)
                self.records.submit(
                    o.RecordingDeleted(recording_id=recording_id, at=self.clock.now())
                )
                deleted += 1
        if deleted:
            log.info("recording retention: deleted %d recording(s)", deleted)
            self.deleted_total += deleted
            # The next sweep must not find them again before the database has them.
            await self.records.wait_committed()
        return deleted
