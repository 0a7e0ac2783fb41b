"""Inbound routing: where a call from outside goes, decided by rules (pure).

In order, for a new trunk call:

1. the caller blacklist (ANI patterns): a listed caller is rejected before
   anything else happens;
2. active overrides (an emergency closure an admin switched on through the
   API), first match wins;
3. the rules in file order, first match wins: called number (DNIS) and
   caller number (ANI) patterns, weekdays, hour windows, and whether today is
   on the holiday calendar;
4. no match: the call goes to the number dialled, as without routing.

Patterns: digits with ``*`` (any run) and ``?`` (one character), e.g.
``400800*``, ``+86??????????``; or ``re:`` and a regular expression. Times are
local times in the configured timezone, read from trio's clock through the
daemon's WallClock, so tests on MockClock check windows and holidays exactly.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

__all__ = [
    "DESTINATION_KINDS",
    "Decision",
    "Destination",
    "Override",
    "RoutingTable",
    "Rule",
    "parse_date_ranges",
    "parse_hours",
]

DESTINATION_KINDS: Final = ("flow", "queue", "agent", "device", "voicemail", "message")
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A number pattern (``400*``, ``re:...``) as a regular expression; ``re.error`` if bad."""
    if pattern.startswith("re:"):
        return re.compile(pattern[3:])
    return re.compile(fnmatch.translate(pattern))


@attrs.frozen(kw_only=True)
class Destination:
    """Where a routed call goes: ``kind`` (one of ``DESTINATION_KINDS``) and its target.

    ``message`` plays ``target`` (a TTS text, or ``file:...``) and hangs up;
    ``voicemail`` records a message for ``target`` (``queue:NAME`` or ``agent:ID``).
    """

    kind: str
    target: str
    language: str = "en"

    def describe(self) -> str:
        return f"{self.kind} {self.target}"


@attrs.frozen(kw_only=True)
class Rule:
    name: str
    destination: Destination
    dnis: tuple[re.Pattern[str], ...] = ()
    ani: tuple[re.Pattern[str], ...] = ()
    #: Weekdays 0 (Monday) to 6; empty: every day.
    days: frozenset[int] = frozenset()
    #: Windows in minutes after midnight [start, end); a window past midnight wraps.
    hours: tuple[tuple[int, int], ...] = ()
    holidays: Literal["any", "only", "except"] = "any"
    #: Match outside the days/hours window instead of inside it (after hours).
    outside_hours: bool = False
    enabled: bool = True

    def matches(self, dnis: str, ani: str, now: _dt.datetime, holiday: bool) -> bool:
        if not self.enabled:
            return False
        if self.dnis and not any(p.fullmatch(dnis) for p in self.dnis):
            return False
        if self.ani and not any(p.fullmatch(ani) for p in self.ani):
            return False
        if self.holidays == "only" and not holiday:
            return False
        if self.holidays == "except" and holiday:
            return False
        if self.days or self.hours:
            return _in_window(self.days, self.hours, now) != self.outside_hours
        return True


def _in_window(days: frozenset[int], hours: tuple[tuple[int, int], ...], now: _dt.datetime) -> bool:
    minute = now.hour * 60 + now.minute
    if not hours:
        return now.weekday() in days
    for start, end in hours:
        if start <= end:
            if start <= minute < end and (not days or now.weekday() in days):
                return True
        else:
            # 18:00-09:00: the evening belongs to today, the early morning to yesterday's window.
            if minute >= start and (not days or now.weekday() in days):
                return True
            if minute < end and (not days or (now.weekday() - 1) % 7 in days):
                return True
    return False


@attrs.frozen(kw_only=True)
class Override:
    """A destination an admin forces on (emergency closure), for some called numbers or all."""

    name: str
    destination: Destination
    dnis: tuple[re.Pattern[str], ...] = ()
    description: str = ""

    def matches(self, dnis: str) -> bool:
        return not self.dnis or any(p.fullmatch(dnis) for p in self.dnis)


