"""A campaign's definition: ``[[campaigns]]`` in the file, ``campaign.create`` at run time.

One attrs class, ``CampaignSpec``, read from a config table (snake_case keys)
or from API parameters (lowerCamel keys) by ``ctid.structure``, then checked
by ``check_spec``: every problem raises ``StructureError`` naming the key::

    [outbound]                              # optional
    zone_prefixes = { "+1212" = "America/New_York", "+33" = "Europe/Paris" }

    [[campaigns]]
    name = "renewals"
    mode = "progressive"                    # preview | progressive | predictive | agentless
    queue = "sales"                         # whose agents work it (ACD queue)
    caller_id = "+33170000000"
    timezone = "Europe/Paris"               # the callee's zone when nothing else says
    timezone_column = "tz"                  # a list column naming the callee's zone
    windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], start = "09:00", end = "20:00" }]
    holidays = ["2027-01-01"]
    max_attempts = 5
    retries = { busy = { after_seconds = 600, max_retries = 3 } }
    dispositions = ["sale", "noSale", "callback"]
    max_abandon_rate = 0.03
    amd = false
    priority = 0                            # c > 0: before inbound callers below c (blend.py)
    preview_timeout = 30
    preview_timeout_action = "dial"         # or "skip"
    max_lines = 10                          # agentless: simultaneous lines
    message = "sound:reminder"              # agentless: what a callee hears (or flow = ...)
    abandon_message = "sound:sorry"         # a callee no agent could take hears this
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs

from ..naming import wire_name
from ..structure import Problems, StructureError, structure

__all__ = [
    "DEFAULT_RETRIES",
    "OUTCOMES",
    "WEEKDAYS",
    "CampaignSpec",
    "Mode",
    "OutboundSettings",
    "RetryRule",
    "Window",
    "check_spec",
    "outbound_settings",
    "spec_from_api",
    "spec_from_config",
]

Mode = Literal["preview", "progressive", "predictive", "agentless"]

#: How an attempt ends (issue 12): a person answered (with the agent's disposition),
#: an answering machine, busy, no answer, failed, abandoned (a person no agent took in
#: 2 s), on a do-not-call list, or not a valid number.
OUTCOMES: Final = (
    "answered",
    "machine",
    "busy",
    "noAnswer",
    "failed",
    "abandoned",
    "dnc",
    "invalidNumber",
)

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TIME_RE: Final = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")
_PREFIX_RE: Final = re.compile(r"\+?\d{1,15}")


@attrs.frozen(kw_only=True)
class Window:
    """Hours a callee may be called, in the callee's own time zone."""

    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: str = "09:00"
    end: str = "20:00"

    def minutes(self) -> tuple[int, int]:
        """(start, end) in minutes after local midnight."""
        return _minutes(self.start), _minutes(self.end)


@attrs.frozen(kw_only=True)
class RetryRule:
    """After an outcome: try again ``after_seconds`` later, at most ``max_retries`` times."""

    after_seconds: float
    max_retries: int


#: Retry rules for outcomes a campaign does not name. Answered, dnc and invalid
#: numbers are never retried (a person's answer ends with the agent's disposition).
DEFAULT_RETRIES: Final[Mapping[str, RetryRule]] = {
    "busy": RetryRule(after_seconds=600, max_retries=3),
    "noAnswer": RetryRule(after_seconds=3600, max_retries=3),
    "machine": RetryRule(after_seconds=7200, max_retries=2),
    "failed": RetryRule(after_seconds=1800, max_retries=2),
    "abandoned": RetryRule(after_seconds=3600, max_retries=2),
}


@attrs.frozen(kw_only=True)
class CampaignSpec:
    """Everything a campaign is, as the configuration or ``campaign.create`` says it."""

    name: str
    queue: str
    mode: Mode = "progressive"
    caller_id: str = ""
    timezone: str = "UTC"
    timezone_column: str | None = None
    windows: tuple[Window, ...] = (Window(),)
    holidays: tuple[str, ...] = ()
    max_attempts: int = 5
    retries: Mapping[str, RetryRule] = attrs.field(factory=dict)
    dispositions: tuple[str, ...] = ("sale", "noSale", "callback", "wrongNumber")
    max_abandon_rate: float = 0.03
    amd: bool = False
    #: Dialled calls enter the queue at 1000 + this; a preview campaign of priority c > 0
    #: takes blended agents before inbound callers of priority below c (``blend``).
    priority: int = 0
    preview_timeout: float = 30.0
    preview_timeout_action: Literal["dial", "skip"] = "dial"
    max_lines: int = 10
    message: str | None = None
    flow: str | None = None
    abandon_message: str | None = None
    #: Predictive pacing: at most this many lines per free agent.
    max_dial_ratio: float = 3.0
    #: Seconds a callee's phone rings before the attempt is ``noAnswer``.
    ring_seconds: float = 30.0

    def retry_rule(self, outcome: str) -> RetryRule | None:
        """The rule for ``outcome`` (the campaign's, else the default; None: no retry)."""
        return self.retries.get(outcome, DEFAULT_RETRIES.get(outcome))

    def holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(day) for day in self.holidays)

    def to_wire(self) -> dict[str, Any]:
        """The definition as the API shows it (lowerCamel keys)."""
        return {
            "name": self.name,
            "queue": self.queue,
            "mode": self.mode,
            "callerID": self.caller_id,
            "timezone": self.timezone,
            "timezoneColumn": self.timezone_column,
            "windows": [
                {"days": list(w.days), "start": w.start, "end": w.end} for w in self.windows
            ],
            "holidays": list(self.holidays),
            "maxAttempts": self.max_attempts,
            "retries": {
                k: {"afterSeconds": r.after_seconds, "maxRetries": r.max_retries}
                for k, r in sorted(self.retries.items())
            },
            "dispositions": list(self.dispositions),
            "maxAbandonRate": self.max_abandon_rate,
            "amd": self.amd,
            "priority": self.priority,
            "previewTimeout": self.preview_timeout,
            "previewTimeoutAction": self.preview_timeout_action,
            "maxLines": self.max_lines,
            "message": self.message,
            "flow": self.flow,
            "abandonMessage": self.abandon_message,
            "maxDialRatio": self.max_dial_ratio,
            "ringSeconds": self.ring_seconds,
        }


