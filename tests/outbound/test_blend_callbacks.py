"""A callback booked for one agent (``agentOnly``) claims that agent by the campaign's
blended priority, end to end (issue 12): the simulator, the real ACD, dialler and call
records, on SQLite and PostgreSQL.

Alice (2001 at 1001) works queue ``sales``; campaign ``survey`` is *progressive* here (a
callback for one agent is offered the same way in every mode) and its one record is
booked by alice for herself. The rule is the previews' (docs/outbound.md, "Blending"):
a campaign of priority c > 0 goes before an inbound call of priority p < c; at equal
priority, and for c = 0, the waiting caller goes first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config

from .test_blend import (
    ALICE,
    CALLER,
    VIP,
    agent_event,
    bare,
    inbound,
    overrides,
    ready,
    snapshot,
    statuses,
    waiting,
)


def config(tmp_path: Path, url: str, *, priority: int, vip_priority: int = 10) -> Any:
    cfg = overrides(tmp_path, url, priority=priority, vip_priority=vip_priority)
    cfg["campaigns"][0]["mode"] = "progressive"
    return sim_config(cfg)


async def book(cc: CallCentre, admin: RpcTestClient, *, due_in: float) -> RpcTestClient:
    """One record, booked by alice for herself ``due_in`` seconds from now; alice logged on
    (not ready) and watched; the campaign running."""
    await admin.call(
        "campaign.importList",
        {"campaign": "survey", "list": "l", "numberColumn": "phone", "csv": "phone\n5550101\n"},
    )
    alice = await cc.client(token=ALICE)
    await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
    await admin.call(
        "SetAgentState", {"device": "1001", "requestedAgentState": "loggedOn", "agentID": "2001"}
    )
    now = cc.app.api.services["campaigns"].utcnow()
    at = (now + dt.timedelta(seconds=due_in)).isoformat()
    await alice.call("campaign.scheduleCallback", {"record": 1, "at": at, "agentOnly": True})
    await admin.call("campaign.setState", {"name": "survey", "state": "running"})
    await trio.sleep(2)
    alice.take()
    return alice


@pytest.mark.parametrize(
    ("priority", "caller", "inbound_priority"),
    [(0, CALLER, 0), (5, VIP, 5)],
    ids=["priority-0-inbound-first", "equal-priorities-caller-first"],
)
async def test_the_waiting_caller_first(
    tmp_path: Path,
    database_url: str,
    autojump_clock: trio.testing.MockClock,
    priority: int,
    caller: str,
    inbound_priority: int,
) -> None:
    cfg = config(tmp_path, database_url, priority=priority, vip_priority=inbound_priority)
    async with call_centre(cfg) as cc:
        admin = await cc.client()
        alice = await book(cc, admin, due_in=5)
        call_id = await inbound(cc, admin, caller)
        await trio.sleep(10)  # the callback is due; alice is not ready yet
        assert statuses(database_url) == {"5550101": "callback"}
        await ready(admin)
        offered = await alice.event("agent.reserved")
        agent_event(offered, old="ready", new="reserved", cause="offered", call_id=call_id)
        await trio.sleep(2)
        assert [e["_name"] for e in alice.take()] == []
        assert (await snapshot(admin))["outboundReserve"] is None
        # She answers; when the caller hangs up, her callback is offered.
        cc.sim.off_hook("1001")
        await trio.sleep(2)
        cc.sim.on_hook(caller)
        shown = bare(await alice.event("campaign.preview"))
        assert (shown["record"], shown["agentID"], shown["callback"]) == (1, "2001", True)
        assert statuses(database_url) == {"5550101": "preview"}


async def test_a_due_callback_claims_its_agent_before_a_caller_of_lower_priority(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url, priority=5)) as cc:
        admin = await cc.client()
        alice = await book(cc, admin, due_in=20)
        first = await inbound(cc, admin, CALLER)
        # Ready before the callback is due: the caller rings her.
        await ready(admin)
        offered = await alice.event("agent.reserved")
        agent_event(offered, old="ready", new="reserved", cause="offered", call_id=first)
        cc.sim.off_hook("1001")
        await trio.sleep(2)
        second = await inbound(cc, admin, "0622222222")
        # The callback comes due while she talks (not ready for it); she hangs up.
        await trio.sleep(25)
        assert statuses(database_url) == {"5550101": "callback"}
        cc.sim.on_hook("1001")
        alice.take()
        # Ready again, a caller at 0 waits: the campaign (priority 5) takes her for her
        # callback, and the caller waits.
        reserved = await alice.event("agent.reserved")
        agent_event(
            reserved,
            old="ready",
            new="reserved",
            cause="outboundReserved",
            reserve={"campaign": "survey", "record": None},
            calls=1,
        )
        shown = bare(await alice.event("campaign.preview"))
        assert (shown["campaign"], shown["record"], shown["callback"]) == ("survey", 1, True)
        assert (await snapshot(admin))["outboundReserve"] == {"campaign": "survey", "record": 1}
        assert await waiting(admin) == [("0622222222", 0, "waiting")]

        # A caller arriving while the callback is on her screen waits too.
        await inbound(cc, admin, "0633333333")
        await trio.sleep(3)
        assert [e["_name"] for e in alice.take()] == []
        assert [c[2] for c in await waiting(admin)] == ["waiting", "waiting"]

        # Pausing the campaign withdraws the callback (booked for her again) and lets
        # her go: the first waiting caller rings her.
        await admin.call("campaign.setState", {"name": "survey", "state": "paused"})
        agent_event(
            await alice.event("AgentReadyEvent"),
            old="reserved",
            new="ready",
            cause="outboundReleased",
            calls=1,
        )
        rung = await alice.event("agent.reserved", cause="offered")
        assert rung["callID"] == second
        assert statuses(database_url) == {"5550101": "callback"}
