"""A campaign stopped while one of its calls is up: the call's attempt still counts.

Found in review: the attempt of a call that ended after the stop was given back to
the list unchanged (``new``, 0 attempts), although the customer had talked to an
agent, so a campaign started again would have dialled that person a second time.
"""

from __future__ import annotations

from pathlib import Path

import trio
import trio.testing

from ctid.testing import call_centre

from ..campaigns import campaign, campaign_config, standings

# The simulator's outside numbers answer after 2 s.
LIST = "name,phone\nAnn,5550101\nBob,5550102\n"


async def test_a_call_up_at_the_stop_is_written_as_it_ended(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    config = campaign_config(tmp_path, database_url, campaign(name="renewals"))
    async with call_centre(config) as cc:
        admin = await cc.client()
        await admin.call(
            "campaign.importList",
            {"campaign": "renewals", "list": "l", "numberColumn": "phone", "csv": LIST},
        )
        for state in ("loggedOn", "ready"):
            await admin.call(
                "SetAgentState",
                {"device": "1001", "requestedAgentState": state, "agentID": "2001"},
            )
        await admin.call("campaign.setState", {"name": "renewals", "state": "running"})
        # One free agent (its phone answers by itself): Ann is dialled, answers after 2 s
        # and is put through to the agent.
        await trio.sleep(10)
        lines = {ln["line"]: ln for ln in (await admin.call("sim.lines"))["lines"]}
        assert lines["1001"]["state"] == "connected"
        assert (lines["T/1"]["state"], lines["T/1"]["party"]) == ("connected", "5550101")
        assert standings(database_url) == {
            "5550101": ("dialling", 0, None),
            "5550102": ("new", 0, None),
        }
        stopped = await admin.call("campaign.setState", {"name": "renewals", "state": "stopped"})
        assert stopped["state"] == "stopped"
        await trio.sleep(20)
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(2)
        # Ann talked to the agent: done, one attempt, answered. Bob was never dialled.
        assert standings(database_url) == {
            "5550101": ("done", 1, "answered"),
            "5550102": ("new", 0, None),
        }
