"""Batch faxes under the campaigns' rules: the do-not-call list and calling windows."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio

from ctid import faximage
from ctid.config import ConfigError
from ctid.fax.config import fax_settings
from ctid.fax.gate import DialKind, decide, window_spec
from ctid.fax.service import FaxService
from ctid.outbound.campaign_config import Window
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ANCHOR_WALL

from .test_fax_send import upload

#: Saturday 16 January 2027, 10:00 UTC: outside the Monday-to-Friday windows.
SATURDAY = ANCHOR_WALL + 86400 + 2 * 3600
MONDAY_9_UTC = dt.datetime(2027, 1, 18, 9, 0, tzinfo=dt.UTC)
#: 09:00 in New York that Monday.
MONDAY_9_NEW_YORK = dt.datetime(2027, 1, 18, 14, 0, tzinfo=dt.UTC)


def config(state: Path, **fax: Any) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "outbound": {"zone_prefixes": {"1212": "America/New_York"}},
            "fax": {
                "retry_delay": 30,
                "windows": [
                    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
                ],
                "timezone": "UTC",
                **fax,
            },
        }
    )


@asynccontextmanager
async def centre(state: Path, **fax: Any) -> AsyncIterator[tuple[CallCentre, RpcTestClient]]:
    async with call_centre(config(state, **fax), anchor_wall=SATURDAY) as cc:
        yield cc, await cc.client()


def service(cc: CallCentre) -> FaxService:
    fax = cc.app.api.services["fax"]
    assert isinstance(fax, FaxService)
    return fax


async def test_a_batch_of_twenty_waits_for_the_window_and_skips_the_do_not_call_list(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, retries=2, max_lines=4) as (cc, admin):
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
        doc = await upload(cc, faximage.make_fax_tiff(["Weekly notice"]))
        utc = [f"55501{n:02d}3290" for n in range(15)]
        new_york = ["12125550013290", "12125550023290"]
        busy = ["5550200486"]  # busy every time: retried inside the window
        listed_before = "5550900003290"  # on the list before the send
        listed_after = "5550900013290"  # put on the list while the batch waits
        await admin.call("dnc.add", {"numbers": [listed_before], "note": "asked not to"})
        numbers = [*utc[:7], listed_before, *new_york, *busy, *utc[7:], listed_after]
        assert len(numbers) == 20
        reply = await admin.call("fax.send", {"to": numbers, "documents": [doc["documentID"]]})
        ids = {f["to"]: f["faxID"] for f in reply["faxes"]}
        refused = await admin.event("fax.failed", faxID=ids[listed_before])
        assert (refused["resultText"], refused["willRetry"], refused["attempt"]) == (
            "on the do-not-call list",
            False,
            0,
        )
        await trio.sleep(3600)  # still Saturday: nothing is dialled, nothing fails
        assert cc.sim.card.fax.finished == type(cc.sim.card.fax.finished)()
        waiting = await admin.call("fax.get", {"faxID": ids[utc[0]]})
        assert waiting["state"] == "queued" and waiting["attempts"] == 0
        assert waiting["resultText"] == (
            "outside the calling windows in UTC: waits until 2027-01-18T09:00:00.000Z"
        )
        ny = await admin.call("fax.get", {"faxID": ids[new_york[0]]})
        assert ny["resultText"] == (
            "outside the calling windows in America/New_York: waits until 2027-01-18T14:00:00.000Z"
        )
        await admin.call("dnc.add", {"numbers": [listed_after]})
        await service(cc).wait_idle()
        found = (await admin.call("fax.search", {"batchID": reply["batchID"], "limit": 50}))[
            "faxes"
        ]
        by_number = {row["remoteNumber"]: row for row in found}
        assert len(by_number) == 20
        for number in (*utc, *new_york):
            row = by_number[number]
            assert (row["state"], row["attempts"], row["pages"], row["resultText"]) == (
                "completed",
                1,
                1,
                "OK",
            )
        assert (by_number["5550200486"]["state"], by_number["5550200486"]["attempts"]) == (
            "failed",
            3,
        )
        for number in (listed_before, listed_after):
            row = by_number[number]
            assert (row["state"], row["attempts"], row["resultText"]) == (
                "failed",
                0,
                "on the do-not-call list",
            )
        clock = cc.app.clock
        sessions = list(cc.sim.card.fax.finished)
        assert {s.number for s in sessions} == {*utc, *new_york}
        for session in sessions:
            began = clock.datetime(session.started_at)
            opening = MONDAY_9_NEW_YORK if session.number in new_york else MONDAY_9_UTC
            assert opening <= began < opening + dt.timedelta(minutes=15)
        fax = service(cc)
        assert (fax.sent_total, fax.failed_total["out"]) == (17, 3)


async def test_without_windows_or_with_the_check_off_a_listed_number_is_faxed(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, windows=[], check_dnc=False) as (cc, admin):
        await admin.call("dnc.add", {"numbers": ["5550900003290"]})
        await upload(cc, faximage.make_fax_tiff(["x"]), name="x")
        sent = await admin.call("fax.send", {"to": "5550900003290", "documents": ["x"]})
        await service(cc).wait_idle()
        row = await admin.call("fax.get", {"faxID": sent["faxID"]})
        assert (row["state"], row["attempts"], row["resultText"]) == ("completed", 1, "OK")
        # Saturday, and dialled at once: no windows.
        began = cc.app.clock.datetime(cc.sim.card.fax.finished[-1].started_at)
        assert began < MONDAY_9_UTC - dt.timedelta(days=1)


def test_decide_is_the_campaign_rule() -> None:
    spec = window_spec((Window(days=("mon",), start="09:00", end="10:00"),), "UTC", ("2027-01-25",))
    monday = dt.datetime(2027, 1, 18, 9, 30, tzinfo=dt.UTC)
    assert decide("1", monday, on_dnc=False, spec=spec, zone_prefixes={}).kind is DialKind.DIAL
    listed = decide("1", monday, on_dnc=True, spec=spec, zone_prefixes={})
    assert (listed.kind, listed.reason) == (DialKind.REFUSE, "on the do-not-call list")
    later = decide("1", monday + dt.timedelta(hours=1), on_dnc=False, spec=spec, zone_prefixes={})
    # The next Monday is a holiday: the one after.
    assert (later.kind, later.until) == (
        DialKind.WAIT,
        dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC),
    )
    paris = decide("33", monday, on_dnc=False, spec=spec, zone_prefixes={"33": "Europe/Paris"})
    assert (paris.kind, paris.until) == (
        DialKind.WAIT,
        dt.datetime(2027, 1, 25, 8, 0, tzinfo=dt.UTC) + dt.timedelta(days=7),
    )
    assert decide("1", monday, on_dnc=False, spec=None, zone_prefixes={}).kind is DialKind.DIAL


def test_bad_windows_are_refused_with_their_key(tmp_path: Path) -> None:
    for windows, key in (
        ([{"days": ["mon"], "start": "10:00", "end": "09:00"}], "fax.windows[0].end"),
        ([{"days": ["funday"]}], "fax.windows[0].days"),
    ):
        with pytest.raises(ConfigError) as info:
            fax_settings(config(tmp_path, windows=windows))
        assert key in str(info.value)
    with pytest.raises(ConfigError) as info:
        fax_settings(config(tmp_path, timezone="Mars/Olympus"))
    assert "fax.timezone" in str(info.value)
