"""A callback booked by the agent while the campaign call is still up.

Seen on the lab's Asterisk 22.10.1 (docs/outbound.md, "Answering machines"): the agent
talking to a customer booked a callback (``campaign.scheduleCallback``), which answered
success, and hung up; the attempt's end then wrote the record ``done`` over the
callback, which was never dialled. The booking was written at once, so a callback due
before the call ended would also have dialled the customer a second time while the
first call was still up. Now the booking is noted on the live attempt and applied when
it ends, whatever its outcome.

The simulator, the real ACD and call records; agent alice (2001 at 1001) works
``sales``; one progressive campaign with one customer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
import trio
import trio.testing

from ctid.records import db
from ctid.records.schema import calls, campaign_records
from ctid.testing import RpcTestClient, call_centre, sim_config

ALICE: Final = "callback-agent-alice-0123456789"
ALL_WEEK: Final = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def config(tmp_path: Path, url: str) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True, "database": url},
            "acd": {
                "queues": [{"name": "sales", "number": "8001", "wrap_up": 0}],
                "agents": [{"id": "2001", "skills": [{"queue": "sales"}]}],
            },
            "auth": {
                "tokens": [{"role": "agent", "name": "alice", "token": ALICE, "agent_id": "2001"}]
            },
            "campaigns": [
                {
                    "name": "renewals",
                    "queue": "sales",
                    "mode": "progressive",
                    "caller_id": "0170000000",
                    "timezone": "UTC",
                    "windows": [{"days": ALL_WEEK, "start": "00:00", "end": "24:00"}],
                    "dispositions": ["sale", "callback"],
                }
            ],
        }
    )


def record_row(url: str) -> tuple[Any, ...]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    campaign_records.c.status,
                    campaign_records.c.attempts,
                    campaign_records.c.retries,
                    campaign_records.c.last_outcome,
                    campaign_records.c.disposition,
                    campaign_records.c.next_attempt_at,
                    campaign_records.c.callback_agent,
                )
            ).one()
    finally:
        engine.dispose()
    return tuple(row)


def attempts(url: str) -> list[tuple[Any, ...]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    calls.c.campaign_record, calls.c.campaign_outcome, calls.c.agent_disposition
                )
                .where(calls.c.campaign == "renewals")
                .order_by(calls.c.started_at)
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]


def utc(value: Any) -> dt.datetime:
    """A stored time as an aware UTC datetime (SQLite gives naive ones)."""
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def talk_to_customer(cc: Any, admin: RpcTestClient) -> str:
    """Alice's phone rings with the campaign call: she picks up; the call id."""
    await trio.sleep(3.5)
    ringing = [ln["line"] for ln in (await admin.call("sim.lines"))["lines"]]
    assert "1001" in ringing
    cc.sim.off_hook("1001")
    await trio.sleep(1)
    state = await admin.call("agent.snapshot", {"agentID": "2001"})
    assert state["agentState"] == "busy"
    return str(state["callID"])


async def start(cc: Any) -> tuple[RpcTestClient, RpcTestClient]:
    admin = await cc.client()
    alice = await cc.client(token=ALICE)
    await admin.call(
        "campaign.importList",
        {"campaign": "renewals", "list": "l", "numberColumn": "phone", "csv": "phone\n5550101\n"},
    )
    for state in ("loggedOn", "ready"):
        await alice.call(
            "SetAgentState", {"device": "1001", "requestedAgentState": state, "agentID": "2001"}
        )
    await admin.call("campaign.setState", {"name": "renewals", "state": "running"})
    return admin, alice


async def test_callback_booked_during_the_call_survives_its_end(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin, alice = await start(cc)
        call_id = await talk_to_customer(cc, admin)
        await alice.call("campaign.setDisposition", {"callID": call_id, "disposition": "callback"})
        booked = await alice.call(
            "campaign.scheduleCallback", {"record": 1, "at": "2099-01-15T14:30:00+01:00"}
        )
        assert booked == {
            "campaign": "renewals",
            "record": 1,
            "at": "2099-01-15T13:30:00Z",
            "agent": None,
        }
        # Nothing written while the call is up: the record is still being dialled.
        assert record_row(database_url)[0] == "dialling"
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(2)
        status, tries, retries, last, disposition, at, agent = record_row(database_url)
        assert (status, tries, retries, last, disposition, agent) == (
            "callback",
            1,
            0,
            "answered",
            "callback",
            None,
        )
        assert utc(at) == dt.datetime(2099, 1, 15, 13, 30, tzinfo=dt.UTC)
        assert attempts(database_url) == [(1, "answered", "callback")]
        got = await admin.call("campaign.get", {"name": "renewals"})
        assert got["records"] == {"callback": 1}
        assert got["state"] == "running"  # the callback is still to dial


async def test_callback_due_at_once_waits_for_the_call_to_end(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin, alice = await start(cc)
        await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        call_id = await talk_to_customer(cc, admin)
        await alice.call(
            "campaign.scheduleCallback",
            {"record": 1, "at": "2000-01-01T00:00:00Z", "agentOnly": True},
        )
        # Due at once, but the customer is on the line: not dialled a second time.
        await trio.sleep(10)
        assert record_row(database_url)[:2] == ("dialling", 0)
        assert attempts(database_url) == []
        state = await admin.call("agent.snapshot", {"agentID": "2001"})
        assert (state["agentState"], state["callID"]) == ("busy", call_id)
        cc.sim.on_hook("1001")
        await cc.settle()
        # Then it is Alice's callback, offered to her as a preview (agents' callbacks
        # are looked up every 5 s).
        shown = await alice.event("campaign.preview")
        assert (shown["record"], shown["callback"], shown["agentID"]) == (1, True, "2001")
        status, tries, retries, last, _, at, agent = record_row(database_url)
        assert (status, tries, retries, last, agent) == (
            "preview",
            1,
            0,
            "answered",
            "2001",
        )
        assert utc(at) == dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        assert attempts(database_url) == [(1, "answered", None)]
