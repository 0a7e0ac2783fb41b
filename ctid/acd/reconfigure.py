"""A new ``[acd]`` applied to the running engine, while calls are up (``ctid reload``).

``check`` finds every problem of the new configuration against the running
daemon (route points taken by extensions or other services) without changing
anything; ``apply`` then changes the engine in place, in one step of the call
service (``AcdService.request``), so no event is folded in half-way:

* queues: new ones start serving their route points; changed ones take their
  new settings at once (a new strategy is filled with the agents free now);
  a removed queue stops taking calls and its waiting callers follow its
  overflow (the ``no_agents`` rule, else ``timeout``, else any rule that
  routes somewhere), else ``[acd.removed_queue_destination]``; with none of
  these they are hung up. A call ringing at an agent
  or a callback in progress finishes; the queue goes when it is empty.
* agents and skills: new agents can log on; a changed agent keeps its state and
  serves its new queues (those it left it stops serving at once); a removed
  agent who is logged on is logged off with ``AgentLoggedOffEvent`` (cause
  ``configurationChanged``), after its call if it is on one.
* schedules, reason codes, time zone, strategies: taken at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Final

from ..calls.directory import Directory
from ..config import ConfigError
from .agent import Agent, Membership
from .agent_states import AgentState, AgentTrigger
from .config import AcdConfig, AgentConfig, Condition, OverflowAction, OverflowRule, QueueConfig
from .engine import AcdEngine
from .entry_states import FINAL
from .overflow import overflow
from .queue import QueueRuntime
from .strategies import make_strategy

__all__ = ["CAUSE", "apply", "check"]

log = logging.getLogger(__name__)

#: The cause of the events a reload brings about (an agent logged off, a caller sent on).
CAUSE: Final = "configurationChanged"
_ON_A_CALL: Final = (AgentState.BUSY, AgentState.RESERVED)
_HANG_UP: Final = OverflowRule(when=None, action=OverflowAction.HANGUP)


def check(engine: AcdEngine, new: AcdConfig, file: str) -> list[ConfigError]:
    """Every problem of ``new`` that only the running daemon can see (none: it applies)."""
    directory = engine.model.directory
    problems = []
    for queue in new.queues:
        for point in queue.points:
            if point in directory.extensions:
                problems.append(
                    ConfigError(file, f"acd.queues.{queue.name}", f"{point} is an extension")
                )
            owner = directory.route_points.get(point)
            if owner is not None and owner != "acd":
                problems.append(
                    ConfigError(
                        file, f"acd.queues.{queue.name}", f"{point} is already served by {owner}"
                    )
                )
    return problems


def apply(engine: AcdEngine, new: AcdConfig) -> dict[str, Any]:
    """Change the engine to ``new`` (checked); returns what changed, by kind, for the log."""
    old = engine.config
    old_queues = {q.name: q for q in old.queues}
    new_queues = {q.name: q for q in new.queues}
    engine.config = new
    engine.settings_changed()
    added_q = [n for n in new_queues if n not in old_queues and n not in engine.queues]
    changed_q = [n for n in new_queues if n in engine.queues and n not in added_q]
    removed_q = [n for n in engine.queues if n not in new_queues]
    directory = engine.model.directory
    for name in new_queues:
        _set_queue(engine, directory, new_queues[name])
    changed_q = [n for n in changed_q if old_queues.get(n) != new_queues[n]]

    old_agents = {a.agent_id: a for a in old.agents}
    new_agents = {a.agent_id: a for a in new.agents}
    added_a = [a for a in new_agents if a not in engine.agents]
    changed_a = [a for a in new_agents if a in engine.agents and old_agents.get(a) != new_agents[a]]
    removed_a = [a for a in engine.agents if a not in new_agents]
    for agent_id in removed_a:
        _remove_agent(engine, engine.agents.pop(agent_id))
    for agent_id in added_a:
        engine.agents[agent_id] = _new_agent(engine, new_agents[agent_id])
    for agent_id in changed_a:
        _change_agent(engine, engine.agents[agent_id], new_agents[agent_id])

    for name in removed_q:
        _remove_queue(engine, directory, engine.queues[name])
    for queue in engine.queues.values():
        engine.wallboard.touch(queue)
        engine.dispatch_queue(queue)
    return {
        "queues": {"added": added_q, "changed": changed_q, "removed": removed_q},
        "agents": {"added": added_a, "changed": changed_a, "removed": removed_a},
    }


# ------------------------------------------------------------------ queues


def _set_queue(engine: AcdEngine, directory: Directory, config: QueueConfig) -> None:
    queue = engine.queues.get(config.name)
    strategy = make_strategy(
        config.strategy,
        engine.strategy_context,
        max_age=config.last_agent_days * 86400.0,
        fallback=config.last_agent_fallback,
    )
    if queue is None:
        queue = QueueRuntime(config, strategy)
        engine.queues[config.name] = queue
    else:
        old = queue.config
        if (old.strategy, old.last_agent_days, old.last_agent_fallback) != (
            config.strategy,
            config.last_agent_days,
            config.last_agent_fallback,
        ):
            # The agents free now are free in the new strategy too.
            for agent in queue.strategy.free_agents():
                strategy.add(agent, agent.memberships[config.name])
            queue.strategy = strategy
        for point in set(old.points) - set(config.points):
            engine.points.pop(point, None)
            directory.remove_route_point(point)
        queue.config = config
    for point in config.points:
        directory.add_route_point(point, "acd")
        engine.points[point] = queue
    directory.link_aliases(config.points)


def _remove_queue(engine: AcdEngine, directory: Directory, queue: QueueRuntime) -> None:
    for point in queue.config.points:
        if engine.points.get(point) is queue:
            del engine.points[point]
            directory.remove_route_point(point)
    rule = _rule_for_removed(queue.config, engine.config.removed_queue_destination)
    for entry in list(queue.callers_waiting()):
        overflow(engine, entry, rule)
    if all(e.state in FINAL for e in queue.entries.values()):
        del engine.queues[queue.name]
    else:
        log.info("queue %s removed: it goes once its offered calls are decided", queue.name)


def _rule_for_removed(config: QueueConfig, destination: OverflowRule | None) -> OverflowRule:
    for condition in (Condition.NO_AGENTS, Condition.TIMEOUT):
        rule = config.rule(condition)
        if rule is not None:
            return rule
    routed = next((r for r in config.overflow if r.target is not None), None)
    return routed or destination or _HANG_UP


# ------------------------------------------------------------------ agents


def _memberships(config: AgentConfig) -> dict[str, Membership]:
    return {m.queue: Membership(config=m) for m in config.skills}


def _new_agent(engine: AcdEngine, config: AgentConfig) -> Agent:
    agent = Agent(config=config, memberships=_memberships(config))
    agent.accounted = agent.since = engine.now()
    return agent


def _change_agent(engine: AcdEngine, agent: Agent, config: AgentConfig) -> None:
    kept = {m.queue for m in config.skills}
    # Stop serving the queues it left while their memberships still exist.
    engine.set_active(agent, agent.active & kept)
    if agent.state is AgentState.READY:
        engine.router.make_unavailable(agent)
    memberships = {}
    for member in config.skills:
        current = agent.memberships.get(member.queue)
        if current is None:
            memberships[member.queue] = Membership(config=member)
        else:
            current.config = member
            memberships[member.queue] = current
    agent.config = config
    agent.memberships = memberships
    if agent.logged_groups is not None:
        agent.logged_groups = agent.logged_groups & frozenset(kept)
    if agent.state is not AgentState.LOGGED_OFF:
        engine.set_active(agent, engine.scheduled_groups(agent, engine.now()))
    if agent.state is AgentState.READY:
        engine.router.make_available(agent)


def _remove_agent(engine: AcdEngine, agent: Agent) -> None:
    if agent.state is AgentState.LOGGED_OFF:
        return
    if agent.state in _ON_A_CALL:
        # Its call goes on; it is logged off when the call ends.
        agent.pending = (AgentState.LOGGED_OFF, None)
    elif agent.state is AgentState.WORKING_AFTER_CALL:
        engine.end_wrap_up(agent, AgentTrigger.LOG_OFF, cause=CAUSE)
    else:
        engine.log_off(agent, cause=CAUSE)


def names(items: Iterable[str]) -> str:
    """``a, b`` or ``none`` (for log lines)."""
    return ", ".join(items) or "none"
