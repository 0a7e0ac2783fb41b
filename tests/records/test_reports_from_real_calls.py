"""Reports of a lopsided day that really ran: calls through the simulator, the ACD and the
records writer, read back through the API (the rule in docs/testing.md).

The day is lopsided on purpose, so that a report that swaps one outcome for another, or
counts a filter the wrong way round, gives a different number: in queue ``sales`` five
callers are answered and three give up; agent 2002 works only for ``support``; the calls
fall into two hours. Every field of every row is checked, with the report's name, title
and columns.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import trio

from ctid.records.report_queries import NEEDS, load
from ctid.records.reports import ReportData, ReportRequest
from ctid.testing import sim_config
from ctid.testing.harness import ANCHOR_WALL

from ..acd.acdkit import CREDENTIALS, acd_centre, agent, call_in, log_on, queue
from . import real_day
from .test_cdr_scenarios import service


def _config(state_dir: Path) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state_dir)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 3600},
            "auth": {"tokens": CREDENTIALS},
            "acd": {
                "seed": 1,
                "queues": [queue("sales"), queue("support")],
                "agents": [agent("2001", "sales"), agent("2002", "support")],
            },
        }
    )


def _iso(wall: float) -> str:
    return dt.datetime.fromtimestamp(wall, dt.UTC).isoformat()


async def _answered(cc: Any, admin: Any, caller: str, wait: float, talk: float) -> None:
    """``caller`` waits in sales while 2001 is not ready, then 2001 answers at once."""
    await call_in(admin, caller, "sales")
    await trio.sleep(wait)
    await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
    # The offer rings 1001; it answers after one second of ringing.
    await trio.sleep(1)
    cc.sim.off_hook("1001")
    await trio.sleep(talk)
    cc.sim.on_hook("1001")
    await trio.sleep(1)
    await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "notReady"})


async def _abandoned(cc: Any, admin: Any, caller: str, wait: float) -> None:
    await call_in(admin, caller, "sales")
    await trio.sleep(wait)
    cc.sim.on_hook(caller)
    await trio.sleep(1)


async def _run_day(cc: Any) -> tuple[Any, dict[str, str]]:
    admin = await cc.client()
    for agent_id, device in (("2001", "1001"), ("2002", "1002")):
        # Ready for an instant: an agent's queues are in its state rows from then on.
        await log_on(admin, agent_id, device)
        await admin.call("SetAgentState", {"device": device, "requestedAgentState": "notReady"})
    # Hour 1: three answered (waits 6, 20, 31 s with the ring) and two abandoned (8, 9 s:
    # two in one wait bucket).
    await _answered(cc, admin, "+15550001", 5, 60)
    await _abandoned(cc, admin, "+15550002", 8)
    await _answered(cc, admin, "+15550003", 19, 30)
    await _abandoned(cc, admin, "+15550004", 9)
    await _answered(cc, admin, "+15550005", 30, 101)
    # Hour 2 (from 09:04:30): two answered (waits 11, 41 s) and one abandoned (70 s); the
    # day ends at 09:07:35.
    await trio.sleep(3600)
    await _answered(cc, admin, "+15550006", 10, 45)
    await _abandoned(cc, admin, "+15550007", 70)
    await _answered(cc, admin, "+15550008", 40, 15)
    records = service(cc)
    await records.wait_committed()
    # From 07:00 on the day of the calls to 08:00 the next day: two days for "day".
    day = {"from": _iso(ANCHOR_WALL - 3600), "to": _iso(ANCHOR_WALL + 86400)}
    return admin, day


H8, H9 = "2027-01-15 08:00", "2027-01-15 09:00"
BUCKETS = ["0-10s", "10-20s", "20-30s", "30-60s", "60-120s", "120s+"]


async def _report(admin: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = await admin.call(method, params)
    assert set(report) == {"name", "title", "columns", "rows"}
    return report


async def test_a_lopsided_day_through_every_queue_report(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with acd_centre(_config(tmp_path)) as cc:
        admin, day = await _run_day(cc)
        sales = {**day, "queue": "sales"}
        hourly = {**day, "interval": "hour"}

        waits = await _report(admin, "report.queueWaits", sales)
        assert waits["name"] == "queue-waits"
        assert waits["title"] == "Time calls waited in each queue"
        columns = ["waits", "answered", "abandoned", "avgWait", "medianWait", "p90Wait", "maxWait"]
        assert waits["columns"] == ["queue", *columns]
        # Waits 6, 8, 9, 11, 20, 31, 41, 70: 196 / 8 = 24.5; nearest-rank median and p90.
        assert waits["rows"] == [["sales", 8, 5, 3, 24.5, 11.0, 70.0, 70.0]]
        waits = await _report(admin, "report.queueWaits", hourly)
        assert waits["columns"] == ["interval", "queue", *columns]
        assert waits["rows"] == [
            [H8, "sales", 5, 3, 2, 14.8, 9.0, 31.0, 31.0],
            [H9, "sales", 3, 2, 1, 40.67, 41.0, 70.0, 70.0],
        ]
        support = await _report(admin, "report.queueWaits", {**day, "queue": "support"})
        assert support["rows"] == []

        level = await _report(admin, "report.serviceLevel", sales)
        assert level["name"] == "service-level"
        assert level["title"] == "Service level: calls answered within 20 s of those offered"
        columns = ["offered", "answeredWithin", "abandonedWithin", "serviceLevel"]
        assert level["columns"] == ["queue", *columns]
        # Exactly 20 s is within 20 s: answered 6, 20 and 11; abandoned 8 and 9.
        assert level["rows"] == [["sales", 8, 3, 2, 0.375]]
        level = await _report(admin, "report.serviceLevel", {**sales, "threshold": 19.5})
        assert level["title"] == "Service level: calls answered within 19.5 s of those offered"
        assert level["rows"] == [["sales", 8, 2, 2, 0.25]]
        level = await _report(admin, "report.serviceLevel", hourly)
        assert level["columns"] == ["interval", "queue", *columns]
        assert level["rows"] == [[H8, "sales", 5, 2, 2, 0.4], [H9, "sales", 3, 1, 0, 0.3333]]

        rate = await _report(admin, "report.answerRate", sales)
        assert rate["name"] == "answer-rate"
        assert rate["title"] == "Inbound calls offered, answered and abandoned"
        assert rate["columns"] == ["offered", "answered", "abandoned", "answerRate"]
        assert rate["rows"] == [[8, 5, 3, 0.625]]
        rate = await _report(admin, "report.answerRate", hourly)
        assert rate["columns"] == ["interval", "offered", "answered", "abandoned", "answerRate"]
        assert rate["rows"] == [[H8, 5, 3, 2, 0.6], [H9, 3, 2, 1, 0.6667]]

        gave_up = await _report(admin, "report.abandoned", sales)
        assert gave_up["name"] == "abandoned"
        assert gave_up["title"] == "Calls abandoned waiting for an agent, by how long they waited"
        assert gave_up["columns"] == ["waited", "calls", "share"]
        counts = {"0-10s": (2, 0.6667), "60-120s": (1, 0.3333)}
        assert gave_up["rows"] == [[b, *counts.get(b, (0, 0.0))] for b in BUCKETS]
        gave_up = await _report(admin, "report.abandoned", hourly)
        assert gave_up["columns"] == ["interval", "waited", "calls", "share"]
        assert gave_up["rows"] == [
            *([H8, b, 2 if b == "0-10s" else 0, 1.0 if b == "0-10s" else 0.0] for b in BUCKETS),
            *([H9, b, 1 if b == "60-120s" else 0, 1.0 if b == "60-120s" else 0.0] for b in BUCKETS),
        ]

        handle = await _report(admin, "report.handleTimes", hourly)
        assert handle["name"] == "handle-times"
        assert handle["title"] == (
            "Average handle, talk, hold, after-call work and wait time (answered calls)"
        )
        assert handle["columns"] == [
            "interval",
            "answered",
            "avgHandle",
            "avgTalk",
            "avgHold",
            "avgAcw",
            "avgWait",
        ]
        assert handle["rows"] == [
            [H8, 3, 63.67, 63.67, 0.0, 0.0, 19.0],
            [H9, 2, 30.0, 30.0, 0.0, 0.0, 26.0],
        ]


async def test_agents_and_trunks_by_queue_day_and_hour(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with acd_centre(_config(tmp_path)) as cc:
        admin, day = await _run_day(cc)
        columns = ["calls", "talkSeconds", "acwSeconds", "readySeconds", "notReadySeconds"]
        # 2001: ready one second after each of its five calls; not ready the rest of the
        # 4,055 s but for 251 s of talk and 5 s of ringing. 2002 (support): never a call.
        a2001 = ["2001", 5, 251.0, 0.0, 5.0, 3794.0]
        a2002 = ["2002", 0, 0.0, 0.0, 0.0, 4055.0]
        agents = await _report(admin, "report.agents", day)
        assert agents["name"] == "agents"
        assert agents["title"] == (
            "Per agent: calls answered, talk, after-call work, ready and not-ready time"
        )
        assert agents["columns"] == ["agent", *columns]
        assert agents["rows"] == [a2001, a2002]
        agents = await _report(admin, "report.agents", {**day, "queue": "sales"})
        assert agents["rows"] == [a2001]
        agents = await _report(admin, "report.agents", {**day, "queue": "support"})
        assert agents["rows"] == [a2002]
        agents = await _report(admin, "report.agents", {**day, "agent": "2002"})
        assert agents["rows"] == [a2002]
        agents = await _report(admin, "report.agents", {**day, "interval": "day"})
        assert agents["columns"] == ["interval", "agent", *columns]
        assert agents["rows"] == [["2027-01-15", *a2001], ["2027-01-15", *a2002]]
        agents = await _report(admin, "report.agents", {**day, "interval": "hour"})
        assert agents["rows"] == [
            [H8, "2001", 3, 191.0, 0.0, 3.0, 3403.0],
            [H8, "2002", 0, 0.0, 0.0, 0.0, 3600.0],
            [H9, "2001", 2, 60.0, 0.0, 2.0, 391.0],
            [H9, "2002", 0, 0.0, 0.0, 0.0, 455.0],
        ]

        trunks = await _report(admin, "report.trunkOccupancy", {**day, "interval": "day"})
        assert trunks["name"] == "trunk-occupancy"
        assert trunks["title"] == (
            "Trunk occupancy: share of the period each line was busy, peak simultaneous calls"
        )
        assert trunks["columns"] == [
            "interval",
            "trunk",
            "calls",
            "busySeconds",
            "occupancy",
            "peakSimultaneous",
        ]
        # Every call came in on T/1, one after the other: 447 s busy of the 17 hours
        # (61,200 s) of the first day; the second day is the hour to 08:00, empty.
        assert trunks["rows"] == [
            ["2027-01-15", "T/1", 8, 447.0, 0.0073, 1],
            ["2027-01-15", "all", 8, 447.0, 0.0073, 1],
            ["2027-01-16", "T/1", 0, 0.0, 0.0, 0],
            ["2027-01-16", "all", 0, 0.0, 0.0, 0],
        ]


async def test_the_kept_rows_of_the_day_are_what_a_real_run_gives(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """tests/fixtures/reports/real_day.json (see real_day.py) is this run's rows, exactly."""
    async with acd_centre(_config(tmp_path)) as cc:
        _, day = await _run_day(cc)
        records = service(cc)
        req = ReportRequest(
            start=dt.datetime.fromisoformat(day["from"]),
            end=dt.datetime.fromisoformat(day["to"]),
        )
        now = records.clock.datetime()
        tables: dict[str, Any] = {}
        for name, needs in NEEDS.items():
            part = load(records.engine, name, req, now)
            tables.update({table: getattr(part, table) for table in needs})
        data = ReportData(now=now, **tables)
        if os.environ.get("CTID_WRITE_REAL_DAY") == "1":
            real_day.write(data)
        assert real_day.to_json(data) == real_day.read_json()
