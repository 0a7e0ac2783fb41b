"""Blended agents: a preview campaign's work against inbound calls, by priority, end to end.

The simulator, the real ACD, the real dialler and call records. Agents alice
(2001 at 1001) and bob (2002 at 1002) work queue ``sales`` (8001); campaign
``survey`` is in preview mode on ``sales``. Inbound callers dial 8001 from
outside; ``VIP`` waits at the queue's ``vip_priority``. The rule
(docs/outbound.md, "Blending"): a campaign of priority c > 0 goes before an
inbound call of priority p < c; at equal priority, and for c = 0, the
waiting caller goes first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest
import sqlalchemy as sa
import trio
import trio.testing

from ctid.acd import desk
from ctid.records import db
from ctid.records.schema import campaign_records
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config

ALICE: Final = "blend-agent-alice-0123456789ab"
ALL_WEEK: Final = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LIST: Final = "name,phone\nAnn,5550101\nBob,5550102\nCy,5550103\n"
CALLER: Final = "0611111111"
VIP: Final = "0699999999"


def config(tmp_path: Path, url: str, *, priority: int, vip_priority: int = 10) -> Any:
    return sim_config(overrides(tmp_path, url, priority=priority, vip_priority=vip_priority))


def overrides(tmp_path: Path, url: str, *, priority: int, vip_priority: int = 10) -> Any:
    return {
        "server": {"state_dir": str(tmp_path)},
        "records": {"enabled": True, "database": url},
        "acd": {
            "queues": [
                {
                    "name": "sales",
                    "number": "8001",
                    "wrap_up": 0,
                    "ring_timeout": 10,
                    "vip_numbers": [VIP],
                    "vip_priority": vip_priority,
                }
            ],
            "agents": [
                {"id": "2001", "skills": [{"queue": "sales"}]},
                {"id": "2002", "skills": [{"queue": "sales"}]},
            ],
        },
        "auth": {
            "tokens": [{"role": "agent", "name": "alice", "token": ALICE, "agent_id": "2001"}]
        },
        "campaigns": [
            {
                "name": "survey",
                "queue": "sales",
                "mode": "preview",
                "priority": priority,
                "caller_id": "0170000000",
                "timezone": "UTC",
                "windows": [{"days": ALL_WEEK, "start": "00:00", "end": "24:00"}],
                "dispositions": ["sale", "noSale"],
                "preview_timeout": 600,
                "preview_timeout_action": "skip",
            }
        ],
    }


def statuses(url: str) -> dict[str, str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(campaign_records.c.number, campaign_records.c.status)
            ).all()
    finally:
        engine.dispose()
    return {r.number: r.status for r in rows}


def bare(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in ("monitorCrossRefID", "seq", "timestamp")}


def agent_event(
    event: dict[str, Any],
    *,
    old: str,
    new: str,
    cause: str,
    call_id: str | None = None,
    reserve: dict[str, Any] | None = None,
    reason: str | None = None,
    calls: int = 0,
    rona: int = 0,
    queues: tuple[str, ...] = ("sales",),
) -> None:
    """Every field of an agent event of alice's (times are checked for their type only)."""
    params = bare(event)
    today = params["today"]
    assert sorted(today) == [
        "acwTime",
        "calls",
        "notReadyTime",
        "readyTime",
        "reservedTime",
        "ringNoAnswer",
        "talkTime",
    ]
    assert (today["calls"], today["ringNoAnswer"]) == (calls, rona)
    assert isinstance(params["since"], str) and params["since"].endswith("Z")
    assert params == {
        "agentID": "2001",
        "agentName": "Agent 2001",
        "agentDevice": "1001",
        "agentState": new,
        "since": params["since"],
        "reasonCode": reason,
        "pendingAgentState": None,
        "pendingReasonCode": None,
        "callID": call_id,
        "outboundReserve": reserve,
        "autoAnswer": False,
        "queues": [
            {"queue": q, "penalty": 0, "level": 1, "schedule": None, "active": True} for q in queues
        ],
        "today": today,
        "oldState": old,
        "newState": new,
        "cause": cause,
    }


