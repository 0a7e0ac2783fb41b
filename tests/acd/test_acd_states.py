"""The agent and queue-entry state machines: every table entry, and illegal pairs raise."""

from __future__ import annotations

import pytest

from ctid.acd import agent_states, entry_states
from ctid.acd.agent_states import AgentState, AgentTrigger, InvalidAgentTransition
from ctid.acd.entry_states import FINAL, EntryState, EntryTrigger, InvalidEntryTransition

A = AgentState
T = AgentTrigger


def test_agent_table_covers_every_state() -> None:
    assert set(agent_states.TRANSITIONS) == set(AgentState)


@pytest.mark.parametrize(
    ("state", "trigger", "new"),
    [
        (A.LOGGED_OFF, T.LOG_ON, A.NOT_READY),
        (A.NOT_READY, T.READY, A.READY),
        (A.READY, T.OFFER, A.RESERVED),
        (A.RESERVED, T.ANSWER, A.BUSY),
        (A.RESERVED, T.RONA, A.NOT_READY),
        (A.RESERVED, T.OFFER_ENDED, A.READY),
        (A.BUSY, T.WORK, A.WORKING_AFTER_CALL),
        (A.WORKING_AFTER_CALL, T.READY, A.READY),
        (A.READY, T.CALL, A.BUSY),
        (A.BUSY, T.LOG_OFF, A.LOGGED_OFF),
    ],
)
def test_agent_transitions(state: AgentState, trigger: AgentTrigger, new: AgentState) -> None:
    assert agent_states.next_state(state, trigger) is new
    assert agent_states.allows(state, trigger)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (A.LOGGED_OFF, T.READY),
        (A.LOGGED_OFF, T.OFFER),
        (A.NOT_READY, T.OFFER),
        (A.WORKING_AFTER_CALL, T.OFFER),
        (A.BUSY, T.OFFER),
        (A.READY, T.ANSWER),
        (A.BUSY, T.LOG_ON),
        (A.READY, T.LOG_ON),
    ],
)
def test_illegal_agent_transitions_raise(state: AgentState, trigger: AgentTrigger) -> None:
    assert not agent_states.allows(state, trigger)
    with pytest.raises(InvalidAgentTransition, match=trigger.value):
        agent_states.next_state(state, trigger)


def test_only_ready_agents_are_offered_calls() -> None:
    offerable = {s for s in AgentState if agent_states.allows(s, T.OFFER)}
    assert offerable == {A.READY}


def test_entry_table() -> None:
    E, ET = EntryState, EntryTrigger
    assert set(entry_states.TRANSITIONS) == set(EntryState)
    assert {E.ANSWERED, E.ABANDONED, E.OVERFLOWED, E.FAILED} == FINAL
    path = [ET.OFFER, ET.NO_ANSWER, ET.CALLBACK, ET.OFFER, ET.NO_ANSWER, ET.OFFER, ET.ANSWER]
    state = E.WAITING
    for trigger in path:
        state = entry_states.next_state(state, trigger)
    assert state is E.ANSWERED
    with pytest.raises(InvalidEntryTransition):
        entry_states.next_state(E.ANSWERED, ET.OFFER)
    with pytest.raises(InvalidEntryTransition):
        entry_states.next_state(E.CALLBACK, ET.ABANDON)


def test_the_docs_show_the_agent_table() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "acd.md").read_text()
    start = docs.index("<!-- agent-states -->\n") + len("<!-- agent-states -->\n")
    end = docs.index("\n<!-- /agent-states -->")
    assert docs[start:end] == agent_states.markdown_table()
