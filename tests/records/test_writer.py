"""The record writer on SQLite and PostgreSQL: spool first, database after, outages survived."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
import trio

from ctid.records import db, store
from ctid.records import ops as o
from ctid.records.journal import Journal
from ctid.records.schema import agent_states, call_legs, calls, nodes, queue_waits, recordings
from ctid.records.writer import RecordWriter, WriterLimits

from ..postgres import PostgresServer

T0 = 1_800_000_000.0


def call_close(call_id: str, **changes: object) -> o.CallClose:
    values: dict[str, object] = {
        "call_id": call_id,
        "node": "n1",
        "run_id": "r1",
        "direction": "inbound",
        "caller": "0612345678",
        "called": "800",
        "dnis": "800",
        "trunk": "T/1",
        "queue": "sales",
        "queue_outcome": "answered",
        "agent_id": "a1",
        "agent_device": "1001",
        "answered_by": "1001",
        "ivr_flow": None,
        "ivr_exit": None,
        "started_at": T0,
        "answered_at": T0 + 12,
        "ivr_entered_at": None,
        "ivr_left_at": None,
        "queue_entered_at": T0 + 2,
        "queue_left_at": T0 + 10,
        "ended_at": T0 + 72,
        "wait_seconds": 8.0,
        "hold_seconds": 5.0,
        "talk_seconds": 55.0,
        "disposition": "answered",
        "end_cause": "normalClearing",
        "merged_into": None,
        "recording_ids": ("r-1",),
        "correlator_data": None,
        "user_data": {"account": "42"},
        "facts": {"queue": "sales"},
        "legs": (
            o.LegRecord(
                device="0612345678",
                kind="external",
                trunk="T/1",
                joined_at=T0,
                answered_at=T0,
                ended_at=T0 + 72,
                hold_seconds=0.0,
                end_cause="normalClearing",
                failed=False,
            ),
            o.LegRecord(
                device="1001",
                kind="extension",
                trunk=None,
                joined_at=T0 + 10,
                answered_at=T0 + 12,
                ended_at=T0 + 72,
                hold_seconds=5.0,
                end_cause="normalClearing",
                failed=False,
            ),
        ),
    }
    values.update(changes)
    return o.CallClose(**values)  # type: ignore[arg-type]


def agent_state(
    id: str, state: str, at: float, prev: tuple[str, float] | None = None, call: str | None = None
) -> o.AgentStateOp:
    return o.AgentStateOp(
        id=id,
        node="n1",
        run_id="r1",
        agent_id="a1",
        device="1001",
        state=state,
        previous_state="x",
        reason_code=None,
        call_id=call,
        queues=("sales",),
        started_at=at,
        previous_id=prev[0] if prev else None,
        previous_started_at=prev[1] if prev else None,
    )


@asynccontextmanager
async def running_writer(
    engine: sa.Engine, spool: Path, **limits: object
) -> AsyncIterator[RecordWriter]:
    writer = RecordWriter(
        engine=engine,
        spool_dir=spool,
        limits=WriterLimits(fsync=False, **limits),  # type: ignore[arg-type]
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        yield writer
        nursery.cancel_scope.cancel()


def rows(engine: sa.Engine, table: sa.Table) -> list[sa.Row[object]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table)).all())


async def test_records_reach_the_database_through_the_spool(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running_writer(engine, tmp_path / "spool") as writer:
        writer.submit(
            o.CallOpen(
                call_id="c1",
                node="n1",
                run_id="r1",
                direction="inbound",
                caller="0612345678",
                called="800",
                dnis="800",
                trunk="T/1",
                started_at=T0,
            )
        )
        await writer.wait_committed()
        (row,) = rows(engine, calls)
        assert row.state == "open"
        assert row.started_at.timestamp() == T0
        writer.submit(agent_state("s1", "busy", T0 + 12, call="c1"))
        writer.submit(call_close("c1"))
        writer.submit(agent_state("s2", "workingAfterCall", T0 + 72, ("s1", T0 + 12), "c1"))
        writer.submit(agent_state("s3", "ready", T0 + 102, ("s2", T0 + 72)))
        writer.submit(
            o.QueueWaitOp(
                id="q1", call_id="c1", queue="sales", seconds=8.0, outcome="answered", at=T0 + 10
            )
        )
        writer.submit(o.Heartbeat(node="n1", run_id="r1", at=T0 + 100))
        await writer.wait_committed()
        stats = writer.statistics()
        assert stats.spooled == 0
        assert stats.committed == 7
        assert stats.db_up
    (row,) = rows(engine, calls)
    assert row.state == "closed"
    assert row.disposition == "answered"
    assert row.answered_at.timestamp() == T0 + 12
    assert row.user_data == {"account": "42"}
    assert row.recording_ids == ["r-1"]
    # ACW comes from the agent state log once the agent leaves it.
    assert row.acw_seconds == 30.0
    legs = sorted(rows(engine, call_legs), key=lambda r: r.seq)
    assert [(leg.seq, leg.device, leg.hold_seconds) for leg in legs] == [
        (1, "0612345678", 0.0),
        (2, "1001", 5.0),
    ]
    states = {r.id: r for r in rows(engine, agent_states)}
    assert states["s1"].duration == 60.0
    assert states["s2"].duration == 30.0
    assert states["s3"].ended_at is None
    assert len(rows(engine, queue_waits)) == 1
    (node,) = rows(engine, nodes)
    assert node.last_seen.timestamp() == T0 + 100


async def test_replaying_the_same_records_changes_nothing(
    engine: sa.Engine, tmp_path: Path
) -> None:
    batch: list[o.Op] = [
        call_close("c1"),
        agent_state("s1", "ready", T0),
        agent_state("s2", "busy", T0 + 5, ("s1", T0)),
        o.IvrVisitOp(
            id="v1",
            call_id="c1",
            flow="main",
            version="1",
            node="menu",
            node_type="menu",
            choice="1",
            at=T0 + 1,
        ),
    ]
    await trio.to_thread.run_sync(store.apply, engine, batch)
    before = {t.name: sorted(map(tuple, rows(engine, t))) for t in (calls, call_legs, agent_states)}
    await trio.to_thread.run_sync(store.apply, engine, batch)
    after = {t.name: sorted(map(tuple, rows(engine, t))) for t in (calls, call_legs, agent_states)}
    assert before == after


async def test_a_spool_left_by_a_killed_daemon_is_written_at_the_next_start(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    spool = tmp_path / "spool"
    journal = Journal(spool, fsync=False)
    journal.open()
    journal.append([o.encode(call_close(f"c{i}")) for i in range(5)])
    journal.close()
    async with running_writer(engine, spool) as writer:
        assert writer.statistics().spooled == 5
        await writer.wait_committed()
        assert writer.statistics().spooled == 0
    assert sorted(r.call_id for r in rows(engine, calls)) == [f"c{i}" for i in range(5)]


async def test_segments_are_deleted_once_committed(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    spool = tmp_path / "spool"
    async with running_writer(engine, spool, segment_bytes=2000, db_batch=7) as writer:
        for i in range(40):
            writer.submit(call_close(f"c{i}"))
            if i % 5 == 0:
                await writer.wait_spooled()
        await writer.wait_committed()
        left = list(spool.glob("*.spool"))
        assert len(left) == 1
        assert writer.statistics().spool_bytes == left[0].stat().st_size
    assert len(rows(engine, calls)) == 40


async def test_a_full_spool_drops_new_records_and_counts_them(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    one = len(o.encode(call_close("c00"))) + 8
    async with running_writer(engine, tmp_path / "spool", spool_max_bytes=3 * one) as writer:
        # Fill the spool faster than the database can take it: one batch of five.
        for i in range(5):
            writer.submit(call_close(f"c{i:02d}"))
        await writer.wait_committed()
        stats = writer.statistics()
        assert stats.dropped == 2
        assert stats.committed == 3
    assert len(rows(engine, calls)) == 3


async def test_a_record_the_database_refuses_is_set_aside(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    spool = tmp_path / "spool"
    async with running_writer(engine, spool) as writer:
        writer.submit(call_close("c1"))
        # NOT NULL violated: no database takes it.
        writer.submit(call_close("c2", caller=None))
        writer.submit(call_close("c3"))
        await writer.wait_committed()
        stats = writer.statistics()
        assert (stats.committed, stats.rejected) == (2, 1)
    assert sorted(r.call_id for r in rows(engine, calls)) == ["c1", "c3"]
    (line,) = (spool / "rejected.jsonl").read_text().splitlines()
    kept = json.loads(line)
    assert json.loads(kept["record"])["call_id"] == "c2"
    assert "IntegrityError" in kept["error"]


async def test_calls_left_open_by_a_dead_run_are_closed_as_interrupted(
    engine: sa.Engine, tmp_path: Path
) -> None:
    def opened(call_id: str, run: str, at: float) -> o.CallOpen:
        return o.CallOpen(
            call_id=call_id,
            node="n1",
            run_id=run,
            direction="inbound",
            caller="06",
            called="800",
            dnis="800",
            trunk=None,
            started_at=at,
        )

    await trio.to_thread.run_sync(
        store.apply,
        engine,
        [
            opened("old-1", "old", T0),
            opened("old-2", "old", T0 + 50),
            o.CallOpen(
                call_id="other-node",
                node="n2",
                run_id="old",
                direction="inbound",
                caller="06",
                called="800",
                dnis=None,
                trunk=None,
                started_at=T0,
            ),
            o.AgentStateOp(
                id="s-old",
                node="n1",
                run_id="old",
                agent_id="a1",
                device=None,
                state="ready",
                previous_state="loggedOff",
                reason_code=None,
                call_id=None,
                queues=(),
                started_at=T0 + 10,
            ),
            o.Heartbeat(node="n1", run_id="old", at=T0 + 60),
            opened("new-1", "new", T0 + 200),
            o.CloseInterrupted(node="n1", run_id="new", at=T0 + 300),
            o.Heartbeat(node="n1", run_id="new", at=T0 + 300),
        ],
    )
    by_id = {r.call_id: r for r in rows(engine, calls)}
    assert by_id["old-1"].disposition == "interrupted"
    assert by_id["old-1"].state == "closed"
    # It ended no later than the dead run was last known alive.
    assert by_id["old-1"].ended_at.timestamp() == T0 + 60
    assert by_id["old-2"].ended_at.timestamp() == T0 + 60
    assert by_id["new-1"].state == "open"
    assert by_id["other-node"].state == "open"
    (state,) = rows(engine, agent_states)
    assert state.duration == 50.0


@pytest.mark.postgres
@pytest.mark.slow
async def test_postgresql_outage_is_survived_in_order(
    postgres: PostgresServer, pg_template: str, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """Stop the real server mid-run: records wait in the spool and arrive when it is back."""
    engine = db.make_engine(postgres.url(postgres.create_database(pg_template)))
    try:
        async with running_writer(engine, tmp_path / "spool", retry_max=1.0) as writer:
            writer.submit(call_close("before"))
            await writer.wait_committed()
            assert writer.statistics().db_up
            postgres.stop()
            try:
                for i in range(3):
                    writer.submit(call_close(f"during-{i}"))
                writer.submit(agent_state("s1", "ready", T0))
                writer.submit(agent_state("s2", "busy", T0 + 7, ("s1", T0)))
                await writer.wait_spooled()
                await writer.wait_for(lambda stats: not stats.db_up)
                stats = writer.statistics()
                assert stats.spooled == 5
                assert stats.spool_bytes > 0
                assert stats.db_error is not None
                # Time passes in the outage; the writer keeps trying.
                await trio.sleep(30)
                assert writer.statistics().spooled == 5
            finally:
                postgres.start()
            await writer.wait_committed()
            stats = writer.statistics()
            assert stats.db_up
            assert stats.spooled == 0
            assert stats.committed == 6
        got = sorted(r.call_id for r in rows(engine, calls))
        assert got == ["before", "during-0", "during-1", "during-2"]
        states = {r.id: r for r in rows(engine, agent_states)}
        # In order: s1 was closed by s2.
        assert states["s1"].duration == 7.0
    finally:
        engine.dispose()


async def test_recording_rows_keep_call_details_and_stay_deleted(
    engine: sa.Engine, tmp_path: Path
) -> None:
    rec = o.RecordingOp(
        recording_id="r-1",
        call_id="c1",
        node="n1",
        run_id="r1",
        path="2027/01/15/r-1.wav",
        format="wav",
        state="recording",
        started_at=T0 + 12,
        ended_at=None,
        duration=None,
        paused_seconds=0.0,
        size_bytes=None,
        sha256=None,
        started_by="policy:all",
        caller=None,
        called=None,
        queue=None,
        agent_id=None,
        tags=("vip",),
        detail="",
    )
    await trio.to_thread.run_sync(store.apply, engine, [rec, call_close("c1")])
    await trio.to_thread.run_sync(
        store.apply, engine, [attrs.evolve(rec, state="done", duration=60.0, ended_at=T0 + 72)]
    )
    (row,) = rows(engine, recordings)
    assert (row.state, row.queue, row.agent_id, row.caller) == ("done", "sales", "a1", "0612345678")
    await trio.to_thread.run_sync(
        store.apply,
        engine,
        [o.RecordingDeleted(recording_id="r-1", at=T0 + 999), attrs.evolve(rec, state="done")],
    )
    (row,) = rows(engine, recordings)
    assert row.state == "deleted"
