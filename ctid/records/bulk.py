"""Applying a batch of ops with a statement or two per kind of op. Blocking code.

``store.apply_one`` writes an op at a time: an upsert, a delete and an insert of the
legs and an ACW update for each closed call; a select, an update and an insert for
each agent state. ``apply`` here writes the same rows for the whole batch at once:
the calls opened in one "insert unless present", the records of the calls closed in
one upsert, their legs in one delete and one insert, the agent states in one insert
and the rows they end in one update, and so on (``executemany``: one statement, its
parameters a list).

Why the rows are the same as op after op, for the ops it gathers (``_GATHERED``; the
others are applied as they come, by ``store.apply_one``, between the runs of gathered
ops before and after them):

* rows with ids ctid chose (IVR visits and runs, queue waits, agent states, calls
  opened): "insert unless present", so the first op of an id wins, as in turn;
* a call's record (the upsert sets only the columns it has): two closes of a call in
  one run are merged, the later's columns over the earlier's, and its legs are the
  later close's; a close has every column an open of the call sets, so an open and a
  close of one call in a run give the close's row in either order;
* the agent state row a new state ends is read from the ops of the run when they
  inserted it (its start, state and call: columns no op changes), otherwise from the
  database in one select at the start of the run, as ``apply_one`` would have found
  it; the start is taken to the microsecond, as the database holds it;
* a call's ACW seconds are a sum over the agent state log, recomputed for a call
  closed in the run or whose wrap-up row was ended in it, after the run's writes: the
  same sum ``apply_one`` computed after the last of those, since only they change it;
* heartbeats: the last of each node.

Each op is still idempotent, so replaying a spool changes nothing. A batch the
database refuses raises; the writer then applies it op by op (``store.apply``) to
find and set aside the op at fault.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import ops as o
from .schema import agent_states, call_legs, calls, ivr_runs, ivr_visits, nodes, queue_waits
from .store import (
    ACW_STATE,
    END_STATE,
    INSERT_LEGS,
    UPDATE_ACW,
    agent_state_values,
    apply_one,
    call_close_values,
    call_open_values,
    end_state_values,
    heartbeat_values,
    insert_new_statement,
    ivr_run_values,
    ivr_visit_values,
    leg_values,
    queue_wait_values,
    update_call_recordings,
    upsert_statement,
)

__all__ = ["apply", "apply_batch"]

#: Ops gathered into statements per kind; the others (rare: start-up, recordings,
#: voicemail) are applied one at a time where they come.
_GATHERED: Final = (
    o.CallOpen,
    o.CallClose,
    o.AgentStateOp,
    o.IvrVisitOp,
    o.IvrRunOp,
    o.QueueWaitOp,
    o.Heartbeat,
)
#: Ids per ``IN (...)`` list (well under every engine's limit on parameters).
_IN_CHUNK: Final = 500
#: The legs of the calls ``b_call_ids`` (a list: an expanding parameter).
_DELETE_LEGS_IN: Final = call_legs.delete().where(
    call_legs.c.call_id.in_(sa.bindparam("b_call_ids", expanding=True))
)


def apply(engine: Engine, batch: Sequence[o.Op]) -> None:
    """Apply ``batch`` in one transaction, the rows ``store.apply`` would write."""
    with engine.begin() as conn:
        apply_batch(conn, batch)


def apply_batch(conn: Connection, batch: Sequence[o.Op]) -> None:
    """Apply ``batch`` on ``conn`` (inside the caller's transaction)."""
    run: list[o.Op] = []
    for op in batch:
        if isinstance(op, _GATHERED):
            run.append(op)
            continue
        if run:
            _Run(run).write(conn)
            run = []
        apply_one(conn, op)
    if run:
        _Run(run).write(conn)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


class _Run:
    """Ops of the gathered kinds, in order, with nothing else between them."""

    def __init__(self, ops: Sequence[o.Op]) -> None:
        self.ops = ops
        #: Rows by id (first op wins: "insert unless present"); ``opened``: the calls'
        #: rows as the first op of each (an open, or a close) would insert them.
        self.opened: dict[str, dict[str, Any]] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.visits: dict[str, dict[str, Any]] = {}
        self.ivr_runs: dict[str, dict[str, Any]] = {}
        self.waits: dict[str, dict[str, Any]] = {}
        #: Closed calls: their columns merged in order, the last close of each.
        self.closed: dict[str, dict[str, Any]] = {}
        self.last_close: dict[str, o.CallClose] = {}
        self.heartbeats: dict[str, dict[str, Any]] = {}
        #: Ends of agent state rows by id (the last wins, as the last update would).
        self.ends: dict[str, dict[str, Any]] = {}
        #: Calls whose ACW seconds are to be recomputed (ordered, no repeats).
        self.acw: dict[str, None] = {}

    def write(self, conn: Connection) -> None:
        self._gather(self._previous_rows(conn))
        self._execute(conn)

    def _previous_rows(self, conn: Connection) -> dict[str, Any]:
        """Agent state rows the run's states end that the run did not insert before
        them: read from the database (``PREVIOUS_STATE``'s columns), by id."""
        inserted: set[str] = set()
        wanted: list[str] = []
        for op in self.ops:
            if isinstance(op, o.AgentStateOp):
                if op.previous_id is not None and op.previous_id not in inserted:
                    wanted.append(op.previous_id)
                inserted.add(op.id)
        found: dict[str, Any] = {}
        ids = list(dict.fromkeys(wanted))
        for chunk in _chunks(ids):
            query = sa.select(
                agent_states.c.id,
                agent_states.c.started_at,
                agent_states.c.state,
                agent_states.c.call_id,
            ).where(agent_states.c.id.in_(chunk))
            found.update((row.id, row) for row in conn.execute(query))
        return found

    def _gather(self, stored: dict[str, Any]) -> None:
        # What an agent state row inserted earlier in the run holds, as the database
        # would give it back: (started_at, state, call_id).
        mine: dict[str, tuple[dt.datetime, str, str | None]] = {}
        for op in self.ops:
            match op:
                case o.AgentStateOp():
                    self._agent_state(op, mine, stored)
                case o.CallOpen():
                    self.opened.setdefault(op.call_id, call_open_values(op))
                case o.CallClose():
                    values = call_close_values(op)
                    self.opened.setdefault(op.call_id, values)
                    self.closed.setdefault(op.call_id, {}).update(values)
                    # Its legs go where its last close wrote them.
                    self.last_close.pop(op.call_id, None)
                    self.last_close[op.call_id] = op
                    self.acw[op.call_id] = None
                case o.IvrVisitOp():
                    self.visits.setdefault(op.id, ivr_visit_values(op))
                case o.IvrRunOp():
                    self.ivr_runs.setdefault(op.id, ivr_run_values(op))
                case o.QueueWaitOp():
                    self.waits.setdefault(op.id, queue_wait_values(op))
                case o.Heartbeat():
                    self.heartbeats[op.node] = heartbeat_values(op)
                case _:  # pragma: no cover - _GATHERED lists the kinds above
                    raise TypeError(f"no way to gather {op!r}")

    def _agent_state(
        self,
        op: o.AgentStateOp,
        mine: dict[str, tuple[dt.datetime, str, str | None]],
        stored: dict[str, Any],
    ) -> None:
        previous = op.previous_id
        if previous is not None:
            row: tuple[dt.datetime, str, str | None] | None = mine.get(previous)
            if row is None and previous in stored:
                found = stored[previous]
                row = (found.started_at, found.state, found.call_id)
            if row is not None:
                started, state, call_id = row
                self.ends[previous] = end_state_values(op, started)
                if state == ACW_STATE and call_id is not None:
                    self.acw[call_id] = None
        values = self.states.setdefault(op.id, agent_state_values(op))
        # The first insert of an id is the row (a replayed op holds the same values).
        mine.setdefault(op.id, (values["started_at"], values["state"], values["call_id"]))

    def _execute(self, conn: Connection) -> None:
        if self.opened:
            # Every call's row first, in the order op after op would insert them (an
            # open, or a close finding no row): the same rows in the same order, so
            # the same rowids on SQLite, whose unordered scans some readers see.
            # Columns a row lacks are given as NULL, what leaving them out gives.
            columns = dict.fromkeys(name for row in self.opened.values() for name in row)
            rows = [{name: row.get(name) for name in columns} for row in self.opened.values()]
            conn.execute(insert_new_statement(conn, calls, columns), rows)
        self._close_calls(conn)
        if self.states:
            rows = list(self.states.values())
            conn.execute(insert_new_statement(conn, agent_states, rows[0]), rows)
        if self.ends:
            conn.execute(END_STATE, list(self.ends.values()))
        for table, by_id in (
            (ivr_visits, self.visits),
            (ivr_runs, self.ivr_runs),
            (queue_waits, self.waits),
        ):
            if by_id:
                rows = list(by_id.values())
                conn.execute(insert_new_statement(conn, table, rows[0]), rows)
        if self.heartbeats:
            rows = list(self.heartbeats.values())
            conn.execute(upsert_statement(conn, nodes, ["node"], rows[0]), rows)
        if self.acw:
            # After the calls and the agent state log it sums are written.
            conn.execute(UPDATE_ACW, [{"b_call_id": call_id} for call_id in self.acw])

    def _close_calls(self, conn: Connection) -> None:
        if not self.closed:
            return
        # One upsert per set of columns (campaign columns come with some calls only).
        by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
        for values in self.closed.values():
            by_columns.setdefault(frozenset(values), []).append(values)
        for rows in by_columns.values():
            conn.execute(upsert_statement(conn, calls, ["call_id"], rows[0]), rows)
        for chunk in _chunks(list(self.closed)):
            conn.execute(_DELETE_LEGS_IN, {"b_call_ids": list(chunk)})
        legs = [leg for close in self.last_close.values() for leg in leg_values(close)]
        if legs:
            conn.execute(INSERT_LEGS, legs)
        for op in self.ops:
            if isinstance(op, o.CallClose) and op.recording_ids:
                update_call_recordings(conn, op)
