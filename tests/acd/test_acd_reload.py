"""A new ``[acd]`` applied to the running ACD (``ctid reload``), on the simulator."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from acdkit import Notices, agent, centre, log_on, queue

from ctid.calls.notices import CallEnded
from ctid.reloading import ReloadRefused
from ctid.testing import call_centre

CALLER = "+15550001"


def acd(queues: list[dict[str, Any]], agents: list[dict[str, Any]]) -> dict[str, Any]:
    return {"queues": queues, "agents": agents}


async def test_queues_and_skills_change_while_agents_are_ready(autojump_clock: Any) -> None:
    before = centre(
        acd(
            [queue("sales", number="5001"), queue("support", number="5002")],
            [agent("2001", "sales"), agent("2002", "sales")],
        )
    )
    with trio.fail_after(3600):
        await _scenario(before)


async def _scenario(before: Any) -> None:
    async with call_centre(before) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices)
        admin = await cc.client()
        for device in ("1001", "1002"):
            await admin.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
        await log_on(admin, "2001", "1001")
        await log_on(admin, "2002", "1002")
        # A caller waits in support, which nobody serves.
        waiting = (
            await admin.call("sim.incomingCall", {"callingNumber": CALLER, "calledNumber": "5002"})
        )["callID"]

        # A queue number that is a phone: refused whole, nothing changes.
        bad = centre(
            acd(
                [queue("sales", number="1003"), queue("billing", number="5003")],
                [agent("2001", "sales")],
            )
        )
        with pytest.raises(ReloadRefused) as refused:
            await cc.app.reloads.reload(cc.app.config, bad)
        assert [p.problem for p in refused.value.problems] == ["1003 is an extension"]
        listed = (await admin.call("queue.list"))["queues"]
        assert [q["queue"] for q in listed] == ["sales", "support"]

        after = centre(
            acd(
                [queue("sales", number="5001", strategy="linear"), queue("billing", number="5003")],
                [agent("2001", "sales"), agent("2002", "billing")],
            )
        )
        report = await cc.app.reloads.reload(cc.app.config, after)
        assert report.refused == []
        assert report.applied["acd"] == {
            "queues": {"added": ["billing"], "changed": ["sales"], "removed": ["support"]},
            "agents": {"added": [], "changed": ["2002"], "removed": []},
        }
        listed = {q["queue"]: q for q in (await admin.call("queue.list"))["queues"]}
        assert set(listed) == {"sales", "billing"}
        assert listed["sales"]["strategy"] == "linear"
        # The free agent stayed free in sales' new strategy; 2002 now serves billing.
        assert (listed["sales"]["agentsReady"], listed["billing"]["agentsReady"]) == (1, 1)
        # support had no overflow rule: its waiting caller was hung up.
        await trio.sleep(5)
        assert [n.call_id for n in notices.of(CallEnded)] == [waiting]
        # Calls reach the changed and the new queue's agents.
        await admin.call("sim.incomingCall", {"callingNumber": CALLER, "calledNumber": "5001"})
        reserved = await admin.event("agent.reserved", agentID="2001")
        assert reserved["oldState"] == "ready"
        await admin.call("sim.incomingCall", {"callingNumber": "+15550002", "calledNumber": "5003"})
        reserved = await admin.event("agent.reserved", agentID="2002")
        assert reserved["oldState"] == "ready"
        # support's number is no route point any more.
        assert "5002" not in cc.app.directory.route_points
        assert cc.app.directory.route_points["5003"] == "acd"
