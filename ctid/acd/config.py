"""The ``[acd]`` configuration table, checked into frozen values.

Example (every key but ``name``, ``id`` and the lists is optional)::

    [acd]
    timezone = "Europe/Paris"
    reason_codes = ["break", "lunch", "training", "meeting"]

    [acd.schedules.mornings]
    days = ["mon", "tue", "wed", "thu", "fri"]
    hours = ["08:00-12:00"]

    [[acd.queues]]
    name = "sales"
    number = "5001"
    strategy = "longest-idle"
    wrap_up = 10.0                    # seconds, or "manual"
    max_wait = 300.0
    overflow = [{ when = "timeout", action = "queue", target = "support" }]

    [[acd.agents]]
    id = "2001"
    name = "Alice"
    skills = [{ queue = "sales", level = 5 }, { queue = "support", penalty = 1 }]

Every problem raises ``ConfigError`` naming the key, e.g.
``acd.queues[0].strategy: unknown strategy "fastest" (known: linear, ...)``.
"""

from __future__ import annotations

import enum
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ..config import Config, ConfigError, structure_error
from ..numbers import parse_number_ranges
from ..structure import Problems, StructureError
from .schedule import DAY_NAMES, Schedule, parse_hours
from .strategy_names import STRATEGY_NAMES

__all__ = [
    "STRATEGY_NAMES",
    "AcdConfig",
    "AgentConfig",
    "Condition",
    "MembershipConfig",
    "OverflowAction",
    "OverflowRule",
    "QueueConfig",
    "acd_config",
    "acd_section",
]


class Condition(enum.Enum):
    """When an overflow rule applies."""

    #: The call waited ``max_wait`` seconds.
    TIMEOUT = "timeout"
    #: The queue already holds ``max_length`` calls when the call arrives.
    FULL = "full"
    #: Agents are logged on but none is ready when the call arrives.
    ALL_BUSY = "all_busy"
    #: No agent serving the queue is logged on (on arrival, or when the last logs off).
    NO_AGENTS = "no_agents"


class OverflowAction(enum.Enum):
    """Where an overflowing (or refused) call goes."""

    QUEUE = "queue"
    IVR = "ivr"
    DEVICE = "device"
    VOICEMAIL = "voicemail"
    HANGUP = "hangup"


# ----------------------------------------------------------------- as written


@attrs.frozen(kw_only=True)
class _Rule:
    when: Condition | None = None
    action: OverflowAction
    target: str | None = None
    #: Prompts played before hanging up (``hangup``) or before routing on.
    message: list[str] = attrs.field(factory=list)
    #: For ``voicemail``: the mailbox, passed in the call's data as ``ctid.mailbox``.
    mailbox: str | None = None


@attrs.frozen(kw_only=True)
class _Queue:
    name: str
    number: str | None = None
    strategy: str = "longest-idle"
    priority: int = 0
    max_wait: float = 0.0
    max_length: int = 0
    wrap_up: float | Literal["manual"] = 0.0
    ring_timeout: float = 15.0
    service_level_seconds: float = 20.0
    answer: bool = True
    music_class: str = "default"
    greeting: list[str] = attrs.field(factory=list)
    announce_interval: float = 0.0
    announce_position: bool = True
    announce_wait_time: bool = True
    callback_digit: str | None = None
    callback_attempts: int = 3
    callback_retry: float = 120.0
    vip_numbers: list[str] = attrs.field(factory=list)
    vip_priority: int = 10
    priority_key: str | None = "priority"
    blacklist: list[str] = attrs.field(factory=list)
    blacklist_action: _Rule | None = None
    last_agent_days: float = 7.0
    last_agent_fallback: str = "longest-idle"
    default_handle_time: float = 180.0
    overflow: list[_Rule] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class _Skill:
    queue: str
    level: int = 1
    penalty: int = 0
    schedule: str | None = None


