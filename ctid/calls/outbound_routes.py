"""``[[switch.outbound_routes]]`` and ``[[switch.trunk_groups]]``: checked into frozen values.

::

    [[switch.trunk_groups]]             # optional: the driver's own groups exist already
    name = "pstn"                       # (the simulator's "T"; each Asterisk/FreeSWITCH trunk)
    lines = ["T/1", "T/2", "T/3", "T/4"]

    [[switch.outbound_routes]]          # first match wins
    name = "national"                   # default: "route N" (N counts from 1)
    pattern = "0\\d{9,10}"              # regular expression; the whole number must match
    strip = 0                           # leading digits removed
    prefix = "17909"                    # then put in front
    trunk_group = "pstn"                # default "*": every outside line of the switch
    hunt = "round-robin"                # sequential | round-robin | random

Problems raise ``StructureError`` naming the key; ``ctid.config`` reports them
as ``ConfigError``. Whether a group's lines exist is checked against the
driver when the daemon is built (``ctid.outbound.install``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from ..structure import Problems, StructureError

__all__ = [
    "ALL_LINES",
    "Hunt",
    "OutboundRoute",
    "OutboundRouting",
    "TrunkGroup",
    "parse_outbound_routing",
    "resolve_groups",
    "salvage_outbound_routing",
]

#: The trunk group of every outside line the switch has, in the driver's order.
ALL_LINES: Final = "*"

#: How a route picks a line of its group.
Hunt = Literal["sequential", "round-robin", "random"]

_NAME_RE = re.compile(r"[A-Za-z0-9_.:/ -]{1,64}")
_PREFIX_RE = re.compile(r"\+?[0-9*#]{0,20}")


@attrs.frozen(kw_only=True)
class TrunkGroup:
    """Outside lines a route hunts over, in hunting order."""

    name: str
    lines: tuple[str, ...]


@attrs.frozen(kw_only=True)
class OutboundRoute:
    """Outside numbers that fully match ``pattern`` go out on ``trunk_group``."""

    name: str
    pattern: re.Pattern[str]
    strip: int = 0
    prefix: str = ""
    trunk_group: str
    hunt: Hunt = "sequential"

    def digits(self, number: str) -> str | None:
        """What the switch is sent for ``number``; None when strip leaves nothing."""
        rest = number[self.strip :]
        return self.prefix + rest if rest else None


@attrs.frozen(kw_only=True)
class OutboundRouting:
    """The routes, in order, and the trunk groups declared in the file."""

    routes: tuple[OutboundRoute, ...] = ()
    groups: Mapping[str, TrunkGroup] = attrs.field(factory=dict)
    #: As far as the file reads (``salvage_outbound_routing``): where each route and
    #: group stands in its list (entries with problems of their own are left out), and
    #: the names of the groups left out, which a route may still name. Empty: all read.
    route_index: tuple[int, ...] = attrs.field(default=(), eq=False)
    group_index: tuple[int, ...] = attrs.field(default=(), eq=False)
    left_out: frozenset[str] = attrs.field(factory=frozenset, eq=False)


@attrs.frozen(kw_only=True)
class _RawGroup:
    name: str
    lines: list[str]


@attrs.frozen(kw_only=True)
class _RawRoute:
    pattern: str
    trunk_group: str = ALL_LINES
    name: str | None = None
    strip: int = 0
    prefix: str = ""
    hunt: Hunt = "sequential"


def parse_outbound_routing(
    routes: Sequence[Any] | None, groups: Sequence[Any] | None, path: str = "switch"
) -> OutboundRouting:
    """Check the two lists of ``[switch]`` (either may be absent); raises one
    ``StructureError`` holding every problem found."""
    routing, errors = salvage_outbound_routing(routes, groups, path)
    if errors:
        problems = Problems()
        for error in errors:
            problems.add(error.path, error.problem)
        problems.raise_any()
    return routing


def salvage_outbound_routing(
    routes: Sequence[Any] | None, groups: Sequence[Any] | None, path: str = "switch"
) -> tuple[OutboundRouting, list[StructureError]]:
    """The two lists as far as they read, and every problem: an entry with a problem is
    left out (its index and, for a group, its name kept in the result), so a file that
    does not load still has its other routes checked against the switch's lines."""
    problems = Problems()
    group_index: list[int] = []
    left_out: set[str] = set()
    route_index: list[int] = []
    declared: dict[str, TrunkGroup] = {}
    group_items: Sequence[Any] = ()
    with problems.check():
        group_items = _as_list(groups, f"{path}.trunk_groups")
    for i, item in enumerate(group_items):
        where = f"{path}.trunk_groups[{i}]"
        raw = problems.salvage(_RawGroup, item, where)
        if not _NAME_RE.fullmatch(raw.name):
            problems.add(f"{where}.name", f"not a usable group name: {raw.name!r}")
        if raw.name in declared:
            problems.add(f"{where}.name", f"group {raw.name!r} is listed twice")
        if not raw.lines:
            problems.add(f"{where}.lines", "list at least one line")
        if len(set(raw.lines)) != len(raw.lines):
            problems.add(f"{where}.lines", "a line is listed twice")
        if not problems.found_under(where):
            declared[raw.name] = TrunkGroup(name=raw.name, lines=tuple(raw.lines))
            group_index.append(i)
        elif raw.name:
            left_out.add(raw.name)
    out: list[OutboundRoute] = []
    names: list[str] = []
    route_items: Sequence[Any] = ()
    with problems.check():
        route_items = _as_list(routes, f"{path}.outbound_routes")
    for i, item in enumerate(route_items):
        where = f"{path}.outbound_routes[{i}]"
        raw_route = problems.salvage(_RawRoute, item, where)
        name = raw_route.name if raw_route.name is not None else f"route {i + 1}"
        if not _NAME_RE.fullmatch(name):
            problems.add(f"{where}.name", f"not a usable route name: {name!r}")
        if name in names:
            problems.add(f"{where}.name", f"route {name!r} is listed twice")
        names.append(name)
        pattern = None
        try:
            pattern = re.compile(raw_route.pattern)
        except re.error as exc:
            problems.add(f"{where}.pattern", f"bad regular expression: {exc}")
        if not 0 <= raw_route.strip <= 20:
            problems.add(f"{where}.strip", "must be between 0 and 20 digits")
        if not _PREFIX_RE.fullmatch(raw_route.prefix):
            problems.add(
                f"{where}.prefix",
                f"expected up to 20 digits (with * # and a leading +), got {raw_route.prefix!r}",
            )
        if not raw_route.trunk_group:
            problems.add(f"{where}.trunk_group", "must not be empty")
        if not problems.found_under(where) and pattern is not None:
            out.append(
                OutboundRoute(
                    name=name,
                    pattern=pattern,
                    strip=raw_route.strip,
                    prefix=raw_route.prefix,
                    trunk_group=raw_route.trunk_group,
                    hunt=raw_route.hunt,
                )
            )
            route_index.append(i)
    routing = OutboundRouting(
        routes=tuple(out),
        groups=declared,
        route_index=tuple(route_index),
        group_index=tuple(group_index),
        left_out=frozenset(left_out - set(declared)),
    )
    return routing, list(problems.errors)


