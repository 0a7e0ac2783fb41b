"""Reports computed from the records. Pure: rows in (``ReportData``), a table out (``Report``).

``report_queries.load`` reads what a report needs from the database; the
functions here do the arithmetic, so they are tested against hand-computed
numbers. Every report covers ``[start, end)`` and, with ``interval``, is
broken down by hour or day in the report's time zone. The definitions are in
docs/records.md; in short:

* answered: disposition ``answered``, ``transferred`` or ``conferenced``;
  abandoned: a disposition ``abandoned...``;
* handle time = talk + hold + ACW of an answered call; wait time = time in
  queue (``wait_seconds``); average wait counts answered queued calls (ASA);
* service level = calls answered within the threshold / calls offered to the
  queue (every queued call, abandoned or not);
* trunk occupancy = the share of the period each line carried a call, with
  the peak number of calls on all lines at once.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

__all__ = [
    "ABANDON_BUCKETS",
    "REPORTS",
    "Report",
    "ReportData",
    "ReportRequest",
    "run_report",
]

Row = Mapping[str, Any]
Interval = Literal["hour", "day"] | None

ANSWERED: Final = frozenset({"answered", "transferred", "conferenced"})
#: Upper bounds (seconds, exclusive) of the abandoned-call wait buckets; the last is open.
ABANDON_BUCKETS: Final = (10, 20, 30, 60, 120)


@attrs.frozen(kw_only=True)
class ReportRequest:
    start: dt.datetime
    end: dt.datetime
    queue: str | None = None
    agent: str | None = None
    interval: Interval = None
    timezone: str = "UTC"
    #: Service level threshold, seconds.
    threshold: float = 20.0


@attrs.frozen(kw_only=True)
class ReportData:
    """What the reports read, as plain rows (column name -> value)."""

    calls: Sequence[Row] = ()
    legs: Sequence[Row] = ()
    agent_states: Sequence[Row] = ()
    queue_waits: Sequence[Row] = ()
    ivr_visits: Sequence[Row] = ()
    #: "Now", for agent states still open.
    now: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class Report:
    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    #: The column that holds the interval (for plots), if broken down by time.
    interval_column: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "columns": list(self.columns),
            "rows": [list(row) for row in self.rows],
        }


# ------------------------------------------------------------------- helpers


def _label(moment: dt.datetime, interval: Interval, tz: str) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(tz))
    if interval == "hour":
        return local.strftime("%Y-%m-%d %H:00")
    return local.strftime("%Y-%m-%d")


def _key(moment: dt.datetime, req: ReportRequest) -> tuple[str, ...]:
    return (_label(moment, req.interval, req.timezone),) if req.interval else ()


def _interval_columns(req: ReportRequest) -> tuple[str, ...]:
    return ("interval",) if req.interval else ()


def _avg(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _in_scope(call: Row, req: ReportRequest) -> bool:
    if req.queue is not None and call["queue"] != req.queue:
        return False
    return req.agent is None or call["agent_id"] == req.agent


def _closed_calls(data: ReportData, req: ReportRequest) -> list[Row]:
    return [
        c
        for c in data.calls
        if c["state"] == "closed" and c["disposition"] != "interrupted" and _in_scope(c, req)
    ]


def _slices(req: ReportRequest) -> list[tuple[str | None, dt.datetime, dt.datetime]]:
    """The report period cut into its intervals (one slice without interval)."""
    if not req.interval:
        return [(None, req.start, req.end)]
    tz = zoneinfo.ZoneInfo(req.timezone)
    local = req.start.astimezone(tz)
    if req.interval == "hour":
        cursor = local.replace(minute=0, second=0, microsecond=0)
        step = dt.timedelta(hours=1)
    else:
        cursor = local.replace(hour=0, minute=0, second=0, microsecond=0)
        step = dt.timedelta(days=1)
    out: list[tuple[str | None, dt.datetime, dt.datetime]] = []
    while cursor < req.end:
        # Wall-clock steps in the zone (a day is 23 or 25 hours at DST changes).
        following = (cursor.replace(tzinfo=None) + step).replace(tzinfo=tz)
        lo = max(cursor.astimezone(dt.UTC), req.start)
        hi = min(following.astimezone(dt.UTC), req.end)
        if hi > lo:
            out.append((_label(cursor, req.interval, req.timezone), lo, hi))
        cursor = following
    return out


# ------------------------------------------------------------------- reports


def ivr_nodes(data: ReportData, req: ReportRequest) -> Report:
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    calls: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    choices: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for visit in data.ivr_visits:
        key = (*_key(visit["at"], req), visit["flow"], visit["node"], visit["node_type"])
        counts[key] += 1
        calls[key].add(visit["call_id"])
        if visit["node_type"] == "menu":
            choices[key][visit["choice"] or "none"] += 1
    rows = []
    for key in sorted(counts):
        spread = " ".join(f"{k}:{v}" for k, v in sorted(choices[key].items()))
        rows.append((*key, counts[key], len(calls[key]), spread))
    return Report(
        name="ivr-nodes",
        title="IVR node visits",
        columns=(*_interval_columns(req), "flow", "node", "nodeType", "visits", "calls", "choices"),
        rows=tuple(rows),
        interval_column="interval" if req.interval else None,
    )


def handle_times(data: ReportData, req: ReportRequest) -> Report:
    groups: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for call in _closed_calls(data, req):
        if call["disposition"] in ANSWERED and call["answered_at"] is not None:
            groups[_key(call["started_at"], req)].append(call)
    rows = []
    for key in sorted(groups):
        answered = groups[key]
        talk = [c["talk_seconds"] or 0.0 for c in answered]
        hold = [c["hold_seconds"] or 0.0 for c in answered]
        acw = [c["acw_seconds"] or 0.0 for c in answered]
        handle = [t + h + a for t, h, a in zip(talk, hold, acw, strict=True)]
        waits = [c["wait_seconds"] for c in answered if c["wait_seconds"] is not None]
        rows.append(
            (
                *key,
                len(answered),
                _avg(handle),
                _avg(talk),
                _avg(hold),
                _avg(acw),
                _avg(waits),
            )
        )
    return Report(
        name="handle-times",
        title="Average handle, talk, hold, after-call work and wait time (answered calls)",
        columns=(
            *_interval_columns(req),
            "answered",
            "avgHandle",
            "avgTalk",
            "avgHold",
            "avgAcw",
            "avgWait",
        ),
        rows=tuple(rows),
        interval_column="interval" if req.interval else None,
    )


def _union_seconds(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> float:
    total = 0.0
    current: tuple[dt.datetime, dt.datetime] | None = None
    for lo, hi in sorted(spans):
        if current is None or lo > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (lo, hi)
        else:
            current = (current[0], max(current[1], hi))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


def _peak(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> int:
    edges = []
    for lo, hi in spans:
        if hi > lo:
            edges.append((lo, 1))
            edges.append((hi, -1))
    peak = level = 0
    # Ends sort before starts at the same instant: back-to-back calls do not overlap.
    for _, change in sorted(edges):
        level += change
        peak = max(peak, level)
    return peak


def trunk_occupancy(data: ReportData, req: ReportRequest) -> Report:
    by_line: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    calls_on: dict[str, set[str]] = defaultdict(set)
    for leg in data.legs:
        if leg["trunk"] is None:
            continue
        by_line[leg["trunk"]].append((leg["joined_at"], leg["ended_at"]))
        calls_on[leg["trunk"]].add(leg["call_id"])
    rows = []
    for label, lo, hi in _slices(req):
        period = (hi - lo).total_seconds()
        prefix = (label,) if label is not None else ()
        every: list[tuple[dt.datetime, dt.datetime]] = []
        total_busy = 0.0
        total_calls = 0
        for line in sorted(by_line):
            spans = [(max(a, lo), min(b, hi)) for a, b in by_line[line] if b > lo and a < hi]
            busy = _union_seconds(spans)
            count = sum(1 for a, b in by_line[line] if b > lo and a < hi)
            every.extend(spans)
            total_busy += busy
            total_calls += count
            rows.append((*prefix, line, count, round(busy, 2), _ratio(busy, period), _peak(spans)))
        lines = len(by_line)
        rows.append(
            (
                *prefix,
                "all",
                total_calls,
                round(total_busy, 2),
                _ratio(total_busy, period * lines),
                _peak(every),
            )
        )
    return Report(
        name="trunk-occupancy",
        title="Trunk occupancy: share of the period each line was busy, peak simultaneous calls",
        columns=(
            *_interval_columns(req),
            "trunk",
            "calls",
            "busySeconds",
            "occupancy",
            "peakSimultaneous",
        ),
        rows=tuple(rows),
        interval_column="interval" if req.interval else None,
    )


def agents(data: ReportData, req: ReportRequest) -> Report:
    now = data.now or req.end
    names: set[str] = set()
    calls: dict[tuple[Any, ...], int] = defaultdict(int)
    talk: dict[tuple[Any, ...], float] = defaultdict(float)
    for call in _closed_calls(data, req):
        if call["agent_id"] is None or call["disposition"] not in ANSWERED:
            continue
        key = (*_key(call["started_at"], req), call["agent_id"])
        names.add(call["agent_id"])
        calls[key] += 1
        talk[key] += call["talk_seconds"] or 0.0
    time_in: dict[tuple[Any, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for state in data.agent_states:
        if req.agent is not None and state["agent_id"] != req.agent:
            continue
        if req.queue is not None and req.queue not in (state["queues"] or ()):
            continue
        end = state["ended_at"] or min(now, req.end)
        names.add(state["agent_id"])
        for label, lo, hi in _slices(req):
            seconds = max(0.0, (min(end, hi) - max(state["started_at"], lo)).total_seconds())
            if seconds:
                key = ((label,) if label else ()) + (state["agent_id"],)
                time_in[key][state["state"]] += seconds
    keys = sorted(set(calls) | set(time_in))
    rows = []
    for key in keys:
        spent = time_in.get(key, {})
        rows.append(
            (
                *key,
                calls.get(key, 0),
                round(talk.get(key, 0.0), 2),
                round(spent.get("workingAfterCall", 0.0), 2),
                round(spent.get("ready", 0.0), 2),
                round(spent.get("notReady", 0.0), 2),
            )
        )
    return Report(
        name="agents",
        title="Per agent: calls answered, talk, after-call work, ready and not-ready time",
        columns=(
            *_interval_columns(req),
            "agent",
            "calls",
            "talkSeconds",
            "acwSeconds",
            "readySeconds",
            "notReadySeconds",
        ),
        rows=tuple(rows),
        interval_column="interval" if req.interval else None,
    )


def _bucket(seconds: float) -> str:
    lower = 0
    for upper in ABANDON_BUCKETS:
        if seconds < upper:
            return f"{lower}-{upper}s"
        lower = upper
    return f"{lower}s+"


def _wait(call: Row) -> float:
    if call["wait_seconds"] is not None:
        return float(call["wait_seconds"])
    span: dt.timedelta = call["ended_at"] - call["started_at"]
    return span.total_seconds()


def abandoned(data: ReportData, req: ReportRequest) -> Report:
    buckets = [_bucket(b - 1) for b in ABANDON_BUCKETS] + [_bucket(ABANDON_BUCKETS[-1])]
    counts: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for call in _closed_calls(data, req):
        if call["disposition"] in ("abandonedInQueue", "abandonedWhileRinging"):
            counts[_key(call["started_at"], req)][_bucket(_wait(call))] += 1
    rows = []
    for key in sorted(counts):
        total = sum(counts[key].values())
        for bucket in buckets:
            n = counts[key].get(bucket, 0)
            rows.append((*key, bucket, n, _ratio(n, total)))
    return Report(
        name="abandoned",
        title="Calls abandoned waiting for an agent, by how long they waited",
        columns=(*_interval_columns(req), "waited", "calls", "share"),
        rows=tuple(rows),
        interval_column="interval" if req.interval else None,
    )


def answer_rate(data: ReportData, req: ReportRequest) -> Report:
    groups: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for call in _closed_calls(data, req):
        if req.queue is None and call["direction"] != "inbound":
            continue
        groups[_key(call["started_at"], req)].append(call)
    rows = []
    for key in sorted(groups):
        offered = groups[key]
        answered = sum(1 for c in offered if c["disposition"] in ANSWERED)
        gave_up = sum(1 for c in offered if c["disposition"].startswith("abandoned"))
        rows.append((*key, len(offered), answered, gave_up, _ratio(answered, len(offered))))
    return Report(
        name="answer-rate",
        title="Inbound calls offered, answered and abandoned",
        columns=(*_interval_columns(req), "offered", "answered", "abandoned", "answerRate"),
        rows=tuple(rows),
        interval_column="interval" if req.interval else None,
    )


def service_level(data: ReportData, req: ReportRequest) -> Report:
    groups: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for call in _closed_calls(data, req):
        if call["queue"] is None:
            continue
        groups[(*_key(call["started_at"], req), call["queue"])].append(call)
    rows = []
    for key in sorted(groups):
        offered = groups[key]
        within = sum(
            1 for c in offered if c["disposition"] in ANSWERED and _wait(c) <= req.threshold
        )
        quick_abandons = sum(
            1
            for c in offered
            if c["disposition"].startswith("abandoned") and _wait(c) <= req.threshold
        )
        rows.append((*key, len(offered), within, quick_abandons, _ratio(within, len(offered))))
    return Report(
        name="service-level",
        title=f"Service level: calls answered within {req.threshold:g} s of those offered",
        columns=(
            *_interval_columns(req),
            "queue",
            "offered",
            "answeredWithin",
            "abandonedWithin",
            "serviceLevel",
        ),
        rows=tuple(rows),
        interval_column="interval" if req.interval else None,
    )


def queue_waits(data: ReportData, req: ReportRequest) -> Report:
    groups: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for wait in data.queue_waits:
        if req.queue is not None and wait["queue"] != req.queue:
            continue
        groups[(*_key(wait["at"], req), wait["queue"])].append(wait)
    rows = []
    for key in sorted(groups):
        waits = groups[key]
        seconds = [w["seconds"] for w in waits]
        rows.append(
            (
                *key,
                len(waits),
                sum(1 for w in waits if w["outcome"] == "answered"),
                sum(1 for w in waits if w["outcome"] == "abandoned"),
                _avg(seconds),
                _percentile(seconds, 0.5),
                _percentile(seconds, 0.9),
                max(seconds),
            )
        )
    return Report(
        name="queue-waits",
        title="Time calls waited in each queue",
        columns=(
            *_interval_columns(req),
            "queue",
            "waits",
            "answered",
            "abandoned",
            "avgWait",
            "medianWait",
            "p90Wait",
            "maxWait",
        ),
        rows=tuple(rows),
        interval_column="interval" if req.interval else None,
    )


#: Report name -> the function computing it.
REPORTS: Final[Mapping[str, Callable[[ReportData, ReportRequest], Report]]] = {
    "ivr-nodes": ivr_nodes,
    "handle-times": handle_times,
    "trunk-occupancy": trunk_occupancy,
    "agents": agents,
    "abandoned": abandoned,
    "answer-rate": answer_rate,
    "service-level": service_level,
    "queue-waits": queue_waits,
}


def run_report(name: str, data: ReportData, req: ReportRequest) -> Report:
    try:
        compute = REPORTS[name]
    except KeyError:
        raise ValueError(f"no report {name!r} (reports: {', '.join(REPORTS)})") from None
    return compute(data, req)
