"""Agents' and queue entries' assignments tell their watcher (live state), nothing else.

``watched`` is their ``on_setattr`` hook alone (issue 14: the attrs pipe around it
ran a converter step and a validator step on every assignment for fields that
have neither). If a field ever gets a converter or validator, the hook must run
it again: the first test fails then.
"""

from __future__ import annotations

from typing import Any

import attrs

from ctid.acd.agent import Agent, Entry
from ctid.acd.agent_states import AgentState
from ctid.acd.config import AgentConfig


def test_no_field_has_a_converter_or_validator() -> None:
    for cls in (Agent, Entry):
        for field in attrs.fields(cls):
            assert (cls.__name__, field.name, field.converter, field.validator) == (
                cls.__name__,
                field.name,
                None,
                None,
            )


def test_each_assignment_tells_the_watch_once() -> None:
    config = AgentConfig(
        agent_id="1000", name="A", pin=None, auto_answer=True, skills=(), devices=frozenset()
    )
    agent = Agent(config=config, memberships={})
    told: list[Any] = []
    agent.watch = told.append  # the watch itself is not news
    assert told == []
    agent.state = AgentState.READY
    agent.since = 12.5
    agent.device = "1001"
    assert told == [agent, agent, agent]
    assert (agent.state, agent.since, agent.device) == (AgentState.READY, 12.5, "1001")
    entry = Entry(
        entry_id="e1",
        queue="q",
        call_id="c1",
        point="q",
        caller="+15550001",
        priority=0,
        seq=1,
        entered_at=0.0,
    )
    entry.watch = told.append
    entry.timed_out = True
    assert told == [agent, agent, agent, entry]
    agent.watch = None
    agent.reason = "lunch"
    assert told == [agent, agent, agent, entry]
    assert agent.reason == "lunch"
