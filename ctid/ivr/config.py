"""The ``[ivr]`` and ``[routing]`` tables, checked at start-up, on reload and by check-config.

Every problem is a ``ConfigError`` naming the file, the key (or the flow node)
and what is wrong, e.g. ``flows/main.yaml: node menu: choices.1: no node 'sale'``.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import attrs

from ..config import Config, ConfigError, ConfigProblems, Gather, each_problem, structure_error
from ..structure import StructureError, structure
from .flow import Flow
from .load import FLOW_SUFFIXES, FlowError, KnownNames, load_flow_file
from .routing import (
    Override,
    RoutingTable,
    Rule,
    compile_pattern,
    destination_from,
    parse_date_ranges,
    parse_days,
    parse_hours,
)

__all__ = [
    "IvrSection",
    "IvrSettings",
    "RoutingSection",
    "check_ivr",
    "check_routing",
    "flow_config_error",
    "ivr_settings",
    "load_flows",
    "routing_table",
    "sends_to_voicemail",
]


@attrs.frozen(kw_only=True)
class IvrSection:
    """``[ivr]`` as written in the configuration file."""

    #: Folder of flow files (*.yaml, *.yml, *.json); ``package:MODULE/DIR`` for one
    #: shipped inside ctid (the demo's). None: no flows.
    flows_dir: str | None = None
    #: Local time for ${DATE}/${TIME}, time_between and routing windows.
    timezone: str = "UTC"
    #: Text-to-speech engine: ``espeak-ng``; ``silent`` (silence as long as the text, to try
    #: flows without an engine); ``none`` (TTS prompts fail and take the error exit).
    tts: Literal["espeak-ng", "silent", "none"] = "espeak-ng"
    #: Voice per language for the TTS engine (default en -> en-us, zh -> cmn).
    tts_voices: dict[str, str] = attrs.field(factory=dict)
    #: Prompts made at once (worker threads).
    tts_threads: int = 2
    #: Numbers (route points) that start a flow when dialled: number -> flow.
    numbers: dict[str, str] = attrs.field(factory=dict)
    #: Queue name -> the number that reaches it, until the ACD provides its queues.
    queues: dict[str, str] = attrs.field(factory=dict)
    #: Agent id -> device, until the ACD provides its agents.
    agents: dict[str, str] = attrs.field(factory=dict)
    #: Database name -> SQLAlchemy URL, for SQL lookups.
    databases: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class RuleSection:
    name: str
    destination: dict[str, str]
    dnis: list[str] = attrs.field(factory=list)
    ani: list[str] = attrs.field(factory=list)
    days: list[str] = attrs.field(factory=list)
    hours: list[str] = attrs.field(factory=list)
    holidays: Literal["any", "only", "except"] = "any"
    outside_hours: bool = False
    enabled: bool = True


@attrs.frozen(kw_only=True)
class OverrideSection:
    name: str
    destination: dict[str, str]
    dnis: list[str] = attrs.field(factory=list)
    description: str = ""


@attrs.frozen(kw_only=True)
class RoutingSection:
    """``[routing]`` as written in the configuration file."""

    #: Caller numbers (patterns) rejected before anything else.
    blacklist: list[str] = attrs.field(factory=list)
    #: Holiday dates, ``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD``.
    holidays: list[str] = attrs.field(factory=list)
    #: A file with more holidays, one date or range a line (# comments).
    holiday_file: str | None = None
    rules: list[RuleSection] = attrs.field(factory=list)
    overrides: list[OverrideSection] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class IvrSettings:
    section: IvrSection
    flows_dir: Path | None
    timezone: zoneinfo.ZoneInfo
    state_dir: Path


def ivr_settings(config: Config) -> IvrSettings:
    raw = config.sections.get("ivr", {})
    try:
        section = structure(IvrSection, raw, "ivr")
    except StructureError as exc:
        raise structure_error(config.file, exc) from None
    try:
        tz = zoneinfo.ZoneInfo(section.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            config.file, "ivr.timezone", f"unknown timezone {section.timezone!r}"
        ) from None
    if not 1 <= section.tts_threads <= 32:
        raise ConfigError(config.file, "ivr.tts_threads", "must be between 1 and 32")
    flows_dir = None
    if section.flows_dir is not None:
        flows_dir = _resolve_dir(config, section.flows_dir)
        if not flows_dir.is_dir():
            raise ConfigError(config.file, "ivr.flows_dir", f"no folder {flows_dir}")
    return IvrSettings(
        section=section,
        flows_dir=flows_dir,
        timezone=tz,
        state_dir=config.path(config.server.state_dir),
    )


def _resolve_dir(config: Config, value: str) -> Path:
    if value.startswith("package:"):
        module, _, sub = value[len("package:") :].partition("/")
        try:
            return Path(str(resources.files(module).joinpath(sub)))
        except ModuleNotFoundError:
            raise ConfigError(config.file, "ivr.flows_dir", f"no package {module}") from None
    return config.path(value)


def known_names(settings: IvrSettings, queue_exists: Callable[[str], bool]) -> KnownNames:
    return KnownNames(queue_exists=queue_exists, databases=frozenset(settings.section.databases))


def load_flows(
    settings: IvrSettings, known: KnownNames, loaded: dict[str, Flow] | None = None
) -> dict[str, Flow]:
    """Every flow file in the flows folder; ``FlowError`` with all their problems.

    ``loaded`` (if given) receives the flows that passed, even when others fail.
    """
    flows: dict[str, Flow] = {} if loaded is None else loaded
    problems = []
    if settings.flows_dir is None:
        return flows
    for path in sorted(settings.flows_dir.iterdir()):
        if path.suffix not in FLOW_SUFFIXES or not path.is_file():
            continue
        try:
            flow = load_flow_file(path, known)
        except FlowError as exc:
            problems.extend(exc.problems)
            continue
        if flow.name in flows:
            raise ConfigError(str(path), None, f"a second flow named {flow.name!r}")
        flows[flow.name] = flow
    if problems:
        raise FlowError(problems)
    return flows


def flow_config_error(exc: FlowError) -> ConfigError:
    """Every problem of the flows, as one error that reads as the first (and a count)."""
    return ConfigProblems(
        [ConfigError(p.file, f"node {p.node}" if p.node else None, p.problem) for p in exc.problems]
    )


def check_ivr(
    config: Config, extra_queues: Iterable[str] = (), extensions: Iterable[str] = ()
) -> dict[str, Flow]:
    """``[ivr]`` and every flow file; ``extra_queues`` are queue names defined elsewhere (ACD).

    ``extensions``: the switch's extensions, which no IVR number may be.
    """
    flows, _, gather = _ivr_parts(config, extra_queues, extensions)
    gather.raise_any()
    return flows


def _ivr_parts(
    config: Config, extra_queues: Iterable[str], extensions: Iterable[str]
) -> tuple[dict[str, Flow], set[str], Gather]:
    """The flows that passed; the names of all (a refused flow file counts by its file
    name, its own problems being reported); every problem of ``[ivr]`` and its flows."""
    gather = Gather()
    settings = ivr_settings(config)
    queues = set(settings.section.queues) | set(extra_queues)
    loaded: dict[str, Flow] = {}
    flows: set[str] = set()
    try:
        load_flows(settings, known_names(settings, queues.__contains__), loaded)
    except FlowError as exc:
        gather.problems.extend(each_problem(flow_config_error(exc)))
        flows = {Path(p.file).stem for p in exc.problems}
    flows |= set(loaded)
    extensions = set(extensions)
    for number, flow in settings.section.numbers.items():
        if flow not in flows:
            gather.problems.append(
                ConfigError(config.file, f"ivr.numbers.{number}", f"no flow {flow!r}")
            )
        if number in extensions:
            gather.problems.append(
                ConfigError(
                    config.file, f"ivr.numbers.{number}", f"{number} is already an extension"
                )
            )
    return loaded, flows, gather


def sends_to_voicemail(config: Config, extra_queues: Iterable[str] = ()) -> bool:
    """Whether the file has callers leave voicemail, as far as it reads: a ``[routing]``
    rule or override with a voicemail destination, or a flow with a voicemail node (an
    ACD overflow to voicemail reaches one through its target). The IVR records the
    messages, under ``state_dir/voicemail``."""
    routing = config.sections.get("routing")
    for table in ("rules", "overrides"):
        entries = routing.get(table) if isinstance(routing, Mapping) else None
        for entry in entries if isinstance(entries, list) else ():
            destination = entry.get("destination") if isinstance(entry, Mapping) else None
            if isinstance(destination, Mapping) and "voicemail" in destination:
                return True
    try:
        flows, _, _ = _ivr_parts(config, extra_queues, ())
    except (ConfigError, OSError):
        return False  # [ivr] does not read: its own problem
    return any(node.kind == "voicemail" for flow in flows.values() for node in flow.nodes.values())


def check_routing(
    config: Config,
    extra_queues: Iterable[str] = (),
    extensions: Iterable[str] = (),
    extra_agents: Iterable[str] = (),
) -> RoutingTable:
    """``[routing]``; ``extra_queues``/``extra_agents`` are defined elsewhere (the ACD).

    Raises every problem of ``[ivr]``, its flows and ``[routing]`` together; a flow
    whose file could not be read is taken to exist (its own problem is reported).
    """
    _, flows, gather = _ivr_parts(config, extra_queues, extensions)
    settings = ivr_settings(config)
    queues = set(settings.section.queues) | set(extra_queues)
    agents = set(settings.section.agents) | set(extra_agents)
    table: RoutingTable | None = None
    with gather.check():
        table = routing_table(
            config,
            flow_exists=flows.__contains__,
            queue_exists=queues.__contains__,
            agent_exists=agents.__contains__,
        )
    gather.raise_any()
    assert table is not None
    return table


def routing_table(
    config: Config,
    *,
    flow_exists: Callable[[str], bool],
    queue_exists: Callable[[str], bool],
    agent_exists: Callable[[str], bool],
) -> RoutingTable:
    """The checked ``[routing]`` table."""
    file = config.file
    try:
        section = structure(RoutingSection, config.sections.get("routing", {}), "routing")
    except StructureError as exc:
        raise structure_error(file, exc) from None

    def patterns(key: str, values: list[str]) -> tuple[Any, ...]:
        out = []
        for i, value in enumerate(values):
            try:
                out.append(compile_pattern(value))
            except Exception as exc:  # re.error
                raise ConfigError(file, f"{key}[{i}]", f"bad pattern: {exc}") from None
        return tuple(out)

    def destination(key: str, value: Mapping[str, str]) -> Any:
        try:
            dest = destination_from(value)
        except ValueError as exc:
            raise ConfigError(file, key, str(exc)) from None
        target = dest.target
        exists = {
            "flow": flow_exists,
            "queue": queue_exists,
            "agent": agent_exists,
        }.get(dest.kind)
        if exists is not None and not exists(target):
            raise ConfigError(file, f"{key}.{dest.kind}", f"no {dest.kind} {target!r}")
        if dest.kind == "voicemail":
            box_kind, _, box = target.partition(":")
            # A number's mailbox needs nothing to exist: [voicemail] may name it.
            if box_kind != "number" and not (queue_exists if box_kind == "queue" else agent_exists)(
                box
            ):
                raise ConfigError(file, f"{key}.voicemail", f"no {box_kind} {box!r}")
        return dest

    try:
        holiday_lines = list(section.holidays)
        if section.holiday_file:
            path = config.path(section.holiday_file)
            try:
                holiday_lines += path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ConfigError(
                    file, "routing.holiday_file", f"cannot read {path}: {exc}"
                ) from None
        holidays = parse_date_ranges(holiday_lines)
    except ValueError as exc:
        raise ConfigError(file, "routing.holidays", str(exc)) from None
    rules = []
    names = set()
    gather = Gather()  # every rule is checked: check-config lists each problem
    for i, r in enumerate(section.rules):
        key = f"routing.rules[{i}]"
        with gather.check():
            if r.name in names:
                raise ConfigError(file, f"{key}.name", f"a second rule named {r.name!r}")
            names.add(r.name)
            if r.outside_hours and not (r.days or r.hours):
                raise ConfigError(file, f"{key}.outside_hours", "needs days or hours")
            try:
                hours = tuple(parse_hours(h) for h in r.hours)
                days = parse_days(r.days)
            except ValueError as exc:
                raise ConfigError(file, key, str(exc)) from None
            rules.append(
                Rule(
                    name=r.name,
                    destination=destination(f"{key}.destination", r.destination),
                    dnis=patterns(f"{key}.dnis", r.dnis),
                    ani=patterns(f"{key}.ani", r.ani),
                    days=days,
                    hours=hours,
                    holidays=r.holidays,
                    outside_hours=r.outside_hours,
                    enabled=r.enabled,
                )
            )
    overrides = []
    for i, o in enumerate(section.overrides):
        key = f"routing.overrides[{i}]"
        with gather.check():
            overrides.append(
                Override(
                    name=o.name,
                    destination=destination(f"{key}.destination", o.destination),
                    dnis=patterns(f"{key}.dnis", o.dnis),
                    description=o.description,
                )
            )
    blacklist: tuple[Any, ...] = ()
    with gather.check():
        blacklist = patterns("routing.blacklist", section.blacklist)
    gather.raise_any()
    return RoutingTable(
        rules=tuple(rules),
        overrides=tuple(overrides),
        blacklist=blacklist,
        holidays=holidays,
    )
