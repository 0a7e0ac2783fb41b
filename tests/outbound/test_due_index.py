"""The due index ends with ``id`` (migration 0014, ``outgaps2_1``): the dialler's due read
sorts no state's part, on both engines; the migration goes up and down.

The statement checked is the one ``store.due_batch`` really sends (caught on its way to
the driver), explained with its own parameters on a list analysed with enough rows that
the planner weighs a scan: PostgreSQL's ``EXPLAIN`` and SQLite's ``EXPLAIN QUERY PLAN``.
``python -m bench due_index`` prints the same plans with the old and the new index
(docs/performance.md, "The due index, branch outgaps2").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from ctid.outbound import store
from ctid.records import db
from ctid.records.schema import campaign_records

INDEX = "ix_campaign_records_due"
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
OLD_COLUMNS = ["campaign", "status", "next_attempt_at"]
NEW_COLUMNS = [*OLD_COLUMNS, "id"]


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = db.make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def due_columns(engine: sa.Engine) -> list[str | None]:
    [index] = [i for i in sa.inspect(engine).get_indexes("campaign_records") if i["name"] == INDEX]
    return list(index["column_names"])


def fill(engine: sa.Engine, campaign: str, count: int) -> None:
    """``count`` records: 90 % new, the rest retries and callbacks, half of them due."""
    rows = []
    for n in range(count):
        status = {1: "retry", 2: "callback"}.get(n % 20, "new")
        at = None
        if status != "new":
            at = NOW + dt.timedelta(minutes=(n % 7 + 1) * (1 if n % 40 < 20 else -1) * 37)
        rows.append(
            {
                "campaign": campaign,
                "list_id": 1,
                "line": n + 2,
                "number": f"+4930{n:08d}",
                "data": {},
                "status": status,
                "attempts": 0 if status == "new" else 1,
                "retries": 0,
                "next_attempt_at": at,
                "last_outcome": None if status == "new" else "busy",
                "disposition": None,
                "callback_agent": None,
                "updated_at": NOW,
            }
        )
    with engine.begin() as conn:
        conn.execute(campaign_records.insert(), rows)


def sent(engine: sa.Engine, limit: int) -> tuple[list[store.StoredRecord], str, Any]:
    """``due_batch``'s records, and the one statement it sent with its parameters."""
    caught: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        caught.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", catch)
    try:
        found, _ = store.due_batch(engine, "c", NOW, limit)
    finally:
        sa.event.remove(engine, "before_cursor_execute", catch)
    [(statement, parameters)] = caught
    return found, statement, parameters


def test_the_due_read_sorts_no_part_of_the_list(engine: sa.Engine) -> None:
    assert due_columns(engine) == NEW_COLUMNS
    fill(engine, "c", 6000)
    fill(engine, "other", 6000)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    # The read itself: callbacks, then retries, then new records, each by time then id
    # (150 callbacks and 150 retries are due).
    found, _, _ = sent(engine, 400)
    counts = {s: sum(r.standing.status == s for r in found) for s in ("callback", "retry", "new")}
    assert counts == {"callback": 150, "retry": 150, "new": 100}
    rank = {"callback": 0, "retry": 1, "new": 2}
    keys = [(rank[r.standing.status], r.standing.next_attempt_at or NOW, r.id) for r in found]
    assert keys == sorted(keys)
    found, statement, parameters = sent(engine, 128)
    assert [r.id for r in found] == [r.id for r in store.due_records(engine, "c", NOW, 128)]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            lines = [str(row[-1]) for row in rows]
            # Each state's part (a co-routine) is read in the index's order; the temporary
            # B-trees are the merge of the three parts' 128 rows each (ORDER BY rank...).
            parts = [i for i, line in enumerate(lines) if line.startswith("CO-ROUTINE")]
            assert len(parts) == 3, lines
            for i in parts:
                assert lines[i + 1].startswith(f"SEARCH campaign_records USING INDEX {INDEX}")
                assert lines[i + 2].startswith("SCAN anon_"), lines
            assert sum("TEMP B-TREE" in line for line in lines) == 3, lines
        else:
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE) " + statement, parameters).all()
            lines = [str(row[0]) for row in rows]
            plan = "\n".join(lines)
            # One sort: the merge's top 128 of the three parts' 3 x 128. Each part is an
            # index scan under its limit: no sort of the list's 5,400 new records.
            assert sum("Sort  (" in line for line in lines) == 1, plan
            assert "Incremental Sort" not in plan and "Seq Scan on campaign_records" not in plan
            assert plan.count(f"Index Scan using {INDEX}") == 3, plan
            for status in ("callback", "retry", "new"):
                assert f"(status)::text = '{status}'::text" in plan


def test_the_migration_goes_up_and_down(engine: sa.Engine) -> None:
    assert db.current_revision(engine) == db.head_revision()
    fill(engine, "c", 50)
    with engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "outgaps2_1")
    with engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "-1")
    assert db.current_revision(engine) != "outgaps2_1"
    assert due_columns(engine) == OLD_COLUMNS
    assert db.upgrade(engine, "outgaps2_1")[1] == "outgaps2_1"
    assert due_columns(engine) == NEW_COLUMNS
    assert db.upgrade(engine)[1] == db.head_revision()
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(campaign_records)).scalar()
    assert count == 50
    assert len(store.due_records(engine, "c", NOW, 100)) == 44 + 2  # new, and 2 of 6 due
