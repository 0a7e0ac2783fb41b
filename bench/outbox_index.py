"""``python -m bench outbox_index``: what ``ix_webhook_events_event_id`` costs and saves.

The webhook outbox's writer appends events in batches (``outbox.append``); at start
the journal's replay asks which recovered events the outbox has
(``outbox.append_missing``: ``WHERE webhook = ? AND event_id IN (...)``). Migration
0013 indexes (webhook, event_id) for that question. This bench measures, in the same
run, on two databases that differ only by that index (the other one has it dropped):

* the writer's cost: ``--events`` events appended in batches of 100, one
  transaction each, as the writer commits them (SQLite with the daemon's
  ``synchronous=FULL``, WAL; and the throw-away PostgreSQL of ``tests/postgres.py``);
* the replay's look-up: ``append_missing`` of ``--recovered`` events (all present,
  so nothing is written) against that backlog.

The two databases take turns, batch by batch, so a load change on the shared
machine falls on both alike.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from ctid.records import db
from ctid.webhooks import outbox
from ctid.webhooks.outbox import Queued

INDEX = "ix_webhook_events_event_id"
BATCH = 100


def _event(webhook: str, n: int) -> Queued:
    # About the size of a DeliveredEvent's params (~300 bytes), already encoded.
    params = f'{{"n":{n},"pad":"{"x" * 280}"}}'
    return Queued(webhook, f"b1-e{n:07d}", "DeliveredEvent", None, "2026-12-07T10:00:00.000Z",
                  params)  # fmt: skip


def _prepare(url: str, indexed: bool) -> sa.Engine:
    engine = db.make_engine(url)
    db.prepare(engine)
    if not indexed:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP INDEX {INDEX}")
    return engine


def run(label: str, urls: tuple[str, str], events: int, recovered: int) -> None:
    with_ix, without = _prepare(urls[0], True), _prepare(urls[1], False)
    engines = {"with the index": with_ix, "without": without}
    appends: dict[str, list[float]] = {name: [] for name in engines}
    for first in range(0, events, BATCH):
        # Two webhooks' events interleaved, as the writer gets them.
        batch = [_event(("crm", "erp")[n % 2], n) for n in range(first, first + BATCH)]
        for name, engine in engines.items():
            began = time.perf_counter()
            outbox.append(engine, batch)
            appends[name].append(time.perf_counter() - began)
    lookup = [_event("crm", n) for n in range(0, min(events, 2 * recovered), 2)]
    lookups: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(5):
        for name, engine in engines.items():
            began = time.perf_counter()
            added = outbox.append_missing(engine, lookup)
            lookups[name].append(time.perf_counter() - began)
            assert added == {}, added
    print(f"{label}: {events:,} events appended in batches of {BATCH}; replay of {len(lookup):,}")
    for name in engines:
        per_event = statistics.median(appends[name]) / BATCH * 1e6
        print(
            f"  {name:15} append: median {statistics.median(appends[name]) * 1e3:7.2f} ms"
            f" per batch ({per_event:6.1f} us per event), total {sum(appends[name]):6.2f} s;"
            f" replay look-up: median {statistics.median(lookups[name]) * 1e3:8.1f} ms"
        )
    for engine in engines.values():
        engine.dispose()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench outbox_index")
    parser.add_argument("--events", type=int, default=50_000, help="backlog (default 50,000)")
    parser.add_argument("--recovered", type=int, default=5_000, help="replayed (default 5,000)")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args(argv)
    events, recovered = (2_000, 500) if args.quick else (args.events, args.recovered)
    with tempfile.TemporaryDirectory() as tmp:
        if args.engine in ("sqlite", "both"):
            urls = (db.sqlite_url(Path(tmp) / "a.db"), db.sqlite_url(Path(tmp) / "b.db"))
            run("sqlite", urls, events, recovered)
        if args.engine in ("postgresql", "both"):
            from tests.postgres import PostgresServer

            server = PostgresServer()
            try:
                server.init()
                server.start()
                urls = (server.url(server.create_database()), server.url(server.create_database()))
                run("postgresql", urls, events, recovered)
            finally:
                server.destroy()