@attrs.frozen(kw_only=True)
class Decision:
    """What routing decided: ``destination`` None means rejected (blacklist)."""

    destination: Destination | None
    reason: str


@attrs.frozen(kw_only=True)
class RoutingTable:
    rules: tuple[Rule, ...] = ()
    overrides: tuple[Override, ...] = ()
    blacklist: tuple[re.Pattern[str], ...] = ()
    holidays: frozenset[_dt.date] = frozenset()

    def decide(
        self, *, dnis: str, ani: str, now: _dt.datetime, active: Iterable[str] = ()
    ) -> Decision | None:
        """Where a call from ``ani`` to ``dnis`` goes at local time ``now``; None: as dialled."""
        for pattern in self.blacklist:
            if pattern.fullmatch(ani):
                return Decision(destination=None, reason=f"blacklist {pattern.pattern}")
        on = set(active)
        for override in self.overrides:
            if override.name in on and override.matches(dnis):
                return Decision(
                    destination=override.destination, reason=f"override {override.name}"
                )
        holiday = now.date() in self.holidays
        for rule in self.rules:
            if rule.matches(dnis, ani, now, holiday):
                return Decision(destination=rule.destination, reason=f"rule {rule.name}")
        return None

    def override(self, name: str) -> Override | None:
        for override in self.overrides:
            if override.name == name:
                return override
        return None


def parse_hours(spec: str) -> tuple[int, int]:
    """``"09:00-17:30"`` -> (540, 1050); ``ValueError`` with the reason."""
    m = re.fullmatch(r"\s*([01]\d|2[0-4]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)\s*", spec)
    if m is None:
        raise ValueError(f'expected "HH:MM-HH:MM", got "{spec}"')
    start = int(m.group(1)) * 60 + int(m.group(2))
    end = int(m.group(3)) * 60 + int(m.group(4))
    if start > 1440 or end > 1440 or start == end:
        raise ValueError(f'bad window "{spec}"')
    return start, end


def parse_days(names: Sequence[str]) -> frozenset[int]:
    days = set()
    for name in names:
        key = name.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {name!r} (use mon, tue, ... sun)")
        days.add(WEEKDAYS.index(key))
    return frozenset(days)


def parse_date_ranges(items: Iterable[str]) -> frozenset[_dt.date]:
    """``["2027-01-01", "2027-02-10..2027-02-16"]`` -> the dates; ``ValueError`` if bad."""
    out: set[_dt.date] = set()
    for item in items:
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        first, sep, last = item.partition("..")
        try:
            start = _dt.date.fromisoformat(first.strip())
            end = _dt.date.fromisoformat(last.strip()) if sep else start
        except ValueError:
            raise ValueError(f'bad date "{item}" (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)') from None
        if end < start or (end - start).days > 366:
            raise ValueError(f'bad date range "{item}"')
        while start <= end:
            out.add(start)
            start += _dt.timedelta(days=1)
    return frozenset(out)


def destination_from(value: Mapping[str, Any], *, language: str = "en") -> Destination:
    """``{flow = "main"}`` and friends -> ``Destination``; ``ValueError`` names the problem."""
    keys = [k for k in value if k in DESTINATION_KINDS]
    extra = [k for k in value if k not in DESTINATION_KINDS and k != "language"]
    if len(keys) != 1 or extra:
        raise ValueError(f"give exactly one of {', '.join(DESTINATION_KINDS)}")
    kind = keys[0]
    target = value[kind]
    if not isinstance(target, str) or not target:
        raise ValueError(f"{kind}: expected a non-empty string")
    if kind == "voicemail" and not re.fullmatch(r"(queue|agent|number):.+", target):
        raise ValueError('voicemail: expected "queue:NAME", "agent:ID" or "number:DN"')
    lang = value.get("language", language)
    if not isinstance(lang, str):
        raise ValueError("language: expected a string")
    return Destination(kind=kind, target=target, language=lang)
