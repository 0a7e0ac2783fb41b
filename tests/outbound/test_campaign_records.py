"""A campaign's calls in the call records (issue 12): ``records.search`` and ``records.get``
show each attempt's campaign, list record, outcome, AMD verdict and the agent's code, and
``records.search`` finds them by campaign, record and outcome.

A real progressive campaign with AMD on the simulator, the real ACD, dialler and call
records, on SQLite and the real PostgreSQL: a person who talks to the agent (code
``sale``), a busy number and an answering machine, and a call of no campaign.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
import sqlalchemy as sa
import trio
import trio.testing

from ctid.api.methods.records_query import CampaignOutcome
from ctid.outbound.attempts import outcome_of
from ctid.outbound.campaign_config import OUTCOMES
from ctid.records import db
from ctid.records.schema import calls, campaign_records
from ctid.records.wire import campaign_outcome
from ctid.testing import RpcErrorReply, call_centre

from ..campaigns import campaign, campaign_config

PERSON, BUSY, MACHINE = "5550101", "5550486", "5550263"
#: The simulator's numbers that never answer, do not exist, and fail in the network.
NO_ANSWER, INVALID, FAILED = "5550480", "5550404", "5550408"
#: Each failing number -> the outcome and the call's own disposition its record shows.
FAILING = {
    BUSY: ("busy", "busy"),
    NO_ANSWER: ("noAnswer", "noAnswer"),
    INVALID: ("invalidNumber", "failed"),
    FAILED: ("failed", "failed"),
}
CAMPAIGN_KEYS = ("campaign", "campaignRecord", "campaignOutcome", "amd", "agentDisposition")


def record_ids(url: str) -> dict[str, int]:
    """Each list number -> its campaign record's id, as the database has them."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(campaign_records.c.number, campaign_records.c.id))
            return {str(r[0]): int(r[1]) for r in rows}
    finally:
        engine.dispose()


def list_outcomes(url: str) -> list[tuple[str, str, int]]:
    """Each list record's number, last outcome and attempts, as the dialler wrote them."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    campaign_records.c.number,
                    campaign_records.c.last_outcome,
                    campaign_records.c.attempts,
                )
            )
            return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
    finally:
        engine.dispose()


def campaign_columns(url: str) -> dict[str, tuple[Any, ...]]:
    """Each call's campaign columns and AMD fact, read from the ``calls`` table."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    calls.c.call_id,
                    calls.c.campaign,
                    calls.c.campaign_record,
                    calls.c.campaign_outcome,
                    calls.c.facts,
                    calls.c.agent_disposition,
                )
            ).all()
    finally:
        engine.dispose()
    return {r[0]: (r[1], r[2], r[3], r[4].get("answeredBy"), r[5]) for r in rows}


def fields(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[key] for key in CAMPAIGN_KEYS)


def test_the_outcome_filter_takes_exactly_the_campaigns_outcomes() -> None:
    assert get_args(CampaignOutcome) == OUTCOMES


