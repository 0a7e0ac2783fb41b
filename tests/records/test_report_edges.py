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

import pytest

from ctid.records.reports import REPORTS, ReportData, ReportRequest, run_report

DAY = dt.datetime(2027, 3, 2, tzinfo=dt.UTC)


def t(minutes: float) -> dt.datetime:
    return DAY + dt.timedelta(minutes=minutes)


def test_overlapping_legs_on_one_trunk_line_are_counted_once() -> None:
    legs = [
        # T/1: 0-10 and 5-20 overlap (busy 0-20), 30-40 apart: 30 minutes busy of 60.
        {"trunk": "T/1", "call_id": "a", "joined_at": t(0), "ended_at": t(10)},
        {"trunk": "T/1", "call_id": "b", "joined_at": t(5), "ended_at": t(20)},
        {"trunk": "T/1", "call_id": "c", "joined_at": t(30), "ended_at": t(40)},
        # T/2: one leg inside another (busy 10-50), then one touching its end (50-55).
        {"trunk": "T/2", "call_id": "d", "joined_at": t(10), "ended_at": t(50)},
        {"trunk": "T/2", "call_id": "e", "joined_at": t(15), "ended_at": t(25)},
        {"trunk": "T/2", "call_id": "f", "joined_at": t(50), "ended_at": t(55)},
        {"trunk": None, "call_id": "g", "joined_at": t(0), "ended_at": t(60)},
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
