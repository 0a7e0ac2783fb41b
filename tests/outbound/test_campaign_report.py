"""``report.campaign`` and ``ctid report campaign`` from a real progressive run.

The simulator, the real ACD and call records: two agents of ``sales``, five
numbers (one busy, one on the do-not-call list). Three customers answer and
talk to agents, two get a disposition. Every field of the report is checked:
the counts against what the run did, the agent time against the ACD's own
accounting (the ``today`` figures of the agents' log-off events).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest
import trio
import trio.testing

from ctid.cli import main
from ctid.testing import RpcErrorReply, RpcTestClient, call_centre, sim_config

SUE: Final = "report-supervisor-sue-01234567"
OTTO: Final = "report-supervisor-otto-0123456"
ALL_WEEK: Final = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LIST: Final = "name,phone\nAnn,5550101\nBob,5550486\nCy,5550103\nDee,5550104\nEve,5550105\n"
CLI_CONFIG: Final = """
[server]
state_dir = "{state}"

[records]
database = "{url}"
"""


def config(tmp_path: Path, url: str) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True, "database": url},
            "acd": {
                "queues": [
                    {"name": "sales", "number": "8001", "wrap_up": 5},
                    {"name": "other", "number": "8002"},
                ],
                "agents": [
                    {"id": "2001", "skills": [{"queue": "sales"}]},
                    {"id": "2002", "skills": [{"queue": "sales"}]},
                ],
            },
            "auth": {
                "tokens": [
                    {"role": "supervisor", "name": "sue", "token": SUE, "queues": ["sales"]},
                    {"role": "supervisor", "name": "otto", "token": OTTO, "queues": ["other"]},
                ]
            },
            "campaigns": [
                {
                    "name": "renewals",
                    "queue": "sales",
                    "caller_id": "0170000000",
                    "timezone": "UTC",
                    "windows": [{"days": ALL_WEEK, "start": "00:00", "end": "24:00"}],
                    "dispositions": ["sale", "noSale"],
                }
            ],
        }
    )


async def answer_and_talk(cc: Any, admin: RpcTestClient, seconds: float) -> list[str]:
    """Agents whose phones ring pick up, talk ``seconds`` and hang up; the call ids."""
    ringing = [
        ln["line"]
        for ln in (await admin.call("sim.lines"))["lines"]
        if ln["line"] in ("1001", "1002") and ln["state"] == "ringing"
    ]
    for phone in ringing:
        cc.sim.off_hook(phone)
    await trio.sleep(1)
    calls = []
    for phone in ringing:
        agent = "2001" if phone == "1001" else "2002"
        state = await admin.call("agent.snapshot", {"agentID": agent})
        calls.append(state["callID"])
    await trio.sleep(seconds)
    for phone in ringing:
        cc.sim.on_hook(phone)
    await cc.settle()
    return calls


async def test_campaign_report_from_a_real_run(
    tmp_path: Path,
    database_url: str,
    autojump_clock: trio.testing.MockClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        sue = await cc.client(token=SUE)
        otto = await cc.client(token=OTTO)
        await admin.call(
            "campaign.importList",
            {"campaign": "renewals", "list": "l", "numberColumn": "phone", "csv": LIST},
        )
        await admin.call("dnc.add", {"numbers": ["5550105"]})
        for agent in ("2001", "2002"):
            await admin.call("MonitorStart", {"monitorObject": {"agentObject": agent}})
        for agent, phone in (("2001", "1001"), ("2002", "1002")):
            for state in ("loggedOn", "ready"):
                await admin.call(
                    "SetAgentState",
                    {"device": phone, "requestedAgentState": state, "agentID": agent},
                )
        await admin.call("campaign.setState", {"name": "renewals", "state": "running"})
        # Ann and Cy answer (Bob is busy) and ring the two agents.
        await trio.sleep(3.5)
        first = await answer_and_talk(cc, admin, 30)
        assert len(first) == 2
        await admin.call("campaign.setDisposition", {"callID": first[0], "disposition": "sale"})
        await admin.call("campaign.setDisposition", {"callID": first[1], "disposition": "noSale"})
        # After the 5 s wrap-up, Dee is dialled, answers and talks to an agent.
        await trio.sleep(9)
        second = await answer_and_talk(cc, admin, 10)
        assert len(second) == 1
        await trio.sleep(6)
        await admin.call("campaign.setState", {"name": "renewals", "state": "stopped"})
        admin.take()
        today: dict[str, dict[str, float]] = {}
        for agent, phone in (("2001", "1001"), ("2002", "1002")):
            await admin.call(
                "SetAgentState",
                {"device": phone, "requestedAgentState": "loggedOff", "agentID": agent},
            )
            event = await admin.event("AgentLoggedOffEvent", agentID=agent)
            today[agent] = event["today"]
        await cc.settle()
        await trio.sleep(1)

        params = {"campaign": "renewals", "from": "2027-01-15", "to": "2027-01-16"}
        report = await sue.call("report.campaign", params)
        with pytest.raises(RpcErrorReply) as refused:
            await otto.call("report.campaign", params)
        assert refused.value.code == -32005
        with pytest.raises(RpcErrorReply) as refused:
            await sue.call("report.campaign", {**params, "to": "2027-01-14"})
        assert refused.value.code == -32602
        with pytest.raises(RpcErrorReply) as refused:
            await sue.call("report.campaign", {**params, "campaign": "nope"})
        assert refused.value.code == -32006
        assert refused.value.data == {"reason": "noSuchCampaign"}

    logged_on = sum(
        t["talkTime"] + t["acwTime"] + t["readyTime"] + t["notReadyTime"] + t["reservedTime"]
        for t in today.values()
    )
    occupied = sum(t["talkTime"] + t["acwTime"] for t in today.values())
    assert [t["calls"] for t in today.values()] in ([2, 1], [1, 2])
    assert report["name"] == "campaign"
    assert report["columns"] == [
        "campaign",
        "attempts",
        "outcomes",
        "answered",
        "contacts",
        "abandoned",
        "abandonRate",
        "dispositions",
        "agentLoggedOnSeconds",
        "agentOccupancy",
        "contactsPerAgentHour",
        "records",
        "recordsAttempted",
        "listPenetration",
    ]
    row = dict(zip(report["columns"], report["rows"][0], strict=True))
    assert row == {
        "campaign": "renewals",
        "attempts": 4,
        "outcomes": {"answered": 3, "busy": 1},
        "answered": 3,
        "contacts": 3,
        "abandoned": 0,
        "abandonRate": 0.0,
        "dispositions": {"noSale": 1, "sale": 1},
        "agentLoggedOnSeconds": pytest.approx(logged_on, abs=0.01),
        "agentOccupancy": pytest.approx(occupied / logged_on, abs=0.0001),
        "contactsPerAgentHour": pytest.approx(3 / (logged_on / 3600), abs=0.0001),
        "records": 5,
        "recordsAttempted": 4,
        "listPenetration": 0.8,
    }

    # The same report from the command line.
    conf = tmp_path / "cli.toml"
    conf.write_text(CLI_CONFIG.format(state=tmp_path, url=database_url))
    args = ["report", "campaign", "--campaign", "renewals", "--config", str(conf)]
    window = ["--from", "2027-01-15", "--to", "2027-01-16", "--format", "json"]
    capsys.readouterr()
    assert main([*args, *window]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["columns"] == report["columns"]
    assert printed["rows"] == report["rows"]
    assert main([*args[:2], "--config", str(conf), *window]) == 2
    assert "needs --campaign" in capsys.readouterr().err
    assert main(["report", "campaign", "--campaign", "nope", "--config", str(conf), *window]) == 1
    assert "no campaign 'nope'" in capsys.readouterr().err
