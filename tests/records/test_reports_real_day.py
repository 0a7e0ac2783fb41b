"""Every report over the rows of a real, lopsided day (``real_day.py``), in microseconds.

The rows are those the report queries read after the day of
``test_reports_from_real_calls.py`` (calls through the simulator, the ACD and the records
writer; that test checks on every run that a real run still gives them). This file asks
the pure report functions what that test asks through the API, and more (every filter,
interval, time zone and threshold edge), fast enough to run once per mutant
(``make mutation MODULE=ctid/records/reports.py``, docs/testing.md).

The day, queue ``sales`` (agent 2001; 2002 works only for ``support`` and never gets a
call), every call on trunk line T/1, one after the other:

=========  ========  ====  ==========  ====
caller     start     wait  outcome     talk
=========  ========  ====  ==========  ====
+15550001  08:00:00  6     answered    60
+15550002  08:01:07  8     abandoned
+15550003  08:01:16  20    answered    30
+15550004  08:02:07  9     abandoned
+15550005  08:02:17  31    answered    101
+15550006  09:04:30  11    answered    45
+15550007  09:05:27  70    abandoned
+15550008  09:06:38  41    answered    15
=========  ========  ====  ==========  ====

The reports run from 07:00 on 2027-01-15 to 08:00 the next day (UTC); "now" is 09:07:35.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from ctid.records.reports import REPORTS, Report, ReportData, ReportRequest, run_report

from . import real_day

DATA = real_day.read()
START = dt.datetime(2027, 1, 15, 7, tzinfo=dt.UTC)
END = dt.datetime(2027, 1, 16, 8, tzinfo=dt.UTC)
H8, H9 = "2027-01-15 08:00", "2027-01-15 09:00"
DAY1, DAY2 = "2027-01-15", "2027-01-16"
BUCKETS = ("0-10s", "10-20s", "20-30s", "30-60s", "60-120s", "120s+")

TITLES = {
    "ivr-nodes": "IVR node visits",
    "handle-times": "Average handle, talk, hold, after-call work and wait time (answered calls)",
    "trunk-occupancy": (
        "Trunk occupancy: share of the period each line was busy, peak simultaneous calls"
    ),
    "agents": "Per agent: calls answered, talk, after-call work, ready and not-ready time",
    "abandoned": "Calls abandoned waiting for an agent, by how long they waited",
    "answer-rate": "Inbound calls offered, answered and abandoned",
    "service-level": "Service level: calls answered within 20 s of those offered",
    "queue-waits": "Time calls waited in each queue",
}
COLUMNS = {
    "ivr-nodes": ("flow", "node", "nodeType", "visits", "calls", "choices"),
    "handle-times": ("answered", "avgHandle", "avgTalk", "avgHold", "avgAcw", "avgWait"),
    "trunk-occupancy": ("trunk", "calls", "busySeconds", "occupancy", "peakSimultaneous"),
    "agents": (
        "agent",
        "calls",
        "talkSeconds",
        "acwSeconds",
        "readySeconds",
        "notReadySeconds",
    ),
    "abandoned": ("waited", "calls", "share"),
    "answer-rate": ("offered", "answered", "abandoned", "answerRate"),
    "service-level": ("queue", "offered", "answeredWithin", "abandonedWithin", "serviceLevel"),
    "queue-waits": (
        "queue",
        "waits",
        "answered",
        "abandoned",
        "avgWait",
        "medianWait",
        "p90Wait",
        "maxWait",
    ),
}


def as_loaded(start: dt.datetime, end: dt.datetime) -> ReportData:
    """The rows ``report_queries.load`` reads for a shorter period (its WHERE clauses)."""

    def within(moment: dt.datetime) -> bool:
        return start <= moment < end

    return attrs.evolve(
        DATA,
        calls=tuple(c for c in DATA.calls if within(c["started_at"])),
        legs=tuple(g for g in DATA.legs if g["joined_at"] < end and g["ended_at"] > start),
        agent_states=tuple(
            a
            for a in DATA.agent_states
            if a["started_at"] < end and (a["ended_at"] is None or a["ended_at"] > start)
        ),
        queue_waits=tuple(w for w in DATA.queue_waits if within(w["at"])),
        ivr_visits=tuple(v for v in DATA.ivr_visits if within(v["at"])),
    )


def report(name: str, **request: Any) -> Report:
    req = ReportRequest(start=request.pop("start", START), end=request.pop("end", END), **request)
    data = DATA if (req.start, req.end) == (START, END) else as_loaded(req.start, req.end)
    out = run_report(name, data, req)
    # The frame of every report: name, title, columns, where the interval is.
    assert out.name == name
    if "threshold" not in request:
        assert out.title == TITLES[name]
    interval = ("interval",) if req.interval else ()
    assert out.columns == (*interval, *COLUMNS[name])
    assert out.interval_column == ("interval" if req.interval else None)
    assert out.to_json() == {
        "name": name,
        "title": out.title,
        "columns": list(out.columns),
        "rows": [list(row) for row in out.rows],
    }
    return out


def test_the_kept_rows_are_the_day() -> None:
    assert len(DATA.calls) == 8 and len(DATA.legs) == 8 and len(DATA.queue_waits) == 8
    assert DATA.ivr_visits == ()
    assert DATA.now == dt.datetime(2027, 1, 15, 9, 7, 35, tzinfo=dt.UTC)
    assert [c["wait_seconds"] for c in DATA.calls] == [6, 8, 20, 9, 31, 11, 70, 41]


def test_every_report_is_named() -> None:
    assert list(REPORTS) == list(TITLES)
    with pytest.raises(ValueError, match="no report") as info:
        run_report("nope", DATA, ReportRequest(start=START, end=END))
    assert str(info.value) == (
        "no report 'nope' (reports: ivr-nodes, handle-times, trunk-occupancy, agents, "
        "abandoned, answer-rate, service-level, queue-waits)"
    )


def test_queue_waits() -> None:
    # 196 s / 8 = 24.5; nearest-rank median (4th of 8: 11) and p90 (8th of 8).
    whole = ("sales", 8, 5, 3, 24.5, 11.0, 70.0, 70.0)
    assert report("queue-waits").rows == (whole,)
    assert report("queue-waits", queue="sales").rows == (whole,)
    assert report("queue-waits", queue="support").rows == ()
    assert report("queue-waits", interval="hour").rows == (
        (H8, "sales", 5, 3, 2, 14.8, 9.0, 31.0, 31.0),
        (H9, "sales", 3, 2, 1, 40.67, 41.0, 70.0, 70.0),
    )
    assert report("queue-waits", interval="day").rows == ((DAY1, *whole),)
    # 08:00 UTC is 03:00 in New York.
    ny = report("queue-waits", interval="hour", timezone="America/New_York").rows
    assert [row[0] for row in ny] == ["2027-01-15 03:00", "2027-01-15 04:00"]


def test_service_level_and_its_threshold() -> None:
    # Exactly 20 s is within 20 s: answered 6, 20 and 11; abandoned 8 and 9.
    assert report("service-level").rows == (("sales", 8, 3, 2, 0.375),)
    assert report("service-level", queue="support").rows == ()
    assert report("service-level", interval="hour").rows == (
        (H8, "sales", 5, 2, 2, 0.4),
        (H9, "sales", 3, 1, 0, 0.3333),
    )
    cases = {
        19.5: ("sales", 8, 2, 2, 0.25),
        8.0: ("sales", 8, 1, 1, 0.125),  # the 8 s abandon, exactly at the threshold
        6.0: ("sales", 8, 1, 0, 0.125),  # the 6 s answer, exactly at the threshold
        5.9: ("sales", 8, 0, 0, 0.0),
    }
    for threshold, row in cases.items():
        level = report("service-level", threshold=threshold)
        assert level.title == (
            f"Service level: calls answered within {threshold:g} s of those offered"
        )
        assert level.rows == (row,)


def test_answer_rate() -> None:
    assert report("answer-rate").rows == ((8, 5, 3, 0.625),)
    assert report("answer-rate", queue="sales").rows == ((8, 5, 3, 0.625),)
    assert report("answer-rate", queue="support").rows == ()
    assert report("answer-rate", agent="2001").rows == ((5, 5, 0, 1.0),)
    assert report("answer-rate", interval="hour").rows == (
        (H8, 5, 3, 2, 0.6),
        (H9, 3, 2, 1, 0.6667),
    )


def test_abandoned() -> None:
    # Two of the three in one bucket: each abandon counts.
    counts = {"0-10s": (2, 0.6667), "60-120s": (1, 0.3333)}
    whole = tuple((b, *counts.get(b, (0, 0.0))) for b in BUCKETS)
    assert report("abandoned").rows == whole
    assert report("abandoned", queue="sales").rows == whole
    assert report("abandoned", queue="support").rows == ()
    assert report("abandoned", interval="day").rows == tuple((DAY1, *row) for row in whole)
    assert report("abandoned", interval="hour").rows == (
        *((H8, b, 2 * int(b == "0-10s"), float(b == "0-10s")) for b in BUCKETS),
        *((H9, b, int(b == "60-120s"), float(b == "60-120s")) for b in BUCKETS),
    )


def test_handle_times() -> None:
    # Talk 60, 30, 101, 45, 15; waits 6, 20, 31, 11, 41; no hold, no ACW configured.
    assert report("handle-times").rows == ((5, 50.2, 50.2, 0.0, 0.0, 21.8),)
    assert report("handle-times", agent="2001").rows == ((5, 50.2, 50.2, 0.0, 0.0, 21.8),)
    assert report("handle-times", agent="2002").rows == ()
    assert report("handle-times", interval="hour").rows == (
        (H8, 3, 63.67, 63.67, 0.0, 0.0, 19.0),
        (H9, 2, 30.0, 30.0, 0.0, 0.0, 26.0),
    )


A2001 = ("2001", 5, 251.0, 0.0, 5.0, 3794.0)
A2002 = ("2002", 0, 0.0, 0.0, 0.0, 4055.0)


def test_agents_by_queue_agent_day_and_hour() -> None:
    # 2001: ready one second after each of its five calls; not ready the rest of the
    # 4,055 s (08:00 to "now") but for 251 s of talk and 5 s of ringing.
    assert report("agents").rows == (A2001, A2002)
    assert report("agents", queue="sales").rows == (A2001,)
    assert report("agents", queue="support").rows == (A2002,)
    assert report("agents", queue="billing").rows == ()
    assert report("agents", agent="2002").rows == (A2002,)
    assert report("agents", agent="2001", queue="support").rows == ()
    assert report("agents", interval="day").rows == ((DAY1, *A2001), (DAY1, *A2002))
    hourly = (
        (H8, "2001", 3, 191.0, 0.0, 3.0, 3403.0),
        (H8, "2002", 0, 0.0, 0.0, 0.0, 3600.0),
        (H9, "2001", 2, 60.0, 0.0, 2.0, 391.0),
        (H9, "2002", 0, 0.0, 0.0, 0.0, 455.0),
    )
    assert report("agents", interval="hour").rows == hourly
    assert report("agents", interval="hour", queue="sales").rows == (hourly[0], hourly[2])


def test_agents_count_open_states_to_now_or_the_end() -> None:
    # The report ends before "now": open states count to the end of the report.
    end = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)
    assert report("agents", end=end).rows == (
        ("2001", 3, 191.0, 0.0, 3.0, 3403.0),
        ("2002", 0, 0.0, 0.0, 0.0, 3600.0),
    )
    # From 09:05 (data as loaded for that period): one call started since (09:06:38, 15 s
    # of talk); 2001 busy to 09:05:26, ready 1 s, not ready 111 s, reserved 1 s, busy 15 s,
    # ready 1 s, not ready from 09:07:35 ("now"): 155 s in all.
    start = dt.datetime(2027, 1, 15, 9, 5, tzinfo=dt.UTC)
    assert report("agents", start=start).rows == (
        ("2001", 1, 15.0, 0.0, 2.0, 111.0),
        ("2002", 0, 0.0, 0.0, 0.0, 155.0),
    )


def test_trunk_occupancy_by_day_and_hour() -> None:
    # T/1 busy 447 s of the 25 hours (90,000 s); one call at a time.
    assert report("trunk-occupancy").rows == (
        ("T/1", 8, 447.0, 0.005, 1),
        ("all", 8, 447.0, 0.005, 1),
    )
    # The first day is 17 hours (61,200 s) of the report; the second the hour to 08:00.
    assert report("trunk-occupancy", interval="day").rows == (
        (DAY1, "T/1", 8, 447.0, 0.0073, 1),
        (DAY1, "all", 8, 447.0, 0.0073, 1),
        (DAY2, "T/1", 0, 0.0, 0.0, 0),
        (DAY2, "all", 0, 0.0, 0.0, 0),
    )
    hourly = report("trunk-occupancy", interval="hour").rows
    assert len(hourly) == 2 * 25
    busy = {
        H8: ("T/1", 5, 265.0, 0.0736, 1),  # 66 + 8 + 50 + 9 + 132 s
        H9: ("T/1", 3, 182.0, 0.0506, 1),  # 56 + 70 + 56 s
    }
    hours = [(START + dt.timedelta(hours=h)).strftime("%Y-%m-%d %H:00") for h in range(25)]
    expected = []
    for hour in hours:
        line = busy.get(hour, ("T/1", 0, 0.0, 0.0, 0))
        expected += [(hour, *line), (hour, "all", *line[1:])]
    assert hourly == tuple(expected)


def test_a_report_cut_inside_a_call_counts_only_its_part() -> None:
    # 08:01:00 to 08:02:00: the end of the first call (6 s), the second (8 s), the
    # start of the third (44 s): 58 s busy, three calls, never two at once.
    start = dt.datetime(2027, 1, 15, 8, 1, tzinfo=dt.UTC)
    end = dt.datetime(2027, 1, 15, 8, 2, tzinfo=dt.UTC)
    assert report("trunk-occupancy", start=start, end=end).rows == (
        ("T/1", 3, 58.0, 0.9667, 1),
        ("all", 3, 58.0, 0.9667, 1),
    )


def test_ivr_nodes_of_a_day_without_ivr() -> None:
    assert report("ivr-nodes").rows == ()
    assert report("ivr-nodes", interval="day").rows == ()


# A start off the hour, the minute, the second: intervals still begin on the hour / at
# midnight in the report's zone, and the first one is cut at the start.
ODD_START = dt.datetime(2027, 1, 15, 7, 59, 30, 500_000, tzinfo=dt.UTC)


def test_hours_start_on_the_hour_when_the_report_does_not() -> None:
    hourly = report("trunk-occupancy", start=ODD_START, interval="hour").rows
    assert hourly[:6] == (
        ("2027-01-15 07:00", "T/1", 0, 0.0, 0.0, 0),
        ("2027-01-15 07:00", "all", 0, 0.0, 0.0, 0),
        (H8, "T/1", 5, 265.0, 0.0736, 1),
        (H8, "all", 5, 265.0, 0.0736, 1),
        (H9, "T/1", 3, 182.0, 0.0506, 1),
        (H9, "all", 3, 182.0, 0.0506, 1),
    )
    assert len(hourly) == 2 * 25
    agents = report("agents", start=ODD_START, interval="hour").rows
    assert agents == (
        (H8, "2001", 3, 191.0, 0.0, 3.0, 3403.0),
        (H8, "2002", 0, 0.0, 0.0, 0.0, 3600.0),
        (H9, "2001", 2, 60.0, 0.0, 2.0, 391.0),
        (H9, "2002", 0, 0.0, 0.0, 0.0, 455.0),
    )


def test_days_start_at_midnight_in_the_report_zone() -> None:
    # The first day runs from the start to midnight: 57,629.5 s.
    daily = report("trunk-occupancy", start=ODD_START, interval="day").rows
    assert daily == (
        (DAY1, "T/1", 8, 447.0, 0.0078, 1),
        (DAY1, "all", 8, 447.0, 0.0078, 1),
        (DAY2, "T/1", 0, 0.0, 0.0, 0),
        (DAY2, "all", 0, 0.0, 0.0, 0),
    )
    # In New York the report (02:00 to 03:00 the next day, local) is 22 + 3 hours.
    ny = report("trunk-occupancy", interval="day", timezone="America/New_York").rows
    assert ny == (
        (DAY1, "T/1", 8, 447.0, 0.0056, 1),  # 447 / 79,200
        (DAY1, "all", 8, 447.0, 0.0056, 1),
        (DAY2, "T/1", 0, 0.0, 0.0, 0),
        (DAY2, "all", 0, 0.0, 0.0, 0),
    )
    ny_agents = report("agents", interval="day", timezone="America/New_York").rows
    assert ny_agents == ((DAY1, *A2001), (DAY1, *A2002))
    ny_hours = report("trunk-occupancy", interval="hour", timezone="America/New_York").rows
    assert ny_hours[:2] == (
        ("2027-01-15 02:00", "T/1", 0, 0.0, 0.0, 0),
        ("2027-01-15 02:00", "all", 0, 0.0, 0.0, 0),
    )
    assert ny_hours[2:4] == (
        ("2027-01-15 03:00", "T/1", 5, 265.0, 0.0736, 1),
        ("2027-01-15 03:00", "all", 5, 265.0, 0.0736, 1),
    )


def test_one_wait_is_its_own_median_and_p90() -> None:
    # 09:07:00 to 09:08: only the last wait (41 s, written when it ended at 09:07:19).
    start = dt.datetime(2027, 1, 15, 9, 7, tzinfo=dt.UTC)
    end = dt.datetime(2027, 1, 15, 9, 8, tzinfo=dt.UTC)
    assert report("queue-waits", start=start, end=end).rows == (
        ("sales", 1, 1, 0, 41.0, 41.0, 41.0, 41.0),
    )


def test_an_agent_only_busy_in_the_period_has_no_ready_or_not_ready_time() -> None:
    # 09:05:00 to 09:05:20: 2001 talks to +15550006 throughout; 2002 is not ready.
    start = dt.datetime(2027, 1, 15, 9, 5, tzinfo=dt.UTC)
    end = dt.datetime(2027, 1, 15, 9, 5, 20, tzinfo=dt.UTC)
    assert report("agents", start=start, end=end).rows == (
        ("2001", 0, 0.0, 0.0, 0.0, 0.0),
        ("2002", 0, 0.0, 0.0, 0.0, 20.0),
    )
