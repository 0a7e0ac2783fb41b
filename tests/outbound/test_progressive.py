"""The progressive dialler end to end on the simulator, the real ACD and call records.

Two agents of queue ``sales`` are ready; the list has five numbers, one on the
do-not-call list and one busy. The dialler dials one call per free agent,
never the do-not-call number, hands answered customers to the agents through
the queue, and writes every outcome to the record (the busy one for a retry).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trio
import trio.testing

from ctid.testing import call_centre

from ..campaigns import TWO_AGENTS, campaign, campaign_config, standings

# The simulator's outside numbers answer after 2 s, except ...486 (busy).
LIST = "name,phone\nAnn,5550101\nBob,5550486\nCy,5550103\nDee,5550104\nEve,5550105\n"


async def test_progressive_campaign_dials_per_free_agent(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    config = campaign_config(tmp_path, database_url, campaign(name="renewals"), acd=TWO_AGENTS)
    async with call_centre(config) as cc:
        admin = await cc.client()
        await admin.call(
            "campaign.importList",
            {"campaign": "renewals", "list": "l", "numberColumn": "phone", "csv": LIST},
        )
        await admin.call("dnc.add", {"numbers": ["5550105"]})
        for agent, phone in (("2001", "1001"), ("2002", "1002")):
            for state in ("loggedOn", "ready"):
                await admin.call(
                    "SetAgentState",
                    {"device": phone, "requestedAgentState": state, "agentID": agent},
                )
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "8001"}})
        started = await admin.call("campaign.setState", {"name": "renewals", "state": "running"})
        assert started["state"] == "running"

        # Two free agents: Ann and Bob are dialled; Bob is busy at once, so Cy is next.
        await trio.sleep(1)
        assert await outside(admin) == {
            "T/1": ("alerting", "5550101"),
            "T/2": ("alerting", "5550103"),
        }
        assert standings(database_url)["5550486"] == ("retry", 1, "busy")
        # Ann and Cy answer (2 s after alerting); each enters the queue and rings an agent.
        await trio.sleep(2.5)
        queued = [e for e in admin.take() if e["_name"] == "QueuedEvent"]
        assert [(e["callingDevice"], e["queue"]) for e in queued] == [
            ("5550101", "sales"),
            ("5550103", "sales"),
        ]
        assert queued[0]["userData"] == {
            "campaign": "renewals",
            "record": 1,
            "name": "Ann",
            "ctid.queue": "sales",
        }
        phones = await lines(admin)
        assert (phones["1001"], phones["1002"]) == ("ringing", "ringing")
        # No agent is free while both ring: nothing more is dialled.
        await trio.sleep(5)
        assert set(await outside(admin)) == {"T/1", "T/2"}
        for phone in ("1001", "1002"):
            cc.sim.off_hook(phone)
        await trio.sleep(30)
        for phone in ("1001", "1002"):
            cc.sim.on_hook(phone)
        await cc.settle()
        # Both agents are free again: Dee is dialled; Eve is on the do-not-call list.
        await trio.sleep(1.5)
        assert await outside(admin) == {"T/1": ("alerting", "5550104")}
        found = standings(database_url)
        assert found["5550101"] == ("done", 1, "answered")
        assert found["5550103"] == ("done", 1, "answered")
        assert found["5550105"] == ("dnc", 0, "dnc")  # never dialled
        stopped = await admin.call("campaign.setState", {"name": "renewals", "state": "stopped"})
        assert stopped["state"] == "stopped"
        assert stopped["records"] == {"done": 2, "retry": 1, "dnc": 1, "dialling": 1}


async def outside(client: Any) -> dict[str, tuple[str, str | None]]:
    reply = await client.call("sim.lines")
    return {
        ln["line"]: (ln["state"], ln["party"])
        for ln in reply["lines"]
        if ln["kind"] == "external" and ln["state"] != "idle"
    }


async def lines(client: Any) -> dict[str, str]:
    reply = await client.call("sim.lines")
    return {ln["line"]: ln["state"] for ln in reply["lines"]}
