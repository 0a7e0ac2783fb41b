"""Finding recordings in the database. Blocking code: run through ``RecordsService.read``.

One recording's row and its wire form are the records' (``records.lookup.recording_row``,
``records.wire.recording_to_wire``): the records' announcer publishes them too, and the
records sit below the recordings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records.schema import call_legs, recordings

__all__ = ["RecordingQuery", "expired", "search"]


@attrs.frozen(kw_only=True)
class RecordingQuery:
    """Search criteria; every one given must hold."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    agent_id: str | None = None
    caller: str | None = None
    called: str | None = None
    queue: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    #: Each of these tags must be on the recording.
    tags: tuple[str, ...] = ()
    include_deleted: bool = False
    limit: int = 100
    #: Restrictions from who asks: only these queues (a supervisor), only
    #: recordings of this agent or these devices (an agent).
    only_queues: frozenset[str] | None = None
    only_agent: str | None = None
    only_devices: frozenset[str] | None = None


def search(engine: Engine, q: RecordingQuery) -> list[dict[str, Any]]:
    """Recordings matching ``q``, newest first."""
    r = recordings.c
    stmt = sa.select(recordings).order_by(r.started_at.desc())
    if q.start is not None:
        stmt = stmt.where(r.started_at >= q.start)
    if q.end is not None:
        stmt = stmt.where(r.started_at < q.end)
    for column, value in (
        (r.agent_id, q.agent_id),
        (r.caller, q.caller),
        (r.called, q.called),
        (r.queue, q.queue),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if q.min_duration is not None:
        stmt = stmt.where(r.duration >= q.min_duration)
    if q.max_duration is not None:
        stmt = stmt.where(r.duration <= q.max_duration)
    if not q.include_deleted:
        stmt = stmt.where(r.state != "deleted")
    if q.only_queues is not None:
        stmt = stmt.where(r.queue.in_(sorted(q.only_queues)))
    if q.only_agent is not None or q.only_devices is not None:
        mine = []
        if q.only_agent is not None:
            mine.append(r.agent_id == q.only_agent)
        if q.only_devices:
            legs = sa.select(call_legs.c.call_id).where(
                call_legs.c.device.in_(sorted(q.only_devices))
            )
            mine.append(r.call_id.in_(legs))
        stmt = stmt.where(sa.or_(*mine) if mine else sa.false())
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        # Tags are a JSON list: filtered here, the same way on every database.
        for row in conn.execute(stmt):
            if q.tags and not set(q.tags) <= set(row.tags or ()):
                continue
            out.append(dict(row._mapping))
            if len(out) >= q.limit:
                break
    return out


def expired(
    engine: Engine, cutoff: dt.datetime, queue: str | None, other_than: Collection[str]
) -> list[tuple[str, str]]:
    """(id, path) of kept recordings started before ``cutoff`` in ``queue``; with
    ``queue=None``, in any queue except ``other_than`` (which have rules of their own)."""
    r = recordings.c
    stmt = (
        sa.select(r.recording_id, r.path)
        .where(r.started_at < cutoff)
        .where(r.state.in_(("done", "failed")))
        .where(r.important == sa.false())
    )
    if queue is not None:
        stmt = stmt.where(r.queue == queue)
    elif other_than:
        stmt = stmt.where(sa.or_(r.queue.is_(None), r.queue.not_in(sorted(other_than))))
    with engine.connect() as conn:
        return [(row.recording_id, row.path) for row in conn.execute(stmt)]
