"""The webhook outbox and the stored webhooks, in the records database. Blocking code.

Run in worker threads by ``service``. Every function is one short
transaction; none holds a lock between calls, so the writer (appending) and
each webhook's sender (reading, deleting what was delivered) never wait for
each other longer than one statement.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records.schema import webhook_events, webhooks
from .journal import encode_params

__all__ = [
    "Queued",
    "Stored",
    "append",
    "append_missing",
    "backlogs",
    "delete_spec",
    "delete_through",
    "drop_all",
    "load_specs",
    "next_batch",
    "save_spec",
    "trim",
]

_E = webhook_events.c


@attrs.frozen
class Queued:
    """An event on its way into the outbox of ``webhook``."""

    webhook: str
    event_id: str
    method: str
    params: Any
    timestamp: str
    #: The params' JSON text when already encoded (journalled at publication).
    params_json: str | None = None
    #: The journal segment the event is in (0: not journalled).
    segment: int = 0


@attrs.frozen
class Stored:
    """An event in the outbox: ``id`` orders a webhook's events."""

    id: int
    event_id: str
    method: str
    params: str
    timestamp: str


def append(engine: Engine, events: Sequence[Queued]) -> None:
    """Add ``events`` (in their order) in one transaction."""
    with engine.begin() as conn:
        conn.execute(webhook_events.insert(), _rows(events))


def _rows(events: Sequence[Queued]) -> list[dict[str, Any]]:
    return [
        {
            "webhook": e.webhook,
            "event_id": e.event_id,
            "method": e.method,
            # Encoded here, in the worker thread, unless the journal had to encode it.
            "params": (e.params_json if e.params_json is not None else encode_params(e.params)),
            "timestamp": e.timestamp,
        }
        for e in events
    ]


def append_missing(engine: Engine, events: Sequence[Queued]) -> dict[str, int]:
    """Add those of ``events`` (in their order) that the outbox does not have (same webhook
    and event id), in one transaction; how many were added per webhook. At start, for the
    events the journal recovered."""
    have: set[tuple[str, str]] = set()
    added: dict[str, int] = {}
    with engine.begin() as conn:
        for name in sorted({e.webhook for e in events}):
            ids = sorted({e.event_id for e in events if e.webhook == name})
            for first in range(0, len(ids), 500):
                stmt = (
                    sa.select(_E.event_id)
                    .where(_E.webhook == name)
                    .where(_E.event_id.in_(ids[first : first + 500]))
                )
                have.update((name, event_id) for (event_id,) in conn.execute(stmt))
        missing = [e for e in events if (e.webhook, e.event_id) not in have]
        if missing:
            conn.execute(webhook_events.insert(), _rows(missing))
        for e in missing:
            added[e.webhook] = added.get(e.webhook, 0) + 1
    return added


def next_batch(engine: Engine, webhook: str, limit: int) -> list[Stored]:
    """The oldest ``limit`` events of ``webhook``."""
    stmt = (
        sa.select(_E.id, _E.event_id, _E.method, _E.params, _E.timestamp)
        .where(_E.webhook == webhook)
        .order_by(_E.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Stored(*row) for row in conn.execute(stmt)]


def delete_through(engine: Engine, webhook: str, last_id: int) -> int:
    """Delete ``webhook``'s events up to ``last_id`` (delivered or given up); how many."""
    with engine.begin() as conn:
        result = conn.execute(
            webhook_events.delete().where(_E.webhook == webhook).where(_E.id <= last_id)
        )
        return int(result.rowcount or 0)


def trim(engine: Engine, webhook: str, count: int) -> int:
    """Delete the oldest ``count`` events of ``webhook``; how many went."""
    with engine.begin() as conn:
        cutoff = conn.execute(
            sa.select(_E.id).where(_E.webhook == webhook).order_by(_E.id).offset(count - 1).limit(1)
        ).scalar()
        if cutoff is None:
            result = conn.execute(webhook_events.delete().where(_E.webhook == webhook))
        else:
            result = conn.execute(
                webhook_events.delete().where(_E.webhook == webhook).where(_E.id <= cutoff)
            )
        return int(result.rowcount or 0)


def drop_all(engine: Engine, webhook: str) -> int:
    """Delete every event of ``webhook`` (it was deleted)."""
    with engine.begin() as conn:
        return int(conn.execute(webhook_events.delete().where(_E.webhook == webhook)).rowcount or 0)


def backlogs(engine: Engine) -> dict[str, int]:
    """Events waiting per webhook."""
    stmt = sa.select(_E.webhook, sa.func.count()).group_by(_E.webhook)
    with engine.connect() as conn:
        return {name: int(n) for name, n in conn.execute(stmt)}


def load_specs(engine: Engine) -> list[dict[str, Any]]:
    """The stored webhooks' definitions (snake_case keys), by name."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(webhooks.c.spec).order_by(webhooks.c.name))
        return [json.loads(spec) for (spec,) in rows]


def save_spec(engine: Engine, name: str, spec: dict[str, Any], at: dt.datetime) -> None:
    text = json.dumps(spec, sort_keys=True)
    with engine.begin() as conn:
        updated = conn.execute(
            webhooks.update().where(webhooks.c.name == name).values(spec=text, updated_at=at)
        )
        if not updated.rowcount:
            conn.execute(webhooks.insert().values(name=name, spec=text, updated_at=at))


def delete_spec(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(webhooks.delete().where(webhooks.c.name == name))
        conn.execute(webhook_events.delete().where(_E.webhook == name))
