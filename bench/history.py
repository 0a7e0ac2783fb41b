"""``python -m bench history``: ``records.history`` on millions of calls, against no index.

Fills a records database (the real schema, made by the migrations) with
``--rows`` calls in bulk (``executemany`` on SQLite, ``COPY`` on a throw-away
PostgreSQL from ``tests/postgres.py``), builds the indexes, and times
``ctid.records.history.history`` (the query ``records.history`` runs, through
SQLAlchemy, with its legs look-up) for random numbers that have calls: p50, p99
and max. In the same run, on the same data, it then drops the two number
indexes of migration ``0004_crm_history`` and times the same function again
(the naive query: what a number look-up costs without them).

The data: customers' numbers (+86 mobiles) calling one of 20 queues, four
calls per number on average, over a year; numbers and times from a fixed seed.

    nice python -m bench history --rows 10000000
    nice python -m bench history --rows 1000000 --engine sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ctid.records import db  # noqa: E402
from ctid.records.history import HistoryQuery, history  # noqa: E402
from ctid.records.schema import calls  # noqa: E402

COLUMNS = (
    "call_id",
    "node",
    "run_id",
    "state",
    "direction",
    "caller",
    "called",
    "queue",
    "agent_id",
    "disposition",
    "started_at",
    "ended_at",
    "talk_seconds",
    "recording_ids",
    "user_data",
    "facts",
)
NUMBER_INDEXES = ("ix_calls_caller_started", "ix_calls_called_started")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BATCH = 50_000


def numbers(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"+861{rng.randrange(3, 10)}{rng.randrange(10**9):09d}" for _ in range(count)]


def rows(total: int, sqlite_times: bool) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of call rows, oldest first (as a call centre writes them)."""
    rng = random.Random(11)
    customers = numbers(max(1, total // 4))
    step = 365 * 86400 / total
    batch: list[tuple[Any, ...]] = []
    for i in range(total):
        started = START + dt.timedelta(seconds=i * step)
        ended = started + dt.timedelta(seconds=rng.randrange(20, 600))
        q = rng.randrange(20)
        answered = rng.random() < 0.8
        times: tuple[Any, Any] = (
            (started.strftime("%Y-%m-%d %H:%M:%S.%f"), ended.strftime("%Y-%m-%d %H:%M:%S.%f"))
            if sqlite_times
            else (started, ended)
        )
        batch.append(
            (
                f"c{i:09d}",
                "bench",
                "r1",
                "closed",
                "inbound",
                rng.choice(customers),
                f"q{q:02d}",
                f"q{q:02d}",
                f"{2000 + rng.randrange(200)}" if answered else None,
                "answered" if answered else "abandonedInQueue",
                *times,
                float(rng.randrange(10, 500)) if answered else 0.0,
                "[]",
                f'{{"crm.ticket": "T-{i}"}}',
                "{}",
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _drop_calls_indexes(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for index in calls.indexes:
            conn.execute(sa.text(f"DROP INDEX IF EXISTS {index.name}"))


def _create_calls_indexes(engine: sa.Engine) -> None:
    for index in calls.indexes:
        index.create(engine)


def load_sqlite(path: Path, total: int) -> sa.Engine:
    engine = db.make_engine(db.sqlite_url(path))
    db.upgrade(engine)
    _drop_calls_indexes(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    sql = f"INSERT INTO calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    for batch in rows(total, sqlite_times=True):
        conn.executemany(sql, batch)
        conn.commit()
    conn.close()
    return db.make_engine(db.sqlite_url(path))


def load_postgres(url: str, total: int) -> sa.Engine:
    import psycopg

    engine = db.make_engine(url)
    db.upgrade(engine)
    _drop_calls_indexes(engine)
    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY calls ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for batch in rows(total, sqlite_times=False):
                for row in batch:
                    copy.write_row(row)
        conn.commit()
    return engine


def timed(engine: sa.Engine, probes: list[str]) -> tuple[list[float], int]:
    """Seconds per ``history`` call, and the calls found in all."""
    found = 0
    out = []
    for number in probes:
        began = time.perf_counter()
        result = history(engine, HistoryQuery(number=number, limit=20))
        out.append(time.perf_counter() - began)
        found += len(result)
    return out, found


def summary(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return (
        f"p50 {statistics.median(ms):8.2f} ms   p99 {p99:8.2f} ms   max {ms[-1]:8.2f} ms"
        f"   ({len(ms)} look-ups)"
    )


def run(name: str, engine: sa.Engine, total: int, probes: int, naive_probes: int) -> None:
    rng = random.Random(3)
    customers = numbers(max(1, total // 4))
    sample = [rng.choice(customers) for _ in range(probes)]
    began = time.perf_counter()
    _create_calls_indexes(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    print(f"{name}: indexes built and analysed in {time.perf_counter() - began:.1f} s")
    timed(engine, sample[:50])  # warm the caches the way a running daemon has them
    seconds, found = timed(engine, sample)
    print(f"{name}: history, indexed:   {summary(seconds)}; {found / probes:.1f} calls each")
    with engine.begin() as conn:
        for index in NUMBER_INDEXES:
            conn.execute(sa.text(f"DROP INDEX {index}"))
        conn.execute(sa.text("ANALYZE"))
    seconds, found = timed(engine, sample[:naive_probes])
    print(f"{name}: history, no number indexes: {summary(seconds)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench history", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--probes", type=int, default=2000, help="indexed look-ups timed")
    parser.add_argument("--naive-probes", type=int, default=10, help="look-ups without indexes")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes")
    args = parser.parse_args(argv)
    print(f"{args.rows:,} calls, {max(1, args.rows // 4):,} numbers")
    with TemporaryDirectory(prefix="ctid-bench-history-", dir=args.dir) as tmp:
        if args.engine in ("sqlite", "both"):
            began = time.perf_counter()
            engine = load_sqlite(Path(tmp) / "history.db", args.rows)
            size = (Path(tmp) / "history.db").stat().st_size
            print(
                f"sqlite: {args.rows:,} rows loaded in {time.perf_counter() - began:.1f} s"
                f" ({size / 2**20:.0f} MiB before indexes)"
            )
            run("sqlite", engine, args.rows, args.probes, args.naive_probes)
            engine.dispose()
        if args.engine in ("postgresql", "both"):
            from tests.postgres import PostgresServer

            server = PostgresServer()
            try:
                server.init()
                server.start()
                url = server.url(server.create_database())
                began = time.perf_counter()
                engine = load_postgres(url, args.rows)
                print(
                    f"postgresql: {args.rows:,} rows loaded in {time.perf_counter() - began:.1f} s"
                )
                run("postgresql", engine, args.rows, args.probes, args.naive_probes)
                engine.dispose()
            finally:
                server.destroy()
