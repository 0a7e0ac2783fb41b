"""The record writer's ``commit_delay`` (what ``ctid simulate --campaign`` sets): the ops
of that many seconds share one transaction, and a stop commits what is left; on SQLite
and PostgreSQL. Blocking work inline, as in a simulation (the daemon's threads are
``test_writer.py``'s)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import trio

from ctid.blocking import inline
from ctid.records import ops as o
from ctid.records.schema import agent_states, calls
from ctid.records.writer import RecordWriter, WriterLimits

from .test_writer import T0, agent_state, call_close, rows


def call_open(call_id: str) -> o.CallOpen:
    return o.CallOpen(
        call_id=call_id,
        node="n1",
        run_id="r1",
        direction="outbound",
        caller="0170000000",
        called="5550101",
        dnis=None,
        trunk=None,
        started_at=T0,
    )


async def test_ops_of_the_delay_share_one_transaction(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    writer = RecordWriter(
        engine=engine,
        spool_dir=tmp_path / "spool",
        limits=WriterLimits(fsync=False, commit_delay=30.0),
        # In the trio thread, as in a simulation: the mock clock never jumps mid-write.
        blocking=inline,
    )
    transactions: list[list[str]] = []
    writer.applied_observers.append(
        lambda ops: transactions.append([type(op).__name__ for op in ops])
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        start = trio.current_time()
        writer.submit(call_open("c1"))
        await trio.sleep(10)
        writer.submit(agent_state("s1", "busy", T0 + 12, call="c1"))
        await trio.sleep(10)
        writer.submit(call_close("c1"))
        await trio.sleep(5)
        # In the spool (durable), not in the database yet.
        assert writer.statistics().spooled == 3
        assert rows(engine, calls) == []
        await writer.wait_committed()
        assert trio.current_time() - start == 30.0
        assert transactions == [["CallOpen", "AgentStateOp", "CallClose"]]
        (row,) = rows(engine, calls)
        assert row.state == "closed"
        # Later ops wait their own delay, from the first of them.
        writer.submit(agent_state("s2", "ready", T0 + 80, ("s1", T0 + 12)))
        await writer.wait_committed()
        assert trio.current_time() - start == 60.0
        assert transactions[1:] == [["AgentStateOp"]]
        nursery.cancel_scope.cancel()
    states = {r.id: r for r in rows(engine, agent_states)}
    assert states["s1"].duration == 68.0


async def test_a_stop_commits_what_waits_for_the_delay(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    writer = RecordWriter(
        engine=engine,
        spool_dir=tmp_path / "spool",
        limits=WriterLimits(fsync=False, commit_delay=30.0),
        # In the trio thread, as in a simulation: the mock clock never jumps mid-write.
        blocking=inline,
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        writer.submit(call_open("c1"))
        await writer.wait_committed()  # the database is known to be up
        writer.submit(call_open("c2"))
        writer.submit(call_open("c3"))
        await writer.wait_spooled()
        await trio.sleep(1)
        assert [r.call_id for r in rows(engine, calls)] == ["c1"]
        nursery.cancel_scope.cancel()
    # The stop wrote them without waiting out the delay.
    assert sorted(r.call_id for r in rows(engine, calls)) == ["c1", "c2", "c3"]
    assert writer.statistics().committed == 3
    assert writer.statistics().spooled == 0
