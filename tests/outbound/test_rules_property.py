"""Do-not-call and calling windows are never violated: property tests over random lists,
windows, zones, holidays and clocks (issue 12).

The oracle below recomputes "inside a window" on its own, from the callee's
local wall-clock time, rather than trusting ``ctid.outbound.windows``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ctid.outbound.attempts import Standing, VerdictKind, after_attempt, verdict
from ctid.outbound.campaign_config import OUTCOMES, WEEKDAYS, CampaignSpec, RetryRule, Window
from ctid.outbound.windows import in_window

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
PREFIXES = {"+33": "Europe/Paris", "+1": "America/New_York", "+91": "Asia/Kolkata"}
NUMBERS = ("+33170000001", "+33170000002", "+12125550100", "+919800000000", "5551234", "5559876")


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(st.integers(0, 23 * 60 + 58))
    end = draw(st.integers(start + 1, 24 * 60))
    days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    return Window(
        days=tuple(days),
        start=f"{start // 60:02d}:{start % 60:02d}",
        end=f"{end // 60:02d}:{end % 60:02d}",
    )


@st.composite
def specs(draw: st.DrawFn) -> CampaignSpec:
    holidays = draw(
        st.lists(st.dates(dt.date(2027, 1, 1), dt.date(2028, 12, 31)), max_size=20, unique=True)
    )
    return CampaignSpec(
        name="c",
        queue="sales",
        timezone=draw(st.sampled_from(ZONES)),
        timezone_column=draw(st.sampled_from([None, "tz"])),
        windows=tuple(draw(st.lists(windows(), min_size=1, max_size=3))),
        holidays=tuple(d.isoformat() for d in holidays),
        max_attempts=draw(st.integers(1, 6)),
        retries={
            outcome: RetryRule(
                after_seconds=draw(st.integers(0, 7200)), max_retries=draw(st.integers(0, 3))
            )
            for outcome in draw(
                st.lists(
                    st.sampled_from(["busy", "noAnswer", "machine", "failed", "abandoned"]),
                    unique=True,
                )
            )
        },
    )


@st.composite
def records(draw: st.DrawFn) -> Standing:
    data = {}
    if draw(st.booleans()):
        data["tz"] = draw(st.sampled_from((*ZONES, "Mars/Olympus", "")))
    return Standing(number=draw(st.sampled_from(NUMBERS)), data=data)


moments = st.datetimes(
    dt.datetime(2027, 1, 1), dt.datetime(2028, 12, 31), timezones=st.just(dt.UTC)
)


def zone_for(spec: CampaignSpec, record: Standing) -> str:
    """The callee's zone, by the documented order (independent of the code)."""
    if spec.timezone_column and str(record.data.get(spec.timezone_column, "")).strip():
        return str(record.data[spec.timezone_column]).strip()
    best = max((p for p in PREFIXES if record.number.startswith(p)), key=len, default=None)
    return PREFIXES[best] if best else spec.timezone


def allowed(spec: CampaignSpec, zone: str, now: dt.datetime) -> bool:
    try:
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    if local.date().isoformat() in spec.holidays:
        return False
    minute = local.hour * 60 + local.minute
    for w in spec.windows:
        start = int(w.start[:2]) * 60 + int(w.start[3:])
        end = int(w.end[:2]) * 60 + int(w.end[3:])
        if WEEKDAYS[local.weekday()] in w.days and start <= minute < end:
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(
    spec=specs(),
    lst=st.lists(records(), min_size=1, max_size=12),
    dnc=st.sets(st.sampled_from(NUMBERS)),
    start=moments,
    steps=st.lists(st.integers(60, 3 * 86400), min_size=1, max_size=25),
    outcomes=st.lists(st.sampled_from(OUTCOMES), min_size=25, max_size=25),
)
def test_a_dialler_run_never_dials_a_dnc_number_or_outside_a_window(
    spec: CampaignSpec,
    lst: list[Standing],
    dnc: set[str],
    start: dt.datetime,
    steps: list[int],
    outcomes: list[str],
) -> None:
    """Run the rules as the dialler does, over a random clock: whatever each attempt's
    outcome, every dial is off every do-not-call list, inside a window in the callee's
    zone, due, and within the campaign's attempts."""
    now = start
    book = list(lst)
    for i, step in enumerate(steps):
        for j, record in enumerate(book):
            decision = verdict(spec, record, now, dnc=dnc, zone_prefixes=PREFIXES)
            if decision.kind is VerdictKind.DNC:
                assert record.number in dnc
                continue
            if decision.kind is VerdictKind.WAIT and decision.until is not None:
                assert decision.until > now or record.next_attempt_at is None
                if record.next_attempt_at is None or decision.until >= record.next_attempt_at:
                    # A window's next opening is inside the window (and after now).
                    zone = zone_for(spec, record)
                    if decision.reason.startswith("outside"):
                        assert allowed(spec, zone, decision.until)
                        assert decision.until > now
            if decision.kind is not VerdictKind.DIAL:
                continue
            assert record.number not in dnc
            assert allowed(spec, zone_for(spec, record), now)
            assert record.status in ("new", "retry", "callback")
            assert record.attempts < spec.max_attempts
            assert record.next_attempt_at is None or record.next_attempt_at <= now
            outcome = outcomes[(i + j) % len(outcomes)]
            after = after_attempt(spec, record, outcome, now)
            assert after.attempts == record.attempts + 1
            if after.status == "retry":
                rule = spec.retry_rule(outcome)
                assert rule is not None and after.retries <= rule.max_retries
                assert after.next_attempt_at == now + dt.timedelta(seconds=rule.after_seconds)
            book[j] = after
        now += dt.timedelta(seconds=step)
    assert all(r.attempts <= spec.max_attempts for r in book)


@settings(max_examples=300, deadline=None)
@given(spec=specs(), record=records(), now=moments)
def test_in_window_agrees_with_the_local_clock(
    spec: CampaignSpec, record: Standing, now: dt.datetime
) -> None:
    zone = zone_for(spec, record)
    assert in_window(spec, zone, now) == allowed(spec, zone, now)
