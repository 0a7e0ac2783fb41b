"""The rows of the lopsided day of ``test_reports_from_real_calls.py``, kept as a file.

That day is a real run (calls through the simulator, the ACD and the records writer) and
takes seconds; the report arithmetic is pure and takes microseconds. So the rows the
report queries read after that run are kept in ``tests/fixtures/reports/real_day.json``,
and ``test_reports_real_day.py`` runs every report over them: fast enough for mutation
testing, and still data no one wrote by hand. ``test_reports_from_real_calls.py`` checks
on every run that a real run still gives exactly these rows; after a deliberate change to
what the records hold, rewrite the file with ``CTID_WRITE_REAL_DAY=1`` and that test.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ctid.records.reports import ReportData

FILE = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "real_day.json"

#: The row members that hold times (written as ISO 8601 text).
TIMES = frozenset(
    {
        "started_at",
        "ended_at",
        "answered_at",
        "ivr_entered_at",
        "ivr_left_at",
        "queue_entered_at",
        "queue_left_at",
        "joined_at",
        "at",
    }
)
TABLES = ("calls", "legs", "agent_states", "queue_waits", "ivr_visits")


def _out(row: Any) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}


def _in(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: dt.datetime.fromisoformat(v) if k in TIMES and v is not None else v
        for k, v in row.items()
    }


def to_json(data: ReportData) -> dict[str, Any]:
    """``data`` as JSON values (what the file holds)."""
    assert data.now is not None
    out: dict[str, Any] = {"now": data.now.isoformat()}
    for table in TABLES:
        out[table] = [_out(row) for row in getattr(data, table)]
    return out


def write(data: ReportData) -> None:
    FILE.write_text(json.dumps(to_json(data), indent=1, sort_keys=True) + "\n")


def read_json() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FILE.read_text())
    return loaded


def read() -> ReportData:
    """The rows of the real day, as ``report_queries.load`` returned them."""
    raw = read_json()
    tables = {table: tuple(_in(row) for row in raw[table]) for table in TABLES}
    return ReportData(now=dt.datetime.fromisoformat(raw["now"]), **tables)
