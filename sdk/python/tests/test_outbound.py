"""Outbound calling against the real server, typed end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from ctid_client import (
    CallbackBooking,
    DncChange,
    ListImportResult,
    ListProblem,
    OutboundRouteChoice,
    RpcError,
)

from .helpers import DEADLINE, client
from .server import ServerThread


@pytest.fixture
def routed_server() -> Iterator[ServerThread]:
    overrides = {
        "switch": {
            "outbound_routes": [
                {"name": "national", "pattern": r"0\d{9}", "prefix": "17909", "hunt": "round-robin"}
            ]
        }
    }
    with ServerThread(overrides) as running:
        yield running


async def test_outbound_route_test(routed_server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(routed_server) as ctid:
            choice = await ctid.outbound_route_test("0201234567")
            assert choice == OutboundRouteChoice(
                called_number="0201234567",
                route="national",
                trunk_group="*",
                hunt="round-robin",
                dial="179090201234567",
                line="T/1",
                free_lines=("T/1", "T/2", "T/3", "T/4"),
                reason="route 'national', round-robin hunt",
            )
            unrouted = await ctid.outbound_route_test("5551234")
            assert (unrouted.route, unrouted.dial, unrouted.line) == (None, None, None)
            assert unrouted.reason == "no outbound route matches the number"
            with pytest.raises(RpcError) as info:
                await ctid.outbound_route_test("1002")
            assert info.value.code == -32602


@pytest.fixture
def campaign_server(tmp_path: Path) -> Iterator[ServerThread]:
    overrides = {
        "server": {"state_dir": str(tmp_path)},
        "records": {"enabled": True},
        "acd": {"queues": [{"name": "sales", "number": "8001"}]},
        "campaigns": [{"name": "fixed", "queue": "sales", "mode": "predictive"}],
    }
    with ServerThread(overrides) as running:
        yield running


async def test_campaigns_lists_and_dnc(campaign_server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(campaign_server) as ctid:
            created = await ctid.campaign_create("renewals", "sales", maxAttempts=3)
            assert (created.name, created.state, created.source) == ("renewals", "stopped", "api")
            assert created.campaign["maxAttempts"] == 3
            assert created.lists == ()
            updated = await ctid.campaign_update("renewals", {"priority": 2})
            assert updated.campaign["priority"] == 2
            result = await ctid.campaign_import_list(
                "renewals", "january", "phone", "name,phone\nAnn,5551234\nBob,x\nCy,555-1234\n"
            )
            assert result == ListImportResult(
                campaign="renewals",
                list="january",
                imported=1,
                problems=(
                    ListProblem(
                        line=3,
                        problem="'x' is not a phone number (digits, a leading +, separators)",
                    ),
                ),
                duplicates=((4, 2),),
                already_listed=(),
                records={"new": 1},
            )
            info = await ctid.campaign_get("renewals")
            assert [(li.name, li.imported, li.rejected) for li in info.lists] == [("january", 1, 2)]
            assert [(c.name, c.mode, c.records) for c in await ctid.campaign_list()] == [
                ("fixed", "predictive", {}),
                ("renewals", "progressive", {"new": 1}),
            ]
            with pytest.raises(RpcError) as refused:
                await ctid.campaign_set_state("nosuch", "running")
            assert refused.value.code == -32006
            assert refused.value.data == {"reason": "noSuchCampaign"}
            predictive = await ctid.campaign_set_state("fixed", "running")
            assert (predictive.name, predictive.state) == ("fixed", "running")
            assert (await ctid.campaign_set_state("fixed", "stopped")).state == "stopped"
            running = await ctid.campaign_set_state("renewals", "running")
            assert running.state == "running"
            stopped = await ctid.campaign_set_state("renewals", "stopped")
            assert stopped.state == "stopped"
            booking = await ctid.campaign_schedule_callback(1, "2027-01-15T14:30:00+01:00")
            assert booking == CallbackBooking(
                campaign="renewals", record=1, at="2027-01-15T13:30:00Z", agent=None
            )
            assert await ctid.dnc_add(["555 1234"], campaign="renewals") == DncChange(
                list="renewals", added=1
            )
            status = await ctid.dnc_check("5551234")
            assert (status.number, status.listed, [x.scope for x in status.lists]) == (
                "5551234",
                True,
                ["renewals"],
            )
            assert await ctid.dnc_remove(["5551234"], campaign="renewals") == DncChange(
                list="renewals", removed=1
            )
            imported = await ctid.dnc_import("tel\n5550001\n", "tel")
            assert (imported.list, imported.added, imported.problems) == ("*", 1, ())
