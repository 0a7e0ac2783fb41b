"""The agent state machine, as one table.

States carry CSTA's names (``loggedOff`` is CSTA's agent *null* state), plus
``reserved``: the visible phase while an offered ACD call rings at the agent, or
while a campaign holds the agent for an outbound call (``reserve``: a preview or a
booked callback; the event's ``cause`` says ``outboundReserved``).
A state changes only through ``next_state``, which raises
``InvalidAgentTransition`` for a pair the table does not list.

*When* a trigger is fired is the engine's policy. In particular, an agent who
asks for ``notReady``, ``loggedOff`` or ``workingAfterCall`` while ``busy`` or
``reserved`` gets a *pending* state, applied when the call ends: the table
lists only the changes that really happen.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "TRANSITIONS",
    "AgentState",
    "AgentTrigger",
    "InvalidAgentTransition",
    "allows",
    "markdown_table",
    "next_state",
]


class AgentState(enum.Enum):
    """An agent's state; the value is the wire name."""

    __hash__ = object.__hash__  # as ConnectionState's (ctid.calls.states)

    #: Not logged on anywhere (CSTA's agent null state).
    LOGGED_OFF = "loggedOff"
    #: Logged on, not taking ACD calls; has a reason code.
    NOT_READY = "notReady"
    #: Logged on and free: the ACD may offer a call.
    READY = "ready"
    #: An offered ACD call rings at the agent's device.
    RESERVED = "reserved"
    #: On a call: an ACD call, or a direct call made or taken while ready.
    BUSY = "busy"
    #: After-call work: timed (the queue's wrap-up) or manual.
    WORKING_AFTER_CALL = "workingAfterCall"


class AgentTrigger(enum.Enum):
    """What moves an agent from one state to another."""

    __hash__ = object.__hash__  # as ConnectionState's (ctid.calls.states)

    LOG_ON = "logOn"
    LOG_OFF = "logOff"
    READY = "ready"
    NOT_READY = "notReady"
    #: Start after-call work (asked for, or the end of an ACD call with wrap-up).
    WORK = "work"
    #: The ACD rings the agent with a call.
    OFFER = "offer"
    #: The agent answered the offered call.
    ANSWER = "answer"
    #: The offer ended without the agent: another agent answered, or the caller left.
    OFFER_ENDED = "offerEnded"
    #: Ring-no-answer: the agent let the offered call ring out.
    RONA = "rona"
    #: A direct (non-ACD) call at the agent's device.
    CALL = "call"
    #: A campaign holds the agent for an outbound call (a preview, a booked callback).
    RESERVE = "reserve"


_S = AgentState
_T = AgentTrigger

#: Every legal (state, trigger) -> new state. Anything not listed is illegal.
TRANSITIONS: Final[dict[AgentState, dict[AgentTrigger, AgentState]]] = {
    _S.LOGGED_OFF: {
        _T.LOG_ON: _S.NOT_READY,
    },
    _S.NOT_READY: {
        _T.READY: _S.READY,
        # Another reason code.
        _T.NOT_READY: _S.NOT_READY,
        _T.WORK: _S.WORKING_AFTER_CALL,
        _T.LOG_OFF: _S.LOGGED_OFF,
    },
    _S.READY: {
        _T.NOT_READY: _S.NOT_READY,
        _T.WORK: _S.WORKING_AFTER_CALL,
        _T.LOG_OFF: _S.LOGGED_OFF,
        _T.OFFER: _S.RESERVED,
        _T.CALL: _S.BUSY,
        _T.RESERVE: _S.RESERVED,
    },
    _S.RESERVED: {
        _T.ANSWER: _S.BUSY,
        _T.OFFER_ENDED: _S.READY,
        _T.RONA: _S.NOT_READY,
        # The phone was busy with a call of its own when the offer reached it.
        _T.CALL: _S.BUSY,
        # A pending state, applied when the offer ends unanswered.
        _T.LOG_OFF: _S.LOGGED_OFF,
        _T.NOT_READY: _S.NOT_READY,
        _T.WORK: _S.WORKING_AFTER_CALL,
    },
    _S.BUSY: {
        # The call ended: wrap-up, back to ready, or a pending state.
        _T.WORK: _S.WORKING_AFTER_CALL,
        _T.READY: _S.READY,
        _T.NOT_READY: _S.NOT_READY,
        _T.LOG_OFF: _S.LOGGED_OFF,
    },
    _S.WORKING_AFTER_CALL: {
        _T.READY: _S.READY,
        _T.NOT_READY: _S.NOT_READY,
        _T.LOG_OFF: _S.LOGGED_OFF,
    },
}


class InvalidAgentTransition(Exception):
    """A trigger that the agent's current state does not allow."""

    def __init__(self, state: AgentState, trigger: AgentTrigger) -> None:
        super().__init__(f"an agent in state {state.value!r} cannot {trigger.value}")
        self.state = state
        self.trigger = trigger


def next_state(state: AgentState, trigger: AgentTrigger) -> AgentState:
    """The state after ``trigger``; raises ``InvalidAgentTransition`` if not allowed."""
    try:
        return TRANSITIONS[state][trigger]
    except KeyError:
        raise InvalidAgentTransition(state, trigger) from None


def allows(state: AgentState, trigger: AgentTrigger) -> bool:
    """Whether ``trigger`` is legal in ``state`` (to validate a request before acting)."""
    return trigger in TRANSITIONS[state]


def markdown_table() -> str:
    """The transition table as Markdown (``docs/acd.md`` holds it; a test keeps them equal)."""
    triggers = list(AgentTrigger)
    lines = [
        "| state | " + " | ".join(t.value for t in triggers) + " |",
        "| --- | " + " | ".join("---" for _ in triggers) + " |",
    ]
    for state, row in TRANSITIONS.items():
        cells = [row[t].value if t in row else "" for t in triggers]
        lines.append(f"| **{state.value}** | " + " | ".join(cells) + " |")
    return "\n".join(lines)
