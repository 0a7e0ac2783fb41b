"""Calling windows: may a callee be called now, in the callee's own time zone? Pure.

A campaign's windows are hours on days of the week (``mon``..``sun``) in the
callee's local time; its holidays are local dates on which nobody is called.
The callee's zone is, in order: the list column the campaign names
(``timezone_column``), the longest matching number prefix of ``[outbound]
zone_prefixes``, the campaign's ``timezone``. A zone that does not exist
(a typo in a list) makes the record not callable rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Mapping
from typing import Any

from .campaign_config import WEEKDAYS, CampaignSpec
from .numbers import zone_of

__all__ = ["callee_zone", "in_window", "next_opening"]


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def callee_zone(
    spec: CampaignSpec, number: str, data: Mapping[str, Any], prefixes: Mapping[str, str]
) -> str:
    """The name of the callee's time zone (see the module docstring)."""
    if spec.timezone_column is not None:
        value = data.get(spec.timezone_column)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return zone_of(number, prefixes) or spec.timezone


def in_window(spec: CampaignSpec, zone: str, now: dt.datetime) -> bool:
    """Whether ``now`` (aware) is inside one of ``spec``'s windows in ``zone``, off holidays."""
    tz = _zone(zone)
    if tz is None:
        return False
    local = now.astimezone(tz)
    if local.date() in spec.holiday_dates():
        return False
    day = WEEKDAYS[local.weekday()]
    minute = local.hour * 60 + local.minute
    for window in spec.windows:
        start, end = window.minutes()
        if day in window.days and start <= minute < end:
            return True
    return False


def next_opening(spec: CampaignSpec, zone: str, now: dt.datetime) -> dt.datetime | None:
    """The first moment at or after ``now`` inside a window (None: none within 14 days,
    or an unknown zone). Minute steps at window starts make this exact and cheap."""
    tz = _zone(zone)
    if tz is None:
        return None
    if in_window(spec, zone, now):
        return now
    local = now.astimezone(tz)
    holidays = spec.holiday_dates()
    for offset in range(15):
        day = local.date() + dt.timedelta(days=offset)
        if day in holidays:
            continue
        starts = sorted(w.minutes()[0] for w in spec.windows if WEEKDAYS[day.weekday()] in w.days)
        for start in starts:
            moment = dt.datetime.combine(day, dt.time(start // 60, start % 60), tz)
            # Wall times that do not exist (a DST gap) come back normalised.
            moment = moment.astimezone(dt.UTC).astimezone(tz)
            if moment >= now and in_window(spec, zone, moment):
                return moment.astimezone(dt.UTC)
    return None
