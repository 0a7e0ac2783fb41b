"""Each routing strategy on its own, and the indexed router against a naive full scan."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ctid.acd.agent import Agent, Membership
from ctid.acd.agent_states import AgentState
from ctid.acd.config import AgentConfig, MembershipConfig, acd_config
from ctid.acd.queue import Entry, QueueRuntime
from ctid.acd.router import Router
from ctid.acd.strategies import STRATEGIES, StrategyContext, make_strategy
from ctid.acd.strategy_names import STRATEGY_NAMES
from ctid.testing.acd_reference import NaiveRouter


def _agent(agent_id: str, memberships: dict[str, tuple[int, int, int]], **fields: Any) -> Agent:
    """``memberships``: queue -> (penalty, level, position)."""
    skills = tuple(
        MembershipConfig(queue=q, penalty=p, level=lv, schedule=None, position=pos)
        for q, (p, lv, pos) in memberships.items()
    )
    config = AgentConfig(
        agent_id=agent_id,
        name=agent_id,
        pin=None,
        auto_answer=False,
        skills=skills,
        devices=frozenset(),
    )
    agent = Agent(config=config, memberships={m.queue: Membership(config=m) for m in skills})
    agent.state = AgentState.READY
    agent.active = frozenset(memberships)
    for key, value in fields.items():
        if key in ("calls", "talk"):
            setattr(agent.day, key, value)
        else:
            setattr(agent, key, value)
    return agent


def _queue(
    strategy: str, name: str = "q", *, last: dict[str, str] | None = None, priority: int = 0
) -> QueueRuntime:
    last = last or {}
    ctx = StrategyContext(rng=random.Random(7), last_agent=lambda caller, max_age: last.get(caller))
    config = acd_config(
        {
            "queues": [
                {
                    "name": name,
                    "strategy": strategy,
                    "last_agent_fallback": "linear",
                    "priority": priority,
                }
            ]
        }
    ).queues[0]
    return QueueRuntime(config, make_strategy(strategy, ctx, max_age=1e9, fallback="linear"))


def _entry(queue: str = "q", caller: str = "+1555", seq: int = 1, priority: int = 0) -> Entry:
    return Entry(
        entry_id=f"e{seq}",
        queue=queue,
        call_id=f"c{seq}",
        point=queue,
        caller=caller,
        priority=priority,
        seq=seq,
        entered_at=0.0,
    )


def _free(queue: QueueRuntime, *agents: Agent) -> Router:
    router = Router({queue.name: queue})
    for a in agents:
        router.make_available(a)
    return router


def _pick(queue: QueueRuntime, caller: str = "+1555") -> list[str]:
    return [a.agent_id for a in queue.strategy.pick(caller)]


def test_every_strategy_named_in_the_issue_exists() -> None:
    assert set(STRATEGIES) == {
        "linear",
        "round-robin",
        "fewest-calls",
        "least-talk-time",
        "longest-idle",
        "skill-level",
        "random",
        "ring-all",
        "last-agent",
    }


def test_configuration_knows_the_strategies_by_the_names_they_register() -> None:
    # config.py checks names against strategy_names (it must not import the strategies).
    assert tuple(STRATEGIES) == STRATEGY_NAMES


def test_linear_takes_the_first_listed_free_agent() -> None:
    q = _queue("linear")
    a, b, c = (_agent(n, {"q": (0, 1, i)}, ready_since=10 - i) for i, n in enumerate("abc"))
    _free(q, c, b, a)
    assert _pick(q) == ["a"]
    q.strategy.remove(a)
    assert _pick(q) == ["b"]


def test_round_robin_goes_round_with_memory() -> None:
    q = _queue("round-robin")
    agents = [_agent(n, {"q": (0, 1, i)}) for i, n in enumerate("abc")]
    _free(q, *agents)
    picks = []
    for _ in range(7):
        (chosen,) = q.strategy.pick("x")
        picks.append(chosen.agent_id)
        # The chosen agent takes the call and comes back later; the order goes on.
        q.strategy.remove(chosen)
        q.strategy.add(chosen, chosen.memberships["q"])
    assert picks == ["a", "b", "c", "a", "b", "c", "a"]
    q.strategy.remove(agents[1])
    assert [q.strategy.pick("x")[0].agent_id for _ in range(2)] == ["c", "a"]


def test_fewest_calls_then_longest_idle() -> None:
    q = _queue("fewest-calls")
    _free(
        q,
        _agent("a", {"q": (0, 1, 0)}, calls=3, ready_since=1.0),
        _agent("b", {"q": (0, 1, 1)}, calls=1, ready_since=5.0),
        _agent("c", {"q": (0, 1, 2)}, calls=1, ready_since=2.0),
    )
    assert _pick(q) == ["c"]


def test_least_talk_time() -> None:
    q = _queue("least-talk-time")
    _free(
        q,
        _agent("a", {"q": (0, 1, 0)}, talk=300.0),
        _agent("b", {"q": (0, 1, 1)}, talk=90.0),
        _agent("c", {"q": (0, 1, 2)}, talk=120.0),
    )
    assert _pick(q) == ["b"]


def test_longest_idle() -> None:
    q = _queue("longest-idle")
    _free(
        q,
        _agent("a", {"q": (0, 1, 0)}, ready_since=30.0),
        _agent("b", {"q": (0, 1, 1)}, ready_since=10.0),
        _agent("c", {"q": (0, 1, 2)}, ready_since=20.0),
    )
    assert _pick(q) == ["b"]


def test_skill_level_then_longest_idle() -> None:
    q = _queue("skill-level")
    _free(
        q,
        _agent("a", {"q": (0, 3, 0)}, ready_since=1.0),
        _agent("b", {"q": (0, 5, 1)}, ready_since=9.0),
        _agent("c", {"q": (0, 5, 2)}, ready_since=4.0),
    )
    assert _pick(q) == ["c"]


def test_random_is_uniform_and_reproducible() -> None:
    counts: Counter[str] = Counter()
    for trial in range(600):
        q = _queue("random")
        q.strategy.ctx.rng.seed(trial)
        _free(q, *(_agent(n, {"q": (0, 1, i)}) for i, n in enumerate("abc")))
        counts[_pick(q)[0]] += 1
    # 600 draws of 3 equally likely agents: each near 200 (sd ~11.5); 4 sd either way.
    assert all(154 <= n <= 246 for n in counts.values()), counts
    q1, q2 = _queue("random"), _queue("random")
    for q in (q1, q2):
        _free(q, *(_agent(n, {"q": (0, 1, i)}) for i, n in enumerate("abcdef")))
    assert _pick(q1) == _pick(q2)


def test_ring_all_rings_the_whole_best_tier() -> None:
    q = _queue("ring-all")
    _free(
        q,
        _agent("a", {"q": (0, 1, 0)}, ready_since=3.0),
        _agent("b", {"q": (1, 1, 1)}, ready_since=1.0),
        _agent("c", {"q": (0, 1, 2)}, ready_since=2.0),
    )
    assert _pick(q) == ["c", "a"]


def test_last_agent_then_fallback() -> None:
    q = _queue("last-agent", last={"+1999": "c"})
    c = _agent("c", {"q": (0, 1, 2)})
    _free(q, _agent("a", {"q": (0, 1, 0)}), _agent("b", {"q": (0, 1, 1)}), c)
    assert _pick(q, "+1999") == ["c"]
    assert _pick(q, "+1000") == ["a"]  # unknown caller: the fallback (linear)
    q.strategy.remove(c)
    assert _pick(q, "+1999") == ["a"]  # the last agent is not free


def test_penalty_tiers_come_first_for_every_strategy() -> None:
    for name in STRATEGIES:
        q = _queue(name)
        _free(
            q,
            _agent("low", {"q": (0, 1, 5)}, calls=9, talk=900.0, ready_since=50.0),
            _agent("high", {"q": (3, 9, 0)}, calls=0, talk=0.0, ready_since=1.0),
        )
        assert _pick(q) == ["low"], name


def test_agents_take_the_queue_they_prefer() -> None:
    sales, support = _queue("longest-idle", "sales"), _queue("longest-idle", "support")
    router = Router({"sales": sales, "support": support})
    agent = _agent("a", {"sales": (1, 1, 0), "support": (0, 1, 0)})
    sales.add_waiting(_entry("sales", seq=1))
    support.add_waiting(_entry("support", seq=2))
    best = router.best_entry_for(agent)
    assert best is not None
    # Its penalty for support is lower: support first, though sales' call came earlier.
    assert best[0] is support
    vip = _entry("sales", seq=3, priority=10)
    sales.add_waiting(vip)
    agent2 = _agent("b", {"sales": (0, 1, 0)})
    best = router.best_entry_for(agent2)
    assert best is not None
    assert best[1] is vip


# ------------------------------------------------------- against the reference

agent_spec = st.tuples(
    st.sampled_from([AgentState.READY, AgentState.READY, AgentState.BUSY, AgentState.NOT_READY]),
    st.dictionaries(
        st.sampled_from(["q0", "q1", "q2"]),
        st.tuples(st.integers(0, 2), st.integers(1, 5)),
        min_size=1,
    ),
    st.integers(0, 20),
    st.floats(0, 1000, allow_nan=False),
)


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(set(STRATEGIES) - {"random", "round-robin"})),
    specs=st.lists(agent_spec, min_size=1, max_size=25),
    waiting=st.lists(
        st.tuples(st.sampled_from(["q0", "q1", "q2"]), st.integers(0, 3)), max_size=20
    ),
    callers=st.lists(st.sampled_from(["+1", "+2", "+3"]), min_size=1, max_size=3),
    priorities=st.lists(st.integers(0, 2), min_size=3, max_size=3),
)
def test_indexed_router_matches_a_full_scan(
    name: str,
    priorities: list[int],
    specs: list[tuple[AgentState, dict[str, tuple[int, int]], int, float]],
    waiting: list[tuple[str, int]],
    callers: list[str],
) -> None:
    last = {"+1": "a0", "+2": "a3"}
    queues = {
        n: _queue(name, n, last=last, priority=p)
        for n, p in zip(("q0", "q1", "q2"), priorities, strict=True)
    }
    agents = {}
    positions: Counter[str] = Counter()
    for i, (state, members, calls, talk) in enumerate(specs):
        memberships = {}
        for q, (penalty, level) in members.items():
            memberships[q] = (penalty, level, positions[q])
            positions[q] += 1
        agent = _agent(f"a{i}", memberships, calls=calls, talk=talk, ready_since=float(i))
        agent.state = state
        agents[agent.agent_id] = agent
    router, naive = Router(queues), NaiveRouter(queues, agents)
    for agent in agents.values():
        if agent.state is AgentState.READY:
            router.make_available(agent)
    for queue in queues.values():
        for caller in callers:
            entry = _entry(queue.name, caller)
            assert [a.agent_id for a in router.agents_for(queue, entry)] == [
                a.agent_id for a in naive.agents_for(queue, entry)
            ]
    for seq, (q, priority) in enumerate(waiting, start=1):
        queues[q].add_waiting(_entry(q, seq=seq, priority=priority))
    for agent in agents.values():
        assert router.best_entry_for(agent) == naive.best_entry_for(agent)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.integers(0, 7)), max_size=40))
def test_round_robin_matches_the_reference(steps: list[tuple[bool, int]]) -> None:
    queue = _queue("round-robin")
    agents = {f"a{i}": _agent(f"a{i}", {"q": (i % 2, 1, i)}) for i in range(8)}
    router, naive = Router({"q": queue}), NaiveRouter({"q": queue}, agents)
    for agent in agents.values():
        router.make_available(agent)
    for pick, i in steps:
        if pick:
            got = router.agents_for(queue, _entry())
            want = naive.agents_for(queue, _entry())
            assert [a.agent_id for a in got] == [a.agent_id for a in want]
            for a in got:
                a.state = AgentState.BUSY
                queue.strategy.remove(a)
        else:
            agent = agents[f"a{i}"]
            if agent.state is not AgentState.READY:
                agent.state = AgentState.READY
                router.make_available(agent)
