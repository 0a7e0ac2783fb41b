"""When agents serve a queue: schedules by day of the week and time of day, and the local calendar.

A membership of an agent in a queue may name a schedule; it is *active* only
inside the schedule's hours, so one agent can serve different groups at
different hours. Schedules are read in the ACD's time zone; the engine asks
for the next moment any schedule changes and sets one timer for it.

Pure: no trio. Times come in as trio times and go through ``Calendar``, which
maps them to local wall-clock datetimes with the daemon's ``WallClock``.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

from ..clock import WallClock

__all__ = ["DAY_NAMES", "Calendar", "Schedule", "TimeRange", "parse_hours"]

#: Day names as written in the configuration, Monday first (``datetime.weekday()``).
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
_DAY = 24 * 60


@attrs.frozen(kw_only=True)
class TimeRange:
    """Minutes after local midnight: ``start`` included, ``end`` excluded (up to 1440)."""

    start: int
    end: int

    def __contains__(self, minute: float) -> bool:
        return self.start <= minute < self.end


def parse_hours(text: str) -> TimeRange:
    """``"08:30-17:00"`` -> ``TimeRange``; ``24:00`` may end a range. Raises ValueError."""
    match = _HOURS.fullmatch(text.strip())
    if match is None:
        raise ValueError(f'expected "HH:MM-HH:MM", got "{text}"')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f'"{text}" is not a time of day range')
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(f'"{text}" ends before it starts (ranges may not cross midnight)')
    return TimeRange(start=start, end=end)


@attrs.frozen(kw_only=True)
class Schedule:
    """Named opening hours: ``days`` (0 = Monday) and ``ranges`` within each such day."""

    name: str
    days: frozenset[int]
    ranges: tuple[TimeRange, ...]

    def active(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` (local, aware) is inside the schedule."""
        if moment.weekday() not in self.days:
            return False
        minute = moment.hour * 60 + moment.minute + moment.second / 60
        return any(minute in r for r in self.ranges)

    def next_change(self, moment: dt.datetime) -> dt.datetime | None:
        """The first range boundary strictly after ``moment`` (None if the schedule is empty)."""
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        best: dt.datetime | None = None
        for offset in range(8):
            day = midnight + dt.timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            for r in self.ranges:
                for minute in (r.start, r.end):
                    at = day + dt.timedelta(minutes=minute)
                    if at > moment and (best is None or at < best):
                        best = at
            if best is not None:
                return best
        return best


@attrs.define(eq=False)
class Calendar:
    """Trio time <-> local wall-clock time, in the ACD's time zone."""

    clock: WallClock
    tz: dt.tzinfo

    def local(self, trio_time: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock.at(trio_time), self.tz)

    def trio_time(self, moment: dt.datetime) -> float:
        return self.clock.anchor_trio + (moment.timestamp() - self.clock.anchor_wall)

    def day_start(self, trio_time: float) -> float:
        """Trio time of the local midnight that began the day of ``trio_time``."""
        local = self.local(trio_time)
        return self.trio_time(local.replace(hour=0, minute=0, second=0, microsecond=0))

    def next_midnight(self, trio_time: float) -> float:
        local = self.local(trio_time)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        nxt = (midnight + dt.timedelta(days=1)).replace(tzinfo=self.tz)
        return self.trio_time(nxt)