@attrs.frozen(kw_only=True)
class _Agent:
    id: str
    name: str | None = None
    pin: str | None = None
    auto_answer: bool = False
    skills: list[_Skill] = attrs.field(factory=list)
    devices: list[str] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class _ScheduleSection:
    days: list[str] = attrs.field(factory=lambda: list(DAY_NAMES))
    hours: list[str] = attrs.field(factory=lambda: ["00:00-24:00"])


@attrs.frozen(kw_only=True)
class _Acd:
    timezone: str = "UTC"
    reason_codes: list[str] = attrs.field(
        factory=lambda: ["break", "lunch", "training", "meeting", "other"]
    )
    rona_reason: str = "RONA"
    wallboard_interval: float = 1.0
    seed: int | None = None
    schedules: dict[str, _ScheduleSection] = attrs.field(factory=dict)
    queues: list[_Queue] = attrs.field(factory=list)
    agents: list[_Agent] = attrs.field(factory=list)
    #: Where the waiting callers of a queue that a reload removes go when the queue's
    #: own overflow sends them nowhere (an overflow rule without ``when``).
    removed_queue_destination: _Rule | None = None


# ------------------------------------------------------------------- checked


@attrs.frozen(kw_only=True)
class OverflowRule:
    when: Condition | None
    action: OverflowAction
    target: str | None = None
    message: tuple[str, ...] = ()
    mailbox: str | None = None


@attrs.frozen(kw_only=True)
class QueueConfig:
    """One queue (skill group). Times are seconds; 0 disables a limit."""

    name: str
    number: str | None
    strategy: str
    #: Agents serving several queues take calls of higher-priority queues first.
    priority: int
    max_wait: float
    max_length: int
    #: Seconds of after-call work, or None for manual wrap-up (the agent ends it).
    wrap_up: float | None
    ring_timeout: float
    service_level_seconds: float
    answer: bool
    music_class: str
    greeting: tuple[str, ...]
    announce_interval: float
    announce_position: bool
    announce_wait_time: bool
    callback_digit: str | None
    callback_attempts: int
    callback_retry: float
    vip_numbers: frozenset[str]
    vip_priority: int
    priority_key: str | None
    blacklist: frozenset[str]
    blacklist_action: OverflowRule
    last_agent_days: float
    last_agent_fallback: str
    default_handle_time: float
    overflow: tuple[OverflowRule, ...]

    def rule(self, condition: Condition) -> OverflowRule | None:
        for rule in self.overflow:
            if rule.when is condition:
                return rule
        return None

    @property
    def points(self) -> tuple[str, ...]:
        """The route points that reach the queue: its name, and its number if any."""
        return (self.name,) if self.number is None else (self.name, self.number)


@attrs.frozen(kw_only=True)
class MembershipConfig:
    queue: str
    level: int
    penalty: int
    schedule: str | None
    #: The agent's place among the queue's members (for ``linear`` and ``round-robin``).
    position: int


@attrs.frozen(kw_only=True)
class AgentConfig:
    agent_id: str
    name: str
    pin: str | None
    auto_answer: bool
    skills: tuple[MembershipConfig, ...]
    #: Devices the agent may log on at (empty: any extension); ranges like "1001-1010".
    devices: frozenset[str]


@attrs.frozen(kw_only=True)
class AcdConfig:
    timezone: str
    reason_codes: tuple[str, ...]
    rona_reason: str
    wallboard_interval: float
    #: Seed of the ACD's random choices (strategy ``random``); None: a fresh one each run.
    seed: int | None
    schedules: Mapping[str, Schedule]
    queues: tuple[QueueConfig, ...]
    agents: tuple[AgentConfig, ...]
    #: ``[acd.removed_queue_destination]``: None hangs such callers up.
    removed_queue_destination: OverflowRule | None = None

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def queue(self, name: str) -> QueueConfig | None:
        for q in self.queues:
            if q.name == name:
                return q
        return None


_HANGUP = OverflowRule(when=None, action=OverflowAction.HANGUP)


