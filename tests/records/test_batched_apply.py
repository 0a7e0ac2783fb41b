"""The writer's batched apply (``records.bulk``) writes exactly the rows of op after op.

The ops are those of two real days (``kept_spool.py``): spools the old writer (main at
``51faefd``, op after op) wrote, and the tables it made of them. On SQLite and the real
PostgreSQL of the test set-up:

* today's writer replays each old spool into exactly the old tables;
* ``bulk.apply`` in batches of every size gives the rows of ``store.apply`` op by op,
  and applying the whole day again (a replayed spool) changes nothing;
* a batch with one op the database refuses commits the others, and sets that one aside.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
import trio

from ctid.records import bulk, store
from ctid.records import ops as o
from ctid.records.journal import Journal, Position
from ctid.records.writer import RecordWriter, WriterLimits

from . import kept_spool


def _ops(day: str, tmp_path: Path) -> list[o.Op]:
    spool = tmp_path / f"read-{day}"
    kept_spool.unpack_spool(day, spool)
    journal = Journal(spool, fsync=False)
    found = journal.open()
    payloads, _ = journal.read(Position(1, 0), found.end, 1_000_000)
    journal.close()
    return [o.decode(payload) for payload in payloads]


def _physical(engine: sa.Engine) -> dict[str, list[Any]] | None:
    """SQLite: each table's rows (their keys) in rowid order, the order of a scan with
    no ORDER BY; on PostgreSQL no order is kept to compare."""
    if engine.dialect.name != "sqlite":
        return None
    out: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        for table in kept_spool.TABLES:
            keys = list(table.primary_key.columns)
            query = sa.select(*keys).order_by(sa.literal_column("rowid"))
            out[table.name] = [tuple(row) for row in conn.execute(query)]
    return out


def _clear(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in kept_spool.TABLES:
            conn.execute(table.delete())


def _kinds(ops: list[o.Op]) -> dict[str, int]:
    out: dict[str, int] = {}
    for op in ops:
        out[op.kind] = out.get(op.kind, 0) + 1
    return out


def test_the_kept_days_hold_every_kind_the_writer_gathers(tmp_path: Path) -> None:
    """The days below are worth comparing: each gathered kind, many times, in real order."""
    campaign = _kinds(_ops("campaign", tmp_path))
    ivr = _kinds(_ops("ivr", tmp_path))
    assert campaign == {
        "closeInterrupted": 1,
        "heartbeat": 26,
        "agentState": 116,
        "callOpen": 93,
        "callClose": 94,
        "queueWait": 24,
    }
    assert ivr == {
        "closeInterrupted": 1,
        "heartbeat": 5,
        "agentState": 20,
        "callOpen": 7,
        "callClose": 7,
        "queueWait": 5,
        "ivrVisit": 13,
        "ivrRun": 7,
    }
    tables = kept_spool.read_tables("ivr")
    # Wrap-up rows ended within the day: ACW seconds on the four calls agents answered.
    acw = [row[26] for row in tables["calls"]]
    assert sorted(acw, key=str) == ["0.0"] * 3 + ["15.0"] * 4


@pytest.mark.parametrize("day", kept_spool.DAYS)
async def test_an_old_spool_is_replayed_into_the_old_tables(
    day: str, engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    spool = tmp_path / "spool"
    kept_spool.unpack_spool(day, spool)
    writer = RecordWriter(
        engine=engine, spool_dir=spool, limits=WriterLimits(fsync=False, db_batch=100)
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        await writer.wait_committed()
        nursery.cancel_scope.cancel()
    stats = writer.statistics()
    assert (stats.rejected, stats.dropped, stats.spooled) == (0, 0, 0)
    assert stats.committed == len(_ops(day, tmp_path))
    assert kept_spool.dump(engine) == kept_spool.read_tables(day)


@pytest.mark.parametrize("day", kept_spool.DAYS)
def test_batches_of_every_size_give_the_rows_of_op_after_op(
    day: str, engine: sa.Engine, tmp_path: Path
) -> None:
    ops = _ops(day, tmp_path)
    store.apply(engine, ops)
    one_by_one = kept_spool.dump(engine)
    order = _physical(engine)
    assert one_by_one == kept_spool.read_tables(day)
    for size in (1, 2, 3, 7, 50, len(ops)):
        _clear(engine)
        for start in range(0, len(ops), size):
            bulk.apply(engine, ops[start : start + size])
        assert kept_spool.dump(engine) == one_by_one, f"batches of {size}"
        # The rows went in in the same order (what a scan with no ORDER BY returns).
        assert _physical(engine) == order, f"batches of {size}"
    # A spool replayed from its start (after a crash) changes nothing.
    bulk.apply(engine, ops)
    assert kept_spool.dump(engine) == one_by_one
    # Nor does a batch holding every op twice over (a close twice, an end twice...).
    _clear(engine)
    bulk.apply(engine, ops + ops)
    assert kept_spool.dump(engine) == one_by_one


def _agent_state(id: str, at: float, state: str, **changes: Any) -> o.AgentStateOp:
    values: dict[str, Any] = {
        "id": id,
        "node": "n1",
        "run_id": "r1",
        "agent_id": "a1",
        "device": "1001",
        "state": state,
        "previous_state": "x",
        "reason_code": None,
        "call_id": None,
        "queues": ("sales",),
        "started_at": at,
    }
    values.update(changes)
    return o.AgentStateOp(**values)


def test_what_a_batch_reads_and_merges_matches_op_after_op(engine: sa.Engine) -> None:
    """The cases a real day seldom has: an end read from an earlier batch, a state's
    row ended twice, two closes of one call with different campaign columns, an open
    after the close, the wrap-up of a call ended before and after the call closes."""
    t0 = 1_800_000_000.123456789
    close = o.CallClose(
        call_id="c1",
        node="n1",
        run_id="r1",
        direction="outbound",
        caller="0170000000",
        called="+15550000001",
        dnis=None,
        trunk="T/1",
        queue="campaign",
        queue_outcome="answered",
        agent_id="a1",
        agent_device="1001",
        answered_by="+15550000001",
        ivr_flow=None,
        ivr_exit=None,
        started_at=t0,
        answered_at=t0 + 3.3,
        ivr_entered_at=None,
        ivr_left_at=None,
        queue_entered_at=t0 + 3.3,
        queue_left_at=t0 + 3.4,
        ended_at=t0 + 60.7,
        wait_seconds=0.1,
        hold_seconds=0.0,
        talk_seconds=57.3,
        disposition="answered",
        end_cause="normalClearing",
        merged_into=None,
        recording_ids=(),
        correlator_data=None,
        user_data={"k": [1, 2]},
        facts={"campaign": "x", "campaign_outcome": "connected"},
        legs=(
            o.LegRecord(
                device="+15550000001",
                kind="external",
                trunk="T/1",
                joined_at=t0,
                answered_at=t0 + 3.3,
                ended_at=t0 + 60.7,
                hold_seconds=0.0,
                end_cause="normalClearing",
                failed=False,
            ),
        ),
    )
    opened = o.CallOpen(
        call_id="c1",
        node="n1",
        run_id="r1",
        direction="outbound",
        caller="0170000000",
        called="+15550000001",
        dnis=None,
        trunk="T/1",
        started_at=t0,
    )
    later = attrs.evolve(
        close,
        facts={"campaign": "x", "agent_disposition": "sale"},
        legs=close.legs[:0],
        talk_seconds=57.0,
    )
    batches: list[list[o.Op]] = [
        [_agent_state("s1", t0, "ready"), opened],
        [
            _agent_state("s2", t0 + 3.3, "busy", previous_id="s1", call_id="c1"),
            _agent_state("s3", t0 + 60.7, "workingAfterCall", previous_id="s2", call_id="c1"),
            # Wrap-up ends before the call's record is written, then again after it.
            _agent_state("s4", t0 + 65.0000004, "ready", previous_id="s3"),
            # A call opened, then one closed that was never opened (it failed at
            # once), then one opened: their rows go in in this order.
            attrs.evolve(opened, call_id="c7"),
            attrs.evolve(close, call_id="c8", facts={}, legs=()),
            attrs.evolve(opened, call_id="c9"),
            close,
            _agent_state("s4b", t0 + 70.25, "ready", previous_id="s3"),
            opened,
            later,
            o.Heartbeat(node="n1", run_id="r1", at=t0 + 1),
            o.Heartbeat(node="n1", run_id="r1", at=t0 + 2),
        ],
        # An end read from the database (s4b, written by the batch before).
        [_agent_state("s5", t0 + 80.5, "notReady", previous_id="s4b", reason_code="lunch")],
    ]
    ops = [op for batch in batches for op in batch]
    store.apply(engine, ops)
    one_by_one = kept_spool.dump(engine)
    order = _physical(engine)
    call = one_by_one["calls"][0]
    assert [row[0] for row in one_by_one["calls"]] == ["c1", "c7", "c8", "c9"]
    # The later close's talk time, with the earlier's outcome and the later's agent
    # disposition; the wrap-up from s3's last end (s4b), to the microsecond s3 started.
    wrap_up = t0 + 70.25 - dt.datetime.fromtimestamp(t0 + 60.7, dt.UTC).timestamp()
    assert (call[3], call[25], call[26]) == ("closed", "57.0", repr(wrap_up))
    assert (call[34], call[36], call[37]) == ("x", "connected", "sale")
    # The earlier close's leg, deleted by the later close (it has none).
    assert one_by_one["call_legs"] == []
    ended = {row[0]: row[11:13] for row in one_by_one["agent_states"]}
    assert ended["s3"][1] == repr(wrap_up)
    assert ended["s5"] == [None, None]
    assert ended["s4b"][1] == repr(
        t0 + 80.5 - dt.datetime.fromtimestamp(t0 + 70.25, dt.UTC).timestamp()
    )
    _clear(engine)
    for batch in batches:
        bulk.apply(engine, batch)
    assert kept_spool.dump(engine) == one_by_one
    assert _physical(engine) == order


async def test_a_batch_with_one_bad_op_commits_the_others_and_sets_it_aside(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    ops = _ops("ivr", tmp_path)
    store.apply(engine, ops)
    expected = kept_spool.dump(engine)
    _clear(engine)
    # NOT NULL violated (no agent): no database takes it, in a batch or alone.
    bad = _agent_state("bad-1", 1_800_000_000.0, "ready", agent_id=None)
    middle = len(ops) // 2
    spool = tmp_path / "spool"
    writer = RecordWriter(engine=engine, spool_dir=spool, limits=WriterLimits(fsync=False))
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        for op in [*ops[:middle], bad, *ops[middle:]]:
            writer.submit(op)
        await writer.wait_committed()
        nursery.cancel_scope.cancel()
    stats = writer.statistics()
    assert (stats.committed, stats.rejected) == (len(ops), 1)
    assert kept_spool.dump(engine) == expected
    (line,) = (spool / "rejected.jsonl").read_text().splitlines()
    kept = json.loads(line)
    assert json.loads(kept["record"])["id"] == "bad-1"
    assert "IntegrityError" in kept["error"]


def test_the_kept_spool_files_are_the_old_writers_format(tmp_path: Path) -> None:
    """The fixtures are real spool segments: frames of length, CRC and JSON."""
    raw = gzip.decompress(kept_spool.spool_file("ivr").read_bytes())
    assert raw[8:9] == b"{"
    first = json.loads(raw[8 : 8 + int.from_bytes(raw[:4], "big")])
    assert first["op"] == "closeInterrupted"
