"""Conformance scenarios of outbound campaigns: a campaign's call answered by the
customer and connected to an agent through the ACD, one abandoned by the 2-second
rule, and answering-machine detection (a machine hung up, a person to an agent).

A progressive campaign ``conf`` of queue ``sales`` (agent ``2001`` at B) has one
record, the harness's answering number (or its answering machine, ``MACHINE``);
the campaign needs call records (the runner gives the daemon a state directory).
``conf`` with ``amd = true`` asks the switch who answers: the simulator's card,
Asterisk's ``AMD()``, FreeSWITCH's mod_avmd.
"""

from __future__ import annotations

from typing import Any, Final

import trio

from ..client import RpcTestClient
from .harness import ANSWERS, MACHINE
from .run import ScenarioRun, brief, scenario
from .services import ACD, AGENT, RECORDS

__all__: list[str] = []

EVERY_DAY: Final = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CAMPAIGN: Final[dict[str, Any]] = {
    **ACD,
    **RECORDS,
    "campaigns": [
        {
            "name": "conf",
            "queue": "sales",
            "timezone": "UTC",
            "windows": [{"days": EVERY_DAY, "start": "00:00", "end": "24:00"}],
            "dispositions": ["sale", "noSale"],
        }
    ],
}
#: The same campaign, asking the switch who answers.
AMD_CAMPAIGN: Final[dict[str, Any]] = {
    **CAMPAIGN,
    "campaigns": [{**CAMPAIGN["campaigns"][0], "amd": True}],
}


async def _running(run: ScenarioRun, csv: str) -> RpcTestClient:
    """``csv`` imported into ``conf``, B's agent logged on and ready, ``conf`` running:
    a client watching B (what it received before the campaign ran is taken)."""
    b = run.b
    agent = await run.watch(b)
    await agent.call(
        "campaign.importList",
        {"campaign": "conf", "list": "l", "numberColumn": "phone", "csv": csv},
    )
    await agent.call(
        "SetAgentState", {"device": b, "requestedAgentState": "loggedOn", "agentID": AGENT}
    )
    await agent.call("SetAgentState", {"device": b, "requestedAgentState": "ready"})
    agent.take()
    await agent.call("campaign.setState", {"name": "conf", "state": "running"})
    return agent


async def _report(agent: Any) -> dict[str, Any]:
    await agent.call("records.flush", {"until": "database"})
    report = await agent.call(
        "report.campaign", {"campaign": "conf", "from": "2000-01-01", "to": "2100-01-01"}
    )
    return dict(zip(report["columns"], report["rows"][0], strict=True))


@scenario(config=CAMPAIGN)
async def campaign_call_answered_and_connected(run: ScenarioRun) -> None:
    """The dialler calls the record's number when the agent is ready; the customer
    answers and the ACD connects the call to the agent, with the record's data; the
    agent gives it a disposition; the record is done and the call record says so."""
    b = run.b
    agent = await _running(run, f"name,phone\nAnn,{ANSWERS}\n")
    await run.received(agent, "DeliveredEvent")
    delivered = await agent.event("DeliveredEvent")
    call_id = delivered["connection"]["callID"]
    assert (delivered["callingDevice"], delivered["alertingDevice"]) == (ANSWERS, b)
    assert delivered["userData"] == {
        "campaign": "conf",
        "record": 1,
        "name": "Ann",
        "ctid.queue": "sales",
    }
    await run.answer(b)
    await run.expect_hearing(ANSWERS, b, hears=True, music=False)
    await run.expect_hearing(b, ANSWERS, hears=True, music=False)
    done = await agent.call("campaign.setDisposition", {"callID": call_id, "disposition": "sale"})
    assert (done["record"], done["disposition"]) == (1, "sale")
    await trio.sleep(5)
    await run.switch.hang_up(b)
    await run.settle()
    names = [brief(e)[0] for e in agent.take()]
    assert names[0] == "EstablishedEvent"
    assert "CallClearedEvent" in names
    await agent.call("records.flush", {"until": "database"})
    got = await agent.call("campaign.get", {"name": "conf"})
    assert got["records"] == {"done": 1}
    record = await agent.call("records.get", {"callID": call_id})
    assert (record["campaign"], record["agentID"]) == ("conf", AGENT)
    await agent.call("campaign.setState", {"name": "conf", "state": "stopped"})