def resolve_groups(
    routing: OutboundRouting, driver_groups: Mapping[str, tuple[str, ...]], path: str = "switch"
) -> dict[str, TrunkGroup]:
    """Every group a route may use: the driver's own, then those of the file (which may
    only use the driver's lines). Raises ``StructureError`` for an unknown line or group."""
    groups = {name: TrunkGroup(name=name, lines=lines) for name, lines in driver_groups.items()}
    every = tuple(dict.fromkeys(line for lines in driver_groups.values() for line in lines))
    if every:
        groups[ALL_LINES] = TrunkGroup(name=ALL_LINES, lines=every)
    known_lines = set(every)
    problems = Problems()  # every unknown line and group, not only the first
    for i, group in enumerate(routing.groups.values()):
        at = routing.group_index[i] if routing.group_index else i
        for line in group.lines:
            if line not in known_lines:
                known = ", ".join(sorted(known_lines)) or "none"
                problems.add(
                    f"{path}.trunk_groups[{at}].lines",
                    f"the switch has no outside line {line!r} (its lines: {known})",
                )
        groups[group.name] = group
    for i, route in enumerate(routing.routes):
        if route.trunk_group not in groups and route.trunk_group not in routing.left_out:
            at = routing.route_index[i] if routing.route_index else i
            known = ", ".join(sorted(groups)) or "none"
            problems.add(
                f"{path}.outbound_routes[{at}].trunk_group",
                f"no trunk group {route.trunk_group!r} (groups: {known})",
            )
    problems.raise_any()
    return groups


def _as_list(value: Sequence[Any] | None, path: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise StructureError(path, "expected an array of tables ([[...]])")
    return value