@attrs.frozen(kw_only=True)
class OutboundSettings:
    """``[outbound]``: number prefixes -> the callee's time zone (longest prefix wins)."""

    zone_prefixes: Mapping[str, str] = attrs.field(factory=dict)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _zone(name: str, path: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise StructureError(path, f"unknown time zone {name!r}") from None


def check_spec(spec: CampaignSpec, path: str, *, camel: bool = False) -> CampaignSpec:
    """Check what structure cannot; returns ``spec``. Keys in errors follow the input's
    style. Every problem is found (an API error reads as the first; check-config lists all)."""
    problems = Problems()

    def key(snake: str) -> str:
        if not camel:
            return f"{path}.{snake}"
        return f"{path}.{wire_name(snake)}"

    if not _NAME_RE.fullmatch(spec.name):
        problems.add(
            key("name"),
            f"letters, digits, _ . - (up to 64, a letter or digit first), not {spec.name!r}",
        )
    if not spec.queue:
        problems.add(key("queue"), "must not be empty")
    with problems.check():
        _zone(spec.timezone, key("timezone"))
    if not spec.windows:
        problems.add(key("windows"), "list at least one window")
    for i, window in enumerate(spec.windows):
        where = f"{key('windows')}[{i}]"
        if not window.days:
            problems.add(f"{where}.days", "list at least one day")
        for day in window.days:
            if day not in WEEKDAYS:
                problems.add(f"{where}.days", f"{day!r} is not one of {', '.join(WEEKDAYS)}")
        times = True
        for name in ("start", "end"):
            if not _TIME_RE.fullmatch(getattr(window, name)):
                times = False
                problems.add(f"{where}.{name}", f'expected "HH:MM", got {getattr(window, name)!r}')
        if times and window.minutes()[0] >= window.minutes()[1]:
            problems.add(f"{where}.end", "must be after start (a window stays within one day)")
    for i, day in enumerate(spec.holidays):
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            problems.add(f"{key('holidays')}[{i}]", f'expected "YYYY-MM-DD", got {day!r}')
    if not 1 <= spec.max_attempts <= 100:
        problems.add(key("max_attempts"), "must be between 1 and 100")
    for outcome, rule in spec.retries.items():
        where = f"{key('retries')}.{outcome}"
        # A disposition code may be retried too (``ctid.outbound.dispositions``).
        if outcome not in DEFAULT_RETRIES and outcome not in spec.dispositions:
            problems.add(
                where,
                f"no retry for {outcome!r}: retried outcomes are {', '.join(DEFAULT_RETRIES)}"
                " and the campaign's disposition codes",
            )
        if rule.after_seconds < 0 or rule.max_retries < 0:
            problems.add(where, "after_seconds and max_retries must not be negative")
    if not spec.dispositions or len(set(spec.dispositions)) != len(spec.dispositions):
        problems.add(key("dispositions"), "list at least one code, each once")
    if not 0 <= spec.max_abandon_rate <= 1:
        problems.add(key("max_abandon_rate"), "a fraction from 0 to 1")
    if spec.preview_timeout <= 0:
        problems.add(key("preview_timeout"), "must be more than 0 seconds")
    if not 1 <= spec.max_lines <= 10_000:
        problems.add(key("max_lines"), "must be between 1 and 10000")
    if spec.max_dial_ratio < 1:
        problems.add(key("max_dial_ratio"), "must be at least 1")
    if not 5 <= spec.ring_seconds <= 300:
        problems.add(key("ring_seconds"), "must be between 5 and 300 seconds")
    if spec.mode == "agentless" and (spec.message is None) == (spec.flow is None):
        problems.add(path, "an agentless campaign needs exactly one of message and flow")
    problems.raise_any()
    return spec


def spec_from_config(data: Any, path: str) -> CampaignSpec:
    """One ``[[campaigns]]`` table; raises ``StructureError`` (holding every problem: a
    value of the wrong type hides none of the wrong values beside it)."""
    problems = Problems()
    spec = problems.salvage(CampaignSpec, data, path)
    with problems.check():
        check_spec(spec, path)
    problems.raise_any()
    return spec


def spec_from_api(data: Any, path: str = "params") -> CampaignSpec:
    """``campaign.create``'s definition (lowerCamel keys); raises ``StructureError``."""
    return check_spec(structure(CampaignSpec, data, path, style="camel"), path, camel=True)


def outbound_settings(data: Any, path: str = "outbound") -> OutboundSettings:
    problems = Problems()  # every problem, not only the first
    settings = structure(OutboundSettings, data or {}, path)
    for prefix, zone in settings.zone_prefixes.items():
        where = f"{path}.zone_prefixes.{prefix}"
        if not _PREFIX_RE.fullmatch(prefix):
            problems.add(where, "a number prefix: digits with an optional leading +")
        with problems.check():
            _zone(zone, where)
    problems.raise_any()
    return settings
