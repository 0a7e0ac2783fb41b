"""``python -m bench livestate``: the live-state store on SQLite, against writing naively.

Measures, on a real SQLite file with ctid's settings (WAL, ``synchronous=FULL``):

* the call path's cost of ``LiveStore.put`` (an agent's row, ~600 bytes of
  JSON), per change;
* how long a change waits before it is committed when changes come one at a
  time (``flush`` right after one ``put``): the window a ``kill -9`` can lose;
* a burst of changes to many rows (agents changing state at once) until all
  are committed, with the number of transactions it took;

beside the naive way: one transaction per change, made by the caller.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from ctid.livestate.store import LiveStore
from ctid.records import db


def _row(i: int) -> dict[str, Any]:
    return {
        "device": f"{1000 + i}",
        "state": "ready",
        "reason": None,
        "since": 1_800_000_000.0 + i,
        "groups": None,
        "pending": None,
        "offerCall": None,
        "offerAt": None,
        "offerEntry": None,
        "callID": f"r1-c{i}",
        "acdCall": True,
        "lastQueue": "sales",
        "answeredAt": 1_800_000_100.0,
        "readySince": 1_800_000_000.0,
        "wrapUntil": None,
        "accounted": 1_800_000_000.0,
        "day": {"date": "2027-01-15", "calls": i, "talk": 1.5 * i, "acw": 0.0, "rona": 0},
    }


async def _run(path: Path, *, changes: int, burst: int) -> None:
    engine = db.make_engine(db.sqlite_url(path / "ctid.db"))
    store = LiveStore(engine=engine)
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        rows = [_row(i) for i in range(burst)]
        # The call path: put() alone.
        started = time.perf_counter()
        for i in range(changes):
            store.put("agent", str(i % burst), rows[i % burst])
        put_us = (time.perf_counter() - started) / changes * 1e6
        await store.flush()
        # One change at a time: put, then wait until it is committed.
        waits = []
        for i in range(200):
            started = time.perf_counter()
            store.put("agent", "0", rows[i % burst])
            await store.flush()
            waits.append(time.perf_counter() - started)
        # A burst: every row changes at once.
        commits = store.statistics().commits
        started = time.perf_counter()
        for i in range(burst):
            store.put("agent", str(i), rows[i])
        await store.flush()
        burst_s = time.perf_counter() - started
        burst_commits = store.statistics().commits - commits
        nursery.cancel_scope.cancel()
    engine.dispose()
    # Naive: the caller commits each change itself.
    engine = db.make_engine(db.sqlite_url(path / "naive.db"))
    db.prepare(engine)
    import datetime as dt
    import json

    from ctid.livestate.store import _upsert

    naive = []
    for i in range(200):
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                _upsert(conn),
                [
                    {
                        "kind": "agent",
                        "key": "0",
                        "value": json.dumps(rows[i % burst]),
                        "updated_at": dt.datetime.now(dt.UTC),
                    }
                ],
            )
        naive.append(time.perf_counter() - started)
    engine.dispose()
    ms = 1e3
    print(f"put() on the call path        : {put_us:8.2f} us per change ({changes} changes)")
    print(
        f"change -> committed (one)     : median {statistics.median(waits) * ms:6.2f} ms, "
        f"p99 {sorted(waits)[int(len(waits) * 0.99) - 1] * ms:6.2f} ms"
    )
    print(
        f"burst of {burst:5d} rows         : {burst_s * ms:8.1f} ms until all committed, "
        f"{burst_commits} transaction(s)"
    )
    print(
        f"naive, caller commits each    : median {statistics.median(naive) * ms:6.2f} ms "
        "per change, on the call path"
    )


def main(*, quick: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        trio.run(
            lambda: _run(
                Path(tmp), changes=2_000 if quick else 100_000, burst=100 if quick else 1000
            )
        )
