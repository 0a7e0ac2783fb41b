"""Typed values of the IVR and inbound routing (docs/ivr.md): ``ivr.*`` and ``routing.*``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ._errors import ProtocolError
from ._values import counts, field, items, number, optional, strings

__all__ = [
    "FlowDayStatistics",
    "FlowInfo",
    "FlowProblem",
    "FlowValidation",
    "IvrCall",
    "IvrReload",
    "IvrStatistics",
    "RoutingDecision",
    "RoutingOverride",
]


def _texts(data: Any, key: str, where: str) -> Mapping[str, str]:
    value = field(data, key, dict, where)
    if not all(isinstance(v, str) for v in value.values()):
        raise ProtocolError(f"{where}.{key}: expected an object of strings, got {value!r}")
    return MappingProxyType(dict(value))


@dataclasses.dataclass(frozen=True, kw_only=True)
class FlowInfo:
    """One flow that new calls start in (``ivr.listFlows``)."""

    name: str
    #: A digest of the flow file: calls keep the version they started with.
    version: str
    file: str
    description: str
    start: str
    languages: tuple[str, ...]
    #: Node name -> node type (``play``, ``menu``, ...).
    nodes: Mapping[str, str]
    #: The route points (numbers) that start it.
    numbers: tuple[str, ...]
    calls_now: int

    @classmethod
    def from_wire(cls, data: Any, where: str = "ivr.listFlows.flows[]") -> FlowInfo:
        return cls(
            name=field(data, "name", str, where),
            version=field(data, "version", str, where),
            file=field(data, "file", str, where),
            description=field(data, "description", str, where),
            start=field(data, "start", str, where),
            languages=strings(data, "languages", where),
            nodes=_texts(data, "nodes", where),
            numbers=strings(data, "numbers", where),
            calls_now=field(data, "callsNow", int, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class FlowProblem:
    """One problem found in a flow: its file, its node (``None``: the flow as a whole), what."""

    file: str
    node: str | None
    problem: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class FlowValidation:
    """``ivr.validateFlow``: whether the flow loads, every problem, and its name and version."""

    valid: bool
    problems: tuple[FlowProblem, ...]
    #: Set when valid.
    name: str | None
    version: str | None

    @classmethod
    def from_wire(cls, data: Any, where: str = "ivr.validateFlow") -> FlowValidation:
        w = f"{where}.problems[]"
        return cls(
            valid=field(data, "valid", bool, where),
            problems=tuple(
                FlowProblem(
                    file=field(p, "file", str, w),
                    node=optional(p, "node", str, w),
                    problem=field(p, "problem", str, w),
                )
                for p in items(data, "problems", where)
            ),
            name=optional(data, "name", str, where),
            version=optional(data, "version", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class IvrReload:
    """``ivr.reload``: the flows loaded now (name -> version), and those that changed."""

    flows: Mapping[str, str]
    changed: tuple[str, ...]

    @classmethod
    def from_wire(cls, data: Any, where: str = "ivr.reload") -> IvrReload:
        return cls(flows=_texts(data, "flows", where), changed=strings(data, "changed", where))


@dataclasses.dataclass(frozen=True, kw_only=True)
class IvrCall:
    """A call in the IVR now (``ivr.calls``)."""

    call_id: str
    flow: str
    version: str
    #: The node it is in (``None`` between nodes).
    node: str | None
    node_type: str | None
    language: str
    entered_at: str
    node_since: str
    caller_hung_up: bool

    @classmethod
    def from_wire(cls, data: Any, where: str = "ivr.calls.calls[]") -> IvrCall:
        return cls(
            call_id=field(data, "callID", str, where),
            flow=field(data, "flow", str, where),
            version=field(data, "version", str, where),
            node=optional(data, "node", str, where),
            node_type=optional(data, "nodeType", str, where),
            language=field(data, "language", str, where),
            entered_at=field(data, "enteredAt", str, where),
            node_since=field(data, "nodeSince", str, where),
            caller_hung_up=field(data, "callerHungUp", bool, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class FlowDayStatistics:
    """One flow's figures for one day (``ivr.statistics``)."""

    #: YYYY-MM-DD, local to ``[ivr] timezone``.
    day: str
    flow: str
    calls: int
    finished: int
    seconds_in_ivr: float
    average_seconds_in_ivr: float
    #: Node -> visits.
    node_visits: Mapping[str, int]
    #: Menu node -> key (``"none"``: no valid choice) -> count.
    menu_choices: Mapping[str, Mapping[str, int]]
    #: How calls left the flow (``agent``, ``hangup``, ``selfService``, ``error``...) -> count.
    exits: Mapping[str, int]

    @classmethod
    def from_wire(cls, data: Any, where: str = "ivr.statistics.statistics[]") -> FlowDayStatistics:
        choices = field(data, "menuChoices", dict, where)
        return cls(
            day=field(data, "day", str, where),
            flow=field(data, "flow", str, where),
            calls=field(data, "calls", int, where),
            finished=field(data, "finished", int, where),
            seconds_in_ivr=number(data, "secondsInIvr", where),
            average_seconds_in_ivr=number(data, "averageSecondsInIvr", where),
            node_visits=counts(data, "nodeVisits", where),
            menu_choices=MappingProxyType(
                {node: counts(choices, node, f"{where}.menuChoices") for node in choices}
            ),
            exits=counts(data, "exits", where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class IvrStatistics:
    """``ivr.statistics``: figures per flow and day, and the calls in each flow now."""

    statistics: tuple[FlowDayStatistics, ...]
    #: Flow -> calls in it now.
    now: Mapping[str, int]

    @classmethod
    def from_wire(cls, data: Any, where: str = "ivr.statistics") -> IvrStatistics:
        return cls(
            statistics=tuple(
                FlowDayStatistics.from_wire(s) for s in items(data, "statistics", where)
            ),
            now=counts(data, "now", where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class RoutingOverride:
    """An inbound routing override (``routing.overrides``) and whether it is switched on."""

    name: str
    active: bool
    #: One key, the kind (``flow``, ``queue``, ``message``, ...) -> its target.
    destination: Mapping[str, str]
    description: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "routing.overrides[]") -> RoutingOverride:
        return cls(
            name=field(data, "name", str, where),
            active=field(data, "active", bool, where),
            destination=_texts(data, "destination", where),
            description=field(data, "description", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class RoutingDecision:
    """``routing.test``: where a call would go now."""

    #: One key, the kind (``flow``, ``queue``, ``device``, ``message``...) -> its target;
    #: ``None`` when no rule matched (the call goes where it was dialled) or it is refused.
    destination: Mapping[str, str] | None
    #: The call would be refused (blacklist).
    rejected: bool
    #: Which rule or override decided (``rule front-door``), or ``no rule: as dialled``.
    reason: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "routing.test") -> RoutingDecision:
        if not isinstance(data, Mapping):
            raise ProtocolError(f"{where}: expected an object, got {type(data).__name__}")
        # The server leaves ``rejected`` out when no rule matched.
        rejected = data.get("rejected", False)
        if not isinstance(rejected, bool):
            raise ProtocolError(f"{where}.rejected: expected bool, got {rejected!r}")
        return cls(
            destination=None
            if data.get("destination") is None
            else _texts(data, "destination", where),
            rejected=rejected,
            reason=field(data, "reason", str, where),
        )
