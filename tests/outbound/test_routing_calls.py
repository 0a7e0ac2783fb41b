"""Outbound routing in the daemon on the simulator: MakeCall, transfers, ``routing.test``.

The simulator's card shows which line a call went out on and which digits it
sent (``sim.lines``), so every choice the router made is checked on the
switch itself, not only in ctid's events.
"""

from __future__ import annotations

from typing import Any

import trio
import trio.testing

from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config
from ctid.testing.client import RpcErrorReply
from ctid.testing.conformance.run import brief, conn

ROUTES: dict[str, Any] = {
    "switch": {
        "trunk_groups": [{"name": "pair", "lines": ["T/3", "T/4"]}],
        "outbound_routes": [
            {"name": "national", "pattern": r"0[1-9]\d{5,9}", "prefix": "17909"},
            {
                "name": "paired",
                "pattern": r"9(\d{7})",
                "strip": 1,
                "trunk_group": "pair",
                "hunt": "round-robin",
            },
            {"name": "local", "pattern": r"[2-8]\d{6}", "trunk_group": "T"},
        ],
    }
}


async def lines(client: RpcTestClient) -> dict[str, tuple[str, str | None]]:
    """Outside lines that are not idle: line -> (state, the digits on it)."""
    reply = await client.call("sim.lines")
    return {
        ln["line"]: (ln["state"], ln["party"])
        for ln in reply["lines"]
        if ln["kind"] == "external" and ln["state"] != "idle"
    }


async def make_call(cc: CallCentre, client: RpcTestClient, phone: str, number: str) -> str:
    result = await client.call(
        "MakeCall",
        {"callingDevice": phone, "calledDirectoryNumber": number, "autoOriginate": "doNotPrompt"},
    )
    await cc.settle()
    return str(result["callingDevice"]["callID"])


async def test_makecall_goes_out_with_the_routes_digits_on_its_line(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config(ROUTES)) as cc:
        mon = await cc.client()
        await mon.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        call_id = await make_call(cc, mon, "1001", "0201234567")
        await trio.sleep(5)
        # The card sent 17909 + the number, on the first line of the switch.
        assert await lines(mon) == {"T/1": ("connected", "179090201234567")}
        events = mon.take()
        assert [brief(e) for e in events] == [
            ("ServiceInitiatedEvent", "initiated", "1001", "makeCall"),
            ("OriginatedEvent", "connected", "0201234567", "newCall"),
            ("DeliveredEvent", "connected", "0201234567", "newCall"),
            ("EstablishedEvent", "connected", "0201234567", "newCall"),
        ]
        # Clients see the number as dialled, and the line it went out on.
        delivered = events[2]
        assert delivered["connection"] == conn(call_id, "0201234567")
        assert delivered["calledDevice"] == "0201234567"
        assert delivered["trunk"] == "T/1"
        assert cc.app.model.calls[call_id].facts["outboundRoute"] == "national"


async def test_round_robin_route_alternates_over_its_group(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config(ROUTES)) as cc:
        admin = await cc.client()
        taken = []
        for phone in ("1001", "1002", "1003"):
            await make_call(cc, admin, phone, "95551234")
            await trio.sleep(5)
            now = await lines(admin)
            assert len(now) == 1, now
            ((line, (state, digits)),) = now.items()
            assert (state, digits) == ("connected", "5551234")  # the 9 was stripped
            taken.append(line)
            await admin.call("sim.onHook", {"device": phone})
            await cc.settle()
            assert await lines(admin) == {}
        assert taken == ["T/3", "T/4", "T/3"]


async def test_busy_group_fails_with_trunks_busy_and_dials_nothing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config(ROUTES)) as cc:
        admin = await cc.client()
        await make_call(cc, admin, "1001", "95551234")
        await make_call(cc, admin, "1002", "95551235")
        await trio.sleep(5)
        assert set(await lines(admin)) == {"T/3", "T/4"}
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1003"}})
        call_id = await make_call(cc, admin, "1003", "95551236")
        events = admin.take()
        assert [brief(e) for e in events] == [
            ("ServiceInitiatedEvent", "initiated", "1003", "makeCall"),
            ("OriginatedEvent", "connected", "95551236", "newCall"),
            ("FailedEvent", "connected", "95551236", "trunksBusy"),
        ]
        assert events[2]["failedConnection"] == conn(call_id, "95551236")
        # Lines T/1 and T/2 were free, but not in this route's group: nothing was dialled.
        assert set(await lines(admin)) == {"T/3", "T/4"}


async def test_a_number_no_route_takes_fails_at_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config(ROUTES)) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        await make_call(cc, admin, "1001", "123")  # an outside number, but no route's
        assert [brief(e) for e in admin.take()] == [
            ("ServiceInitiatedEvent", "initiated", "1001", "makeCall"),
            ("OriginatedEvent", "connected", "123", "newCall"),
            ("FailedEvent", "connected", "123", "destNotObtainable"),
        ]
        assert await lines(admin) == {}


async def test_transfer_to_an_outside_number_is_routed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config(ROUTES)) as cc:
        admin = await cc.client()
        await admin.call("sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"})
        await cc.settle()
        await admin.call("sim.offHook", {"device": "1001"})
        await cc.settle()
        assert await lines(admin) == {"T/1": ("connected", "5550001")}
        call_id = cc.app.model.device_connections("1001")[0].call.call_id
        await admin.call(
            "SingleStepTransferCall",
            {"activeCall": conn(call_id, "1001"), "transferredTo": "0301234567"},
        )
        await cc.settle()
        await trio.sleep(5)
        assert await lines(admin) == {
            "T/1": ("connected", "5550001"),
            "T/2": ("connected", "179090301234567"),
        }


async def test_routing_test_shows_the_outbound_route(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config(ROUTES)) as cc:
        admin = await cc.client()
        await make_call(cc, admin, "1001", "95551234")
        await trio.sleep(5)
        reply = await admin.call(
            "routing.test", {"calledNumber": "95557777", "direction": "outbound"}
        )
        assert reply == {
            "direction": "outbound",
            "calledNumber": "95557777",
            "route": "paired",
            "trunkGroup": "pair",
            "hunt": "round-robin",
            "dial": "5557777",
            "line": "T/4",
            "freeLines": ["T/4"],
            "reason": "route 'paired', round-robin hunt",
        }
        reply = await admin.call("routing.test", {"calledNumber": "123", "direction": "outbound"})
        assert reply == {
            "direction": "outbound",
            "calledNumber": "123",
            "route": None,
            "trunkGroup": None,
            "hunt": None,
            "dial": None,
            "line": None,
            "freeLines": [],
            "reason": "no outbound route matches the number",
        }
        try:
            await admin.call("routing.test", {"calledNumber": "1002", "direction": "outbound"})
        except RpcErrorReply as exc:
            assert exc.code == -32602
            assert exc.message == "calledNumber: '1002' is not an outside number"
        else:
            raise AssertionError("an extension has no outbound route")


async def test_without_routes_numbers_go_as_dialled(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        admin = await cc.client()
        await make_call(cc, admin, "1001", "0201234567")
        await trio.sleep(5)
        assert await lines(admin) == {"T/1": ("connected", "0201234567")}
        assert cc.app.model.outside_router is None
        reply = await admin.call(
            "routing.test", {"calledNumber": "0201234567", "direction": "outbound"}
        )
        assert reply["route"] is None and reply["dial"] == "0201234567"