async def start(cc: CallCentre, admin: RpcTestClient) -> RpcTestClient:
    """The list imported, alice logged on (not ready) and watched, the campaign running."""
    await admin.call(
        "campaign.importList",
        {"campaign": "survey", "list": "l", "numberColumn": "phone", "csv": LIST},
    )
    alice = await cc.client(token=ALICE)
    await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
    await admin.call(
        "SetAgentState", {"device": "1001", "requestedAgentState": "loggedOn", "agentID": "2001"}
    )
    await admin.call("campaign.setState", {"name": "survey", "state": "running"})
    await trio.sleep(2)  # pacing rounds with nobody ready: the campaign knows its work
    alice.take()
    return alice


async def ready(admin: RpcTestClient, agent: str = "2001", device: str = "1001") -> None:
    await admin.call(
        "SetAgentState", {"device": device, "requestedAgentState": "ready", "agentID": agent}
    )


async def inbound(cc: CallCentre, admin: RpcTestClient, caller: str) -> str:
    """A caller dials the queue and waits: ctid's id of the call."""
    cc.sim.incoming_call(caller, "8001")
    await trio.sleep(0.5)
    reply = await admin.call("queue.snapshot", {"queue": "sales"})
    found = [c["callID"] for c in reply["calls"] if c["callingDevice"] == caller]
    assert len(found) == 1
    return str(found[0])


async def waiting(admin: RpcTestClient) -> list[tuple[str, int, str]]:
    reply = await admin.call("queue.snapshot", {"queue": "sales"})
    return [(c["callingDevice"], c["priority"], c["state"]) for c in reply["calls"]]


async def snapshot(admin: RpcTestClient) -> dict[str, Any]:
    return dict(await admin.call("agent.snapshot", {"agentID": "2001"}))


@pytest.mark.parametrize(
    ("priority", "caller", "inbound_priority"),
    [(0, CALLER, 0), (5, VIP, 5), (5, VIP, 10)],
    ids=["priority-0-inbound-first", "equal-priorities-caller-first", "inbound-higher"],
)
async def test_inbound_call_first(
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
        alice = await start(cc, admin)
        call_id = await inbound(cc, admin, caller)
        assert await waiting(admin) == [(caller, inbound_priority, "waiting")]
        await ready(admin)
        # The waiting caller rings her: no preview, no outbound reserve.
        offered = await alice.event("agent.reserved")
        agent_event(offered, old="ready", new="reserved", cause="offered", call_id=call_id)
        await trio.sleep(2)
        assert [e["_name"] for e in alice.take()] == []
        assert (await snapshot(admin))["outboundReserve"] is None
        assert set(statuses(database_url).values()) == {"new"}
        # She answers, the caller hangs up: nothing waits now, the campaign has her.
        cc.sim.off_hook("1001")
        await trio.sleep(2)
        cc.sim.on_hook(caller)
        shown = await alice.event("campaign.preview")
        assert (shown["record"], shown["agentID"]) == (1, "2001")
        held = await snapshot(admin)
        assert (held["agentState"], held["callID"]) == ("reserved", None)
        assert held["outboundReserve"] == {"campaign": "survey", "record": 1}


async def test_preview_of_higher_priority_first_and_the_races(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url, priority=5)) as cc:
        admin = await cc.client()
        alice = await start(cc, admin)
        first = await inbound(cc, admin, CALLER)
        await ready(admin)
        # Priority 5 against a caller at 0: the campaign takes her at once...
        reserved = await alice.event("agent.reserved")
        agent_event(
            reserved,
            old="ready",
            new="reserved",
            cause="outboundReserved",
            reserve={"campaign": "survey", "record": None},
        )
        # ... and shows her its first record; the caller still waits.
        shown = bare(await alice.event("campaign.preview"))
        assert (shown["campaign"], shown["record"], shown["agentID"]) == ("survey", 1, "2001")
        held = await snapshot(admin)
        assert (held["agentState"], held["callID"], held["outboundReserve"]) == (
            "reserved",
            None,
            {"campaign": "survey", "record": 1},
        )
        assert await waiting(admin) == [(CALLER, 0, "waiting")]
        assert statuses(database_url)["5550101"] == "preview"

        # A second caller while the preview is on her screen: the preview stays.
        await inbound(cc, admin, "0622222222")
        await trio.sleep(3)
        assert [e["_name"] for e in alice.take()] == []
        assert (await snapshot(admin))["outboundReserve"] == {"campaign": "survey", "record": 1}
        assert [c[2] for c in await waiting(admin)] == ["waiting", "waiting"]

        # She skips: records are still due, so the campaign keeps her (the next record).
        await alice.call("campaign.previewSkip", {"record": 1, "reason": "wrongPerson"})
        released = await alice.event("AgentReadyEvent")
        agent_event(released, old="reserved", new="ready", cause="outboundReleased")
        again = await alice.event("agent.reserved")
        agent_event(
            again,
            old="ready",
            new="reserved",
            cause="outboundReserved",
            reserve={"campaign": "survey", "record": None},
        )
        assert (await alice.event("campaign.preview"))["record"] == 2
        await alice.call("campaign.previewSkip", {"record": 2, "reason": "wrongPerson"})
        assert (await alice.event("campaign.preview"))["record"] == 3
        # The last record skipped: the campaign has nothing due, the first caller rings her.
        await alice.call("campaign.previewSkip", {"record": 3, "reason": "wrongPerson"})
        agent_event(
            await alice.event("AgentReadyEvent"),
            old="reserved",
            new="ready",
            cause="outboundReleased",
        )
        offered = await alice.event("agent.reserved", cause="offered")
        agent_event(offered, old="ready", new="reserved", cause="offered", call_id=first)
        assert set(statuses(database_url).values()) == {"skipped"}


