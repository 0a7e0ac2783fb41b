"""Records across a takeover: the new active node (another ``records.node``) closes or
continues what the dead node left open, as a node restarted in place does.

Two daemons on MockClock with the in-memory lease (``ctid.testing.lease``), one
simulated switch that outlives them (as a real switch outlives a killed node), and
the records and live state on the test set-up's real PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import trio
import trio.testing

from ctid.records import db
from ctid.records.schema import agent_states, calls
from ctid.switch_drivers.simulator.driver import SimulatorDriver, config_from_section
from ctid.testing.harness import ANCHOR_WALL
from ctid.testing.lease import FakeLeaseDatabase

from ..postgres import PostgresServer
from .test_node import Node

pytestmark = pytest.mark.postgres

CALLER = "+15550001"


def _extra(name: str, url: str) -> dict[str, Any]:
    return {
        "records": {
            "enabled": True,
            "database": url,
            "node": f"host-{name}",
            "fsync": False,
            "heartbeat_seconds": 1.0,
        },
        "acd": {
            "queues": [{"name": "sales", "number": "800", "ring_timeout": 10.0}],
            "agents": [{"id": a, "skills": [{"queue": "sales"}]} for a in ("2001", "2002")],
        },
    }


def _rows(url: str, table: sa.Table) -> list[Any]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(table)).all())
    finally:
        engine.dispose()


async def test_the_new_active_node_takes_over_the_dead_nodes_records(
    postgres: PostgresServer, pg_template: str, autojump_clock: trio.testing.MockClock
) -> None:
    """Node a answers a call and has two agents logged on, then dies. Node b takes over:
    the call still up on the switch is ONE record, closed normally when it ends (not
    ``interrupted``); the agents' state rows go on as b's; nothing of a is left
    open."""
    url = postgres.url(postgres.create_database(pg_template))
    lease = FakeLeaseDatabase()
    base = _extra("a", url)
    sim_cfg, sounds = config_from_section({"extensions": "1001-1010"})
    switch = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    t0 = trio.current_time()
    async with trio.open_nursery() as nursery:
        a = Node("a", lease, nursery, extra=base, driver=switch)
        await nursery.start(a.run)
        assert a.app.cluster is not None
        await a.app.cluster.wait_serving()
        b = Node("b", lease, nursery, extra=_extra("b", url), driver=switch)
        await nursery.start(b.run)
        admin = await a.cc.client()
        for agent, device in (("2001", "1001"), ("2002", "1002")):
            for state in ("loggedOn", "ready"):
                params = {"device": device, "requestedAgentState": state}
                if state == "loggedOn":
                    params["agentID"] = agent
                await admin.call("SetAgentState", params)
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1003"}})
        reply = await admin.call(
            "sim.incomingCall", {"callingNumber": CALLER, "calledNumber": "1003"}
        )
        call_id = reply["callID"]
        await admin.event("DeliveredEvent", alertingDevice="1003")
        await trio.sleep(4)
        switch.off_hook("1003")
        await admin.event("EstablishedEvent", answeringDevice="1003")
        answered = trio.current_time()
        await trio.sleep(12.5)
        a.kill()
        killed = trio.current_time()
        assert b.app.cluster is not None
        await b.app.cluster.wait_serving()
        watcher = await b.cc.client()
        await watcher.call("MonitorStart", {"monitorObject": {"deviceObject": "1003"}})
        snapshot = await watcher.call("agent.snapshot", {"agentID": "2001"})
        assert snapshot["agentState"] == "ready"
        await trio.sleep(20)
        switch.on_hook(CALLER)
        await watcher.event("CallClearedEvent", clearedCall=call_id)
        ended = trio.current_time()
        await b.app.api.services["records"].wait_committed()
        nursery.cancel_scope.cancel()
    wall = ANCHOR_WALL
    [row] = _rows(url, calls)
    assert (row.call_id, row.state, row.disposition, row.end_cause) == (
        call_id,
        "closed",
        "answered",
        "normalClearing",
    )
    assert row.node == "host-b"
    assert row.answered_at.timestamp() == pytest.approx(wall + answered, abs=0.01)
    assert row.ended_at.timestamp() == pytest.approx(wall + ended, abs=0.01)
    assert row.talk_seconds == pytest.approx(ended - answered, abs=0.01)
    assert row.started_at.timestamp() == pytest.approx(wall + t0, abs=0.01)
    states = _rows(url, agent_states)
    # The agents' state rows go on across the takeover (the agents did not change):
    # the rows a opened when they became ready are b's now, still open.
    still_open = sorted(
        (s.agent_id, s.state, s.node, s.started_at.timestamp() < wall + killed)
        for s in states
        if s.ended_at is None
    )
    assert still_open == [("2001", "ready", "host-b", True), ("2002", "ready", "host-b", True)]
    assert all(s.ended_at is not None for s in states if s.node == "host-a")
