"""Reading what a report needs from the database. Blocking: run through ``RecordsService.read``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .reports import ReportData, ReportRequest
from .schema import agent_states, call_legs, calls, ivr_visits, queue_waits

__all__ = ["NEEDS", "load"]

#: Which tables each report reads (the others are not queried).
NEEDS: dict[str, frozenset[str]] = {
    "ivr-nodes": frozenset({"ivr_visits"}),
    "handle-times": frozenset({"calls"}),
    "trunk-occupancy": frozenset({"legs"}),
    "agents": frozenset({"calls", "agent_states"}),
    "abandoned": frozenset({"calls"}),
    "answer-rate": frozenset({"calls"}),
    "service-level": frozenset({"calls"}),
    "queue-waits": frozenset({"queue_waits"}),
}


def _rows(conn: sa.Connection, stmt: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(stmt)]


def load(engine: Engine, name: str, req: ReportRequest, now: dt.datetime) -> ReportData:
    """The rows report ``name`` needs for ``req``."""
    needs = NEEDS.get(name, frozenset())
    out: dict[str, Any] = {"now": now}
    with engine.connect() as conn:
        if "calls" in needs:
            stmt = sa.select(calls).where(
                calls.c.started_at >= req.start, calls.c.started_at < req.end
            )
            if req.queue is not None:
                stmt = stmt.where(calls.c.queue == req.queue)
            if req.agent is not None:
                stmt = stmt.where(calls.c.agent_id == req.agent)
            out["calls"] = _rows(conn, stmt)
        if "legs" in needs:
            out["legs"] = _rows(
                conn,
                sa.select(call_legs)
                .where(call_legs.c.trunk.is_not(None))
                .where(call_legs.c.joined_at < req.end, call_legs.c.ended_at > req.start),
            )
        if "agent_states" in needs:
            stmt = sa.select(agent_states).where(
                agent_states.c.started_at < req.end,
                sa.or_(agent_states.c.ended_at.is_(None), agent_states.c.ended_at > req.start),
            )
            if req.agent is not None:
                stmt = stmt.where(agent_states.c.agent_id == req.agent)
            out["agent_states"] = _rows(conn, stmt)
        if "queue_waits" in needs:
            stmt = sa.select(queue_waits).where(
                queue_waits.c.at >= req.start, queue_waits.c.at < req.end
            )
            if req.queue is not None:
                stmt = stmt.where(queue_waits.c.queue == req.queue)
            out["queue_waits"] = _rows(conn, stmt)
        if "ivr_visits" in needs:
            out["ivr_visits"] = _rows(
                conn,
                sa.select(ivr_visits).where(
                    ivr_visits.c.at >= req.start, ivr_visits.c.at < req.end
                ),
            )
    return ReportData(**out)
