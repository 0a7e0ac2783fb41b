"""``python -m bench due_index``: the dialler's due read with the old and the new due index.

Migration 0014 (``outgaps2_1``) puts ``id`` last in ``ix_campaign_records_due``
(campaign, status, next_attempt_at, id). The due read (``store.due_batch``) takes each
state's due records in ``(next_attempt_at, id)`` order; without ``id`` in the index
PostgreSQL sorted the ``new`` part (every ``new`` record's ``next_attempt_at`` is
NULL: only ``id`` orders them). This bench builds two databases that differ only by
that index (the other has the old three-column one), fills each with the same list
(``--records`` records of one campaign: 90 % new, 5 % retries and 5 % callbacks, half
of those due; and as many of another campaign), analyses them, and prints for the
statement ``due_batch`` really sends (``--limit`` rows, 128 as the dialler's
smallest batch): its plan, ``EXPLAIN (ANALYZE)`` on PostgreSQL (``EXPLAIN QUERY
PLAN`` on SQLite, which has no costs), and the median time of ``--runs`` reads, the
two databases taking turns.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ctid.outbound import store
from ctid.records import db
from ctid.records.schema import campaign_records

INDEX = "ix_campaign_records_due"
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def _rows(campaign: str, count: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        status, at = "new", None
        if n % 20 == 1:
            status = "retry"
        elif n % 20 == 2:
            status = "callback"
        if status != "new":
            # Half due an hour ago or more, half due in the hours to come.
            at = NOW + dt.timedelta(minutes=(n % 7 + 1) * (1 if n % 40 < 20 else -1) * 37)
        rows.append(
            {
                "campaign": campaign,
                "list_id": 1,
                "line": n + 2,
                "number": f"+4930{n:08d}",
                "data": {"name": f"n{n}"},
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
    return rows


def prepare(url: str, records: int, *, new_index: bool) -> sa.Engine:
    """A migrated database with the list; with the old index when not ``new_index``."""
    engine = db.make_engine(url)
    db.prepare(engine)
    with engine.begin() as conn:
        if not new_index:
            conn.exec_driver_sql(f"DROP INDEX {INDEX}")
            conn.exec_driver_sql(
                f"CREATE INDEX {INDEX} ON campaign_records (campaign, status, next_attempt_at)"
            )
        for campaign in ("c", "other"):
            rows = _rows(campaign, records)
            for first in range(0, len(rows), 5000):
                conn.execute(campaign_records.insert(), rows[first : first + 5000])
        conn.exec_driver_sql("ANALYZE")
    return engine


def sent_statement(engine: sa.Engine, limit: int) -> tuple[str, Any]:
    """The SELECT ``store.due_batch`` sends, and its parameters."""
    sent: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if "campaign_records" in statement:
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", catch)
    try:
        store.due_batch(engine, "c", NOW, limit)
    finally:
        sa.event.remove(engine, "before_cursor_execute", catch)
    assert len(sent) == 1, sent
    return sent[0]


def plan(engine: sa.Engine, statement: str, parameters: Any) -> list[str]:
    """The statement's plan: ``EXPLAIN QUERY PLAN`` (SQLite), ``EXPLAIN (ANALYZE)``
    (PostgreSQL), one line per row."""
    sqlite = engine.dialect.name == "sqlite"
    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(explain + statement, parameters).all()
    if sqlite:
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]


def run(label: str, urls: tuple[str, str], records: int, limit: int, runs: int) -> None:
    engines = {
        "old index": prepare(urls[0], records, new_index=False),
        "new index": prepare(urls[1], records, new_index=True),
    }
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(runs):
        for name, engine in engines.items():
            began = time.perf_counter()
            store.due_batch(engine, "c", NOW, limit)
            times[name].append(time.perf_counter() - began)
    print(f"{label}: {records:,} records of campaign c (and as many of another), limit {limit}")
    for name, engine in engines.items():
        statement, parameters = sent_statement(engine, limit)
        print(
            f"  {name}: median of {runs} due_batch reads {statistics.median(times[name]) * 1e3:.2f} ms"
        )
        for line in plan(engine, statement, parameters):
            print(f"    {line}")
    for engine in engines.values():
        engine.dispose()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench due_index")
    parser.add_argument("--records", type=int, default=20_000, help="per campaign (20,000)")
    parser.add_argument("--limit", type=int, default=128, help="rows read (128)")
    parser.add_argument("--runs", type=int, default=50, help="timed reads per database (50)")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.engine in ("sqlite", "both"):
            urls = (db.sqlite_url(Path(tmp) / "a.db"), db.sqlite_url(Path(tmp) / "b.db"))
            run("sqlite", urls, args.records, args.limit, args.runs)
        if args.engine in ("postgresql", "both"):
            from tests.postgres import PostgresServer

            server = PostgresServer()
            try:
                server.init()
                server.start()
                urls = (server.url(server.create_database()), server.url(server.create_database()))
                run("postgresql", urls, args.records, args.limit, args.runs)
            finally:
                server.destroy()
