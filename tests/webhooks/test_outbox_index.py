"""The journal's replay at start finds the events the outbox has by index, on both engines.

``outbox.append_missing`` asks ``WHERE webhook = ? AND event_id IN (...)``; migration
0013 adds ``ix_webhook_events_event_id`` (webhook, event_id) for it. The statement
checked is the one ``append_missing`` really sends (caught on its way to the driver),
explained with its own parameters: SQLite's ``EXPLAIN QUERY PLAN`` and PostgreSQL's
``EXPLAIN`` (on a table analysed with enough rows that the planner weighs a scan).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ctid.records import db
from ctid.webhooks import outbox
from ctid.webhooks.outbox import Queued

INDEX = "ix_webhook_events_event_id"


def _event(webhook: str, n: int) -> Queued:
    return Queued(webhook, f"r0-e{n:05d}", "CallClearedEvent", None,
                  "2026-12-07T10:00:00.000Z", f'{{"n":{n}}}')  # fmt: skip


def _lookups(engine: Engine, recovered: list[Queued]) -> tuple[dict[str, int], list[Any]]:
    """Run ``append_missing``; its result and the SELECTs it sent (statement, parameters)."""
    sent: list[Any] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "webhook_events" in statement:
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", catch)
    try:
        added = outbox.append_missing(engine, recovered)
    finally:
        sa.event.remove(engine, "before_cursor_execute", catch)
    return added, sent


def _plan(engine: Engine, statement: str, parameters: Any) -> str:
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(explain + statement, parameters).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def test_the_replay_lookup_uses_the_event_id_index(engine: Engine) -> None:
    # A backlog: 3 webhooks x 2,000 events, so a scan would cost the planner something.
    for name in ("crm", "erp", "bi"):
        outbox.append(engine, [_event(name, n) for n in range(2000)])
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE webhook_events" if engine.dialect.name != "sqlite"
                             else "ANALYZE")  # fmt: skip
    assert INDEX in {ix["name"] for ix in sa.inspect(engine).get_indexes("webhook_events")}
    assert db.current_revision(engine) == db.head_revision()

    recovered = [_event("crm", n) for n in (5, 1999, 2000, 2001)] + [_event("erp", 7)]
    added, sent = _lookups(engine, recovered)
    assert added == {"crm": 2}  # 2000 and 2001 were not there yet
    assert len(sent) == 2  # one lookup per webhook ("crm", "erp"), each under 500 ids
    for statement, parameters in sent:
        assert "event_id IN" in statement
        plan = _plan(engine, statement, parameters)
        assert INDEX in plan, plan
        assert "SCAN webhook_events" not in plan and "Seq Scan" not in plan, plan