async def test_ring_no_answer_pause_and_an_agent_made_ready_as_a_call_arrives(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url, priority=5)) as cc:
        admin = await cc.client()
        engine = cc.app.acd.engine if cc.app.acd is not None else None
        assert engine is not None
        alice = await start(cc, admin)
        # A VIP (priority 10, above the campaign's 5) rings her; she lets it ring out.
        vip = await inbound(cc, admin, VIP)
        await ready(admin)
        agent_event(
            await alice.event("agent.reserved"),
            old="ready",
            new="reserved",
            cause="offered",
            call_id=vip,
        )
        # Ringing, she is never shown a preview (never both).
        await trio.sleep(9)
        assert [e["_name"] for e in alice.take()] == []
        await trio.sleep(10)
        rona = await alice.event("AgentNotReadyEvent")
        agent_event(rona, old="reserved", new="notReady", cause="rona", reason="RONA", rona=1)
        assert await waiting(admin) == [(VIP, 10, "waiting")]
        # Bob takes the VIP; a caller at 0 comes and waits; alice ready: the campaign first.
        await admin.call(
            "SetAgentState",
            {"device": "1002", "requestedAgentState": "loggedOn", "agentID": "2002"},
        )
        await ready(admin, "2002", "1002")
        await trio.sleep(1)  # his phone rings
        cc.sim.off_hook("1002")
        await trio.sleep(1)
        low = await inbound(cc, admin, CALLER)
        await ready(admin)
        agent_event(
            await alice.event("agent.reserved"),
            old="ready",
            new="reserved",
            cause="outboundReserved",
            reserve={"campaign": "survey", "record": None},
            rona=1,
        )
        assert (await alice.event("campaign.preview"))["record"] == 1

        # The campaign is paused: its reserve goes at once, the waiting caller rings her.
        await admin.call("campaign.setState", {"name": "survey", "state": "paused"})
        agent_event(
            await alice.event("AgentReadyEvent"),
            old="reserved",
            new="ready",
            cause="outboundReleased",
            rona=1,
        )
        agent_event(
            await alice.event("agent.reserved"),
            old="ready",
            new="reserved",
            cause="offered",
            call_id=low,
            rona=1,
        )
        assert statuses(database_url)["5550101"] == "new"
        await trio.sleep(1)  # her phone rings
        cc.sim.off_hook("1001")
        await trio.sleep(1)
        now = await snapshot(admin)
        assert (now["agentState"], now["callID"]) == ("busy", low)
        cc.sim.on_hook(CALLER)
        await trio.sleep(1)
        assert [e["_name"] for e in alice.take()] == ["AgentBusyEvent", "AgentReadyEvent"]

        # Running again, and a moment later (before its next round) alice is made ready
        # and a caller arrives at once: the ACD asks the campaign as it routes the call.
        await admin.call("campaign.setState", {"name": "survey", "state": "running"})
        await trio.sleep(1.5)
        assert (await alice.event("campaign.preview"))["record"] == 1
        await alice.call("campaign.previewSkip", {"record": 1, "reason": "later"})
        assert (await alice.event("campaign.preview"))["record"] == 2
        # Not ready while the preview is up: pending, applied when it is skipped.
        await admin.call(
            "SetAgentState",
            {"device": "1001", "requestedAgentState": "notReady", "agentID": "2001"},
        )
        await alice.call("campaign.previewSkip", {"record": 2, "reason": "later"})
        await alice.event("AgentNotReadyEvent", cause="outboundReleased")
        await trio.sleep(2)  # a round: record 3 is still due
        alice.take()
        agent = engine.agents["2001"]
        desk.set_agent_state(engine, agent, device="1001", requested="ready")
        cc.sim.incoming_call("0633333333", "8001")
        agent_event(
            await alice.event("AgentReadyEvent"),
            old="notReady",
            new="ready",
            cause="requested",
            calls=1,
            rona=1,
        )
        agent_event(
            await alice.event("agent.reserved"),
            old="ready",
            new="reserved",
            cause="outboundReserved",
            reserve={"campaign": "survey", "record": None},
            calls=1,
            rona=1,
        )
        assert (await alice.event("campaign.preview"))["record"] == 3
        assert (await waiting(admin))[-1] == ("0633333333", 0, "waiting")


