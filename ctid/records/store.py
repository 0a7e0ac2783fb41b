"""Applying ops to the database. Blocking code, run in the writer's worker thread.

``apply`` runs a batch of ops in one transaction, op after op (``apply_one``).
Each op is idempotent (see ``ops``), written with the dialect's "insert ... on
conflict" so the same code serves SQLite and PostgreSQL. The writer applies its
batches with ``bulk.apply``, the same rows in a statement or two per kind of op,
built from the values and statements here.
"""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ..facts import FACT_FAXES
from . import ops as o
from .schema import (
    agent_states,
    call_legs,
    calls,
    ivr_runs,
    ivr_visits,
    nodes,
    queue_waits,
    recordings,
    voicemail_messages,
)

__all__ = [
    "ACW_STATE",
    "DELETE_LEGS",
    "END_STATE",
    "INSERT_LEGS",
    "PREVIOUS_STATE",
    "UPDATE_ACW",
    "agent_state_values",
    "apply",
    "apply_one",
    "call_close_values",
    "call_open_values",
    "end_state_values",
    "heartbeat_values",
    "insert_new_statement",
    "is_outage",
    "ivr_run_values",
    "ivr_visit_values",
    "leg_values",
    "out_of_descriptors",
    "queue_wait_values",
    "update_call_recordings",
    "upsert_statement",
    "utc",
]

ACW_STATE = "workingAfterCall"


def utc(epoch: float | None) -> dt.datetime | None:
    """Seconds since the epoch as an aware UTC datetime."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def is_outage(exc: BaseException) -> bool:
    """Whether a database error means "cannot reach it now" rather than "this write is bad"."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError | OSError)


