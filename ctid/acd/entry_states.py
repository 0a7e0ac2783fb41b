"""The queue entry state machine, as one table.

A queue entry is one call's stay in one queue. It waits, is offered to one or
several agents (ring-all), and ends answered, abandoned or overflowed. A caller
who asks to be called back leaves the line but keeps the entry (and its place);
an agent later calls the customer back from it.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["TRANSITIONS", "EntryState", "EntryTrigger", "InvalidEntryTransition", "next_state"]


class EntryState(enum.Enum):
    """Where a queue entry is; the value is the wire name (``queue.snapshot``)."""

    __hash__ = object.__hash__  # as ConnectionState's (ctid.calls.states)

    #: The caller waits on the line.
    WAITING = "waiting"
    #: The call rings at one agent, or at several (ring-all).
    OFFERED = "offered"
    #: The caller hung up to be called back; the entry keeps its place.
    CALLBACK = "callback"
    #: An agent is calling the customer back.
    CALLING_BACK = "callingBack"
    #: An agent took the call (or reached the customer on a callback). Final.
    ANSWERED = "answered"
    #: The caller hung up while waiting or while an agent's phone rang. Final.
    ABANDONED = "abandoned"
    #: The call left for another destination (timeout, full, all busy, no agents). Final.
    OVERFLOWED = "overflowed"
    #: Every callback attempt failed. Final.
    FAILED = "failed"


class EntryTrigger(enum.Enum):
    __hash__ = object.__hash__  # as ConnectionState's (ctid.calls.states)

    OFFER = "offer"
    ANSWER = "answer"
    #: No offered agent took the call (ring-no-answer, busy phone), or a callback attempt failed.
    NO_ANSWER = "noAnswer"
    ABANDON = "abandon"
    OVERFLOW = "overflow"
    CALLBACK = "callback"
    #: The last callback attempt failed.
    GIVE_UP = "giveUp"


_S = EntryState
_T = EntryTrigger

#: Every legal (state, trigger) -> new state; final states have no way out.
TRANSITIONS: Final[dict[EntryState, dict[EntryTrigger, EntryState]]] = {
    _S.WAITING: {
        _T.OFFER: _S.OFFERED,
        _T.ABANDON: _S.ABANDONED,
        _T.OVERFLOW: _S.OVERFLOWED,
        _T.CALLBACK: _S.CALLBACK,
    },
    _S.OFFERED: {
        _T.ANSWER: _S.ANSWERED,
        _T.NO_ANSWER: _S.WAITING,
        _T.ABANDON: _S.ABANDONED,
    },
    _S.CALLBACK: {
        _T.OFFER: _S.CALLING_BACK,
        _T.GIVE_UP: _S.FAILED,
    },
    _S.CALLING_BACK: {
        _T.ANSWER: _S.ANSWERED,
        _T.NO_ANSWER: _S.CALLBACK,
        _T.GIVE_UP: _S.FAILED,
    },
    _S.ANSWERED: {},
    _S.ABANDONED: {},
    _S.OVERFLOWED: {},
    _S.FAILED: {},
}

#: States in which the entry is over.
FINAL: Final = frozenset(s for s, out in TRANSITIONS.items() if not out)


class InvalidEntryTransition(Exception):
    def __init__(self, state: EntryState, trigger: EntryTrigger) -> None:
        super().__init__(f"a queue entry in state {state.value!r} cannot {trigger.value}")
        self.state = state
        self.trigger = trigger


def next_state(state: EntryState, trigger: EntryTrigger) -> EntryState:
    """The state after ``trigger``; raises ``InvalidEntryTransition`` if not allowed."""
    try:
        return TRANSITIONS[state][trigger]
    except KeyError:
        raise InvalidEntryTransition(state, trigger) from None