def two_queues(tmp_path: Path, url: str) -> Any:
    """Alice serves sales (8001) and support (8002): ``survey`` (priority 5) works sales,
    ``care`` (priority 7) works support; both preview."""
    sections = overrides(tmp_path, url, priority=5)
    sections["acd"]["queues"].append({"name": "support", "number": "8002", "wrap_up": 0})
    sections["acd"]["agents"][0]["skills"].append({"queue": "support"})
    care = dict(sections["campaigns"][0], name="care", queue="support", priority=7)
    sections["campaigns"].append(care)
    return sim_config(sections)


async def test_agent_of_two_queues_and_two_campaigns(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(two_queues(tmp_path, database_url)) as cc:
        admin = await cc.client()
        await admin.call(
            "campaign.importList",
            {"campaign": "care", "list": "c", "numberColumn": "phone", "csv": "phone\n5550201\n"},
        )
        alice = await start(cc, admin)
        await admin.call("campaign.setState", {"name": "care", "state": "running"})
        await trio.sleep(2)
        # A caller waits in support; alice becomes ready: care (7) goes first, then survey
        # (5): both above the caller's 0, the higher first.
        cc.sim.incoming_call(CALLER, "8002")
        await trio.sleep(0.5)
        await ready(admin)
        agent_event(
            await alice.event("agent.reserved"),
            old="ready",
            new="reserved",
            cause="outboundReserved",
            reserve={"campaign": "care", "record": None},
            queues=("sales", "support"),
        )
        shown = await alice.event("campaign.preview")
        assert (shown["campaign"], shown["number"]) == ("care", "5550201")
        await alice.call("campaign.previewSkip", {"record": shown["record"], "reason": "no"})
        # care has nothing left: survey, of sales, takes her before the support caller.
        agent_event(
            await alice.event("agent.reserved"),
            old="ready",
            new="reserved",
            cause="outboundReserved",
            reserve={"campaign": "survey", "record": None},
            queues=("sales", "support"),
        )
        shown = await alice.event("campaign.preview")
        # (Record ids are global: care's list was imported first.)
        assert (shown["campaign"], shown["record"], shown["number"]) == ("survey", 2, "5550101")
        snap = await snapshot(admin)
        assert snap["outboundReserve"] == {"campaign": "survey", "record": 2}
        reply = await admin.call("queue.snapshot", {"queue": "support"})
        assert [(c["callingDevice"], c["state"]) for c in reply["calls"]] == [(CALLER, "waiting")]
