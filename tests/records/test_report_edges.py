"""Report arithmetic that a real day on the simulator cannot produce, on hand-built rows.

The rule (docs/testing.md) is that report tests are built from real runs where one is
possible; tests/records/test_reports_from_real_calls.py does that. Two things here cannot
come from the simulator: two legs overlapping on one trunk line (a line carries one call
at a time there, but a switch that reuses a line before the old leg's end is recorded
does produce it), and IVR menus, which the simulator's call centre in those tests has
none of. Each row is lopsided so that a miscount shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ctid.records.reports import REPORTS, ReportData, ReportRequest, run_report

DAY = dt.datetime(2027, 3, 2, tzinfo=dt.UTC)


def t(minutes: float) -> dt.datetime:
    return DAY + dt.timedelta(minutes=minutes)


def test_overlapping_legs_on_one_trunk_line_are_counted_once() -> None:
    legs: list[dict[str, Any]] = [
        # A leg on no trunk line (first: it is skipped, not the end of the list).
        {"trunk": None, "call_id": "g", "joined_at": t(0), "ended_at": t(60)},
        # T/1: 0-10 and 5-20 overlap (busy 0-20), 30-40 apart: 30 minutes busy of 60.
        {"trunk": "T/1", "call_id": "a", "joined_at": t(0), "ended_at": t(10)},
        {"trunk": "T/1", "call_id": "b", "joined_at": t(5), "ended_at": t(20)},
        {"trunk": "T/1", "call_id": "c", "joined_at": t(30), "ended_at": t(40)},
        # T/2: one leg inside another (busy 10-50), then one touching its end (50-55).
        {"trunk": "T/2", "call_id": "d", "joined_at": t(10), "ended_at": t(50)},
        {"trunk": "T/2", "call_id": "e", "joined_at": t(15), "ended_at": t(25)},
        {"trunk": "T/2", "call_id": "f", "joined_at": t(50), "ended_at": t(55)},
    ]
    req = ReportRequest(start=t(0), end=t(60))
    report = run_report("trunk-occupancy", ReportData(legs=legs), req)
    assert report.name == "trunk-occupancy"
    assert report.columns == ("trunk", "calls", "busySeconds", "occupancy", "peakSimultaneous")
    assert report.interval_column is None
    assert report.rows == (
        ("T/1", 3, 1800.0, 0.5, 2),
        ("T/2", 3, 2700.0, 0.75, 2),
        ("all", 6, 4500.0, 0.625, 3),
    )


def test_overlaps_are_merged_inside_each_hour() -> None:
    legs = [
        {"trunk": "T/1", "call_id": "a", "joined_at": t(50), "ended_at": t(70)},
        {"trunk": "T/1", "call_id": "b", "joined_at": t(55), "ended_at": t(100)},
    ]
    req = ReportRequest(start=t(0), end=t(120), interval="hour")
    report = run_report("trunk-occupancy", ReportData(legs=legs), req)
    assert report.columns[0] == "interval"
    assert report.interval_column == "interval"
    assert report.rows == (
        ("2027-03-02 00:00", "T/1", 2, 600.0, round(600 / 3600, 4), 2),
        ("2027-03-02 00:00", "all", 2, 600.0, round(600 / 3600, 4), 2),
        ("2027-03-02 01:00", "T/1", 2, 2400.0, round(2400 / 3600, 4), 2),
        ("2027-03-02 01:00", "all", 2, 2400.0, round(2400 / 3600, 4), 2),
    )


def _visit(
    call_id: str, node: str, kind: str, minute: float, choice: str | None
) -> dict[str, object]:
    return {
        "call_id": call_id,
        "flow": "main",
        "node": node,
        "node_type": kind,
        "choice": choice,
        "at": t(minute),
    }


def test_ivr_choices_are_counted_each_time() -> None:
    visits = [
        _visit("a", "menu", "menu", 1, "1"),
        _visit("a", "menu", "menu", 2, "1"),  # the same caller presses 1 again
        _visit("b", "menu", "menu", 3, "1"),
        _visit("b", "menu", "menu", 4, "2"),
        _visit("c", "menu", "menu", 65, None),
        _visit("c", "hello", "play", 64, None),
    ]
    req = ReportRequest(start=t(0), end=t(120))
    report = run_report("ivr-nodes", ReportData(ivr_visits=visits), req)
    assert report.name == "ivr-nodes"
    assert report.title == "IVR node visits"
    assert report.columns == ("flow", "node", "nodeType", "visits", "calls", "choices")
    assert report.rows == (
        ("main", "hello", "play", 1, 1, ""),
        ("main", "menu", "menu", 5, 3, "1:3 2:1 none:1"),
    )
    hourly = run_report(
        "ivr-nodes",
        ReportData(ivr_visits=visits),
        ReportRequest(start=t(0), end=t(120), interval="hour"),
    )
    assert hourly.columns[0] == "interval"
    assert hourly.interval_column == "interval"
    assert hourly.rows == (
        ("2027-03-02 00:00", "main", "menu", "menu", 4, 2, "1:3 2:1"),
        ("2027-03-02 01:00", "main", "hello", "play", 1, 1, ""),
        ("2027-03-02 01:00", "main", "menu", "menu", 1, 1, "none:1"),
    )


def test_an_unknown_report_names_every_report() -> None:
    req = ReportRequest(start=t(0), end=t(60))
    with pytest.raises(ValueError, match=r"^no report") as info:
        run_report("no-such", ReportData(), req)
    assert str(info.value) == (
        "no report 'no-such' (reports: ivr-nodes, handle-times, trunk-occupancy, agents, "
        "abandoned, answer-rate, service-level, queue-waits)"
    )
    assert list(REPORTS) == [
        "ivr-nodes",
        "handle-times",
        "trunk-occupancy",
        "agents",
        "abandoned",
        "answer-rate",
        "service-level",
        "queue-waits",
    ]
    for name, compute in REPORTS.items():
        assert compute(ReportData(), req).name == name


def _s(seconds: float) -> dt.datetime:
    return DAY + dt.timedelta(seconds=seconds)


def test_fractions_of_a_second_are_kept_to_two_places() -> None:
    """Real switches stamp events in milliseconds; the simulator's mock clock, in whole
    seconds. Busy, talk, after-call, ready and not-ready times keep two decimals."""
    legs = [
        {"trunk": "T/1", "call_id": "a", "joined_at": _s(0.0), "ended_at": _s(10.126)},
        {"trunk": "T/2", "call_id": "b", "joined_at": _s(1.0), "ended_at": _s(3.333)},
    ]
    req = ReportRequest(start=_s(0), end=_s(100))
    trunks = run_report("trunk-occupancy", ReportData(legs=legs), req)
    assert trunks.rows == (
        ("T/1", 1, 10.13, 0.1013, 1),
        ("T/2", 1, 2.33, 0.0233, 1),
        ("all", 2, 12.46, 0.0623, 2),
    )
    call = {
        "call_id": "a",
        "state": "closed",
        "disposition": "answered",
        "queue": "sales",
        "agent_id": "2001",
        "started_at": _s(0.0),
        "talk_seconds": 7.4567,
    }
    states = [
        ("busy", 0.0, 7.4567),
        ("workingAfterCall", 7.4567, 12.5),
        ("ready", 12.5, 20.123),
        ("notReady", 20.123, 30.0),
    ]
    rows = [
        {
            "agent_id": "2001",
            "state": state,
            "queues": ["sales"],
            "started_at": _s(lo),
            "ended_at": _s(hi),
        }
        for state, lo, hi in states
    ]
    agents = run_report("agents", ReportData(calls=[call], agent_states=rows), req)
    # ACW 5.0433 s, ready 7.623 s, not ready 9.877 s.
    assert agents.rows == (("2001", 1, 7.46, 5.04, 7.62, 9.88),)


def test_a_leg_ending_on_the_hour_belongs_to_that_hour_only() -> None:
    legs = [
        {"trunk": "T/1", "call_id": "a", "joined_at": t(30), "ended_at": t(60)},
        {"trunk": "T/1", "call_id": "b", "joined_at": t(120), "ended_at": t(150)},
    ]
    req = ReportRequest(start=t(0), end=t(180), interval="hour")
    report = run_report("trunk-occupancy", ReportData(legs=legs), req)
    assert report.rows == (
        ("2027-03-02 00:00", "T/1", 1, 1800.0, 0.5, 1),
        ("2027-03-02 00:00", "all", 1, 1800.0, 0.5, 1),
        ("2027-03-02 01:00", "T/1", 0, 0.0, 0.0, 0),
        ("2027-03-02 01:00", "all", 0, 0.0, 0.0, 0),
        ("2027-03-02 02:00", "T/1", 1, 1800.0, 0.5, 1),
        ("2027-03-02 02:00", "all", 1, 1800.0, 0.5, 1),
    )


def _call(call_id: str, minute: float, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "call_id": call_id,
        "state": "closed",
        "direction": "inbound",
        "disposition": "answered",
        "queue": "sales",
        "agent_id": "2001",
        "started_at": t(minute),
        "ended_at": t(minute + 1),
        "answered_at": t(minute),
        "wait_seconds": 5.0,
        "talk_seconds": 30.0,
        "hold_seconds": 0.0,
        "acw_seconds": 0.0,
    }
    row.update(fields)
    return row


def test_a_call_answered_and_ended_at_once_has_no_talk() -> None:
    """The caller hangs up as the agent answers: talk 0, not "unknown"."""
    calls = [_call("a", 0, talk_seconds=0.0), _call("b", 5, talk_seconds=30.0)]
    req = ReportRequest(start=t(0), end=t(60))
    handle = run_report("handle-times", ReportData(calls=calls), req)
    assert handle.rows == ((2, 15.0, 15.0, 0.0, 0.0, 5.0),)
    agents = run_report("agents", ReportData(calls=calls), req)
    assert agents.rows == (("2001", 2, 30.0, 0.0, 0.0, 0.0),)


def test_answered_calls_that_never_queued_have_no_average_wait() -> None:
    calls = [_call("a", 0, queue=None, wait_seconds=None, agent_id=None)]
    req = ReportRequest(start=t(0), end=t(60))
    handle = run_report("handle-times", ReportData(calls=calls), req)
    assert handle.rows == ((1, 30.0, 30.0, 0.0, 0.0, None),)


def test_calls_outside_any_queue_are_skipped_wherever_they_come() -> None:
    calls = [
        _call("direct", 0, queue=None, wait_seconds=None),
        _call("q1", 1, wait_seconds=25.0),
        _call("q2", 2, disposition="abandonedInQueue", agent_id=None, wait_seconds=3.0),
    ]
    req = ReportRequest(start=t(0), end=t(60))
    level = run_report("service-level", ReportData(calls=calls), req)
    assert level.rows == (("sales", 2, 0, 1, 0.0),)


def test_the_queue_filter_of_queue_waits_skips_other_queues_wherever_they_come() -> None:
    waits = [
        {"queue": "support", "seconds": 4.0, "outcome": "answered", "at": t(0)},
        {"queue": "sales", "seconds": 10.0, "outcome": "abandoned", "at": t(1)},
        {"queue": "support", "seconds": 8.0, "outcome": "answered", "at": t(2)},
        {"queue": "sales", "seconds": 30.0, "outcome": "answered", "at": t(3)},
    ]
    req = ReportRequest(start=t(0), end=t(60), queue="sales")
    report = run_report("queue-waits", ReportData(queue_waits=waits), req)
    assert report.rows == (("sales", 2, 1, 1, 20.0, 10.0, 30.0, 30.0),)


def test_days_begin_at_midnight_to_the_microsecond() -> None:
    """A call across midnight (no day of the simulator crosses one), a report starting
    at 23:59:30.5: the first day is its last 29.5 s, the second starts at 00:00:00.0."""
    legs = [
        {"trunk": "T/1", "call_id": "a", "joined_at": _s(-60), "ended_at": _s(60)},
        # Exactly at midnight: the second day's alone.
        {"trunk": "T/2", "call_id": "b", "joined_at": _s(0), "ended_at": _s(30)},
    ]
    req = ReportRequest(start=_s(-29.5), end=_s(120), interval="day")
    report = run_report("trunk-occupancy", ReportData(legs=legs), req)
    assert report.rows == (
        ("2027-03-01", "T/1", 1, 29.5, 1.0, 1),
        ("2027-03-01", "T/2", 0, 0.0, 0.0, 0),
        ("2027-03-01", "all", 1, 29.5, 0.5, 1),
        ("2027-03-02", "T/1", 1, 60.0, 0.5, 1),
        ("2027-03-02", "T/2", 1, 30.0, 0.25, 1),
        ("2027-03-02", "all", 2, 90.0, 0.375, 2),
    )


def test_transferred_and_conferenced_calls_count_as_answered() -> None:
    """The real day has no transfer or conference; their dispositions are answers."""
    calls = [
        _call("a", 0, disposition="transferred", talk_seconds=20.0),
        _call("b", 1, disposition="conferenced", talk_seconds=40.0),
        _call("c", 2, disposition="abandonedInQueue", agent_id=None, talk_seconds=0.0),
    ]
    req = ReportRequest(start=t(0), end=t(60))
    rate = run_report("answer-rate", ReportData(calls=calls), req)
    assert rate.rows == ((3, 2, 1, 0.6667),)
    handle = run_report("handle-times", ReportData(calls=calls), req)
    assert handle.rows == ((2, 30.0, 30.0, 0.0, 0.0, 5.0),)
    level = run_report("service-level", ReportData(calls=calls), req)
    assert level.rows == (("sales", 3, 2, 1, 0.6667),)
