"""Preview mode, agent dispositions and callbacks booked for one agent, end to end.

The simulator, the real ACD and call records. Agent alice (2001 at 1001) and
bob (2002 at 1002) work queue ``sales``; campaign ``survey`` is in preview
mode. Alice is shown a record (she is ``reserved``, cause
``outboundReserved``), dials it from her phone, the customer answers, she
gives the call a disposition whose retry rule dials the record again later;
she skips the next record with a reason; bob's preview times out and is
skipped by configuration. A callback booked for alice only is offered to her,
not to bob who is ready first. Supervisor events come on the campaign's
monitor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest
import sqlalchemy as sa
import trio
import trio.testing

from ctid.records import db
from ctid.records.schema import calls, campaign_records
from ctid.testing import RpcErrorReply, RpcTestClient, call_centre, sim_config

ALICE: Final = "preview-agent-alice-0123456789"
BOB: Final = "preview-agent-bob-0123456789ab"
SUE: Final = "preview-supervisor-sue-0123456"
OTTO: Final = "preview-supervisor-otto-012345"
ALL_WEEK: Final = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LIST: Final = "name,phone\nAnn,5550101\nBob,5550102\nCy,5550103\n"


def config(tmp_path: Path, url: str, **campaign: Any) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True, "database": url},
            "acd": {
                "queues": [
                    {"name": "sales", "number": "8001", "wrap_up": 0},
                    {"name": "other", "number": "8002"},
                ],
                "agents": [
                    {"id": "2001", "skills": [{"queue": "sales"}]},
                    {"id": "2002", "skills": [{"queue": "sales"}]},
                ],
            },
            "auth": {
                "tokens": [
                    {"role": "agent", "name": "alice", "token": ALICE, "agent_id": "2001"},
                    {"role": "agent", "name": "bob", "token": BOB, "agent_id": "2002"},
                    {"role": "supervisor", "name": "sue", "token": SUE, "queues": ["sales"]},
                    {"role": "supervisor", "name": "otto", "token": OTTO, "queues": ["other"]},
                ]
            },
            "campaigns": [
                {
                    "name": "survey",
                    "queue": "sales",
                    "mode": "preview",
                    "caller_id": "0170000000",
                    "timezone": "UTC",
                    "windows": [{"days": ALL_WEEK, "start": "00:00", "end": "24:00"}],
                    "dispositions": ["sale", "noSale", "later"],
                    "retries": {"later": {"after_seconds": 3600, "max_retries": 2}},
                    "preview_timeout": 600,
                    "preview_timeout_action": "skip",
                    **campaign,
                }
            ],
        }
    )


def records(url: str) -> dict[str, tuple[str, int, str | None, str | None]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.select(
                    campaign_records.c.number,
                    campaign_records.c.status,
                    campaign_records.c.attempts,
                    campaign_records.c.last_outcome,
                    campaign_records.c.disposition,
                )
            ).all()
    finally:
        engine.dispose()
    return {r.number: (r.status, r.attempts, r.last_outcome, r.disposition) for r in found}


def call_rows(url: str) -> list[tuple[Any, ...]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    sa.select(
                        calls.c.call_id,
                        calls.c.campaign,
                        calls.c.campaign_record,
                        calls.c.campaign_outcome,
                        calls.c.agent_disposition,
                        calls.c.agent_id,
                    ).where(calls.c.campaign.is_not(None))
                ).all()
            ]
    finally:
        engine.dispose()


def bare(params: dict[str, Any]) -> dict[str, Any]:
    """An event's own params, without the monitor's stamps."""
    return {k: v for k, v in params.items() if k not in ("monitorCrossRefID", "seq", "timestamp")}


async def log_on(admin: RpcTestClient, agent: str, phone: str) -> None:
    for state in ("loggedOn", "ready"):
        await admin.call(
            "SetAgentState", {"device": phone, "requestedAgentState": state, "agentID": agent}
        )


async def agent_state(admin: RpcTestClient, agent: str) -> str:
    reply = await admin.call("agent.snapshot", {"agentID": agent})
    return str(reply["agentState"])


async def test_preview_dial_disposition_skip_and_timeout(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        alice = await cc.client(token=ALICE)
        bob = await cc.client(token=BOB)
        sue = await cc.client(token=SUE)
        otto = await cc.client(token=OTTO)
        await admin.call(
            "campaign.importList",
            {"campaign": "survey", "list": "l", "numberColumn": "phone", "csv": LIST},
        )
        # Supervisors see the campaigns of their queues only.
        with pytest.raises(RpcErrorReply) as refused:
            await otto.call("MonitorStart", {"monitorObject": {"campaignObject": "survey"}})
        assert refused.value.code == -32000
        assert refused.value.csta_error == "privilegeViolationOnSpecifiedDevice"
        with pytest.raises(RpcErrorReply) as refused:
            await alice.call("MonitorStart", {"monitorObject": {"campaignObject": "survey"}})
        assert refused.value.csta_error == "privilegeViolationOnSpecifiedDevice"
        await sue.call("MonitorStart", {"monitorObject": {"campaignObject": "survey"}})
        await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        await bob.call("MonitorStart", {"monitorObject": {"agentObject": "2002"}})
        await log_on(admin, "2001", "1001")
        await sue.call("campaign.setState", {"name": "survey", "state": "running"})
        assert bare(await sue.event("campaign.started")) == {
            "campaign": "survey",
            "state": "running",
            "mode": "preview",
            "queue": "sales",
        }

        # Alice is ready: she is reserved for Ann's record and shown it.
        reserved = await alice.event("agent.reserved", cause="outboundReserved")
        assert (reserved["oldState"], reserved["newState"]) == ("ready", "reserved")
        shown = bare(await alice.event("campaign.preview"))
        assert shown == {
            "campaign": "survey",
            "record": 1,
            "number": "5550101",
            "data": {"name": "Ann"},
            "agentID": "2001",
            "callback": False,
            "attempts": 0,
            "timeout": 600.0,
            "timeoutAction": "skip",
            "dispositions": ["sale", "noSale", "later"],
            "expiresAt": shown["expiresAt"],
        }
        assert await agent_state(admin, "2001") == "reserved"
        assert records(database_url)["5550101"] == ("preview", 0, None, None)

        # Bob may not dial Alice's preview; Alice dials it.
        await log_on(admin, "2002", "1002")
        with pytest.raises(RpcErrorReply) as refused:
            await bob.call("campaign.previewDial", {"record": 1})
        assert refused.value.code == -32006
        assert refused.value.data == {"reason": "notYourPreview"}
        await alice.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        dialled = await alice.call("campaign.previewDial", {"record": 1})
        call_id = dialled["callID"]
        assert dialled == {"record": 1, "callID": call_id}
        # Her phone is prompted (MakeCall); she picks up, the customer's phone rings.
        await trio.sleep(0.5)
        cc.sim.off_hook("1001")
        await trio.sleep(3)
        delivered = [e for e in alice.take() if e["_name"] == "DeliveredEvent"]
        assert delivered[-1]["alertingDevice"] == "5550101"
        assert delivered[-1]["userData"] == {"campaign": "survey", "record": 1, "name": "Ann"}
        assert await agent_state(admin, "2001") == "busy"

        # A code not in the campaign's list is refused and changes nothing.
        with pytest.raises(RpcErrorReply) as refused:
            await alice.call("campaign.setDisposition", {"callID": call_id, "disposition": "bad"})
        assert refused.value.code == -32602
        assert refused.value.data is not None
        assert refused.value.data["path"] == "params.disposition"
        # Another agent's call is refused.
        with pytest.raises(RpcErrorReply) as refused:
            await bob.call("campaign.setDisposition", {"callID": call_id, "disposition": "sale"})
        assert refused.value.code == -32006
        assert refused.value.data == {"reason": "notYourCall"}
        # During the call: ``later`` (a retry rule: dial again in an hour).
        result = await alice.call(
            "campaign.setDisposition", {"callID": call_id, "disposition": "later"}
        )
        assert result == {
            "campaign": "survey",
            "record": 1,
            "callID": call_id,
            "disposition": "later",
            "status": "dialling",
            "nextAttemptAt": None,
        }
        # Bob is ready meanwhile: he is shown Bob's record.
        assert (await bob.event("campaign.preview"))["record"] == 2
        await trio.sleep(5)
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(0.5)
        ann = records(database_url)["5550101"]
        assert ann == ("retry", 1, "answered", "later")

        # Alice is ready again: Cy. She skips it.
        assert (await alice.event("campaign.preview"))["record"] == 3
        with pytest.raises(RpcErrorReply) as refused:
            await alice.call("campaign.previewSkip", {"record": 3, "reason": ""})
        assert refused.value.code == -32602
        skipped = await alice.call("campaign.previewSkip", {"record": 3, "reason": "knownCustomer"})
        assert skipped == {"record": 3, "status": "skipped", "reason": "knownCustomer"}
        released = await alice.event("AgentReadyEvent", cause="outboundReleased")
        assert released["oldState"] == "reserved"
        # Bob lets his preview time out: skipped by configuration.
        await trio.sleep(600)
        found = records(database_url)
        assert found["5550102"] == ("skipped", 0, "skipped", "timeout")
        assert found["5550103"] == ("skipped", 0, "skipped", "knownCustomer")

        # The call record has the campaign, record, outcome and disposition.
        await cc.settle()
        rows = call_rows(database_url)
        assert rows == [(call_id, "survey", 1, "answered", "later", "2001")]
        # An ended call: a disposition after the fact changes the call record too.
        after = await alice.call("campaign.setDisposition", {"record": 1, "disposition": "sale"})
        assert after["status"] == "retry"  # ``sale`` has no rule: the record stays as it is
        assert call_rows(database_url)[0][4] == "sale"

        # Figures: one dialled, answered, none abandoned; the retry is still to come.
        await trio.sleep(2)
        sent = [bare(e) for e in sue.take() if e["_name"] == "campaign.figures"]
        assert sent[-1] == {
            "_name": "campaign.figures",
            "campaign": "survey",
            "day": "2027-01-15",
            "dialled": 1,
            "answered": 1,
            "machines": 0,
            "connected": 1,
            "abandoned": 0,
            "abandonRate": 0.0,
            "agents": {"ready": 2},
            "recordsLeft": 1,
            "inFlight": 0,
        }
        await sue.call("campaign.setState", {"name": "survey", "state": "stopped"})
        assert (await sue.event("campaign.stopped"))["state"] == "stopped"


async def test_callback_booked_for_an_agent_is_offered_to_that_agent(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    cfg = config(tmp_path, database_url, mode="progressive")
    async with call_centre(cfg) as cc:
        admin = await cc.client()
        alice = await cc.client(token=ALICE)
        bob = await cc.client(token=BOB)
        await admin.call(
            "campaign.importList",
            {"campaign": "survey", "list": "l", "numberColumn": "phone", "csv": "phone\n5550101\n"},
        )
        booked = await alice.call(
            "campaign.scheduleCallback",
            {"record": 1, "at": "2000-01-01T00:00:00Z", "agentOnly": True},
        )
        assert booked["agent"] == "2001"
        await bob.call("MonitorStart", {"monitorObject": {"agentObject": "2002"}})
        await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        # Bob is ready first: the progressive dialler does not dial Alice's callback for him.
        await log_on(admin, "2002", "1002")
        await admin.call("campaign.setState", {"name": "survey", "state": "running"})
        await trio.sleep(5)
        assert [e for e in bob.take() if e["_name"] == "campaign.preview"] == []
        assert records(database_url)["5550101"][0] == "callback"
        # Alice becomes ready: her callback is offered to her.
        await log_on(admin, "2001", "1001")
        shown = await alice.event("campaign.preview")
        assert (shown["record"], shown["callback"], shown["agentID"]) == (1, True, "2001")
        assert await agent_state(admin, "2001") == "reserved"
        assert await agent_state(admin, "2002") == "ready"
