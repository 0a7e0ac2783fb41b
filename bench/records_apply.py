"""``python -m bench records``: the call records writer's database work, batched
(``records.bulk.apply``) against op after op (``records.store.apply``, the old writer's).

The ops are those of a real day: ``ctid simulate --campaign`` (predictive, ``--agents``,
``--hours``, seed 1) is run once and every op the records service submits is kept, in
order. They are then applied to a fresh, migrated database in the batches the
simulation's writer makes (its commits, every 30 simulated seconds: ``--batch`` 0) or
of ``--batch`` ops, both ways, in turn (A B A B, ``--rounds`` each), counting the SQL
statements executed and the CPU time (``time.process_time``, this process: the engine
runs in it) of the applies alone; the tables each way are compared row for row. On
SQLite (a file in ``/dev/shm`` where there is one) and, with ``--engine both``, the
throw-away PostgreSQL of ``tests/postgres.py`` (whose server's CPU is not counted).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from ctid.records import bulk, db, store
from ctid.records import ops as o
from ctid.records.writer import RecordWriter
from tests.records import kept_spool

Apply = Callable[[sa.Engine, Sequence[o.Op]], None]


def record_day(agents: int, hours: float) -> tuple[list[o.Op], list[int]]:
    """The ops of a simulated campaign day, and the size of each of its commits."""
    from ctid.simulate.campaign import CampaignScenario, run_campaign

    kept: list[o.Op] = []
    commits: list[int] = []
    submit, commit = RecordWriter.submit, RecordWriter._commit_some

    def keeping(self: RecordWriter, op: o.Op) -> bool:
        kept.append(op)
        return submit(self, op)

    def counting(self: RecordWriter, start: Any, end: Any) -> Any:
        result = commit(self, start, end)
        commits.append(result[0])
        return result

    RecordWriter.submit = keeping  # type: ignore[method-assign]
    RecordWriter._commit_some = counting  # type: ignore[method-assign]
    try:
        run_campaign(
            CampaignScenario(
                dialer="predictive",
                agents=agents,
                answer_rate=0.3,
                machine_rate=0.1,
                ring_seconds=25,
                aht=270,
                wrap_up=10,
                hours=hours,
                max_abandon=0.03,
                seed=1,
            )
        )
    finally:
        RecordWriter.submit = submit  # type: ignore[method-assign]
        RecordWriter._commit_some = commit  # type: ignore[method-assign]
    return kept, [n for n in commits if n]


def _batches(ops: list[o.Op], sizes: list[int]) -> list[list[o.Op]]:
    out, at = [], 0
    for size in sizes:
        out.append(ops[at : at + size])
        at += size
    if at < len(ops):
        out.append(ops[at:])
    return out


@contextmanager
def counting_statements(engine: sa.Engine) -> Iterator[list[int]]:
    """[statements, parameter sets] executed on ``engine`` within the block."""
    seen = [0, 0]

    def count(*args: Any) -> None:
        parameters, executemany = args[3], args[5]
        seen[0] += 1
        seen[1] += len(parameters) if executemany else 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _clear(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in kept_spool.TABLES:
            conn.execute(table.delete())


def run(
    name: str, engine: sa.Engine, ops: list[o.Op], batches: list[list[o.Op]], rounds: int
) -> None:
    ways: dict[str, Apply] = {
        "op after op (store.apply)": store.apply,
        "batched (bulk.apply)": bulk.apply,
    }
    cpu: dict[str, list[float]] = {way: [] for way in ways}
    counts: dict[str, list[int]] = {}
    tables: dict[str, Any] = {}
    for _ in range(rounds):
        for way, apply in ways.items():
            _clear(engine)
            with counting_statements(engine) as seen:
                began = time.process_time()
                for batch in batches:
                    apply(engine, batch)
                cpu[way].append(time.process_time() - began)
            counts[way] = seen
            tables[way] = kept_spool.dump(engine)
    first, second = ways
    same = tables[first] == tables[second]
    rows = {table: len(rows) for table, rows in tables[first].items() if rows}
    print(f"\n{name}: {len(ops):,} ops in {len(batches):,} batches; tables identical: {same}")
    print(f"  rows: {rows}")
    print("  | way | statements | per op | parameter sets | CPU s (median) | ms per op |")
    for way in ways:
        median = statistics.median(cpu[way])
        runs = ", ".join(f"{c:.3f}" for c in cpu[way])
        print(
            f"  | {way} | {counts[way][0]:,} | {counts[way][0] / len(ops):.3f} |"
            f" {counts[way][1]:,} | {median:.3f} ({runs}) | {1000 * median / len(ops):.4f} |"
        )
    ratio = statistics.median(cpu[second]) / statistics.median(cpu[first])
    print(f"  CPU batched / op after op: {ratio:.3f}")
    if not same:
        raise SystemExit(f"{name}: the tables differ")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench records", description=__doc__)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--hours", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=0, help="ops per batch; 0: the day's")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--engine", choices=["sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    began = time.process_time()
    ops, commits = record_day(args.agents, args.hours)
    print(
        f"day: {args.agents} agents, {args.hours} h: {len(ops):,} ops,"
        f" {len(commits):,} commits (recorded in {time.process_time() - began:.1f} s CPU)"
    )
    if args.batch:
        commits = [args.batch] * (len(ops) // args.batch + 1)
    batches = _batches(ops, commits)
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="ctid-bench-records-", dir=shm) as tmp:
        engine = db.make_engine(db.sqlite_url(Path(tmp) / "records.db"))
        db.upgrade(engine)
        run("sqlite", engine, ops, batches, args.rounds)
        engine.dispose()
    if args.engine == "both":
        from tests.postgres import PostgresServer

        server = PostgresServer()
        try:
            server.init()
            server.start()
            engine = db.make_engine(server.url(server.create_database()))
            db.upgrade(engine)
            run("postgresql", engine, ops, batches, args.rounds)
            engine.dispose()
        finally:
            server.destroy()