def _rule(raw: _Rule, path: str, queue_names: set[str]) -> OverflowRule:
    """One overflow rule; raises every problem it has at once."""
    problems = Problems()
    if raw.action is OverflowAction.HANGUP:
        if raw.target is not None:
            problems.add(f"{path}.target", 'not used with action = "hangup"')
    elif not raw.target:
        problems.add(f"{path}.target", f'required with action = "{raw.action.value}"')
    elif raw.action is OverflowAction.QUEUE and raw.target not in queue_names:
        problems.add(f"{path}.target", f'no queue "{raw.target}"')
    if raw.mailbox is not None and raw.action is not OverflowAction.VOICEMAIL:
        problems.add(f"{path}.mailbox", 'only used with action = "voicemail"')
    problems.raise_any()
    return OverflowRule(
        when=raw.when,
        action=raw.action,
        target=raw.target,
        message=tuple(raw.message),
        mailbox=raw.mailbox,
    )


def _positive(value: float, path: str, *, zero: bool = True) -> None:
    if value < 0 or (value == 0 and not zero):
        raise StructureError(path, "must be more than 0" if not zero else "must not be negative")


def _queue(raw: _Queue, path: str, queue_names: set[str]) -> QueueConfig:
    """One queue; raises every problem it has at once (``Problems``)."""
    problems = Problems()
    if not raw.name or not raw.name.replace("-", "").replace("_", "").isalnum():
        problems.add(f"{path}.name", "letters, digits, - and _ only")
    for key in ("strategy", "last_agent_fallback"):
        name = getattr(raw, key)
        if name not in STRATEGY_NAMES:
            problems.add(
                f"{path}.{key}", f'unknown strategy "{name}" (known: {", ".join(STRATEGY_NAMES)})'
            )
    if raw.last_agent_fallback in ("last-agent", "ring-all"):
        problems.add(f"{path}.last_agent_fallback", "must pick one agent by itself")
    for key in ("max_wait", "service_level_seconds", "announce_interval", "last_agent_days"):
        with problems.check():
            _positive(getattr(raw, key), f"{path}.{key}")
    for key in ("ring_timeout", "default_handle_time", "callback_retry"):
        with problems.check():
            _positive(getattr(raw, key), f"{path}.{key}", zero=False)
    if raw.max_length < 0:
        problems.add(f"{path}.max_length", "must not be negative")
    if raw.callback_attempts < 1:
        problems.add(f"{path}.callback_attempts", "must be at least 1")
    if isinstance(raw.wrap_up, float):
        with problems.check():
            _positive(raw.wrap_up, f"{path}.wrap_up")
    digit = raw.callback_digit
    if digit is not None and (len(digit) != 1 or digit not in "0123456789*#"):
        problems.add(f"{path}.callback_digit", "one of 0-9, * and #")
    indexed = []
    for i, r in enumerate(raw.overflow):
        with problems.check():
            indexed.append((i, _rule(r, f"{path}.overflow[{i}]", queue_names)))
    rules = tuple(rule for _, rule in indexed)
    seen: set[Condition] = set()
    for i, rule in indexed:
        if rule.when is None:
            problems.add(f"{path}.overflow[{i}].when", "required")
        elif rule.when in seen:
            problems.add(f"{path}.overflow[{i}].when", f'a second rule for "{rule.when.value}"')
        if rule.action is OverflowAction.QUEUE and rule.target == raw.name:
            problems.add(f"{path}.overflow[{i}].target", "a queue cannot overflow to itself")
        if rule.when is not None:
            seen.add(rule.when)
    blacklist_action = _HANGUP
    if raw.blacklist_action is not None:
        if raw.blacklist_action.when is not None:
            problems.add(f"{path}.blacklist_action.when", "not used here")
        with problems.check():
            blacklist_action = _rule(raw.blacklist_action, f"{path}.blacklist_action", queue_names)
    problems.raise_any()
    return QueueConfig(
        name=raw.name,
        number=raw.number,
        strategy=raw.strategy,
        priority=raw.priority,
        max_wait=raw.max_wait,
        max_length=raw.max_length,
        wrap_up=None if raw.wrap_up == "manual" else float(raw.wrap_up),
        ring_timeout=raw.ring_timeout,
        service_level_seconds=raw.service_level_seconds,
        answer=raw.answer,
        music_class=raw.music_class,
        greeting=tuple(raw.greeting),
        announce_interval=raw.announce_interval,
        announce_position=raw.announce_position,
        announce_wait_time=raw.announce_wait_time,
        callback_digit=digit,
        callback_attempts=raw.callback_attempts,
        callback_retry=raw.callback_retry,
        vip_numbers=frozenset(raw.vip_numbers),
        vip_priority=raw.vip_priority,
        priority_key=raw.priority_key,
        blacklist=frozenset(raw.blacklist),
        blacklist_action=blacklist_action,
        last_agent_days=raw.last_agent_days,
        last_agent_fallback=raw.last_agent_fallback,
        default_handle_time=raw.default_handle_time,
        overflow=rules,
    )


