import pytest

from ctid.calls.states import (
    TRANSITIONS,
    ConnectionState,
    InvalidTransition,
    Trigger,
    allows,
    next_state,
)

S, T = ConnectionState, Trigger


def test_every_state_has_a_row() -> None:
    assert set(TRANSITIONS) == set(ConnectionState)


@pytest.mark.parametrize(
    ("state", "trigger", "expected"),
    [
        (S.NULL, T.INITIATE, S.INITIATED),
        (S.NULL, T.ALERT, S.ALERTING),
        (S.INITIATED, T.CONNECT, S.CONNECTED),
        (S.ALERTING, T.CONNECT, S.CONNECTED),
        (S.CONNECTED, T.HOLD, S.HOLD),
        (S.HOLD, T.RETRIEVE, S.CONNECTED),
        (S.CONNECTED, T.QUEUE, S.QUEUED),
        (S.QUEUED, T.ALERT, S.ALERTING),
        (S.ALERTING, T.FAIL, S.FAIL),
        (S.FAIL, T.CLEAR, S.NULL),
    ],
)
def test_legal_transitions(
    state: ConnectionState, trigger: Trigger, expected: ConnectionState
) -> None:
    assert next_state(state, trigger) is expected
    assert allows(state, trigger)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (S.NULL, T.CLEAR),
        (S.NULL, T.HOLD),
        (S.ALERTING, T.HOLD),
        (S.HOLD, T.HOLD),
        (S.HOLD, T.CONNECT),
        (S.FAIL, T.CONNECT),
        (S.INITIATED, T.RETRIEVE),
    ],
)
def test_illegal_transitions_raise(state: ConnectionState, trigger: Trigger) -> None:
    assert not allows(state, trigger)
    with pytest.raises(InvalidTransition) as info:
        next_state(state, trigger)
    assert info.value.state is state
    assert info.value.trigger is trigger
    assert state.value in str(info.value)


def test_every_connection_can_be_cleared_except_null() -> None:
    for state in ConnectionState:
        assert allows(state, T.CLEAR) == (state is not S.NULL)


def test_the_documented_diagram_is_the_table() -> None:
    from pathlib import Path

    from ctid.calls.states import mermaid

    doc = (Path(__file__).parents[2] / "docs" / "states.md").read_text()
    assert mermaid() in doc, "docs/states.md is stale: python -m ctid.calls.states > docs/states.md"
    for state, row in TRANSITIONS.items():
        for trigger, target in row.items():
            assert f"{state.value} --> {target.value}: {trigger.value}" in doc


def test_state_enums_hash_in_c_and_stay_usable_as_keys() -> None:
    """The transition tables' keys hash by identity (issue 14: Enum's own ``__hash__`` is a
    Python call per lookup); members are singletons, so lookups find the same rows."""
    from ctid.acd.agent_states import AgentState, AgentTrigger
    from ctid.acd.entry_states import EntryState, EntryTrigger
    from ctid.calls.states import ConnectionState, Trigger

    for kind in (ConnectionState, Trigger, AgentState, AgentTrigger, EntryState, EntryTrigger):
        assert kind.__hash__ is object.__hash__
        table = {member: member.value for member in kind}
        for member in kind:
            assert table[member] == member.value
            assert table[kind(member.value)] == member.value
            assert hash(member) == hash(kind[member.name])
