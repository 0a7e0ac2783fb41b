"""Reading call records back: ``records.search``, ``records.get`` and ``records.history``.

Blocking code, run in the records service's reader threads. Results are
``record_to_wire`` dicts, newest first. Pages are keyset pages on
``(started_at, call_id)``, never OFFSET: a page costs the same however deep
it is, and records written meanwhile do not shift it.

A number's history is one statement of two index range scans
(``ix_calls_caller_started``, ``ix_calls_called_started``: the number as
caller and as called party), each stopping after ``limit`` rows, merged;
docs/performance.md has its timings on millions of calls.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .schema import call_legs, calls
from .wire import OUTCOME_OF_DISPOSITION, record_to_wire

__all__ = [
    "MAX_LIMIT",
    "HistoryQuery",
    "SearchQuery",
    "decode_cursor",
    "encode_cursor",
    "get_record",
    "history",
    "search",
]

#: Most records one request returns.
MAX_LIMIT: Final = 1000
#: Characters a number may not hold: LIKE's wildcards, its escape, and pattern
#: characters no dial string has (a clear error rather than a surprise). ``*``
#: and ``#`` are digits of dial strings (feature codes such as ``*97``): taken.
WILDCARDS: Final = frozenset("%_?[]\\")


class CursorError(ValueError):
    """A cursor this server did not make (or made for another search)."""


@attrs.frozen(kw_only=True)
class SearchQuery:
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    #: The caller or called number, full or as a prefix.
    number: str | None = None
    agent: str | None = None
    queue: str | None = None
    campaign: str | None = None
    #: A campaign's list record (its attempts) and how an attempt ended.
    campaign_record: int | None = None
    campaign_outcome: str | None = None
    disposition: str | None = None
    direction: str | None = None
    limit: int = 100
    #: The last record of the previous page: (started_at, call_id).
    after: tuple[dt.datetime, str] | None = None
    #: The caller's scope: an agent sees its own calls, a supervisor its queues'.
    only_agent: str | None = None
    only_queues: frozenset[str] | None = None


@attrs.frozen(kw_only=True)
class HistoryQuery:
    number: str
    limit: int = 20
    only_queues: frozenset[str] | None = None


def encode_cursor(started_at: dt.datetime, call_id: str) -> str:
    """An opaque cursor for the page after the record (``started_at``, ``call_id``)."""
    raw = json.dumps([started_at.astimezone(dt.UTC).isoformat(), call_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    """The inverse of ``encode_cursor``; ``CursorError`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, call_id = json.loads(raw)
        started = dt.datetime.fromisoformat(moment)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise CursorError("not a cursor from records.search") from None
    if not isinstance(call_id, str) or started.tzinfo is None:
        raise CursorError("not a cursor from records.search")
    return started, call_id


def _prefix(conn: Connection, column: sa.ColumnElement[Any], prefix: str) -> Any:
    # Both forms use the (number, started_at) indexes: LIKE through
    # varchar_pattern_ops on PostgreSQL; on SQLite a range of the BINARY
    # collation, which is exactly "starts with" and treats ``*`` (GLOB's
    # wildcard, a digit of feature codes) as itself.
    if conn.dialect.name == "sqlite":
        return sa.and_(column >= prefix, column < _after_prefix(prefix))
    return column.like(prefix + "%")


def _after_prefix(prefix: str) -> str:
    """The least string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


# Statements built once, values bound per call: building them anew made
# SQLAlchemy spend more time than the database on a history look-up
# (docs/performance.md).
_LEGS = (
    sa.select(call_legs)
    .where(call_legs.c.call_id.in_(sa.bindparam("b_ids", expanding=True)))
    .order_by(call_legs.c.call_id, call_legs.c.seq)
)


def _with_legs(conn: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    ids = [row.call_id for row in rows]
    legs: dict[str, list[Any]] = {i: [] for i in ids}
    if ids:
        for leg in conn.execute(_LEGS, {"b_ids": ids}):
            legs[leg.call_id].append(leg._mapping)
    return [record_to_wire({**row._mapping, "legs": legs[row.call_id]}) for row in rows]


def _newest_first(stmt: sa.Select[Any]) -> sa.Select[Any]:
    return stmt.order_by(calls.c.started_at.desc(), calls.c.call_id.desc())


def _outcome_is(outcome: str) -> sa.ColumnElement[bool]:
    """Campaign calls whose attempt ended ``outcome``, as ``wire.campaign_outcome`` reads
    it: the ``campaign_outcome`` column, else (a closed call the dialler could not note)
    the call's own disposition."""
    c = calls.c
    by_disposition: sa.ColumnElement[bool]
    if outcome == "failed":
        by_disposition = sa.or_(
            c.disposition.is_(None), c.disposition.not_in(sorted(OUTCOME_OF_DISPOSITION))
        )
    else:
        dispositions = sorted(d for d, o in OUTCOME_OF_DISPOSITION.items() if o == outcome)
        by_disposition = c.disposition.in_(dispositions) if dispositions else sa.false()
    return sa.or_(
        c.campaign_outcome == outcome,
        sa.and_(
            c.campaign_outcome.is_(None),
            c.campaign.is_not(None),
            c.state == "closed",
            by_disposition,
        ),
    )


def search(engine: Engine, query: SearchQuery) -> tuple[list[dict[str, Any]], str | None]:
    """One page of records matching ``query``, newest first, and the next page's cursor."""
    c = calls.c
    with engine.connect() as conn:
        stmt = sa.select(calls)
        if query.start is not None:
            stmt = stmt.where(c.started_at >= query.start)
        if query.end is not None:
            stmt = stmt.where(c.started_at < query.end)
        if query.number is not None:
            stmt = stmt.where(
                sa.or_(_prefix(conn, c.caller, query.number), _prefix(conn, c.called, query.number))
            )
        for column, value in (
            (c.agent_id, query.agent),
            (c.queue, query.queue),
            (c.campaign, query.campaign),
            (c.campaign_record, query.campaign_record),
            (c.disposition, query.disposition),
            (c.direction, query.direction),
            (c.agent_id, query.only_agent),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.campaign_outcome is not None:
            stmt = stmt.where(_outcome_is(query.campaign_outcome))
        if query.only_queues is not None:
            stmt = stmt.where(c.queue.in_(sorted(query.only_queues)))
        if query.after is not None:
            started, call_id = query.after
            stmt = stmt.where(
                sa.or_(
                    c.started_at < started,
                    sa.and_(c.started_at == started, c.call_id < call_id),
                )
            )
        # One more than asked: whether there is a next page.
        rows = conn.execute(_newest_first(stmt).limit(query.limit + 1)).all()
        page = rows[: query.limit]
        cursor = None
        if len(rows) > query.limit:
            cursor = encode_cursor(page[-1].started_at, page[-1].call_id)
        return _with_legs(conn, page), cursor


def get_record(engine: Engine, call_id: str) -> dict[str, Any] | None:
    """The record of one call, or None."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(calls).where(calls.c.call_id == call_id)).all()
        found = _with_legs(conn, rows)
    return found[0] if found else None


def _history_statement(column: sa.Column[Any], scoped: bool) -> sa.Select[Any]:
    stmt = sa.select(calls).where(column == sa.bindparam("b_number"))
    stmt = stmt.where(calls.c.state == "closed")
    if scoped:
        stmt = stmt.where(calls.c.queue.in_(sa.bindparam("b_queues", expanding=True)))
    return _newest_first(stmt).limit(sa.bindparam("b_limit"))


def _history_union(scoped: bool) -> sa.CompoundSelect[Any]:
    # One statement, one round trip: each half is an index range scan that
    # stops after ``limit`` rows.
    halves = [
        sa.select(_history_statement(column, scoped).subquery())
        for column in (calls.c.caller, calls.c.called)
    ]
    return sa.union_all(*halves)


#: The look-up over every queue, and over only some queues.
_HISTORY: Final = {scoped: _history_union(scoped) for scoped in (False, True)}


def history(engine: Engine, query: HistoryQuery) -> list[dict[str, Any]]:
    """A number's closed calls (as caller or called party), newest first."""
    values: dict[str, Any] = {"b_number": query.number, "b_limit": query.limit}
    scoped = query.only_queues is not None
    if query.only_queues is not None:
        values["b_queues"] = sorted(query.only_queues)
    with engine.connect() as conn:
        rows = conn.execute(_HISTORY[scoped], values).all()
        return _with_legs(conn, _merge([rows], query.limit))


def _merge(results: Iterable[Sequence[Any]], limit: int) -> list[Any]:
    """Newest first, each call once (a number that called itself is in both)."""
    seen: dict[str, Any] = {}
    for rows in results:
        for row in rows:
            seen.setdefault(row.call_id, row)
    ordered = sorted(seen.values(), key=lambda r: (r.started_at, r.call_id), reverse=True)
    return ordered[:limit]