def out_of_descriptors(exc: BaseException) -> bool:
    """Whether ``exc`` came from this process running out of file descriptors (EMFILE,
    ENFILE): a fault here, not in the database, so /healthz must not call it down."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.EMFILE, errno.ENFILE):
            return True
        if "too many open files" in str(current).lower():
            return True
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
        )
    return False


def apply(engine: Engine, batch: Sequence[o.Op]) -> None:
    """Apply ``batch`` in one transaction, op after op (at least one statement each).

    The writer applies its batches with ``bulk.apply``, which gives the same rows
    with a statement or two per kind of op; this is what it falls back on to find the
    op a database refuses, and what ``bulk`` is checked against."""
    with engine.begin() as conn:
        for op in batch:
            apply_one(conn, op)


def _insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"records need SQLite or PostgreSQL, not {conn.dialect.name}")


# Statements are built once per table and set of columns, the values passed as
# parameters. Building ``insert(...).values(**values)`` anew for every row made
# SQLAlchemy walk the values for its cache key each time: most of the writer's
# CPU time (docs/performance.md).
_statements: dict[tuple[str, str, str, frozenset[str]], Any] = {}
# The statements of every closed call, built once for the same reason.
_ACW_TOTAL = (
    sa.select(sa.func.sum(agent_states.c.duration))
    .where(agent_states.c.call_id == sa.bindparam("b_call_id"))
    .where(agent_states.c.state == ACW_STATE)
    .scalar_subquery()
)
#: A closed call's ACW seconds, from the agent state log (``b_call_id``).
UPDATE_ACW = (
    calls.update()
    .where(calls.c.call_id == sa.bindparam("b_call_id"))
    .where(calls.c.state == "closed")
    .values(acw_seconds=sa.func.coalesce(_ACW_TOTAL, 0.0))
)
DELETE_LEGS = call_legs.delete().where(call_legs.c.call_id == sa.bindparam("b_call_id"))
INSERT_LEGS = call_legs.insert()
#: What an agent state row that a new state ends holds (``b_id``).
PREVIOUS_STATE = sa.select(
    agent_states.c.started_at, agent_states.c.state, agent_states.c.call_id
).where(agent_states.c.id == sa.bindparam("b_id"))
#: End the agent state row ``b_id`` at ``b_ended_at``, after ``b_duration`` seconds.
END_STATE = (
    agent_states.update()
    .where(agent_states.c.id == sa.bindparam("b_id"))
    .values(ended_at=sa.bindparam("b_ended_at"), duration=sa.bindparam("b_duration"))
)


def insert_new_statement(conn: Connection, table: sa.Table, columns: Iterable[str]) -> Any:
    """An "insert unless present" of ``columns`` into ``table`` (built once, then cached)."""
    key = (conn.dialect.name, table.name, "new", frozenset(columns))
    stmt = _statements.get(key)
    if stmt is None:
        stmt = _statements[key] = _insert(conn, table).on_conflict_do_nothing()
    return stmt


def upsert_statement(
    conn: Connection, table: sa.Table, keys: Sequence[str], columns: Iterable[str]
) -> Any:
    """Insert ``columns`` into ``table``, or set them on the row of the same ``keys``."""
    names = frozenset(columns)
    key = (conn.dialect.name, table.name, "upsert", names)
    stmt = _statements.get(key)
    if stmt is None:
        insert = _insert(conn, table)
        # Only the columns given are updated: the rest keep what they hold.
        update = {k: insert.excluded[k] for k in sorted(names) if k not in keys}
        stmt = _statements[key] = insert.on_conflict_do_update(
            index_elements=list(keys), set_=update
        )
    return stmt


def _insert_new(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> None:
    conn.execute(insert_new_statement(conn, table, values), dict(values))


def _upsert(
    conn: Connection, table: sa.Table, keys: Sequence[str], values: Mapping[str, Any]
) -> None:
    conn.execute(upsert_statement(conn, table, keys, values), dict(values))


def apply_one(conn: Connection, op: o.Op) -> None:
    match op:
        case o.CallOpen():
            _insert_new(conn, calls, call_open_values(op))
        case o.CallClose():
            _close_call(conn, op)
        case o.AgentStateOp():
            _agent_state(conn, op)
        case o.IvrVisitOp():
            _insert_new(conn, ivr_visits, ivr_visit_values(op))
        case o.IvrRunOp():
            _insert_new(conn, ivr_runs, ivr_run_values(op))
        case o.QueueWaitOp():
            _insert_new(conn, queue_waits, queue_wait_values(op))
        case o.RecordingOp():
            _recording(conn, op)
        case o.RecordingDeleted():
            conn.execute(
                recordings.update()
                .where(recordings.c.recording_id == op.recording_id)
                .values(state="deleted", deleted_at=_utc(op.at))
            )
        case o.VoicemailOp():
            _insert_new(
                conn,
                voicemail_messages,
                {
                    "message_id": op.message_id,
                    "mailbox": op.mailbox,
                    "call_id": op.call_id,
                    "caller": op.caller,
                    "called": op.called,
                    "received_at": _utc(op.received_at),
                    "duration": op.duration,
                    "path": op.path,
                    "size_bytes": op.size_bytes,
                    "user_data": dict(op.user_data),
                },
            )
        case o.VoicemailHeard():
            # The first listen counts; replaying the journal changes nothing.
            conn.execute(
                voicemail_messages.update()
                .where(voicemail_messages.c.message_id == op.message_id)
                .where(voicemail_messages.c.heard_at.is_(None))
                .values(heard_at=_utc(op.at), heard_by=op.by)
            )
        case o.VoicemailDeleted():
            conn.execute(
                voicemail_messages.update()
                .where(voicemail_messages.c.message_id == op.message_id)
                .where(voicemail_messages.c.deleted_at.is_(None))
                .values(deleted_at=_utc(op.at))
            )
        case o.RecordingImportant():
            conn.execute(
                recordings.update()
                .where(recordings.c.recording_id == op.recording_id)
                .values(important=op.important)
            )
        case o.RecordingTags():
            conn.execute(
                recordings.update()
                .where(recordings.c.recording_id == op.recording_id)
                .values(tags=list(op.tags))
            )
        case o.Heartbeat():
            _upsert(conn, nodes, ["node"], heartbeat_values(op))
        case o.CloseInterrupted():
            _close_interrupted(conn, op)
        case o.CallAdopt():
            _adopt(conn, op)
        case o.AgentStateAdopt():
            conn.execute(
                agent_states.update()
                .where(agent_states.c.id == op.id)
                .where(agent_states.c.ended_at.is_(None))
                .values(node=op.node, run_id=op.run_id)
            )
        case _:
            raise TypeError(f"no way to apply {op!r}")


def _first_fax(facts: Mapping[str, Any]) -> str | None:
    """The call's first fax (``facts.FACT_FAXES``), or None."""
    faxes = facts.get(FACT_FAXES)
    if isinstance(faxes, list | tuple) and faxes and isinstance(faxes[0], str):
        return faxes[0]
    return None