async def test_campaign_attempts_in_the_call_records(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    cfg = campaign_config(
        tmp_path, database_url, campaign(amd=True, dispositions=["sale", "noSale"])
    )
    async with call_centre(cfg) as cc:
        admin = await cc.client()
        csv = f"phone\n{PERSON}\n{BUSY}\n{NO_ANSWER}\n{INVALID}\n{FAILED}\n{MACHINE}\n"
        await admin.call(
            "campaign.importList",
            {"campaign": "c", "list": "l", "numberColumn": "phone", "csv": csv},
        )
        for state in ("loggedOn", "ready"):
            await admin.call(
                "SetAgentState",
                {"device": "1001", "requestedAgentState": state, "agentID": "2001"},
            )
        await admin.call("campaign.setState", {"name": "c", "state": "running"})
        # The person answers at 2.5 s, AMD hears a person, the agent's phone answers.
        await trio.sleep(10)
        talking = (await admin.call("agent.snapshot", {"agentID": "2001"}))["callID"]
        assert talking is not None
        await admin.call("campaign.setDisposition", {"callID": talking, "disposition": "sale"})
        await admin.call("sim.onHook", {"device": "1001"})
        # Then the failing numbers, then the machine (hung up once AMD has heard it).
        await trio.sleep(90)
        await admin.call("campaign.setState", {"name": "c", "state": "stopped"})
        # A call of no campaign.
        made = await admin.call(
            "MakeCall",
            {
                "callingDevice": "1002",
                "calledDirectoryNumber": "5551234",
                "autoOriginate": "doNotPrompt",
            },
        )
        plain = made["callingDevice"]["callID"]
        await trio.sleep(10)
        await admin.call("sim.onHook", {"device": "1002"})
        await cc.settle()
        await trio.sleep(1)
        await admin.call("records.flush")

        ids = record_ids(database_url)
        found = (await admin.call("records.search", {"campaign": "c"}))["records"]
        # A campaign's call is the customer's: its caller is the number dialled.
        by_number = {r["caller"]: r for r in found}
        assert len(found) == 6 and set(by_number) == {PERSON, MACHINE, *FAILING}
        assert fields(by_number[PERSON]) == ("c", ids[PERSON], "answered", "human", "sale")
        for number, (outcome, disposition) in FAILING.items():
            assert fields(by_number[number]) == ("c", ids[number], outcome, None, None)
            assert by_number[number]["disposition"] == disposition
            assert by_number[number]["agentID"] is None
            assert by_number[number]["answeredAt"] is None
        assert fields(by_number[MACHINE]) == ("c", ids[MACHINE], "machine", "machine", None)
        assert by_number[PERSON]["callID"] == talking
        assert (by_number[PERSON]["agentID"], by_number[PERSON]["queue"]) == ("2001", "sales")
        assert all(r["direction"] == "outbound" for r in found)
        assert by_number[MACHINE]["agentID"] is None
        # What the API shows is what the database holds, column for column: every
        # attempt's outcome is in its record, the failed ones' too (none read from the
        # disposition).
        stored = campaign_columns(database_url)
        for record in found:
            assert fields(record) == stored[record["callID"]]
            assert stored[record["callID"]][2] is not None
        assert stored[plain] == (None, None, None, None, None)
        # The outcomes the records show are the ones the dialler wrote to the list.
        written = list_outcomes(database_url)
        assert all(attempts == 1 for _, _, attempts in written)
        standing = {number: outcome for number, outcome, _ in written}
        assert standing == {number: o for number, (o, _) in FAILING.items()} | {
            PERSON: "answered",
            MACHINE: "machine",
        }

        # records.get shows the same record; a call of no campaign has nulls there.
        got = await admin.call("records.get", {"callID": talking})
        assert got == by_number[PERSON]
        other = await admin.call("records.get", {"callID": plain})
        assert fields(other) == (None, None, None, None, None)
        assert other["direction"] == "outbound" and other["called"] == "5551234"

        # The filters, alone and together.
        async def search(**params: Any) -> list[str]:
            reply = await admin.call("records.search", params)
            return sorted(r["callID"] for r in reply["records"])

        assert await search(campaignRecord=ids[BUSY]) == [by_number[BUSY]["callID"]]
        assert await search(campaignOutcome="machine") == [by_number[MACHINE]["callID"]]
        assert await search(campaign="c", campaignOutcome="answered") == [talking]
        assert await search(campaign="c", campaignRecord=ids[PERSON]) == [talking]
        assert await search(campaign="other", campaignRecord=ids[PERSON]) == []
        for number, (outcome, _) in FAILING.items():
            assert await search(campaignOutcome=outcome) == [by_number[number]["callID"]]
            assert await search(campaign="c", campaignOutcome=outcome) == [
                by_number[number]["callID"]
            ]
        assert await search(campaignOutcome="abandoned") == []
        assert await search(campaignOutcome="dnc") == []
        everything = await search()
        assert len(everything) == 7 and plain in everything

        # Bad filters are refused and change nothing.
        for params, path in (
            ({"campaignOutcome": "sale"}, "params.campaignOutcome"),
            ({"campaignRecord": 0}, "params.campaignRecord"),
            ({"campaignRecord": 2**31}, "params.campaignRecord"),
            ({"campaignRecord": "1"}, "params.campaignRecord"),
        ):
            with pytest.raises(RpcErrorReply) as refused:
                await admin.call("records.search", params)
            assert refused.value.code == -32602
            assert refused.value.data["path"] == path
        assert await search() == everything


@pytest.mark.parametrize(
    "disposition",
    ["answered", "busy", "noAnswer", "failed", "abandonedWhileRinging", "interrupted", None],
)
def test_an_outcome_read_from_the_disposition_is_the_diallers(disposition: str | None) -> None:
    """A closed campaign call without ``campaign_outcome`` shows the outcome the dialler's
    recovery and ``report.campaign`` read from the same record."""
    record = {"campaign": "c", "campaign_outcome": None, "state": "closed"}
    expected = outcome_of(disposition == "answered", disposition)
    assert campaign_outcome({**record, "disposition": disposition}) == expected
    # Noted outcomes, open calls and calls of no campaign are left as they are.
    noted = {**record, "disposition": disposition, "campaign_outcome": "machine"}
    assert campaign_outcome(noted) == "machine"
    assert campaign_outcome({**record, "disposition": disposition, "state": "open"}) is None
    assert campaign_outcome({**record, "disposition": disposition, "campaign": None}) is None
