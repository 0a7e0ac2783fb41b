"""Campaigns, lists and do-not-call lists through the API, on both databases.

Error codes are the literal numbers of docs/protocol.md: -32602 invalid params,
-32006 a ctid operation failed (``data.reason``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from ctid.testing import RpcTestClient, call_centre, sim_config
from ctid.testing.client import RpcErrorReply

ACD: dict[str, Any] = {
    "queues": [{"name": "sales", "number": "8001"}],
    "agents": [{"id": "2001", "name": "Ann", "skills": [{"queue": "sales", "level": 1}]}],
}

#: A list with every kind of bad row: lines 3 (too few fields), 5 (not a number),
#: 6 (a duplicate of line 2, written differently), 8 (too short), and a quoted
#: name over two lines (7) that is a good row.
LIST = (
    "name,phone,tz,account\n"
    "Ann,+33 1 70 00 00 01,Europe/Paris,A-1\n"
    "Bob,+33170000002\n"
    "Cy,(212) 555-0100,America/New_York,A-3\n"
    "Dee,call me,UTC,A-4\n"
    "Ann again,+33-1-70-00-00-01,Europe/Paris,A-5\n"
    '"Eve\nSmith",5551234,UTC,A-6\n'
    "Flo,12,UTC,A-7\n"
)


def config(tmp_path: Path, database_url: str, campaigns: list[dict[str, Any]] | None = None) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True, "database": database_url},
            "acd": ACD,
            **({"campaigns": campaigns} if campaigns is not None else {}),
        }
    )


async def refused(client: RpcTestClient, method: str, params: Any) -> RpcErrorReply:
    try:
        await client.call(method, params)
    except RpcErrorReply as exc:
        return exc
    raise AssertionError(f"{method} was not refused")


async def test_create_import_and_count(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    async with call_centre(config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        created = await admin.call(
            "campaign.create",
            {
                "name": "renewals",
                "queue": "sales",
                "mode": "progressive",
                "timezoneColumn": "tz",
                "windows": [{"days": ["mon", "tue"], "start": "09:00", "end": "18:00"}],
                "retries": {"busy": {"afterSeconds": 300, "maxRetries": 2}},
            },
        )
        assert created["state"] == "stopped" and created["source"] == "api"
        assert created["records"] == {} and created["lists"] == []
        definition = created["campaign"]
        assert definition["name"] == "renewals" and definition["mode"] == "progressive"
        assert definition["windows"] == [{"days": ["mon", "tue"], "start": "09:00", "end": "18:00"}]
        assert definition["retries"] == {"busy": {"afterSeconds": 300.0, "maxRetries": 2}}
        assert definition["maxAbandonRate"] == 0.03 and definition["maxAttempts"] == 5

        result = await admin.call(
            "campaign.importList",
            {"campaign": "renewals", "list": "january", "numberColumn": "phone", "csv": LIST},
        )
        assert result == {
            "campaign": "renewals",
            "list": "january",
            "imported": 3,
            "problems": [
                {"line": 3, "problem": "2 fields where the header has 4"},
                {
                    "line": 5,
                    "problem": "'call me' is not a phone number (digits, a leading +, separators)",
                },
                {"line": 9, "problem": "'12' has 2 digits: 3 to 20 are dialled"},
            ],
            "duplicates": [{"line": 6, "firstLine": 2}],
            "alreadyListed": [],
            "records": {"new": 3},
        }
        # A second list, in chunks (a file over the 16 KB string limit is sent so):
        # a number of the first list is reported, not added again.
        second = "phone,name\n5551234,Eve\n5550100,Gus\n"
        result = await admin.call(
            "campaign.importList",
            {
                "campaign": "renewals",
                "list": "february",
                "numberColumn": "phone",
                "csv": [second[:15], second[15:]],
            },
        )
        assert result["imported"] == 1
        assert result["alreadyListed"] == [{"line": 2, "number": "5551234"}]
        got = await admin.call("campaign.get", {"name": "renewals"})
        assert got["records"] == {"new": 4}
        assert [
            (li["name"], li["imported"], li["rejected"], li["records"]) for li in got["lists"]
        ] == [
            ("january", 3, 4, {"new": 3}),
            ("february", 1, 1, {"new": 1}),
        ]
        listed = await admin.call("campaign.list")
        assert listed == {
            "campaigns": [
                {
                    "name": "renewals",
                    "mode": "progressive",
                    "queue": "sales",
                    "state": "stopped",
                    "source": "api",
                    "records": {"new": 4},
                }
            ]
        }

        # Refusals change nothing.
        err = await refused(
            admin,
            "campaign.importList",
            {"campaign": "renewals", "list": "january", "numberColumn": "phone", "csv": LIST},
        )
        assert (err.code, err.data["reason"]) == (-32006, "listExists")
        err = await refused(
            admin,
            "campaign.importList",
            {"campaign": "renewals", "list": "x", "numberColumn": "tel", "csv": LIST},
        )
        assert (err.code, err.data["reason"]) == (-32006, "badList")
        assert err.message == "no column 'tel' in the header (columns: name, phone, tz, account)"
        err = await refused(admin, "campaign.create", {"name": "renewals", "queue": "sales"})
        assert (err.code, err.data["reason"]) == (-32006, "campaignExists")
        err = await refused(admin, "campaign.create", {"name": "x", "queue": "nope"})
        assert (err.code, err.data["path"]) == (-32602, "params.queue")
        err = await refused(
            admin,
            "campaign.create",
            {"name": "x", "queue": "sales", "windows": [{"start": "18:00", "end": "09:00"}]},
        )
        assert (err.code, err.data["path"]) == (-32602, "params.windows[0].end")
        err = await refused(admin, "campaign.get", {"name": "nope"})
        assert (err.code, err.data["reason"]) == (-32006, "noSuchCampaign")
        assert (await admin.call("campaign.get", {"name": "renewals"}))["records"] == {"new": 4}


async def test_update_checks_the_whole_definition(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    campaigns = [{"name": "fixed", "queue": "sales", "mode": "predictive"}]
    async with call_centre(config(tmp_path, database_url, campaigns)) as cc:
        admin = await cc.client()
        got = await admin.call("campaign.get", {"name": "fixed"})
        assert (got["source"], got["campaign"]["mode"]) == ("config", "predictive")
        updated = await admin.call(
            "campaign.update", {"name": "fixed", "changes": {"maxAbandonRate": 0.02}}
        )
        assert updated["campaign"]["maxAbandonRate"] == 0.02
        assert updated["campaign"]["mode"] == "predictive"
        err = await refused(
            admin, "campaign.update", {"name": "fixed", "changes": {"maxAbandonRate": 2}}
        )
        assert (err.code, err.data["path"]) == (-32602, "params.changes.maxAbandonRate")
        err = await refused(admin, "campaign.update", {"name": "fixed", "changes": {"name": "x"}})
        assert (err.code, err.data["path"]) == (-32602, "params.changes.name")
        err = await refused(admin, "campaign.update", {"name": "fixed", "changes": {"colour": 1}})
        assert (err.code, err.data["path"]) == (-32602, "params.changes.colour")
        got = await admin.call("campaign.get", {"name": "fixed"})
        assert got["campaign"]["maxAbandonRate"] == 0.02


async def test_do_not_call_lists(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    campaigns = [{"name": "fixed", "queue": "sales"}]
    async with call_centre(config(tmp_path, database_url, campaigns)) as cc:
        admin = await cc.client()
        assert await admin.call("dnc.add", {"numbers": ["+33 1 70 00 00 01", "5551234"]}) == {
            "list": "*",
            "added": 2,
            "already": 0,
        }
        assert await admin.call(
            "dnc.add", {"numbers": ["5551234"], "campaign": "fixed", "note": "asked"}
        ) == {"list": "fixed", "added": 1, "already": 0}
        assert await admin.call("dnc.add", {"numbers": ["555-1234"]}) == {
            "list": "*",
            "added": 0,
            "already": 1,
        }
        checked = await admin.call("dnc.check", {"number": "555 1234"})
        assert checked["number"] == "5551234" and checked["listed"] is True
        assert [(x["scope"], x["note"]) for x in checked["lists"]] == [
            ("*", ""),
            ("fixed", "asked"),
        ]
        assert all(x["addedAt"].endswith("Z") for x in checked["lists"])
        assert await admin.call("dnc.remove", {"numbers": ["5551234"]}) == {
            "list": "*",
            "removed": 1,
        }
        assert [
            x["scope"] for x in (await admin.call("dnc.check", {"number": "5551234"}))["lists"]
        ] == ["fixed"]
        imported = await admin.call(
            "dnc.import",
            {"csv": "tel\n5550001\nbad\n5550001\n5550002\n", "numberColumn": "tel"},
        )
        assert imported == {
            "list": "*",
            "added": 2,
            "already": 0,
            "problems": [
                {
                    "line": 3,
                    "problem": "'bad' is not a phone number (digits, a leading +, separators)",
                }
            ],
            "duplicates": [{"line": 4, "firstLine": 2}],
        }
        assert (await admin.call("dnc.check", {"number": "5559999"})) == {
            "number": "5559999",
            "listed": False,
            "lists": [],
        }
        err = await refused(admin, "dnc.add", {"numbers": ["5550003", "x"]})
        assert (err.code, err.data["path"]) == (-32602, "params.numbers[1]")
        assert (await admin.call("dnc.check", {"number": "5550003"}))["listed"] is False
        err = await refused(admin, "dnc.add", {"numbers": ["5550003"], "campaign": "nope"})
        assert (err.code, err.data["reason"]) == (-32006, "noSuchCampaign")


async def test_schedule_callback(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    campaigns = [{"name": "fixed", "queue": "sales"}]
    async with call_centre(config(tmp_path, database_url, campaigns)) as cc:
        admin = await cc.client()
        await admin.call(
            "campaign.importList",
            {"campaign": "fixed", "list": "l", "numberColumn": "n", "csv": "n\n5551234\n"},
        )
        booked = await admin.call(
            "campaign.scheduleCallback", {"record": 1, "at": "2027-01-15T14:30:00+01:00"}
        )
        assert booked == {
            "campaign": "fixed",
            "record": 1,
            "at": "2027-01-15T13:30:00Z",
            "agent": None,
        }
        assert (await admin.call("campaign.get", {"name": "fixed"}))["records"] == {"callback": 1}
        err = await refused(
            admin, "campaign.scheduleCallback", {"record": 9, "at": "2027-01-15T14:30:00Z"}
        )
        assert (err.code, err.data["reason"]) == (-32006, "noSuchRecord")
        err = await refused(
            admin, "campaign.scheduleCallback", {"record": 1, "at": "2027-01-15T14:30"}
        )
        assert (err.code, err.data["path"]) == (-32602, "params.at")
        err = await refused(
            admin,
            "campaign.scheduleCallback",
            {"record": 1, "at": "2027-01-15T14:30Z", "agentOnly": True},
        )
        assert (err.code, err.data["path"]) == (-32602, "params.agentOnly")
        # Record ids are the database's 32-bit integers: beyond them, a clear refusal
        # (PostgreSQL would fail the cast), on every method that names a record.
        for method, params in (
            ("campaign.scheduleCallback", {"at": "2027-01-15T14:30:00Z"}),
            ("campaign.setDisposition", {"disposition": "sale"}),
            ("campaign.previewDial", {}),
            ("campaign.previewSkip", {"reason": "busy"}),
        ):
            for record in (2**31, 0):
                err = await refused(admin, method, {"record": record, **params})
                assert (err.code, err.data["path"], err.data["problem"]) == (
                    -32602,
                    "params.record",
                    "want a record id from 1 to 2147483647",
                ), method


async def test_without_records_campaigns_are_off(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        admin = await cc.client()
        err = await refused(admin, "campaign.list", None)
        assert (err.code, err.data["reason"]) == (-32006, "campaignsOff")


@pytest.mark.parametrize(
    ("campaigns", "key", "problem"),
    [
        ([{"name": "a", "queue": "nope"}], "campaigns[0].queue", "no queue 'nope'"),
        (
            [{"name": "a", "queue": "sales", "timezone": "Mars/Olympus"}],
            "campaigns[0].timezone",
            "unknown",
        ),
        (
            [{"name": "a", "queue": "sales"}, {"name": "a", "queue": "sales"}],
            "campaigns[1].name",
            "listed twice",
        ),
        (
            [{"name": "a", "queue": "sales", "mode": "agentless"}],
            "campaigns[0]",
            "message and flow",
        ),
        (
            [
                {
                    "name": "a",
                    "queue": "sales",
                    "retries": {"answered": {"after_seconds": 1, "max_retries": 1}},
                }
            ],
            "campaigns[0].retries.answered",
            "no retry",
        ),
    ],
)
def test_bad_campaign_tables_name_the_key(
    tmp_path: Path, campaigns: list[dict[str, Any]], key: str, problem: str
) -> None:
    from ctid.config import ConfigError
    from ctid.wiring.checks import check_services

    cfg = sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True},
            "acd": ACD,
            "campaigns": campaigns,
        }
    )
    with pytest.raises(ConfigError) as info:
        check_services(cfg)
    assert info.value.key == key
    assert problem in info.value.problem