def _schedule(name: str, raw: _ScheduleSection, path: str) -> Schedule:
    """One schedule; raises every problem it has at once."""
    problems = Problems()
    days = set()
    for i, day in enumerate(raw.days):
        if day not in DAY_NAMES:
            problems.add(f"{path}.days[{i}]", f"expected one of {', '.join(DAY_NAMES)}")
        else:
            days.add(DAY_NAMES.index(day))
    ranges = []
    for i, text in enumerate(raw.hours):
        try:
            ranges.append(parse_hours(text))
        except ValueError as exc:
            problems.add(f"{path}.hours[{i}]", str(exc))
    problems.raise_any()
    return Schedule(name=name, days=frozenset(days), ranges=tuple(ranges))


def _check(raw: _Acd) -> AcdConfig:
    """The checked table; every problem found is raised at once (``Problems``)."""
    problems = Problems()
    with problems.check():
        try:
            zoneinfo.ZoneInfo(raw.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise StructureError("acd.timezone", f'unknown time zone "{raw.timezone}"') from None
    codes = tuple(raw.reason_codes)
    for i, code in enumerate(codes):
        if not code or len(code) > 32:
            problems.add(f"acd.reason_codes[{i}]", "1 to 32 characters")
    if len(set(codes)) != len(codes):
        problems.add("acd.reason_codes", "a reason code is listed twice")
    if not raw.rona_reason:
        problems.add("acd.rona_reason", "must not be empty")
    with problems.check():
        _positive(raw.wallboard_interval, "acd.wallboard_interval")
    schedules = {}
    for name, sched in raw.schedules.items():
        with problems.check():
            schedules[name] = _schedule(name, sched, f"acd.schedules.{name}")
    names = [q.name for q in raw.queues]
    queue_names = set(names)
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.add(f"acd.queues[{i}].name", f'queue "{name}" is defined twice')
    queues = []
    for i, q in enumerate(raw.queues):
        with problems.check():
            queues.append(_queue(q, f"acd.queues[{i}]", queue_names))
    points: dict[str, str] = {}
    for i, queue in enumerate(queues):
        for point in queue.points:
            if point in points and points[point] != queue.name:
                problems.add(f"acd.queues[{i}].number", f'"{point}" is used twice')
            points[point] = queue.name
    removed_to: OverflowRule | None = None
    if raw.removed_queue_destination is not None:
        path = "acd.removed_queue_destination"
        if raw.removed_queue_destination.when is not None:
            problems.add(f"{path}.when", "not used here")
        with problems.check():
            removed_to = _rule(raw.removed_queue_destination, path, queue_names)
    agents: list[AgentConfig] = []
    positions: dict[str, int] = dict.fromkeys(queue_names, 0)
    seen: set[str] = set()
    for i, a in enumerate(raw.agents):
        with problems.check():
            agents.extend(_agents(a, f"acd.agents[{i}]", queue_names, schedules, positions, seen))
    problems.raise_any()
    return AcdConfig(
        timezone=raw.timezone,
        reason_codes=codes,
        rona_reason=raw.rona_reason,
        wallboard_interval=raw.wallboard_interval,
        seed=raw.seed,
        schedules=schedules,
        queues=tuple(queues),
        agents=tuple(agents),
        removed_queue_destination=removed_to,
    )


def _agents(
    a: _Agent,
    path: str,
    queue_names: set[str],
    schedules: Mapping[str, Schedule],
    positions: dict[str, int],
    seen: set[str],
) -> list[AgentConfig]:
    """One ``[[acd.agents]]`` entry (one agent, or a range of ids); raises every problem."""
    problems = Problems()
    ids: list[str] = []
    with problems.check():
        try:
            ranged = re.fullmatch(r"\d+-\d+", a.id) is not None
            ids = parse_number_ranges(a.id) if ranged else [a.id]
        except ValueError as exc:
            raise StructureError(f"{path}.id", str(exc)) from None
        if not ids[0] or len(a.id) > 64:
            raise StructureError(f"{path}.id", "1 to 64 characters")
    devices: frozenset[str] = frozenset()
    with problems.check():
        try:
            devices = frozenset(parse_number_ranges(a.devices))
        except ValueError as exc:
            raise StructureError(f"{path}.devices", str(exc)) from None
    if a.pin is not None and not (4 <= len(a.pin) <= 32):
        problems.add(f"{path}.pin", "4 to 32 characters")
    queues_of_agent: set[str] = set()
    for j, skill in enumerate(a.skills):
        spath = f"{path}.skills[{j}]"
        if skill.queue not in queue_names:
            problems.add(f"{spath}.queue", f'no queue "{skill.queue}"')
        if skill.queue in queues_of_agent:
            problems.add(f"{spath}.queue", f'"{skill.queue}" is listed twice')
        queues_of_agent.add(skill.queue)
        if skill.schedule is not None and skill.schedule not in schedules:
            problems.add(f"{spath}.schedule", f'no schedule "{skill.schedule}"')
        if not 0 <= skill.level <= 100:
            problems.add(f"{spath}.level", "must be between 0 and 100")
        if not 0 <= skill.penalty <= 100:
            problems.add(f"{spath}.penalty", "must be between 0 and 100")
    for agent_id in ids:
        if agent_id in seen:
            problems.add(f"{path}.id", f'agent "{agent_id}" is defined twice')
        seen.add(agent_id)
    problems.raise_any()
    agents = []
    for agent_id in ids:
        skills = []
        for skill in a.skills:
            skills.append(
                MembershipConfig(
                    queue=skill.queue,
                    level=skill.level,
                    penalty=skill.penalty,
                    schedule=skill.schedule,
                    position=positions[skill.queue],
                )
            )
            positions[skill.queue] += 1
        name = a.name if a.name and len(ids) == 1 else f"{a.name or 'Agent'} {agent_id}"
        agents.append(
            AgentConfig(
                agent_id=agent_id,
                name=name,
                pin=a.pin,
                auto_answer=a.auto_answer,
                skills=tuple(skills),
                devices=devices,
            )
        )
    return agents


def acd_config(data: Mapping[str, Any], file: str = "<acd>") -> AcdConfig:
    """Check an ``[acd]`` table; raises ``ConfigError`` with every problem it finds (a
    wrong value in an entry hides nothing of that entry or of the others)."""
    problems = Problems()
    raw = problems.salvage(_Acd, data, "acd")
    checked: AcdConfig | None = None
    with problems.check():
        checked = _check(raw)
    try:
        problems.raise_any()
    except StructureError as exc:
        raise structure_error(file, exc) from None
    assert checked is not None
    return checked


def acd_section(config: Config) -> AcdConfig | None:
    """The checker of ``[acd]`` for ``ctid check-config`` (None when there is no table)."""
    data = config.sections.get("acd")
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise ConfigError(config.file, "acd", "expected a table")
    return acd_config(data, config.file)
