"""After-call work reaches the call records, from calls that really ran through the ACD.

The report tests built their rows by hand, so a bug that cleared the agent's call before
the after-call-work transition (every ACD call recorded with ``acw_seconds`` = 0) lived
through a green suite. Here the calls run on the simulator through the ACD and the
records writer, and the reports that measure the same thing are checked against each
other.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import trio

from ctid.records.schema import agent_states, calls
from ctid.testing import sim_config
from ctid.testing.harness import ANCHOR_WALL

from ..acd.acdkit import CREDENTIALS, acd_centre, agent, call_in, log_on, queue
from .test_cdr_scenarios import service

CALLER_A = "+15550001"
CALLER_B = "+15550002"


def _config(state_dir: Path) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state_dir)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 3600},
            "auth": {"tokens": CREDENTIALS},
            "acd": {
                "seed": 1,
                "queues": [queue("sales", wrap_up=25.0)],
                "agents": [agent("2001", "sales"), agent("2002", "sales")],
            },
        }
    )


async def test_after_call_work_is_in_the_records_and_the_reports_agree(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with acd_centre(_config(tmp_path)) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"agentObject": "*"}})
        await log_on(admin, "2001", "1001")
        # Call 1: 2001 talks 100 s, then the queue's 25 s of wrap-up run out.
        first = await call_in(admin, CALLER_A, "sales")
        await trio.sleep(1)
        cc.sim.off_hook("1001")
        await trio.sleep(100)
        cc.sim.on_hook(CALLER_A)
        cc.sim.on_hook("1001")
        await admin.event("AgentWorkingAfterCallEvent", agentID="2001")
        await trio.sleep(30)
        # Call 2: 2001 talks 40 s and ends its wrap-up after 10 s.
        second = await call_in(admin, CALLER_B, "sales")
        await trio.sleep(2)
        cc.sim.off_hook("1001")
        await trio.sleep(40)
        cc.sim.on_hook("1001")
        await trio.sleep(10)
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        await trio.sleep(5)
        records = service(cc)
        await records.wait_committed()
        with records.engine.connect() as conn:
            rows = {
                r.call_id: r
                for r in conn.execute(sa.select(calls).where(calls.c.call_id.in_([first, second])))
            }
            acw_states = conn.execute(
                sa.select(agent_states.c.call_id, agent_states.c.duration)
                .where(agent_states.c.state == "workingAfterCall")
                .order_by(agent_states.c.started_at)
            ).all()
        assert [(s.call_id, s.duration) for s in acw_states] == [(first, 25.0), (second, 10.0)]
        assert (rows[first].talk_seconds, rows[first].acw_seconds) == (100.0, 25.0)
        assert (rows[second].talk_seconds, rows[second].acw_seconds) == (40.0, 10.0)
        assert (rows[first].agent_id, rows[second].agent_id) == ("2001", "2001")

        day = {"from": _iso(ANCHOR_WALL - 3600), "to": _iso(ANCHOR_WALL + 86400)}
        handle = await admin.call("report.handleTimes", {**day, "queue": "sales"})
        assert handle["columns"] == [
            "answered",
            "avgHandle",
            "avgTalk",
            "avgHold",
            "avgAcw",
            "avgWait",
        ]
        [(answered, avg_handle, avg_talk, avg_hold, avg_acw, _wait)] = handle["rows"]
        assert (answered, avg_talk, avg_hold, avg_acw) == (2, 70.0, 0.0, 17.5)
        assert avg_handle == 87.5
        agents = await admin.call("report.agents", {**day, "queue": "sales"})
        columns = agents["columns"]
        by_agent = {row[0]: dict(zip(columns, row, strict=True)) for row in agents["rows"]}
        # The same after-call work, seen from the agent state log and from the calls.
        assert by_agent["2001"]["acwSeconds"] == 35.0 == 2 * avg_acw
        assert by_agent["2001"]["calls"] == 2
        assert by_agent["2001"]["talkSeconds"] == 140.0 == 2 * avg_talk


def _iso(wall: float) -> str:
    return dt.datetime.fromtimestamp(wall, dt.UTC).isoformat()
