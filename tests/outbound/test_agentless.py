"""Agentless mode end to end: a message to each customer, at most ``max_lines`` at once.

Three numbers, two lines: two customers are dialled, answer after 2 s, hear
the message (the simulator plays a sound for ``default_sound_seconds``) and
are hung up when it ends; only then is the third dialled. No agent is ever
involved, and every record ends ``done`` with an ``answered`` attempt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trio
import trio.testing

from ctid.testing import call_centre, sim_config

from .test_preview import call_rows, records

ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


async def outside(client: Any) -> dict[str, tuple[str, str | None]]:
    reply = await client.call("sim.lines")
    return {
        ln["line"]: (ln["state"], ln["party"])
        for ln in reply["lines"]
        if ln["kind"] == "external" and ln["state"] != "idle"
    }


async def test_agentless_campaign_plays_its_message_on_at_most_max_lines(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    config = sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "switch": {"simulator": {"default_sound_seconds": 10.0}},
            "records": {"enabled": True, "database": database_url},
            "acd": {
                "queues": [{"name": "sales", "number": "8001"}],
                "agents": [{"id": "2001", "skills": [{"queue": "sales"}]}],
            },
            "campaigns": [
                {
                    "name": "reminders",
                    "queue": "sales",
                    "mode": "agentless",
                    "caller_id": "0170000000",
                    "timezone": "UTC",
                    "windows": [{"days": ALL_WEEK, "start": "00:00", "end": "24:00"}],
                    "max_lines": 2,
                    "message": "sound:reminder",
                }
            ],
        }
    )
    async with call_centre(config) as cc:
        admin = await cc.client()
        await admin.call(
            "campaign.importList",
            {
                "campaign": "reminders",
                "list": "l",
                "numberColumn": "phone",
                "csv": "phone\n5550101\n5550102\n5550103\n",
            },
        )
        await admin.call("MonitorStart", {"monitorObject": {"campaignObject": "reminders"}})
        await admin.call("campaign.setState", {"name": "reminders", "state": "running"})
        await trio.sleep(1)
        assert await outside(admin) == {
            "T/1": ("alerting", "5550101"),
            "T/2": ("alerting", "5550102"),
        }
        # They answer at 2 s and hear the message; the third waits for a free line.
        await trio.sleep(2.5)
        assert {state for state, _ in (await outside(admin)).values()} == {"playing"}
        assert len(await outside(admin)) == 2
        # The message ends: both are hung up, and the third is dialled.
        await trio.sleep(10)
        assert await outside(admin) == {"T/1": ("alerting", "5550103")}
        await trio.sleep(15)
        assert await outside(admin) == {}
        await cc.settle()
        await trio.sleep(2)
        found = records(database_url)
        assert found == {
            "5550101": ("done", 1, "answered", None),
            "5550102": ("done", 1, "answered", None),
            "5550103": ("done", 1, "answered", None),
        }
        rows = call_rows(database_url)
        assert sorted((r[1], r[2], r[3], r[5]) for r in rows) == [
            ("reminders", 1, "answered", None),
            ("reminders", 2, "answered", None),
            ("reminders", 3, "answered", None),
        ]
        # Nothing is left: the campaign is finished.
        names = [e["_name"] for e in admin.take()]
        assert names[0] == "campaign.started"
        assert "campaign.finished" in names
        got = await admin.call("campaign.get", {"name": "reminders"})
        assert got["state"] == "finished"
