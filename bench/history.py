"""``python -m bench history``: ``records.history`` on millions of calls, against no index.

Fills a records database (the real schema, made by the migrations; SQLite, or a
throw-away PostgreSQL from ``tests/postgres.py``) with ``--rows`` calls and their
legs, made inside the database (``generate_series`` on PostgreSQL, a recursive CTE
on SQLite; one transaction per million calls), builds the indexes, and times
``ctid.records.history.history`` (the query ``records.history`` runs, through
SQLAlchemy, with its legs look-up) for random numbers that have calls: p50, p99
and max. In the same run, on the same data, it then drops the two number
indexes of migration ``0004_crm_history`` and times the same function again
(the naive query: what a number look-up costs without them).

The data: customers' numbers (+86 mobiles) calling one of 20 queues, four
calls per number on average, over a year, 80 % answered by one of 200 agents;
drawn from an integer hash (``draw``) that both databases compute, so both hold
the same rows. On PostgreSQL it also reports the statement's own execution time
(``EXPLAIN ANALYZE``), and every phase prints the load average.

    nice python -m bench history --rows 10000000
    nice python -m bench history --rows 1000000 --engine sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ctid.records import db  # noqa: E402
from ctid.records.history import _HISTORY, HistoryQuery, history  # noqa: E402
from ctid.records.schema import call_legs, calls  # noqa: E402

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


#: The modulus of the integer hash below (the Mersenne prime 2**31 - 1): products
#: of two values under it fit in the 64-bit integers of both databases.
MOD = 2**31 - 1
#: Multiplier of a number's nine digits: coprime with 10**9, so customers'
#: numbers never repeat.
SPREAD = 387_420_489
#: A salt per drawn column of a call: customer, queue, answered, agent, length, talk.
SALTS = {"customer": 1, "queue": 2, "answered": 3, "agent": 4, "length": 5, "talk": 6}
#: Rows per INSERT ... SELECT (one transaction each), so progress shows.
CHUNK = 1_000_000


def draw(i: int, salt: int) -> int:
    """A pseudo-random integer in ``[0, MOD)`` for call ``i`` (the SQL ``_draw`` in Python)."""
    x = (i * 48271 + salt * 7_777_777 + 12_345) % MOD
    return (x * x + salt * 99_991 + 1) % MOD


def _draw(i: str, salt: str) -> str:
    """``draw`` as SQL (the same in both dialects: 64-bit integers, ``%``)."""
    x = f"(({i} * 48271 + {SALTS[salt]} * 7777777 + 12345) % {MOD})"
    return f"(({x} * {x} + {SALTS[salt]} * 99991 + 1) % {MOD})"


def customers(total: int) -> int:
    """How many different numbers call: four calls per number on average."""
    return max(1, total // 4)


def number(k: int) -> str:
    """The phone number of customer ``k``: an +86 mobile, unique per ``k``."""
    return f"+861{3 + k % 7}{k * SPREAD % 10**9:09d}"


def caller_of(i: int, total: int) -> str:
    """The number that made call ``i`` (what the SQL load wrote)."""
    return number(draw(i, SALTS["customer"]) % customers(total))


def _select(total: int, dialect: str) -> str:
    """The SELECT that makes calls ``:lo`` to ``:hi - 1`` from a series ``s(i)``.

    The same distribution as the Python generator it replaced: a quarter as
    many numbers as calls, each call by a number drawn at random (numbers call
    four times on average, some once, some ten times), spread over a year,
    one of 20 queues, 80 % answered by one of 200 agents.
    """
    n = customers(total)
    step_us = 365 * 86400 * 10**6 // total
    k = f"({_draw('i', 'customer')} % {n})"
    answered = f"({_draw('i', 'answered')} % 10 < 8)"
    queue = f"({_draw('i', 'queue')} % 20)"
    length = f"(20 + {_draw('i', 'length')} % 580)"
    if dialect == "sqlite":
        num = f"printf('+861%d%09d', 3 + {k} % 7, {k} * {SPREAD} % 1000000000)"
        qname = f"printf('q%02d', {queue})"
        agent = f"CAST(2000 + {_draw('i', 'agent')} % 200 AS TEXT)"

        def moment(extra: str) -> str:
            us = f"(i * {step_us} + {extra})"
            return (
                f"strftime('%Y-%m-%d %H:%M:%S', {int(START.timestamp())} + {us} / 1000000,"
                f" 'unixepoch') || printf('.%06d', {us} % 1000000)"
            )

        call_id, ticket, real = (
            "printf('c%09d', i)",
            'printf(\'{"crm.ticket": "T-%d"}\', i)',
            "REAL",
        )
        empty_list, empty_obj = "'[]'", "'{}'"
    else:
        num = f"'+861' || (3 + {k} % 7) || lpad(({k} * {SPREAD} % 1000000000)::text, 9, '0')"
        qname = f"'q' || lpad({queue}::text, 2, '0')"
        agent = f"(2000 + {_draw('i', 'agent')} % 200)::text"

        def moment(extra: str) -> str:
            return (
                f"(timestamptz '{START.isoformat()}'"
                f" + make_interval(secs => (i * {step_us} + {extra}) / 1000000.0))"
            )

        call_id = "'c' || lpad(i::text, 9, '0')"
        ticket = "('{\"crm.ticket\": \"T-' || i || '\"}')::json"
        real = "double precision"
        empty_list, empty_obj = "'[]'::json", "'{}'::json"
    talk = f"CAST(10 + {_draw('i', 'talk')} % 490 AS {real})"
    return (
        f"SELECT {call_id}, 'bench', 'r1', 'closed', 'inbound', {num}, {qname}, {qname},"
        f" CASE WHEN {answered} THEN {agent} END,"
        f" CASE WHEN {answered} THEN 'answered' ELSE 'abandonedInQueue' END,"
        f" {moment('0')}, {moment(f'{length} * 1000000')},"
        f" CASE WHEN {answered} THEN {talk} ELSE 0.0 END,"
        f" {empty_list}, {ticket}, {empty_obj}"
        " FROM s"
    )


#: The legs of every call, made from the calls: the caller's trunk leg, and the
#: agent's extension leg for answered calls (what ``records.history`` reads too).
LEGS_SQL = (
    "INSERT INTO call_legs (call_id, seq, device, kind, trunk, joined_at, answered_at,"
    " ended_at, hold_seconds, end_cause, failed)"
    " SELECT call_id, 0, caller, 'external', 'trunk1', started_at,"
    " CASE WHEN agent_id IS NOT NULL THEN started_at END, ended_at, 0.0, 'normalClearing',"
    " {false} FROM calls WHERE call_id >= :lo AND call_id < :hi"
    " UNION ALL"
    " SELECT call_id, 1, agent_id, 'extension', NULL, started_at, started_at, ended_at, 0.0,"
    " 'normalClearing', {false} FROM calls"
    " WHERE agent_id IS NOT NULL AND call_id >= :lo AND call_id < :hi"
)


def _drop_calls_indexes(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in (calls, call_legs):
            for index in table.indexes:
                conn.execute(sa.text(f"DROP INDEX IF EXISTS {index.name}"))


def _create_calls_indexes(engine: sa.Engine) -> None:
    for table in (calls, call_legs):
        for index in table.indexes:
            index.create(engine)


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, total, CHUNK):
        yield lo, min(total, lo + CHUNK)


def _progress(name: str, hi: int, total: int, began: float) -> None:
    print(f"  {name}: {hi:,}/{total:,} calls in {time.perf_counter() - began:.0f} s", flush=True)


def load_sqlite(path: Path, total: int) -> sa.Engine:
    """The calls made inside SQLite (a recursive CTE per chunk), legs made from them."""
    engine = db.make_engine(db.sqlite_url(path))
    db.upgrade(engine)
    _drop_calls_indexes(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    # For the load only: a crash would leave a broken file, which the bench throws away.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    insert = (
        f"WITH RECURSIVE s(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM s WHERE i + 1 < :hi)"
        f" INSERT INTO calls ({', '.join(COLUMNS)}) {_select(total, 'sqlite')}"
    )
    legs = LEGS_SQL.format(false="0")
    began = time.perf_counter()
    for lo, hi in _chunks(total):
        conn.execute(insert, {"lo": lo, "hi": hi})
        conn.execute(legs, {"lo": f"c{lo:09d}", "hi": f"c{hi:09d}"})
        conn.commit()
        _progress("sqlite", hi, total, began)
    conn.close()
    return db.make_engine(db.sqlite_url(path))


def load_postgres(url: str, total: int) -> sa.Engine:
    """The calls made inside PostgreSQL (``generate_series``), legs made from them."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    _drop_calls_indexes(engine)
    insert = sa.text(
        f"INSERT INTO calls ({', '.join(COLUMNS)}) {_select(total, 'postgresql')}".replace(
            " FROM s", " FROM generate_series(CAST(:lo AS bigint), :hi - 1) AS s(i)"
        )
    )
    legs = sa.text(LEGS_SQL.format(false="false"))
    began = time.perf_counter()
    for lo, hi in _chunks(total):
        with engine.begin() as conn:
            conn.execute(insert, {"lo": lo, "hi": hi})
            conn.execute(legs, {"lo": f"c{lo:09d}", "hi": f"c{hi:09d}"})
        _progress("postgresql", hi, total, began)
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
    # Numbers that called: the callers of random calls (a number that called
    # often is drawn more often, as a call centre's screen pops are).
    sample = [caller_of(rng.randrange(total), total) for _ in range(probes)]
    began = time.perf_counter()
    _create_calls_indexes(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    print(f"{name}: indexes built and analysed in {time.perf_counter() - began:.1f} s{_load()}")
    timed(engine, sample[:50])  # warm the caches the way a running daemon has them
    seconds, found = timed(engine, sample)
    print(
        f"{name}: history, indexed:   {summary(seconds)}; {found / probes:.1f} calls each{_load()}",
        flush=True,
    )
    if engine.dialect.name == "postgresql":
        executed = explained(engine, sample[:200])
        print(f"{name}: the statement's own execution (EXPLAIN ANALYZE): {summary(executed)}")
    with engine.begin() as conn:
        for index in NUMBER_INDEXES:
            conn.execute(sa.text(f"DROP INDEX {index}"))
        conn.execute(sa.text("ANALYZE"))
    seconds, found = timed(engine, sample[:naive_probes])
    print(f"{name}: history, no number indexes: {summary(seconds)}{_load()}", flush=True)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"  [load {one:.1f} / {five:.1f}]"


def explained(engine: sa.Engine, probes: list[str]) -> list[float]:
    """Seconds PostgreSQL itself spent executing the history statement, per number.

    ``EXPLAIN ANALYZE``'s execution time: the query without the round trips and
    the Python around it, so a reader can tell the index from a loaded machine.
    """
    compiled = _HISTORY[False].compile(dialect=engine.dialect)
    out = []
    with engine.connect() as conn:
        for number in probes:
            plan = conn.exec_driver_sql(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}",
                {**compiled.params, "b_number": number, "b_limit": 20},
            ).scalar_one()
            out.append(plan[0]["Execution Time"] / 1000)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench history", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--probes", type=int, default=2000, help="indexed look-ups timed")
    parser.add_argument("--naive-probes", type=int, default=10, help="look-ups without indexes")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes")
    args = parser.parse_args(argv)
    print(f"{args.rows:,} calls, {customers(args.rows):,} numbers", flush=True)
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
