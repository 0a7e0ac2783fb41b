"""Answered campaign calls end to end on the simulator, the real ACD and call records:
answering machines (AMD on and off) and the 2-second abandon rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import trio
import trio.testing

from ctid.records import db
from ctid.records.schema import calls
from ctid.testing import call_centre

from ..campaigns import campaign, campaign_config, standings


def config(tmp_path: Path, url: str, **fields: Any) -> Any:
    return campaign_config(tmp_path, url, campaign(**fields))


def call_rows(url: str) -> list[dict[str, Any]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    calls.c.caller,
                    calls.c.campaign,
                    calls.c.campaign_record,
                    calls.c.campaign_outcome,
                    calls.c.agent_id,
                    calls.c.facts,
                ).where(calls.c.campaign.is_not(None))
            ).all()
    finally:
        engine.dispose()
    return [dict(r._mapping) for r in rows]


async def start(cc: Any, numbers: list[str], *, ready: bool = True) -> Any:
    admin = await cc.client()
    csv = "phone\n" + "".join(f"{n}\n" for n in numbers)
    await admin.call(
        "campaign.importList", {"campaign": "c", "list": "l", "numberColumn": "phone", "csv": csv}
    )
    states = ("loggedOn", "ready") if ready else ("loggedOn",)
    for state in states:
        await admin.call(
            "SetAgentState", {"device": "1001", "requestedAgentState": state, "agentID": "2001"}
        )
    await admin.call("campaign.setState", {"name": "c", "state": "running"})
    return admin


async def line(admin: Any, name: str) -> str:
    reply = await admin.call("sim.lines")
    return {ln["line"]: ln["state"] for ln in reply["lines"]}[name]


async def test_machine_is_hung_up_with_amd_and_never_reaches_an_agent(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url, amd=True)) as cc:
        admin = await start(cc, ["5550263"])
        begun = trio.current_time()
        # Dialled at once, answered 2.5 s later, AMD says "machine" 1.5 s into the greeting.
        await trio.sleep_until(begun + 3.9)
        assert await line(admin, "T/1") == "connected"
        await trio.sleep_until(begun + 4.2)
        await cc.settle()
        assert await line(admin, "T/1") == "idle"
        assert await line(admin, "1001") == "idle"  # the agent was never rung
        await admin.call("campaign.setState", {"name": "c", "state": "stopped"})
        await cc.settle()
        await trio.sleep(1)
        assert standings(database_url) == {"5550263": ("retry", 1, "machine")}
        [row] = call_rows(database_url)
        assert row["campaign"] == "c"
        assert row["campaign_record"] == 1
        assert row["campaign_outcome"] == "machine"
        assert row["agent_id"] is None
        assert row["facts"]["answeredBy"] == "machine"


async def test_without_amd_a_machine_counts_as_answered(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await start(cc, ["5550263"])
        begun = trio.current_time()
        await trio.sleep_until(begun + 3.0)
        assert await line(admin, "1001") == "connected"  # the agent took the machine
        await trio.sleep_until(begun + 40)  # the machine hangs up after 26 s
        await cc.settle()
        await admin.call("campaign.setState", {"name": "c", "state": "stopped"})
        await trio.sleep(1)
        assert standings(database_url) == {"5550263": ("done", 1, "answered")}
        [row] = call_rows(database_url)
        assert row["campaign_outcome"] == "answered"
        assert row["agent_id"] == "2001"
        assert "answeredBy" not in row["facts"]


async def test_a_person_no_agent_takes_in_2_seconds_hears_the_message_and_is_hung_up(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    cfg = config(tmp_path, database_url, amd=True, abandon_message="sound:sorry")
    async with call_centre(cfg) as cc:
        admin = await start(cc, ["5550101"])
        begun = trio.current_time()
        # The agent goes not ready while the customer's phone rings.
        await trio.sleep_until(begun + 1.0)
        await admin.call(
            "SetAgentState",
            {"device": "1001", "requestedAgentState": "notReady", "agentID": "2001"},
        )
        # Answered at 2.5 s; "Hello?" (0.8 s) and 0.8 s of silence: a person at 4.1 s.
        # No agent by 6.1 s: the abandon message plays (1 s), then the call ends.
        await trio.sleep_until(begun + 6.0)
        assert await line(admin, "T/1") == "connected"
        await trio.sleep_until(begun + 6.2)
        assert await line(admin, "T/1") == "playing"
        assert cc.sim.card.hears_music("5550101") is False
        await trio.sleep_until(begun + 7.3)
        await cc.settle()
        assert await line(admin, "T/1") == "idle"
        await admin.call("campaign.setState", {"name": "c", "state": "stopped"})
        await trio.sleep(1)
        assert standings(database_url) == {"5550101": ("retry", 1, "abandoned")}
        [row] = call_rows(database_url)
        assert row["campaign_outcome"] == "abandoned"
        assert row["agent_id"] is None
        assert row["facts"]["answeredBy"] == "human"
        dialler = cc.app.api.services["campaigns"].dialler
        tally = dialler.pacers["c"].tally
        assert (tally.dialled, tally.persons, tally.abandoned, tally.connected) == (1, 1, 1, 0)


async def test_a_person_reaches_a_ready_agent_after_the_amd_verdict(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url, amd=True)) as cc:
        admin = await start(cc, ["5550101"])
        begun = trio.current_time()
        await trio.sleep_until(begun + 4.0)  # answered, AMD still listening
        assert await line(admin, "1001") == "idle"
        await trio.sleep_until(begun + 4.3)
        assert await line(admin, "1001") == "connected"
        assert cc.sim.card.hears("1001", "5550101")
        cc.sim.on_hook("1001")
        await cc.settle()
        await admin.call("campaign.setState", {"name": "c", "state": "stopped"})
        await trio.sleep(1)
        assert standings(database_url) == {"5550101": ("done", 1, "answered")}
        [row] = call_rows(database_url)
        assert (row["campaign_outcome"], row["agent_id"]) == ("answered", "2001")
        assert row["facts"]["answeredBy"] == "human"
        tally = cc.app.api.services["campaigns"].dialler.pacers["c"].tally
        assert (tally.dialled, tally.persons, tally.abandoned, tally.connected) == (1, 1, 0, 1)