@scenario(config=CAMPAIGN)
async def campaign_call_abandoned_when_no_agent_is_free(run: ScenarioRun) -> None:
    """The dialler calls for the ready agent, who then goes not ready: the customer who
    answers finds no agent within 2 seconds, is hung up (the 2-second rule), and the
    attempt ends ``abandoned``, to be retried by the campaign's rule."""
    b = run.b
    agent = await _running(run, f"phone\n{ANSWERS}\n")
    # The first pacing round dials at once; the agent leaves before the customer answers.
    await agent.call("SetAgentState", {"device": b, "requestedAgentState": "notReady"})
    await trio.sleep(30)
    await run.settle()
    got = await agent.call("campaign.get", {"name": "conf"})
    assert got["records"] == {"retry": 1}
    assert not [e for e in agent.take() if e["_name"] == "DeliveredEvent"]  # never offered
    await agent.call("campaign.setState", {"name": "conf", "state": "stopped"})
    row = await _report(agent)
    assert (row["attempts"], row["outcomes"], row["abandoned"]) == (1, {"abandoned": 1}, 1)
    assert (row["answered"], row["contacts"], row["abandonRate"]) == (1, 0, 1.0)


@scenario(config=AMD_CAMPAIGN)
async def campaign_machine_hung_up_by_amd(run: ScenarioRun) -> None:
    """With AMD, the dialler calls the record's number for the ready agent; an
    answering machine answers, the switch says "machine", and the dialler hangs up:
    the attempt ends ``machine`` (to be retried by the campaign's rule for machines)
    and the agent is never offered the call."""
    agent = await _running(run, f"phone\n{MACHINE}\n")
    # Answered within a few seconds, a machine within 4 s more, hung up at once.
    await trio.sleep(15)
    await run.settle()
    assert not [e for e in agent.take() if e["_name"] == "DeliveredEvent"]  # never offered
    got = await agent.call("campaign.get", {"name": "conf"})
    assert got["records"] == {"retry": 1}
    await agent.call("campaign.setState", {"name": "conf", "state": "stopped"})
    row = await _report(agent)
    assert (row["attempts"], row["outcomes"], row["answered"], row["contacts"]) == (
        1,
        {"machine": 1},
        0,
        0,
    )


@scenario(config=AMD_CAMPAIGN)
async def campaign_person_reaches_an_agent_with_amd(run: ScenarioRun) -> None:
    """With AMD, a person answers: the switch says "human" (or, on a switch that
    listens only for a machine's beep, "unknown" once it has not heard one), and the
    ACD connects the call to the ready agent; the attempt ends ``answered``."""
    b = run.b
    agent = await _running(run, f"phone\n{ANSWERS}\n")
    await run.received(agent, "DeliveredEvent")
    delivered = await agent.event("DeliveredEvent")
    call_id = delivered["connection"]["callID"]
    assert (delivered["callingDevice"], delivered["alertingDevice"]) == (ANSWERS, b)
    await run.answer(b)
    await run.expect_hearing(ANSWERS, b, hears=True, music=False)
    await run.expect_hearing(b, ANSWERS, hears=True, music=False)
    await agent.call("campaign.setDisposition", {"callID": call_id, "disposition": "sale"})
    await trio.sleep(5)
    await run.switch.hang_up(b)
    await run.settle()
    got = await agent.call("campaign.get", {"name": "conf"})
    assert got["records"] == {"done": 1}
    await agent.call("campaign.setState", {"name": "conf", "state": "stopped"})
    row = await _report(agent)
    assert (row["attempts"], row["outcomes"], row["answered"], row["contacts"]) == (
        1,
        {"answered": 1},
        1,
        1,
    )
