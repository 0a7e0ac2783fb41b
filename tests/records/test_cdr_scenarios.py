"""Call detail records of real calls on the simulator, one scenario per disposition.

The whole daemon runs (call model, API, records service, writer, SQLite in a
temporary state directory) on MockClock; calls are driven through the API
as an admin would, and the test reads what the database holds afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import trio

from ctid.records.schema import call_legs, calls
from ctid.records.service import RecordsService
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ANCHOR_WALL


def records_config(state_dir: Path, **records: Any) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state_dir)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 3600, **records},
        }
    )


@asynccontextmanager
async def centre(tmp_path: Path) -> AsyncIterator[tuple[CallCentre, RpcTestClient]]:
    async with call_centre(records_config(tmp_path)) as cc:
        yield cc, await cc.client()


def service(cc: CallCentre) -> RecordsService:
    records = cc.app.api.services["records"]
    assert isinstance(records, RecordsService)
    return records


async def record(cc: CallCentre, call_id: str) -> tuple[Any, list[Any]]:
    """The committed call row and its legs (in order)."""
    records = service(cc)
    await records.wait_committed()
    with records.engine.connect() as conn:
        row = conn.execute(sa.select(calls).where(calls.c.call_id == call_id)).one()
        legs = conn.execute(
            sa.select(call_legs).where(call_legs.c.call_id == call_id).order_by(call_legs.c.seq)
        ).all()
    return row, list(legs)


def t(value: Any) -> float | None:
    """A stored time as seconds after the test daemon started."""
    return None if value is None else round(value.timestamp() - ANCHOR_WALL, 3)


def leg_summary(legs: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (leg.device, leg.kind, t(leg.joined_at), t(leg.answered_at), t(leg.ended_at), leg.failed)
        for leg in legs
    ]


async def incoming(cc: CallCentre, admin: RpcTestClient, caller: str, called: str) -> str:
    result = await admin.call("sim.incomingCall", {"callingNumber": caller, "calledNumber": called})
    await cc.settle()
    return str(result["callID"])


def conn(call_id: str, device: str) -> dict[str, str]:
    return {"callID": call_id, "deviceID": device}


async def test_answered_inbound_call(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        await trio.sleep(10)
        call_id = await incoming(cc, admin, "5550001", "1002")
        await trio.sleep(4)
        await admin.call("sim.offHook", {"device": "1002"})
        await trio.sleep(30)
        await admin.call("sim.onHook", {"device": "5550001"})
        await cc.settle()
        row, legs = await record(cc, call_id)
        assert row.state == "closed"
        assert row.disposition == "answered"
        assert (row.direction, row.caller, row.called, row.dnis, row.trunk) == (
            "inbound",
            "5550001",
            "1002",
            "1002",
            "T/1",
        )
        assert (t(row.started_at), t(row.answered_at), t(row.ended_at)) == (10.0, 14.0, 44.0)
        assert (row.talk_seconds, row.hold_seconds, row.acw_seconds) == (30.0, 0.0, 0.0)
        assert row.answered_by == "1002"
        assert row.queue is None
        assert row.wait_seconds is None
        assert leg_summary(legs) == [
            ("5550001", "external", 10.0, None, 44.0, False),
            ("1002", "extension", 10.0, 14.0, 44.0, False),
        ]
        assert legs[0].trunk == "T/1"
        assert legs[1].trunk is None
        assert row.node
        assert row.run_id == "t"


async def test_a_call_is_open_in_the_database_while_in_progress(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        call_id = await incoming(cc, admin, "5550001", "1002")
        # Answered, so no ring timeout is pending while the test waits for the database.
        await admin.call("sim.offHook", {"device": "1002"})
        row, legs = await record(cc, call_id)
        assert (row.state, row.disposition, row.ended_at, legs) == ("open", None, None, [])
        assert (row.caller, row.dnis, t(row.started_at)) == ("5550001", "1002", 0.0)


async def test_abandoned_while_ringing(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        call_id = await incoming(cc, admin, "5550001", "1002")
        await trio.sleep(6)
        await admin.call("sim.onHook", {"device": "5550001"})
        await cc.settle()
        row, legs = await record(cc, call_id)
        assert row.disposition == "abandonedWhileRinging"
        assert row.answered_at is None
        assert row.talk_seconds == 0.0
        assert leg_summary(legs)[1] == ("1002", "extension", 0.0, None, 6.0, False)


async def test_busy(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        await admin.call("sim.offHook", {"device": "1002"})  # 1002 is off-hook: busy
        await cc.settle()
        call_id = await incoming(cc, admin, "5550001", "1002")
        await cc.settle()
        row, legs = await record(cc, call_id)
        assert row.state == "closed"
        assert row.disposition == "busy"
        assert [(leg.device, leg.failed, leg.end_cause) for leg in legs] == [
            ("5550001", False, "normalClearing"),
            ("1002", True, "busy"),
        ]


async def test_no_answer(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        call_id = await incoming(cc, admin, "5550001", "1002")
        await trio.sleep(60)  # the ring timeout is 45 s
        row, legs = await record(cc, call_id)
        assert row.disposition == "noAnswer"
        assert t(row.ended_at) == 45.0
        assert legs[1].failed
        assert legs[1].end_cause == "noAnswer"


async def test_failed_unreachable_number(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        result = await admin.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "5550404",
                "autoOriginate": "doNotPrompt",
            },
        )
        call_id = result["callingDevice"]["callID"]
        await trio.sleep(5)
        await admin.call("sim.onHook", {"device": "1001"})
        await cc.settle()
        row, _ = await record(cc, call_id)
        assert (row.direction, row.dnis, row.disposition) == ("outbound", None, "failed")


async def test_answered_outbound_call_with_hold(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        result = await admin.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "5551234",
                "autoOriginate": "doNotPrompt",
                "userData": {"ticket": "T-9"},
            },
        )
        call_id = result["callingDevice"]["callID"]
        await trio.sleep(2.5)  # the far end answers at 2.5 s
        await trio.sleep(10)
        await admin.call("HoldCall", {"callToBeHeld": conn(call_id, "1001")})
        await trio.sleep(15)
        await admin.call("RetrieveCall", {"callToBeRetrieved": conn(call_id, "1001")})
        await trio.sleep(20)
        await admin.call("sim.onHook", {"device": "1001"})
        await cc.settle()
        row, legs = await record(cc, call_id)
        assert row.disposition == "answered"
        assert (row.direction, row.trunk, row.answered_by) == ("outbound", "T/1", "5551234")
        assert (t(row.answered_at), t(row.ended_at)) == (2.5, 47.5)
        assert (row.hold_seconds, row.talk_seconds) == (15.0, 30.0)
        assert row.user_data == {"ticket": "T-9"}
        assert [(leg.device, leg.hold_seconds, leg.trunk) for leg in legs] == [
            ("1001", 15.0, None),
            ("5551234", 0.0, "T/1"),
        ]


async def consult(cc: CallCentre, admin: RpcTestClient) -> tuple[str, str]:
    """An outside caller talks to 1001, who consults 1003; returns (customer call, consultation)."""
    primary = await incoming(cc, admin, "5550001", "1001")
    await admin.call("sim.offHook", {"device": "1001"})
    await trio.sleep(20)
    result = await admin.call(
        "ConsultationCall", {"existingCall": conn(primary, "1001"), "consultedDevice": "1003"}
    )
    secondary = result["initiatedCall"]["callID"]
    await trio.sleep(3)
    await admin.call("sim.offHook", {"device": "1003"})
    await trio.sleep(10)
    return primary, secondary


async def test_transferred(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        primary, secondary = await consult(cc, admin)
        await admin.call(
            "TransferCall",
            {"heldCall": conn(primary, "1001"), "activeCall": conn(secondary, "1001")},
        )
        await trio.sleep(40)
        await admin.call("sim.onHook", {"device": "5550001"})
        await cc.settle()
        row, legs = await record(cc, primary)
        assert row.disposition == "transferred"
        assert t(row.ended_at) == 73.0
        # The agent held the customer from the consultation (20 s) to the transfer (33 s).
        assert row.hold_seconds == 13.0
        assert [(leg.device, t(leg.joined_at), t(leg.ended_at), leg.end_cause) for leg in legs] == [
            ("5550001", 0.0, 73.0, "normalClearing"),
            ("1001", 0.0, 33.0, "transfer"),
            ("1003", 33.0, 73.0, "normalClearing"),
        ]
        consultation, _ = await record(cc, secondary)
        assert consultation.disposition == "transferred"
        assert consultation.merged_into == primary
        assert (consultation.caller, consultation.called) == ("1001", "1003")
        assert consultation.talk_seconds == 10.0


async def test_conferenced(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        primary, secondary = await consult(cc, admin)
        await admin.call(
            "ConferenceCall",
            {"heldCall": conn(primary, "1001"), "activeCall": conn(secondary, "1001")},
        )
        await trio.sleep(30)
        for device in ("1003", "1001"):
            await admin.call("sim.onHook", {"device": device})
            await cc.settle()
        row, legs = await record(cc, primary)
        assert row.disposition == "conferenced"
        assert row.hold_seconds == 13.0
        assert sorted(leg.device for leg in legs) == ["1001", "1003", "5550001"]
        consultation, _ = await record(cc, secondary)
        assert (consultation.disposition, consultation.merged_into) == ("conferenced", primary)


async def test_internal_call_lifted_and_put_down_without_dialling(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        await admin.call("sim.offHook", {"device": "1004"})
        await trio.sleep(3)
        await admin.call("sim.onHook", {"device": "1004"})
        await cc.settle()
        records = service(cc)
        await records.wait_committed()
        with records.engine.connect() as c:
            (row,) = c.execute(sa.select(calls)).all()
        assert (row.direction, row.caller, row.disposition) == ("internal", "1004", "failed")
