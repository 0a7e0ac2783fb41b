"""Strategy details the routing tests never reached (found by mutation testing, docs/testing.md).

Each test here kills mutants that survived the rest of the suite: ``make_strategy`` dropping
``max_age`` or the default fallback, round-robin on an empty queue or across penalty tiers,
and the index accessors (``len``, ``in``, ``get``) that the engine and snapshots use.
"""

from __future__ import annotations

import random

import pytest
from test_acd_strategies import _agent

from ctid.acd.strategies import (
    STRATEGIES,
    LastAgent,
    LongestIdle,
    RoundRobin,
    StrategyContext,
    make_strategy,
    register,
)


def _ctx(seen: list[tuple[str, float]], last: dict[str, str] | None = None) -> StrategyContext:
    def last_agent(caller: str, max_age: float) -> str | None:
        seen.append((caller, max_age))
        return (last or {}).get(caller)

    return StrategyContext(rng=random.Random(3), last_agent=last_agent)


def test_make_strategy_passes_max_age_to_last_agent() -> None:
    seen: list[tuple[str, float]] = []
    strategy = make_strategy("last-agent", _ctx(seen), max_age=86400.0, fallback="linear")
    assert isinstance(strategy, LastAgent)
    assert strategy.max_age == 86400.0
    assert strategy.pick("+1555") == []
    assert seen == [("+1555", 86400.0)]


def test_last_agent_defaults_to_longest_idle_and_no_age() -> None:
    seen: list[tuple[str, float]] = []
    strategy = make_strategy("last-agent", _ctx(seen))
    assert isinstance(strategy, LastAgent)
    assert type(strategy.fallback) is LongestIdle
    assert strategy.max_age == 0.0
    # Longest idle, not configuration order: "b" became ready first, "a" is listed first.
    a = _agent("a", {"q": (0, 1, 0)}, ready_since=20.0)
    b = _agent("b", {"q": (0, 1, 1)}, ready_since=10.0)
    for agent in (a, b):
        strategy.add(agent, agent.memberships["q"])
    assert [x.agent_id for x in strategy.pick("+1")] == ["b"]
    assert seen == [("+1", 0.0)]
    direct = LastAgent(_ctx([]))
    assert type(direct.fallback) is LongestIdle
    assert direct.max_age == 0.0


def test_last_agent_shares_the_fallback_index() -> None:
    seen: list[tuple[str, float]] = []
    strategy = make_strategy("last-agent", _ctx(seen, {"+1": "b"}), fallback="linear")
    a = _agent("a", {"q": (0, 1, 0)})
    b = _agent("b", {"q": (0, 1, 1)})
    for agent in (a, b):
        strategy.add(agent, agent.memberships["q"])
    assert isinstance(strategy, LastAgent)
    assert len(strategy.fallback) == 2
    assert [x.agent_id for x in strategy.pick("+1")] == ["b"]
    assert [x.agent_id for x in strategy.pick("+2")] == ["a"]


def test_unknown_names_raise_key_error() -> None:
    with pytest.raises(KeyError):
        make_strategy("no-such-strategy", _ctx([]))
    with pytest.raises(KeyError):
        make_strategy("last-agent", _ctx([]), fallback="no-such-strategy")


def test_registering_a_name_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^strategy linear registered twice$"):
        register(type("Again", (LongestIdle,), {"name": "linear"}))
    assert STRATEGIES["linear"].__name__ == "Linear"


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_len_contains_get_and_free_agents(name: str) -> None:
    strategy = make_strategy(name, _ctx([]), fallback="linear")
    assert len(strategy) == 0
    assert "a" not in strategy
    assert strategy.get("a") is None
    assert strategy.pick("+1") == []
    assert strategy.free_agents() == []
    a = _agent("a", {"q": (0, 1, 0)}, ready_since=1.0)
    b = _agent("b", {"q": (1, 1, 1)}, ready_since=2.0)
    for agent in (a, b):
        strategy.add(agent, agent.memberships["q"])
    assert len(strategy) == 2
    assert "a" in strategy
    assert "b" in strategy
    assert "c" not in strategy
    assert strategy.get("a") is a
    assert strategy.get("c") is None
    # Lower penalty first, whatever the strategy's own order.
    assert strategy.free_agents() == [a, b]
    strategy.remove(a)
    strategy.remove(a)  # idempotent
    assert len(strategy) == 1
    assert "a" not in strategy
    assert strategy.get("a") is None
    assert strategy.free_agents() == [b]


def test_round_robin_on_an_empty_queue() -> None:
    strategy = make_strategy("round-robin", _ctx([]))
    assert isinstance(strategy, RoundRobin)
    assert strategy.pick("+1") == []
    assert strategy.last == -1


def test_round_robin_stays_in_the_best_tier_and_wraps_inside_it() -> None:
    strategy = make_strategy("round-robin", _ctx([]))
    assert isinstance(strategy, RoundRobin)
    # Tier 0: positions 1 and 3; tier 2: positions 0, 2 and 4.
    tier0 = [_agent(n, {"q": (0, 1, p)}) for n, p in (("b", 1), ("d", 3))]
    tier2 = [_agent(n, {"q": (2, 1, p)}) for n, p in (("a", 0), ("c", 2), ("e", 4))]
    for agent in (*tier2, *tier0):
        strategy.add(agent, agent.memberships["q"])
    picks = [strategy.pick("+1")[0].agent_id for _ in range(5)]
    assert picks == ["b", "d", "b", "d", "b"]
    assert strategy.last == 1
    # The best tier empties: the next tier, starting after the last position given (1).
    for agent in tier0:
        strategy.remove(agent)
    picks = [strategy.pick("+1")[0].agent_id for _ in range(4)]
    assert picks == ["c", "e", "a", "c"]
    assert strategy.last == 2


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_keeps_its_context(name: str) -> None:
    ctx = _ctx([])
    strategy = make_strategy(name, ctx, fallback="random")
    assert strategy.ctx is ctx
    if isinstance(strategy, LastAgent):
        assert strategy.fallback.ctx is ctx


def test_last_agent_with_a_random_fallback_draws_from_the_context() -> None:
    ctx = _ctx([])
    strategy = make_strategy("last-agent", ctx, fallback="random")
    agents = [_agent(n, {"q": (0, 1, i)}) for i, n in enumerate("abcdef")]
    for agent in agents:
        strategy.add(agent, agent.memberships["q"])
    # The same seed draws the same keys: the fallback uses ctx.rng, not a fresh generator.
    expected = random.Random(3)
    keys = {a.agent_id: expected.random() for a in agents}
    assert [a.agent_id for a in strategy.pick("+1")] == [min(keys, key=keys.__getitem__)]
