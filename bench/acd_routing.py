"""The cost of one ACD routing decision as free agents and waiting calls grow, indexed vs naive.

Two decisions, each measured as the steady-state step it is in a running
centre (decide, then put the world back so the next round sees the same sizes):

* **call arrives**: pick an agent among R free agents of its queue, the agent
  leaves the free index and comes back (``Router.agents_for`` + ``remove`` +
  ``add``), against ``NaiveRouter`` scanning all R agents;
* **agent frees up**: pick the best of W waiting calls across the 5 queues it
  serves (of 10), the call leaves the queue and a new one arrives
  (``Router.best_entry_for`` + ``discard`` + ``add_waiting``), against a scan
  of all W calls.

Times are microseconds per decision (median of several repeats).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from ctid.acd.agent import Agent, Membership
from ctid.acd.agent_states import AgentState
from ctid.acd.config import AgentConfig, MembershipConfig, acd_config
from ctid.acd.queue import Entry, QueueRuntime
from ctid.acd.router import Router
from ctid.acd.strategies import StrategyContext, make_strategy
from ctid.testing.acd_reference import NaiveRouter

QUEUES = [f"q{i}" for i in range(10)]


def _queue(name: str, strategy: str, rng: random.Random) -> QueueRuntime:
    config = acd_config({"queues": [{"name": name, "strategy": strategy}]}).queues[0]
    return QueueRuntime(config, make_strategy(strategy, StrategyContext(rng=rng)))


def _agent(i: int, queues: list[str], rng: random.Random) -> Agent:
    skills = tuple(
        MembershipConfig(
            queue=q, level=rng.randint(1, 9), penalty=rng.randint(0, 2), schedule=None, position=i
        )
        for q in queues
    )
    config = AgentConfig(
        agent_id=f"a{i}", name="", pin=None, auto_answer=True, skills=skills, devices=frozenset()
    )
    agent = Agent(config=config, memberships={m.queue: Membership(config=m) for m in skills})
    agent.state = AgentState.READY
    agent.active = frozenset(queues)
    agent.ready_since = rng.random() * 3600
    agent.day.calls = rng.randint(0, 50)
    agent.day.talk = rng.random() * 10_000
    return agent


def _entry(seq: int, queue: str, rng: random.Random) -> Entry:
    return Entry(
        entry_id=f"e{seq}",
        queue=queue,
        call_id=f"c{seq}",
        point=queue,
        caller=f"+1{seq:010d}",
        priority=rng.choice((0, 0, 0, 5)),
        seq=seq,
        entered_at=0.0,
    )


def _time(step: Callable[[], Any], rounds: int, repeats: int = 5) -> float:
    """Median microseconds per call of ``step``."""
    samples = []
    for _ in range(repeats):
        began = time.perf_counter_ns()
        for _ in range(rounds):
            step()
        samples.append((time.perf_counter_ns() - began) / rounds / 1000)
    return statistics.median(samples)


def call_arrives(ready: int, strategy: str, naive: bool) -> float:
    rng = random.Random(1)
    queue = _queue("q0", strategy, rng)
    agents = {f"a{i}": _agent(i, ["q0"], rng) for i in range(ready)}
    router = Router({"q0": queue})
    reference = NaiveRouter({"q0": queue}, agents)
    for agent in agents.values():
        router.make_available(agent)
    entry = _entry(1, "q0", rng)
    member = {a.agent_id: a.memberships["q0"] for a in agents.values()}

    def indexed() -> None:
        (chosen, *_) = router.agents_for(queue, entry)
        queue.strategy.remove(chosen)
        queue.strategy.add(chosen, member[chosen.agent_id])

    def scan() -> None:
        (chosen, *_) = reference.agents_for(queue, entry)
        chosen.state = AgentState.BUSY
        chosen.state = AgentState.READY

    rounds = max(20, 200_000 // ready) if naive else 20_000
    return _time(scan if naive else indexed, rounds)


def agent_frees_up(waiting: int, naive: bool) -> float:
    rng = random.Random(2)
    queues = {name: _queue(name, "longest-idle", rng) for name in QUEUES}
    agent = _agent(0, QUEUES[:5], rng)
    for seq in range(1, waiting + 1):
        name = rng.choice(QUEUES)
        queues[name].add_waiting(_entry(seq, name, rng))
    router = Router(queues)
    reference = NaiveRouter(queues, {agent.agent_id: agent})
    counter = [waiting]

    def step(find: Callable[[Agent], tuple[QueueRuntime, Entry] | None]) -> None:
        best = find(agent)
        assert best is not None
        queue, entry = best
        queue.waiting.discard(entry.entry_id)
        counter[0] += 1
        queue.add_waiting(_entry(counter[0], queue.name, rng))

    rounds = max(20, 100_000 // waiting) if naive else 20_000
    find = reference.best_entry_for if naive else router.best_entry_for
    return _time(lambda: step(find), rounds)


def main(*, quick: bool = False) -> None:
    sizes = [100, 1000] if quick else [100, 1_000, 10_000]
    print("ACD routing: microseconds per decision (median of 5 repeats)\n")
    print("call arrives: pick one of R free agents (longest-idle)")
    print(f"{'R':>8} {'indexed':>10} {'naive':>10} {'ratio':>7}")
    for ready in sizes:
        fast = call_arrives(ready, "longest-idle", naive=False)
        slow = call_arrives(ready, "longest-idle", naive=True)
        print(f"{ready:>8} {fast:>10.2f} {slow:>10.1f} {slow / fast:>7.0f}x")
    print(f"\nevery strategy at R = {sizes[-1]} (indexed / naive)")
    for strategy in (
        "linear",
        "round-robin",
        "fewest-calls",
        "least-talk-time",
        "skill-level",
        "random",
        "last-agent",
    ):
        fast = call_arrives(sizes[-1], strategy, naive=False)
        slow = call_arrives(sizes[-1], strategy, naive=True)
        print(f"  {strategy:<16} {fast:>8.2f} {slow:>10.1f}")
    print("\nagent frees up: best of W waiting calls in its 5 queues (of 10)")
    print(f"{'W':>8} {'indexed':>10} {'naive':>10} {'ratio':>7}")
    for waiting in [10, *sizes]:
        fast = agent_frees_up(waiting, naive=False)
        slow = agent_frees_up(waiting, naive=True)
        print(f"{waiting:>8} {fast:>10.2f} {slow:>10.1f} {slow / fast:>7.0f}x")
    print()
