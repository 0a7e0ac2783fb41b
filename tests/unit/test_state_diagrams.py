"""The generated state documents and the exception messages of both state machines.

The doc tests compare the generated text with the committed docs, so a generator that
lost its transition lines and a doc regenerated from it would agree; here each line is
built from the table independently and the exact text is compared.
"""

from __future__ import annotations

import pytest

from ctid.acd import agent_states
from ctid.acd.agent_states import AgentState, AgentTrigger, InvalidAgentTransition
from ctid.calls import states
from ctid.calls.states import ConnectionState, InvalidTransition, Trigger

# Written out by hand from ECMA-269 §6.1.5 as the table encodes it: 22 legal transitions.
CONNECTION_LINES = [
    "null --> initiated: initiate",
    "null --> alerting: alert",
    "null --> connected: connect",
    "null --> queued: queue",
    "null --> fail: fail",
    "initiated --> connected: connect",
    "initiated --> fail: fail",
    "initiated --> null: clear",
    "alerting --> connected: connect",
    "alerting --> fail: fail",
    "alerting --> null: clear",
    "connected --> hold: hold",
    "connected --> queued: queue",
    "connected --> fail: fail",
    "connected --> null: clear",
    "hold --> connected: retrieve",
    "hold --> null: clear",
    "queued --> alerting: alert",
    "queued --> connected: connect",
    "queued --> fail: fail",
    "queued --> null: clear",
    "fail --> null: clear",
]


def test_mermaid_is_exactly_the_table() -> None:
    expected = ["stateDiagram-v2", "    [*] --> null", *(f"    {x}" for x in CONNECTION_LINES)]
    assert states.mermaid() == "\n".join(expected)


def test_every_pair_is_legal_exactly_when_the_diagram_lists_it() -> None:
    listed: dict[tuple[str, str], str] = {}
    for line in CONNECTION_LINES:
        source, rest = line.split(" --> ")
        target, trigger = rest.split(": ")
        listed[(source, trigger)] = target
    for state in ConnectionState:
        for trigger in Trigger:
            target = listed.get((state.value, trigger.value))
            assert states.allows(state, trigger) is (target is not None), (state, trigger)
            if target is not None:
                assert states.next_state(state, trigger).value == target


def test_connection_error_message() -> None:
    with pytest.raises(InvalidTransition) as info:
        states.next_state(ConnectionState.HOLD, Trigger.HOLD)
    assert str(info.value) == "connection in state 'hold' cannot hold"
    assert info.value.args == ("connection in state 'hold' cannot hold",)
    assert info.value.state is ConnectionState.HOLD
    assert info.value.trigger is Trigger.HOLD
    # Raised without the KeyError as context: the lookup is an implementation detail.
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True


def test_agent_error_message() -> None:
    with pytest.raises(InvalidAgentTransition) as info:
        agent_states.next_state(AgentState.LOGGED_OFF, AgentTrigger.OFFER)
    assert str(info.value) == "an agent in state 'loggedOff' cannot offer"
    assert info.value.state is AgentState.LOGGED_OFF
    assert info.value.trigger is AgentTrigger.OFFER
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True


# The agent table, row by row, in the column order of AgentTrigger.
AGENT_HEADER = (
    "| state | logOn | logOff | ready | notReady | work | offer | answer | offerEnded | rona "
    "| call | reserve |"
)
AGENT_ROWS = [
    "| **loggedOff** | notReady |  |  |  |  |  |  |  |  |  |  |",
    "| **notReady** |  | loggedOff | ready | notReady | workingAfterCall |  |  |  |  |  |  |",
    "| **ready** |  | loggedOff |  | notReady | workingAfterCall | reserved |  |  |  | busy "
    "| reserved |",
    "| **reserved** |  | loggedOff |  | notReady | workingAfterCall |  | busy | ready | notReady "
    "| busy |  |",
    "| **busy** |  | loggedOff | ready | notReady | workingAfterCall |  |  |  |  |  |  |",
    "| **workingAfterCall** |  | loggedOff | ready | notReady |  |  |  |  |  |  |  |",
]


def test_agent_markdown_table_is_exactly_the_table() -> None:
    separator = "| --- | " + " | ".join(["---"] * 11) + " |"
    assert agent_states.markdown_table() == "\n".join([AGENT_HEADER, separator, *AGENT_ROWS])


def test_agent_table_counts() -> None:
    assert sum(len(row) for row in agent_states.TRANSITIONS.values()) == 25
    assert [len(agent_states.TRANSITIONS[s]) for s in AgentState] == [1, 4, 6, 7, 4, 3]