#: Facts of a campaign's call (``ctid.outbound.dispositions``) -> the call record's column.
_CAMPAIGN_FACTS: Final = (
    ("campaign", str),
    ("campaign_record", int),
    ("campaign_outcome", str),
    ("agent_disposition", str),
)


def _campaign_columns(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The campaign columns the call's facts fill; those absent are left as they are
    (an agent may give a disposition after the call has closed)."""
    out: dict[str, Any] = {}
    for key, kind in _CAMPAIGN_FACTS:
        value = facts.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            out[key] = value
    return out


def call_close_values(op: o.CallClose) -> dict[str, Any]:
    """The ``calls`` columns a closed call's record sets (campaign ones only if known)."""
    return {
        "call_id": op.call_id,
        "node": op.node,
        "run_id": op.run_id,
        "state": "closed",
        "direction": op.direction,
        "caller": op.caller,
        "called": op.called,
        "dnis": op.dnis,
        "trunk": op.trunk,
        "queue": op.queue,
        "queue_outcome": op.queue_outcome,
        "agent_id": op.agent_id,
        "agent_device": op.agent_device,
        "answered_by": op.answered_by,
        "ivr_flow": op.ivr_flow,
        "ivr_exit": op.ivr_exit,
        "started_at": _utc(op.started_at),
        "answered_at": utc(op.answered_at),
        "ivr_entered_at": utc(op.ivr_entered_at),
        "ivr_left_at": utc(op.ivr_left_at),
        "queue_entered_at": utc(op.queue_entered_at),
        "queue_left_at": utc(op.queue_left_at),
        "ended_at": _utc(op.ended_at),
        "wait_seconds": op.wait_seconds,
        "hold_seconds": op.hold_seconds,
        "talk_seconds": op.talk_seconds,
        "disposition": op.disposition,
        "end_cause": op.end_cause,
        "merged_into": op.merged_into,
        "recording_ids": list(op.recording_ids),
        "correlator_data": op.correlator_data,
        "user_data": dict(op.user_data),
        "facts": dict(op.facts),
        "fax_id": _first_fax(op.facts),
        **_campaign_columns(op.facts),
    }


def leg_values(op: o.CallClose) -> list[dict[str, Any]]:
    """The ``call_legs`` rows of a closed call, numbered from 1."""
    return [
        {
            "call_id": op.call_id,
            "seq": i,
            "device": leg.device,
            "kind": leg.kind,
            "trunk": leg.trunk,
            "joined_at": _utc(leg.joined_at),
            "answered_at": utc(leg.answered_at),
            "ended_at": _utc(leg.ended_at),
            "hold_seconds": leg.hold_seconds,
            "end_cause": leg.end_cause,
            "failed": leg.failed,
        }
        for i, leg in enumerate(op.legs, 1)
    ]


def update_call_recordings(conn: Connection, op: o.CallClose) -> None:
    """Recordings are searched by the call's parties, queue and agent: copy them over."""
    conn.execute(
        recordings.update()
        .where(recordings.c.recording_id.in_(op.recording_ids))
        .values(
            call_id=op.call_id,
            caller=op.caller,
            called=op.called,
            queue=op.queue,
            agent_id=op.agent_id,
        )
    )


def _close_call(conn: Connection, op: o.CallClose) -> None:
    _upsert(conn, calls, ["call_id"], call_close_values(op))
    conn.execute(DELETE_LEGS, {"b_call_id": op.call_id})
    if op.legs:
        conn.execute(INSERT_LEGS, leg_values(op))
    _update_acw(conn, op.call_id)
    if op.recording_ids:
        update_call_recordings(conn, op)


def _update_acw(conn: Connection, call_id: str) -> None:
    """Set a call's ACW time from the agent state log (a sum, so replaying is harmless)."""
    conn.execute(UPDATE_ACW, {"b_call_id": call_id})


def agent_state_values(op: o.AgentStateOp) -> dict[str, Any]:
    """The ``agent_states`` row an agent state starts (open: no end yet)."""
    return {
        "id": op.id,
        "node": op.node,
        "run_id": op.run_id,
        "agent_id": op.agent_id,
        "device": op.device,
        "state": op.state,
        "previous_state": op.previous_state,
        "reason_code": op.reason_code,
        "call_id": op.call_id,
        "queues": list(op.queues),
        "started_at": _utc(op.started_at),
    }


def end_state_values(op: o.AgentStateOp, previous_started: dt.datetime) -> dict[str, Any]:
    """Parameters of ``END_STATE`` for the row ``op`` ends, which started at
    ``previous_started`` (as the database holds it: to the microsecond)."""
    return {
        "b_id": op.previous_id,
        "b_ended_at": _utc(op.started_at),
        "b_duration": max(0.0, op.started_at - previous_started.timestamp()),
    }


def _agent_state(conn: Connection, op: o.AgentStateOp) -> None:
    if op.previous_id is not None:
        row = conn.execute(PREVIOUS_STATE, {"b_id": op.previous_id}).first()
        if row is not None:
            conn.execute(END_STATE, end_state_values(op, row.started_at))
            if row.state == ACW_STATE and row.call_id is not None:
                _update_acw(conn, row.call_id)
    _insert_new(conn, agent_states, agent_state_values(op))


def call_open_values(op: o.CallOpen) -> dict[str, Any]:
    """The ``calls`` row of a call in progress."""
    return {
        "call_id": op.call_id,
        "node": op.node,
        "run_id": op.run_id,
        "state": "open",
        "direction": op.direction,
        "caller": op.caller,
        "called": op.called,
        "dnis": op.dnis,
        "trunk": op.trunk,
        "started_at": _utc(op.started_at),
        "recording_ids": [],
        "user_data": {},
        "facts": {},
    }


def ivr_visit_values(op: o.IvrVisitOp) -> dict[str, Any]:
    return {
        "id": op.id,
        "call_id": op.call_id,
        "flow": op.flow,
        "version": op.version,
        "node": op.node,
        "node_type": op.node_type,
        "choice": op.choice,
        "at": _utc(op.at),
    }


def ivr_run_values(op: o.IvrRunOp) -> dict[str, Any]:
    return {
        "id": op.id,
        "call_id": op.call_id,
        "flow": op.flow,
        "version": op.version,
        "entered_at": _utc(op.entered_at),
        "left_at": _utc(op.left_at),
        "exit": op.exit,
        "detail": op.detail,
    }


def queue_wait_values(op: o.QueueWaitOp) -> dict[str, Any]:
    return {
        "id": op.id,
        "call_id": op.call_id,
        "queue": op.queue,
        "seconds": op.seconds,
        "outcome": op.outcome,
        "at": _utc(op.at),
    }


def heartbeat_values(op: o.Heartbeat) -> dict[str, Any]:
    return {"node": op.node, "run_id": op.run_id, "last_seen": _utc(op.at)}


def _recording(conn: Connection, op: o.RecordingOp) -> None:
    values = {
        "recording_id": op.recording_id,
        "call_id": op.call_id,
        "node": op.node,
        "run_id": op.run_id,
        "path": op.path,
        "format": op.format,
        "state": op.state,
        "started_at": _utc(op.started_at),
        "ended_at": utc(op.ended_at),
        "duration": op.duration,
        "paused_seconds": op.paused_seconds,
        "size_bytes": op.size_bytes,
        "sha256": op.sha256,
        "started_by": op.started_by,
        "tags": list(op.tags),
        "detail": op.detail,
        "important": op.important,
    }
    # Parties, queue and agent come from the call record when the call ends;
    # a recording written before that must not blank them.
    for key in ("caller", "called", "queue", "agent_id"):
        value = getattr(op, key)
        if value is not None:
            values[key] = value
    existing = conn.execute(
        sa.select(recordings.c.state).where(recordings.c.recording_id == op.recording_id)
    ).first()
    if existing is not None and existing.state == "deleted":
        return
    _upsert(conn, recordings, ["recording_id"], values)


def _close_interrupted(conn: Connection, op: o.CloseInterrupted) -> None:
    # Each earlier run was last known alive at its node's last heartbeat.
    seen = {
        row.node: row.last_seen.timestamp()
        for row in conn.execute(sa.select(nodes.c.node, nodes.c.run_id, nodes.c.last_seen))
        if row.run_id != op.run_id
    }

    def ended_at(node: str, started: float) -> float:
        return float(max(started, min(seen.get(node, op.at), op.at)))

    def mine(table: sa.Table) -> list[sa.ColumnElement[bool]]:
        where = [table.c.run_id != op.run_id]
        return where if op.every_node else [*where, table.c.node == op.node]

    open_calls = conn.execute(
        sa.select(calls.c.call_id, calls.c.node, calls.c.started_at)
        .where(calls.c.state == "open")
        .where(*mine(calls))
    ).all()
    for call in open_calls:
        ended = ended_at(call.node, call.started_at.timestamp())
        conn.execute(
            calls.update()
            .where(calls.c.call_id == call.call_id)
            .values(
                state="closed",
                ended_at=_utc(ended),
                disposition="interrupted",
                end_cause="ctidStopped",
                hold_seconds=0.0,
                talk_seconds=0.0,
                acw_seconds=0.0,
            )
        )
    open_states = conn.execute(
        sa.select(agent_states.c.id, agent_states.c.node, agent_states.c.started_at)
        .where(agent_states.c.ended_at.is_(None))
        .where(*mine(agent_states))
    ).all()
    for state in open_states:
        ended = ended_at(state.node, state.started_at.timestamp())
        conn.execute(
            agent_states.update()
            .where(agent_states.c.id == state.id)
            .values(ended_at=_utc(ended), duration=ended - state.started_at.timestamp())
        )
    conn.execute(
        recordings.update()
        .where(*mine(recordings))
        .where(recordings.c.state.in_(("recording", "paused")))
        .values(state="failed", detail="ctid stopped while recording")
    )


def _adopt(conn: Connection, op: o.CallAdopt) -> None:
    """This run owns a call an earlier run left open (it went on across the restart)."""
    conn.execute(
        sa.update(calls)
        .where(calls.c.call_id == op.call_id)
        .where(calls.c.state == "open")
        .values(node=op.node, run_id=op.run_id)
    )
    if op.replaces is not None and op.replaces != op.call_id:
        conn.execute(
            sa.delete(calls)
            .where(calls.c.call_id == op.replaces)
            .where(calls.c.state == "open")
            .where(calls.c.run_id == op.run_id)
        )
