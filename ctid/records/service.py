"""The records service: the call model's events and notices in, database writes out.

It is an event sink and a notice sink of ``CallService`` (synchronous, called
as the model produces them), and turns what it sees into ops for the
``RecordWriter``:

* the first event of a call: ``CallOpen`` (so the call can be closed as
  ``interrupted`` if the daemon dies with it in progress);
* every CSTA event of a call: folded into its ``CallTracker`` track;
* ``CallEnded``: the call detail record (``CallClose``) with its legs;
* the facts.py notices: agent state log, IVR visits and runs, queue waits.

At start it checks the schema (refusing to start on an old one), asks for the
calls earlier runs of this node left open to be closed, and then marks the
daemon alive every ``heartbeat_seconds``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs
import sqlalchemy as sa
import trio
from sqlalchemy.engine import Engine

from .. import facts as f
from ..blocking import Blocking, in_thread
from ..calls.model import CallModel, Emitted
from ..calls.notices import CallEnded, Notice
from ..clock import WallClock
from ..ids import IdFactory
from . import db
from . import ops as o
from .config import RecordsSettings
from .progress import LiveRows, RecordsInProgress
from .schema import agent_states, nodes
from .store import is_outage
from .tracker import CallTracker, build_record
from .writer import RecordWriter, WriterLimits

__all__ = ["RecordsService"]

log = logging.getLogger(__name__)


@attrs.define
class _AgentRow:
    id: str
    started_at: float


class RecordsService:
    """See the module docstring."""

    def __init__(
        self,
        *,
        settings: RecordsSettings,
        model: CallModel,
        clock: WallClock,
        ids: IdFactory,
        engine: Engine | None = None,
        blocking: Blocking = in_thread,
    ) -> None:
        self.settings = settings
        self.blocking = blocking
        self.model = model
        self.clock = clock
        self.ids = ids
        self.node = settings.node
        self.run_id = ids.run_prefix
        self.engine = engine or db.make_engine(settings.url)
        self.writer = RecordWriter(
            engine=self.engine,
            spool_dir=settings.spool_dir,
            limits=WriterLimits(spool_max_bytes=settings.spool_max_bytes, fsync=settings.fsync),
            blocking=blocking,
        )
        #: Reads (reports, searches) use their own threads so they never wait behind writes.
        self.read_limiter = trio.CapacityLimiter(2)
        self.tracker = CallTracker(kind_of=self._kind_of, trunk_of=self._trunk_of)
        self._dnis: dict[str, str | None] = {}
        self._agents: dict[str, _AgentRow] = {}
        #: Called with each call record as it is made (metrics count dispositions).
        self.record_observers: list[Callable[[o.CallClose], None]] = []
        #: Records in progress kept across restarts (``keep_in``), if live state is on.
        self.progress: RecordsInProgress | None = None
        #: A hot-standby node: at start it closes what dead runs of every node left
        #: open, not only its own (``CloseInterrupted.every_node``).
        self.every_node = False

    def keep_in(self, rows: LiveRows) -> RecordsInProgress:
        """Keep records in progress as live-state rows (``ctid.livestate``)."""
        self.progress = RecordsInProgress(
            rows=rows,
            tracker=self.tracker,
            model=self.model,
            clock=self.clock,
            dnis=self._dnis,
            submit=self.submit,
            node=self.node,
            run_id=self.run_id,
        )
        return self.progress

    # ---------------------------------------------------------------- helpers

    def _kind_of(self, device: str) -> str:
        kind = self.model.directory.classify(device)
        return "unknown" if kind is None else kind.value

    def _trunk_of(self, call_id: str, device: str) -> str | None:
        call = self.model.calls.get(call_id)
        if call is None:
            return None
        conn = call.connections.get(device)
        if conn is not None and conn.leg is not None:
            return conn.leg.trunk
        return call.trunk if device == call.calling_device else None

    def wall(self, trio_time: float) -> float:
        return self.clock.at(trio_time)

    def submit(self, op: o.Op) -> bool:
        """Write ``op`` (other services, e.g. recording metadata, use this too)."""
        return self.writer.submit(op)

    # ------------------------------------------------------------------ sinks

    def on_event(self, emitted: Emitted) -> None:
        """Event sink: follow calls through their CSTA events."""
        for call_id in emitted.calls:
            if call_id not in self.tracker.calls:
                self._first_seen(call_id, emitted)
        self.tracker.observe(emitted.event, emitted.at)
        if self.progress is not None:
            self.progress.save(emitted.calls)

    def _first_seen(self, call_id: str, emitted: Emitted) -> None:
        call = self.model.calls.get(call_id)
        if call is None:
            # Created and ended within one step of the model: its CallEnded
            # notice follows at once and carries everything.
            calling = str(getattr(emitted.event, "calling_device", "") or "")
            self.tracker.track(call_id, calling)
            self._dnis[call_id] = None
            return
        self.tracker.track(call_id, call.calling_device)
        for device in call.devices_seen:
            if device in call.connections:
                self.tracker.join(
                    call_id,
                    device,
                    call.created_at if device == call.calling_device else emitted.at,
                )
        dnis = call.called_device or None if call.direction == "inbound" else None
        self._dnis[call_id] = dnis
        self.submit(
            o.CallOpen(
                call_id=call_id,
                node=self.node,
                run_id=self.run_id,
                direction=call.direction,
                caller=call.calling_device,
                called=call.called_device,
                dnis=dnis,
                trunk=call.trunk,
                started_at=self.wall(call.created_at),
            )
        )

    def on_notice(self, notice: Notice) -> None:
        """Notice sink: call records, agent states, IVR and queue figures."""
        match notice:
            case CallEnded():
                self._call_ended(notice)
            case f.AgentStateChanged():
                self._agent_state(notice)
            case f.QueueWaitObserved():
                self.submit(
                    o.QueueWaitOp(
                        id=self.ids.new("qw"),
                        call_id=notice.call_id,
                        queue=notice.queue,
                        seconds=notice.seconds,
                        outcome=notice.outcome,
                        at=self.clock.now(),
                    )
                )
            case f.RecordingStateChanged():
                # The call's facts name its recordings: keep them with its record.
                if self.progress is not None and notice.call_id is not None:
                    self.progress.save([notice.call_id])
            case f.IvrNodeVisited():
                self.submit(
                    o.IvrVisitOp(
                        id=self.ids.new("iv"),
                        call_id=notice.call_id,
                        flow=notice.flow,
                        version=notice.version,
                        node=notice.node,
                        node_type=notice.node_type,
                        choice=notice.choice,
                        at=self.wall(notice.at),
                    )
                )
            case f.IvrFinished():
                self.submit(
                    o.IvrRunOp(
                        id=self.ids.new("ir"),
                        call_id=notice.call_id,
                        flow=notice.flow,
                        version=notice.version,
                        entered_at=self.wall(notice.entered_at),
                        left_at=self.wall(notice.left_at),
                        exit=notice.exit,
                        detail=notice.detail,
                    )
                )
            case _:
                pass

    def _call_ended(self, notice: CallEnded) -> None:
        track = self.tracker.finish(notice.call_id)
        dnis = self._dnis.pop(notice.call_id, None)
        if self.progress is not None:
            # A call that went on across a restart: its record is its first id's.
            notice = self.progress.ended(notice, track)
        record = build_record(
            notice, track, wall=self.wall, node=self.node, run_id=self.run_id, dnis=dnis
        )
        self.submit(record)
        for observer in self.record_observers:
            observer(record)

    def _agent_state(self, notice: f.AgentStateChanged) -> None:
        previous = self._agents.get(notice.agent_id)
        row_id = self.ids.new("as")
        at = self.wall(notice.at)
        self.submit(
            o.AgentStateOp(
                id=row_id,
                node=self.node,
                run_id=self.run_id,
                agent_id=notice.agent_id,
                device=notice.device,
                state=notice.new_state,
                previous_state=notice.old_state,
                reason_code=notice.reason_code,
                call_id=notice.call_id,
                queues=tuple(notice.queues),
                started_at=at,
                previous_id=previous.id if previous else None,
                previous_started_at=previous.started_at if previous else None,
            )
        )
        self._agents[notice.agent_id] = _AgentRow(id=row_id, started_at=at)

    # -------------------------------------------------------------------- run

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Check the schema, start the writer, and keep the heartbeat; until cancelled."""
        # The state directory holds the SQLite file and the spool.
        await self.blocking(lambda: self.settings.spool_dir.mkdir(parents=True, exist_ok=True))
        try:
            done = await self.blocking(db.prepare, self.engine, limiter=self.writer.db_limiter)
            log.info("%s (%s)", done, self.settings.display_url)
            self.writer.db_up = True
            self.writer.schema_checked = True
        except db.SchemaError:
            raise
        except Exception as exc:
            if not is_outage(exc):
                raise
            # Calls must be handled even while the database is away: records
            # go to the spool and are written when it is back.
            log.error("records database unreachable at start, spooling records: %s", exc)
        if self.progress is not None:
            # Before CloseInterrupted: calls that went on across the restart keep their row.
            self.progress.restore(await self._last_alive())
            await self._adopt_agent_rows()
        self.submit(
            o.CloseInterrupted(
                node=self.node,
                run_id=self.run_id,
                at=self.clock.now(),
                every_node=self.every_node,
            )
        )
        try:
            async with trio.open_nursery() as nursery:
                await nursery.start(self.writer.run)
                nursery.start_soon(self._heartbeat)
                task_status.started()
        finally:
            # Its pooled connections go with the daemon (closing them does not wait).
            self.engine.dispose()

    async def _adopt_agent_rows(self) -> None:
        """Before CloseInterrupted: agents' open state rows of earlier runs go on.

        The live state brought the agents back in the state they were in, so
        their rows are continued, not closed at the restart and left without a
        row until the next change. An agent whose state changed on restore (its
        phone is gone) already has a row of this run and is left alone; its old
        row is closed by CloseInterrupted.
        """
        try:
            found = await self.blocking(self._open_agent_rows, limiter=self.writer.db_limiter)
        except Exception as exc:
            if not is_outage(exc):
                raise
            return  # CloseInterrupted closes them when the database is back
        for agent_id, (row_id, started_at) in found.items():
            if agent_id in self._agents:
                continue
            self._agents[agent_id] = _AgentRow(id=row_id, started_at=started_at)
            self.submit(o.AgentStateAdopt(id=row_id, node=self.node, run_id=self.run_id))

    def _open_agent_rows(self) -> dict[str, tuple[str, float]]:
        """(thread) Each agent's newest open state row of an earlier run: id, start."""
        query = (
            sa.select(agent_states.c.agent_id, agent_states.c.id, agent_states.c.started_at)
            .where(agent_states.c.ended_at.is_(None))
            .where(agent_states.c.run_id != self.run_id)
            .order_by(agent_states.c.started_at)
        )
        if not self.every_node:
            query = query.where(agent_states.c.node == self.node)
        with self.engine.connect() as conn:
            return {r.agent_id: (r.id, r.started_at.timestamp()) for r in conn.execute(query)}

    async def _last_alive(self) -> float | None:
        """When the previous run was last known alive (wall seconds; None: unknown).

        The later of its last heartbeat and its last live-state commit.
        """
        marks: list[float] = []
        rows = self.progress.rows if self.progress is not None else None
        written = getattr(rows, "last_written", None)
        if isinstance(written, float):
            marks.append(written)
        try:
            seen = await self.blocking(self._last_heartbeat, limiter=self.writer.db_limiter)
        except Exception as exc:
            if not is_outage(exc):
                raise
            seen = None
        if seen is not None:
            marks.append(seen)
        return min(max(marks), self.clock.now()) if marks else None

    def _last_heartbeat(self) -> float | None:
        """(thread) The newest heartbeat of any node (read before this run's first)."""
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(sa.func.max(nodes.c.last_seen))).scalar()
        return value.timestamp() if value is not None else None

    async def _heartbeat(self) -> None:
        while True:
            self.submit(o.Heartbeat(node=self.node, run_id=self.run_id, at=self.clock.now()))
            await trio.sleep(self.settings.heartbeat_seconds)

    def health(self) -> str:
        """``up``, or why the database is not taking records (for /healthz)."""
        stats = self.writer.statistics()
        if stats.db_up:
            return "up"
        return f"down ({stats.db_error})" if stats.db_error else "starting"

    async def wait_committed(self) -> None:
        """Wait until every record submitted so far is in the database (tests, shutdown)."""
        await self.writer.wait_committed()

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking query ``fn(engine, *args)`` in a reader thread."""
        return await self.blocking(fn, self.engine, *args, limiter=self.read_limiter)
