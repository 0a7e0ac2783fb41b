"""``CloseInterrupted(every_node=True)``: after a takeover in a hot-standby pair, the new
active node (another ``records.node``) closes what the dead node's run left open, each
row at ITS node's last heartbeat; its own run's rows stay open. SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
import trio

from ctid.records import ops as o
from ctid.records import store
from ctid.records.schema import agent_states, calls, recordings

from .test_writer import T0, rows


def _opened(call_id: str, node: str, run: str, at: float) -> o.CallOpen:
    return o.CallOpen(
        call_id=call_id,
        node=node,
        run_id=run,
        direction="inbound",
        caller="06",
        called="800",
        dnis="800",
        trunk=None,
        started_at=at,
    )


def _state(row_id: str, node: str, run: str, at: float) -> o.AgentStateOp:
    return o.AgentStateOp(
        id=row_id,
        node=node,
        run_id=run,
        agent_id="2001",
        device="1001",
        state="ready",
        previous_state="loggedOff",
        reason_code=None,
        call_id=None,
        queues=("sales",),
        started_at=at,
    )


def _recording(rid: str, node: str, run: str, at: float) -> o.RecordingOp:
    return o.RecordingOp(
        recording_id=rid,
        call_id=None,
        node=node,
        run_id=run,
        path=f"/r/{rid}.wav",
        format="wav",
        state="recording",
        started_at=at,
        ended_at=None,
        duration=None,
        paused_seconds=0.0,
        size_bytes=None,
        sha256=None,
        started_by="admin",
        caller=None,
        called=None,
        queue=None,
        agent_id=None,
        tags=(),
        detail="",
    )


def _history() -> list[o.Op]:
    """Node a (run a1) died after its heartbeat at T0+60; node b's earlier run b0 died
    after T0+20; node b's run b1 takes over at T0+100."""
    return [
        _opened("a-call", "a", "a1", T0),
        _state("a-state", "a", "a1", T0 + 10),
        _recording("a-rec", "a", "a1", T0 + 5),
        _opened("b-old", "b", "b0", T0 - 100),
        o.Heartbeat(node="b", run_id="b0", at=T0 + 20),
        o.Heartbeat(node="a", run_id="a1", at=T0 + 60),
        _opened("b-new", "b", "b1", T0 + 90),
        _state("b-state", "b", "b1", T0 + 95),
    ]


async def test_the_new_active_node_closes_the_dead_nodes_rows(engine: sa.Engine) -> None:
    ops = [*_history(), o.CloseInterrupted(node="b", run_id="b1", at=T0 + 100, every_node=True)]
    await trio.to_thread.run_sync(store.apply, engine, ops)
    by_id = {r.call_id: r for r in rows(engine, calls)}
    a_call, b_old, b_new = by_id["a-call"], by_id["b-old"], by_id["b-new"]
    assert (a_call.state, a_call.disposition, a_call.end_cause) == (
        "closed",
        "interrupted",
        "ctidStopped",
    )
    # Each at its own node's last sign of life.
    assert a_call.ended_at.timestamp() == T0 + 60
    assert (b_old.state, b_old.ended_at.timestamp()) == ("closed", T0 + 20)
    assert (b_new.state, b_new.ended_at) == ("open", None)
    states = {r.id: r for r in rows(engine, agent_states)}
    assert states["a-state"].ended_at.timestamp() == T0 + 60
    assert states["a-state"].duration == 50.0
    assert states["b-state"].ended_at is None
    (rec,) = rows(engine, recordings)
    assert (rec.state, rec.detail) == ("failed", "ctid stopped while recording")


async def test_a_node_alone_closes_only_its_own_rows(engine: sa.Engine) -> None:
    """Without ``every_node`` (no ``[cluster]``: other daemons may share the database)."""
    ops = [*_history(), o.CloseInterrupted(node="b", run_id="b1", at=T0 + 100)]
    await trio.to_thread.run_sync(store.apply, engine, ops)
    by_id = {r.call_id: r for r in rows(engine, calls)}
    assert [by_id[c].state for c in ("a-call", "b-old", "b-new")] == ["open", "closed", "open"]
    states = {r.id: r for r in rows(engine, agent_states)}
    assert states["a-state"].ended_at is None
    (rec,) = rows(engine, recordings)
    assert rec.state == "recording"
