"""``records.search``, ``records.get`` and ``records.history`` on calls that really ran
(the simulator, the ACD, recording and the records writer), on SQLite and PostgreSQL,
with the role rules and the caller information of the screen pop.

The day: a Beijing mobile (+8613800138000) calls three times before (sales, answered by
2001 with a ticket in its userData and recorded; support, answered by 2002; sales,
abandoned), an American number calls sales once (answered by 2001), then the Beijing
number calls sales again and rings at alice's phone: the screen pop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest
import trio

from ctid.testing import RpcErrorReply, RpcTestClient, sim_config

from ..acd.acdkit import (
    AGENT2_TOKEN,
    AGENT_TOKEN,
    CREDENTIALS,
    SUPERVISOR_TOKEN,
    acd_centre,
    agent,
    call_in,
    log_on,
    queue,
)
from .test_cdr_scenarios import service

BEIJING: Final = "+8613800138000"
US: Final = "+14155552671"
FORBIDDEN: Final = -32005
INVALID_PARAMS: Final = -32602
OPERATION_FAILED: Final = -32006

BEIJING_INFO: Final = {
    "number": BEIJING,
    "country": "CN",
    "countryName": "China",
    "region": "Beijing",
    "carrier": "China Mobile",
    "timeZones": ["Asia/Shanghai"],
    "lineType": "mobile",
}


def _config(state_dir: Path, database_url: str) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state_dir)},
            "records": {
                "enabled": True,
                "fsync": False,
                "heartbeat_seconds": 3600,
                "database": database_url,
            },
            "auth": {"tokens": CREDENTIALS},
            "numbers": {"default_region": "CN"},
            "acd": {
                "seed": 1,
                "queues": [queue("sales"), queue("support")],
                "agents": [agent("2001", "sales"), agent("2002", "support")],
            },
        }
    )


async def _answered(
    cc: Any, admin: RpcTestClient, caller: str, where: str, phone: str, talk: float
) -> str:
    await admin.call("SetAgentState", {"device": phone, "requestedAgentState": "ready"})
    call_id = await call_in(admin, caller, where)
    await trio.sleep(1)
    cc.sim.off_hook(phone)
    await trio.sleep(talk)
    return call_id


async def _hang_up(cc: Any, admin: RpcTestClient, phone: str) -> None:
    cc.sim.on_hook(phone)
    await trio.sleep(1)
    await admin.call("SetAgentState", {"device": phone, "requestedAgentState": "notReady"})


async def _err(client: RpcTestClient, method: str, params: Any) -> RpcErrorReply:
    with pytest.raises(RpcErrorReply) as err:
        await client.call(method, params)
    return err.value


async def _day(cc: Any) -> tuple[RpcTestClient, dict[str, str]]:
    admin = await cc.client()
    for agent_id, phone in (("2001", "1001"), ("2002", "1002")):
        await log_on(admin, agent_id, phone, ready=False)
    calls = {}
    first = await _answered(cc, admin, BEIJING, "sales", "1001", 10)
    await admin.call("AssociateData", {"existingCall": first, "userData": {"ticket": "T-1"}})
    recording = await admin.call("recording.start", {"callID": first})
    await trio.sleep(20)
    await _hang_up(cc, admin, "1001")
    calls["first"], calls["recording"] = first, recording["recordingID"]
    await trio.sleep(60)
    calls["support"] = await _answered(cc, admin, BEIJING, "support", "1002", 20)
    await _hang_up(cc, admin, "1002")
    await trio.sleep(60)
    calls["abandoned"] = await call_in(admin, BEIJING, "sales")
    await trio.sleep(5)
    cc.sim.on_hook(BEIJING)
    await trio.sleep(60)
    calls["us"] = await _answered(cc, admin, US, "sales", "1001", 15)
    await _hang_up(cc, admin, "1001")
    await trio.sleep(60)
    await service(cc).wait_committed()
    return admin, calls


async def test_history_search_and_get_with_the_role_rules(
    tmp_path: Path, database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    async with acd_centre(_config(tmp_path, database_url)) as cc:
        admin, calls = await _day(cc)
        alice = await cc.client(token=AGENT_TOKEN)
        bob = await cc.client(token=AGENT2_TOKEN)
        sue = await cc.client(token=SUPERVISOR_TOKEN)

        # ---- the screen pop: the Beijing number rings at alice's phone again
        await alice.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        ringing = await call_in(admin, BEIJING, "sales")
        delivered = await alice.event("DeliveredEvent", alertingDevice="1001")
        assert delivered["callingDevice"] == BEIJING
        assert delivered["callerInfo"] == BEIJING_INFO

        history = await alice.call("records.history", {"number": BEIJING})
        assert history["number"] == BEIJING
        assert history["callerInfo"] == BEIJING_INFO
        # Closed calls only (not the one ringing), newest first, with what they carried.
        assert [c["callID"] for c in history["calls"]] == [
            calls["abandoned"],
            calls["support"],
            calls["first"],
        ]
        abandoned, support, first = history["calls"]
        assert (abandoned["queue"], abandoned["agentID"], abandoned["disposition"]) == (
            "sales",
            None,
            "abandonedInQueue",
        )
        assert (support["queue"], support["agentID"], support["disposition"]) == (
            "support",
            "2002",
            "answered",
        )
        assert first["agentID"] == "2001"
        assert first["disposition"] == "answered"
        assert first["recordingIDs"] == [calls["recording"]]
        assert first["userData"] == {"ctid.queue": "sales", "ticket": "T-1"}
        assert ringing not in {c["callID"] for c in history["calls"]}
        limited = await alice.call("records.history", {"number": BEIJING, "limit": 1})
        assert [c["callID"] for c in limited["calls"]] == [calls["abandoned"]]

        # bob's phone is not in that call: refused, and so is a number in no call.
        assert (await _err(bob, "records.history", {"number": BEIJING})).code == FORBIDDEN
        assert (await _err(alice, "records.history", {"number": US})).code == FORBIDDEN
        # The sales supervisor sees the sales calls of the number only.
        sales_only = await sue.call("records.history", {"number": BEIJING})
        assert [c["callID"] for c in sales_only["calls"]] == [calls["abandoned"], calls["first"]]
        everything = await admin.call("records.history", {"number": BEIJING})
        assert everything == history
        # The number as called party: the agents' phones are not outside numbers.
        internal = await admin.call("records.history", {"number": "sales"})
        assert internal["callerInfo"] is None
        assert {c["callID"] for c in internal["calls"]} == {
            calls["first"],
            calls["abandoned"],
            calls["us"],
        }

        cc.sim.off_hook("1001")
        await trio.sleep(5)
        await _hang_up(cc, admin, "1001")
        await service(cc).wait_committed()
        calls["last"] = ringing

        # ---- search: everything, newest first, page by page
        full = await admin.call("records.search", {})
        order = ["last", "us", "abandoned", "support", "first"]
        assert [r["callID"] for r in full["records"]] == [calls[k] for k in order]
        assert full["nextCursor"] is None
        pages, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor is not None:
                params["cursor"] = cursor
            page = await admin.call("records.search", params)
            pages.append([r["callID"] for r in page["records"]])
            cursor = page["nextCursor"]
            if cursor is None:
                break
        assert pages == [
            [calls["last"], calls["us"]],
            [calls["abandoned"], calls["support"]],
            [calls["first"]],
        ]

        by_prefix = await admin.call("records.search", {"number": "+86138"})
        assert [r["callID"] for r in by_prefix["records"]] == [
            calls[k] for k in ("last", "abandoned", "support", "first")
        ]
        exact = await admin.call("records.search", {"number": US})
        assert [r["callID"] for r in exact["records"]] == [calls["us"]]
        none = await admin.call("records.search", {"number": "+8613900"})
        assert none == {"records": [], "nextCursor": None}
        abandoned_only = await admin.call("records.search", {"disposition": "abandonedInQueue"})
        assert [r["callID"] for r in abandoned_only["records"]] == [calls["abandoned"]]
        support_q = await admin.call("records.search", {"queue": "support"})
        assert [r["callID"] for r in support_q["records"]] == [calls["support"]]
        by_agent = await admin.call("records.search", {"agent": "2001", "direction": "inbound"})
        assert [r["callID"] for r in by_agent["records"]] == [
            calls[k] for k in ("last", "us", "first")
        ]
        outbound = await admin.call("records.search", {"direction": "outbound"})
        assert outbound["records"] == []
        start = full["records"][1]["startedAt"]
        window = await admin.call("records.search", {"to": start})
        assert [r["callID"] for r in window["records"]] == [
            calls[k] for k in ("abandoned", "support", "first")
        ]
        window = await admin.call("records.search", {"from": start})
        assert [r["callID"] for r in window["records"]] == [calls["last"], calls["us"]]

        # alice: her own calls only; bob's agent or queue asked for by name: refused.
        mine = await alice.call("records.search", {})
        assert [r["callID"] for r in mine["records"]] == [calls[k] for k in ("last", "us", "first")]
        assert (await _err(alice, "records.search", {"agent": "2002"})).code == FORBIDDEN
        assert (await _err(alice, "records.search", {"queue": "support"})).code == FORBIDDEN
        # sue: the sales queue's calls.
        sales = await sue.call("records.search", {})
        assert [r["callID"] for r in sales["records"]] == [
            calls[k] for k in ("last", "us", "abandoned", "first")
        ]
        assert (await _err(sue, "records.search", {"queue": "support"})).code == FORBIDDEN

        # ---- get: the same record as search gives
        record = await admin.call("records.get", {"callID": calls["first"]})
        assert record == full["records"][4]
        assert record == await alice.call("records.get", {"callID": calls["first"]})
        assert (await _err(alice, "records.get", {"callID": calls["support"]})).code == FORBIDDEN
        assert (await _err(sue, "records.get", {"callID": calls["support"]})).code == FORBIDDEN
        assert (await bob.call("records.get", {"callID": calls["support"]}))["agentID"] == "2002"
        missing = await _err(admin, "records.get", {"callID": "nope"})
        assert (missing.code, missing.data) == (OPERATION_FAILED, {"reason": "no-such-record"})


async def test_a_record_has_every_field(
    tmp_path: Path, database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    async with acd_centre(_config(tmp_path, database_url)) as cc:
        admin, calls = await _day(cc)
        record = await admin.call("records.get", {"callID": calls["first"]})
        legs = record.pop("legs")
        for key in ("ivrEnteredAt", "ivrLeftAt"):
            assert record.pop(key) is None
        queued, dequeued = record.pop("queueEnteredAt"), record.pop("queueLeftAt")
        assert queued.endswith("Z") and queued <= dequeued
        started = record.pop("startedAt")
        answered = record.pop("answeredAt")
        ended = record.pop("endedAt")
        assert started.endswith("Z") and answered.endswith("Z") and ended.endswith("Z")
        assert started < answered < ended
        node = record.pop("node")
        assert node
        assert record == {
            "callID": calls["first"],
            "state": "closed",
            "direction": "inbound",
            "caller": BEIJING,
            "called": "sales",
            "dnis": "sales",
            "trunk": record["trunk"],
            "queue": "sales",
            "queueOutcome": "answered",
            "agentID": "2001",
            "agentDevice": "1001",
            "answeredBy": "1001",
            "campaign": None,
            "campaignRecord": None,
            "campaignOutcome": None,
            "amd": None,
            "agentDisposition": None,
            "faxID": None,
            "ivrFlow": None,
            "ivrExit": None,
            "waitSeconds": 1.0,
            "holdSeconds": 0.0,
            "talkSeconds": 30.0,
            "acwSeconds": 0.0,
            "disposition": "answered",
            "endCause": record["endCause"],
            "mergedInto": None,
            "recordingIDs": [calls["recording"]],
            "correlatorData": None,
            "userData": {"ctid.queue": "sales", "ticket": "T-1"},
        }
        assert [(leg["device"], leg["kind"], leg["failed"]) for leg in legs] == [
            (BEIJING, "external", False),
            ("sales", "routePoint", False),
            ("1001", "extension", False),
        ]
        for leg in legs:
            assert leg["joinedAt"] <= leg["endedAt"]
            assert leg["holdSeconds"] == 0.0


async def test_bad_requests_are_refused_and_read_nothing(
    tmp_path: Path, database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    async with acd_centre(_config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        for method, params in (
            ("records.search", {"cursor": "not-a-cursor"}),
            ("records.search", {"cursor": "WzEsMl0"}),  # base64 of [1,2]
            ("records.search", {"limit": 0}),
            ("records.search", {"limit": 1001}),
            ("records.search", {"number": "+86%"}),
            ("records.search", {"number": ""}),
            ("records.search", {"from": "yesterday"}),
            ("records.search", {"direction": "sideways"}),
            ("records.search", {"queue": 5}),
            ("records.history", {"number": "1" * 65}),
            ("records.history", {}),
            ("records.get", {}),
        ):
            err = await _err(admin, method, params)
            assert err.code == INVALID_PARAMS, (method, params, err.message)


async def test_a_star_in_a_number_is_a_digit_not_a_wildcard(
    tmp_path: Path, database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    """``*`` is a dial-string digit (feature codes such as ``*97``): a number or prefix
    holding it matches it literally on both databases (not as a wildcard)."""
    async with acd_centre(_config(tmp_path, database_url)) as cc:
        admin = await cc.client()
        for called in ("*123", "1002", "*", "**9"):
            cc.sim.off_hook("1001")
            cc.sim.press_digits("1001", called)
            await trio.sleep(40)
            cc.sim.on_hook("1001")
            await trio.sleep(5)
        await service(cc).wait_committed()
        every = await admin.call("records.search", {})
        dialled = {r["called"]: r["callID"] for r in every["records"]}
        assert sorted(dialled) == ["*", "**9", "*123", "1002"]

        async def called(number: str) -> list[str]:
            found = await admin.call("records.search", {"number": number})
            return [r["called"] for r in found["records"]]

        assert await called("*1") == ["*123"]
        assert await called("*") == ["**9", "*", "*123"]
        assert await called("**") == ["**9"]
        assert await called("*123") == ["*123"]
        history = await admin.call("records.history", {"number": "*123"})
        assert [c["callID"] for c in history["calls"]] == [dialled["*123"]]
