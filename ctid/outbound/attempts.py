"""Which records may be dialled now, and where a record stands after an attempt. Pure.

These two functions hold the rules the issue makes promises about, so the
property tests (``tests/outbound/test_rules_property.py``) run them over
random lists, windows and clocks:

* ``verdict``: a record is dialled only if its number is on no do-not-call list
  (the global one, the campaign's) *at the moment of the check*, it is inside a
  calling window in the callee's time zone, and it is due (new, a retry whose
  time has come, a callback whose time has come) with attempts left;
* ``after_attempt``: the outcome of an attempt moves the record to ``done``
  (a person answered; an agent disposition), ``retry`` at a later time by the
  campaign's rule for that outcome, or ``failed`` when the rule's retries or the
  campaign's ``max_attempts`` are used up; ``dnc`` and ``invalidNumber`` end it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Container, Mapping
from typing import Any, Final

import attrs

from .campaign_config import CampaignSpec
from .windows import callee_zone, in_window, next_opening

__all__ = [
    "DUE_STATES",
    "Standing",
    "Verdict",
    "VerdictKind",
    "after_attempt",
    "outcome_of",
    "verdict",
]

#: Record states the dialler looks at; the others are in progress or finished.
DUE_STATES: Final = frozenset({"new", "retry", "callback"})


@attrs.frozen(kw_only=True)
class Standing:
    """Where a record stands: what ``campaign_records`` keeps for the rules."""

    number: str
    data: Mapping[str, Any] = attrs.field(factory=dict)
    status: str = "new"
    attempts: int = 0
    retries: int = 0
    next_attempt_at: dt.datetime | None = None
    last_outcome: str | None = None


class VerdictKind(enum.Enum):
    #: Dial it now.
    DIAL = "dial"
    #: Not yet: ``until`` says when to look again (None: no window opens soon).
    WAIT = "wait"
    #: On a do-not-call list: never dialled; the record ends as ``dnc``.
    DNC = "dnc"
    #: Finished, in progress, or out of attempts: not the dialler's business.
    SKIP = "skip"


@attrs.frozen(kw_only=True)
class Verdict:
    kind: VerdictKind
    until: dt.datetime | None = None
    reason: str = ""


def verdict(
    spec: CampaignSpec,
    record: Standing,
    now: dt.datetime,
    *,
    dnc: Container[str],
    zone_prefixes: Mapping[str, str],
) -> Verdict:
    """May ``record`` be dialled at ``now``? ``dnc`` holds the numbers on the global list
    and on this campaign's (checked first, whatever the record's state)."""
    if record.number in dnc:
        return Verdict(kind=VerdictKind.DNC, reason="on a do-not-call list")
    if record.status not in DUE_STATES:
        return Verdict(kind=VerdictKind.SKIP, reason=f"record is {record.status}")
    if record.attempts >= spec.max_attempts:
        return Verdict(kind=VerdictKind.SKIP, reason="no attempts left")
    if record.next_attempt_at is not None and record.next_attempt_at > now:
        return Verdict(kind=VerdictKind.WAIT, until=record.next_attempt_at, reason="not due yet")
    zone = callee_zone(spec, record.number, record.data, zone_prefixes)
    if not in_window(spec, zone, now):
        return Verdict(
            kind=VerdictKind.WAIT,
            until=next_opening(spec, zone, now),
            reason=f"outside the calling windows in {zone}",
        )
    return Verdict(kind=VerdictKind.DIAL)


def after_attempt(spec: CampaignSpec, record: Standing, outcome: str, now: dt.datetime) -> Standing:
    """``record`` after an attempt that ended with ``outcome`` (one of ``OUTCOMES``)."""
    attempts = record.attempts + 1
    if outcome == "answered":
        # An answer after an answer keeps the count of retries in a row: a disposition's
        # retry rule (``dispositions.after_disposition``) counts on it.
        return attrs.evolve(
            record,
            status="done",
            attempts=attempts,
            retries=record.retries if record.last_outcome == "answered" else 0,
            next_attempt_at=None,
            last_outcome=outcome,
        )
    if outcome in ("dnc", "invalidNumber"):
        status = "dnc" if outcome == "dnc" else "failed"
        return attrs.evolve(
            record, status=status, attempts=attempts, next_attempt_at=None, last_outcome=outcome
        )
    rule = spec.retry_rule(outcome)
    retries = record.retries + 1 if record.last_outcome == outcome else 1
    if rule is None or retries > rule.max_retries or attempts >= spec.max_attempts:
        return attrs.evolve(
            record,
            status="failed",
            attempts=attempts,
            retries=retries - 1,
            next_attempt_at=None,
            last_outcome=outcome,
        )
    return attrs.evolve(
        record,
        status="retry",
        attempts=attempts,
        retries=retries,
        next_attempt_at=now + dt.timedelta(seconds=rule.after_seconds),
        last_outcome=outcome,
    )


def outcome_of(answered: bool, failed_cause: str | None) -> str:
    """An attempt's outcome from what the call did (``campaign_config.OUTCOMES``)."""
    if answered:
        return "answered"
    return {
        "busy": "busy",
        "noAnswer": "noAnswer",
        "destNotObtainable": "invalidNumber",
    }.get(failed_cause or "", "failed")
