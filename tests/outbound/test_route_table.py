"""Outbound routing on its own: the route table, the digits sent and the hunt orders."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from ctid.calls.outbound_routes import (
    ALL_LINES,
    OutboundRouting,
    parse_outbound_routing,
    resolve_groups,
)
from ctid.calls.outside import OutsideDial, OutsideRefused
from ctid.calls.values import EventCause
from ctid.config import ConfigError, config_from_dict
from ctid.outbound.router import OutboundRouter
from ctid.structure import StructureError

LINES = {"T": ("T/1", "T/2", "T/3", "T/4")}


def router(
    routes: list[dict[str, object]],
    groups: list[dict[str, object]] | None = None,
    *,
    seed: int = 7,
    per_line: int | None = 1,
) -> OutboundRouter:
    routing = parse_outbound_routing(routes, groups)
    return OutboundRouter(
        routing,
        resolve_groups(routing, LINES),
        calls_per_line=per_line,
        rng=random.Random(seed),
    )


def busy(*lines: str) -> dict[str, int]:
    return dict.fromkeys(lines, 1)


def take(r: OutboundRouter, number: str, in_use: dict[str, int]) -> OutsideDial | OutsideRefused:
    """Route ``number`` and, as the call model would, count the call on its line."""
    result = r(number, lambda line: in_use.get(line, 0))
    if isinstance(result, OutsideDial) and result.line is not None:
        in_use[result.line] = in_use.get(result.line, 0) + 1
    return result


def test_first_matching_route_strips_and_prefixes() -> None:
    r = router(
        [
            {"name": "international", "pattern": r"00\d+", "strip": 2, "prefix": "+"},
            {"name": "national", "pattern": r"0[1-9]\d{8,9}", "prefix": "17909"},
            {"name": "local", "pattern": r"[2-9]\d{6}", "trunk_group": "T"},
        ]
    )
    none: dict[str, int] = {}
    assert take(r, "004930123456", {}) == OutsideDial(
        number="+4930123456", line="T/1", route="international"
    )
    assert take(r, "0201234567", {}) == OutsideDial(
        number="179090201234567", line="T/1", route="national"
    )
    assert take(r, "5551234", none) == OutsideDial(number="5551234", line="T/1", route="local")
    # The whole number must match: a longer or shorter one takes no route.
    assert take(r, "55512345", {}) == OutsideRefused(
        cause=EventCause.DEST_NOT_OBTAINABLE, reason="no outbound route matches the number"
    )


def test_strip_that_leaves_nothing_refuses() -> None:
    r = router([{"name": "short", "pattern": r"\d{3}", "strip": 3}])
    assert take(r, "112", {}) == OutsideRefused(
        cause=EventCause.DEST_NOT_OBTAINABLE,
        reason="route 'short' strips every digit of the number",
    )


def test_sequential_hunt_takes_the_first_free_line_each_time() -> None:
    r = router([{"name": "all", "pattern": r"\d+", "hunt": "sequential"}])
    in_use: dict[str, int] = {}
    lines = [take(r, "5551234", in_use) for _ in range(4)]
    assert [d.line for d in lines if isinstance(d, OutsideDial)] == ["T/1", "T/2", "T/3", "T/4"]
    in_use["T/2"] = 0  # the call on T/2 ended
    assert take(r, "5551234", in_use) == OutsideDial(number="5551234", line="T/2", route="all")
    assert take(r, "5551234", in_use) == OutsideRefused(
        cause=EventCause.TRUNKS_BUSY, reason="every line of trunk group '*' is busy"
    )


def test_round_robin_remembers_where_it_stopped() -> None:
    r = router(
        [{"name": "rr", "pattern": r"\d+", "trunk_group": "T", "hunt": "round-robin"}],
    )
    got = []
    for _ in range(6):
        in_use: dict[str, int] = {}  # every call ends before the next: all lines free
        result = take(r, "5551234", in_use)
        assert isinstance(result, OutsideDial)
        got.append(result.line)
    assert got == ["T/1", "T/2", "T/3", "T/4", "T/1", "T/2"]
    # It skips busy lines and goes on from the line it took.
    result = take(r, "5551234", busy("T/3", "T/4"))
    assert isinstance(result, OutsideDial) and result.line == "T/1"
    result = take(r, "5551234", {})
    assert isinstance(result, OutsideDial) and result.line == "T/2"


def test_round_robin_memory_is_per_route() -> None:
    r = router(
        [
            {"name": "a", "pattern": r"1\d+", "hunt": "round-robin"},
            {"name": "b", "pattern": r"2\d+", "hunt": "round-robin"},
        ]
    )
    lines = [take(r, n, {}) for n in ("1000", "1000", "2000", "1000")]
    assert [d.line for d in lines if isinstance(d, OutsideDial)] == ["T/1", "T/2", "T/1", "T/3"]


def test_random_hunt_uses_only_free_lines_and_every_one_of_them() -> None:
    r = router([{"name": "any", "pattern": r"\d+", "hunt": "random"}], seed=3)
    seen: Counter[str] = Counter()
    for _ in range(400):
        result = take(r, "5551234", busy("T/2"))
        assert isinstance(result, OutsideDial) and result.line is not None
        seen[result.line] += 1
    assert set(seen) == {"T/1", "T/3", "T/4"}
    # Each of three free lines is as likely: about 133 of 400 each.
    assert all(100 <= n <= 170 for n in seen.values()), seen
    # The same seed hunts the same way (reproducible simulations).
    again = router([{"name": "any", "pattern": r"\d+", "hunt": "random"}], seed=3)
    first = [take(again, "5551234", busy("T/2")) for _ in range(20)]
    r2 = router([{"name": "any", "pattern": r"\d+", "hunt": "random"}], seed=3)
    assert first == [take(r2, "5551234", busy("T/2")) for _ in range(20)]


def test_declared_group_hunts_in_its_own_order() -> None:
    r = router(
        [{"name": "back", "pattern": r"\d+", "trunk_group": "back"}],
        [{"name": "back", "lines": ["T/4", "T/3"]}],
    )
    in_use: dict[str, int] = {}
    got = [take(r, "5551234", in_use) for _ in range(3)]
    assert [d.line if isinstance(d, OutsideDial) else d.cause for d in got] == [
        "T/4",
        "T/3",
        EventCause.TRUNKS_BUSY,
    ]


def test_lines_without_a_known_limit_are_never_busy() -> None:
    r = router([{"name": "gw", "pattern": r"\d+"}], per_line=None)
    in_use: dict[str, int] = {}
    got = {take(r, "5551234", in_use) for _ in range(50)}
    assert got == {OutsideDial(number="5551234", line="T/1", route="gw")}


def test_explain_shows_the_choice_without_moving_the_hunt() -> None:
    r = router(
        [{"name": "rr", "pattern": r"0\d+", "strip": 1, "prefix": "9", "hunt": "round-robin"}]
    )
    choice = r.explain("0123", lambda line: 1 if line == "T/1" else 0)
    assert choice.to_wire() == {
        "direction": "outbound",
        "calledNumber": "0123",
        "route": "rr",
        "trunkGroup": ALL_LINES,
        "hunt": "round-robin",
        "dial": "9123",
        "line": "T/2",
        "freeLines": ["T/2", "T/3", "T/4"],
        "reason": "route 'rr', round-robin hunt",
    }
    assert r.explain("0123", lambda line: 0).line == "T/1"  # nothing was taken
    result = take(r, "0123", {})
    assert isinstance(result, OutsideDial) and result.line == "T/1"


@pytest.mark.parametrize(
    ("routes", "groups", "path", "problem"),
    [
        ([{"pattern": "("}], None, "switch.outbound_routes[0].pattern", "bad regular expression"),
        ([{"pattern": "1", "strip": 21}], None, "switch.outbound_routes[0].strip", "between 0"),
        ([{"pattern": "1", "prefix": "12a"}], None, "switch.outbound_routes[0].prefix", "digits"),
        ([{"pattern": "1", "hunt": "cyclic"}], None, "switch.outbound_routes[0].hunt", "cyclic"),
        ([{"pattern": "1", "trunk": "T"}], None, "switch.outbound_routes[0].trunk", "unknown key"),
        (
            [{"pattern": "1", "name": "x"}, {"pattern": "2", "name": "x"}],
            None,
            "switch.outbound_routes[1].name",
            "listed twice",
        ),
        ([], [{"name": "g", "lines": []}], "switch.trunk_groups[0].lines", "at least one"),
        ([], [{"name": "g", "lines": ["T/1", "T/1"]}], "switch.trunk_groups[0].lines", "twice"),
        ([], [{"name": "*", "lines": ["T/1"]}], "switch.trunk_groups[0].name", "not a usable"),
        ({"pattern": "1"}, None, "switch.outbound_routes", "array of tables"),
    ],
)
def test_bad_routes_name_the_key(routes: object, groups: object, path: str, problem: str) -> None:
    switch: dict[str, object] = {"driver": "simulator", "outbound_routes": routes}
    if groups is not None:
        switch["trunk_groups"] = groups
    with pytest.raises(ConfigError) as info:
        config_from_dict({"switch": switch}, "ctid.toml")
    assert info.value.key == path
    assert problem in info.value.problem


def test_groups_and_routes_are_checked_against_the_switch() -> None:
    routing = parse_outbound_routing(
        [{"pattern": r"\d+", "trunk_group": "T"}], [{"name": "g", "lines": ["T/1", "T/9"]}]
    )
    with pytest.raises(StructureError) as info:
        resolve_groups(routing, LINES)
    assert info.value.path == "switch.trunk_groups[0].lines"
    assert info.value.problem == (
        "the switch has no outside line 'T/9' (its lines: T/1, T/2, T/3, T/4)"
    )
    routing = parse_outbound_routing([{"pattern": r"\d+", "trunk_group": "pstn"}], None)
    with pytest.raises(StructureError) as info:
        resolve_groups(routing, LINES)
    assert info.value.path == "switch.outbound_routes[0].trunk_group"
    assert info.value.problem == "no trunk group 'pstn' (groups: *, T)"


def test_no_tables_no_routes() -> None:
    config = config_from_dict({"switch": {"driver": "simulator"}}, "ctid.toml")
    assert config.outbound_routing == OutboundRouting()
