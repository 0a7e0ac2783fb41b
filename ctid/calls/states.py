"""The CSTA connection state machine (ECMA-269 §6.1.5), as one table.

A connection is one device's relationship to one call. Its state changes only
through ``next_state``, which looks the (state, trigger) pair up in
``TRANSITIONS`` and raises ``InvalidTransition`` for a pair the table does not
list: an illegal transition is a bug to surface, never something to log and
step over.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["TRANSITIONS", "ConnectionState", "InvalidTransition", "Trigger", "next_state"]


class ConnectionState(enum.Enum):
    """ECMA-269 connection states; the value is the wire name."""

    # Keys of the transition tables, looked up on every call: Enum hashes its
    # members by name in Python code (a function call a lookup); members are
    # singletons compared by identity, so identity's hash (in C) is equivalent.
    __hash__ = object.__hash__

    #: No relationship between the device and the call (cleared).
    NULL = "null"
    #: The device is requesting service: off-hook, dialling.
    INITIATED = "initiated"
    #: The device is being offered the call: it rings.
    ALERTING = "alerting"
    #: The device is actively part of the call.
    CONNECTED = "connected"
    #: The device has put the call on hold.
    HOLD = "hold"
    #: The call waits at the device (a queue or other route point).
    QUEUED = "queued"
    #: The attempt to reach the device failed (busy, no answer, unreachable).
    FAIL = "fail"


class Trigger(enum.Enum):
    """What moves a connection from one state to another."""

    __hash__ = object.__hash__  # as ConnectionState's

    INITIATE = "initiate"
    ALERT = "alert"
    CONNECT = "connect"
    HOLD = "hold"
    RETRIEVE = "retrieve"
    QUEUE = "queue"
    FAIL = "fail"
    CLEAR = "clear"


_S = ConnectionState
_T = Trigger

#: Every legal (state, trigger) -> new state. Anything not listed is illegal.
TRANSITIONS: Final[dict[ConnectionState, dict[Trigger, ConnectionState]]] = {
    _S.NULL: {
        _T.INITIATE: _S.INITIATED,
        _T.ALERT: _S.ALERTING,
        _T.CONNECT: _S.CONNECTED,
        _T.QUEUE: _S.QUEUED,
        _T.FAIL: _S.FAIL,
    },
    _S.INITIATED: {
        _T.CONNECT: _S.CONNECTED,
        _T.FAIL: _S.FAIL,
        _T.CLEAR: _S.NULL,
    },
    _S.ALERTING: {
        _T.CONNECT: _S.CONNECTED,
        _T.FAIL: _S.FAIL,
        _T.CLEAR: _S.NULL,
    },
    _S.CONNECTED: {
        _T.HOLD: _S.HOLD,
        _T.QUEUE: _S.QUEUED,
        _T.FAIL: _S.FAIL,
        _T.CLEAR: _S.NULL,
    },
    _S.HOLD: {
        _T.RETRIEVE: _S.CONNECTED,
        _T.CLEAR: _S.NULL,
    },
    _S.QUEUED: {
        _T.ALERT: _S.ALERTING,
        _T.CONNECT: _S.CONNECTED,
        _T.FAIL: _S.FAIL,
        _T.CLEAR: _S.NULL,
    },
    _S.FAIL: {
        _T.CLEAR: _S.NULL,
    },
}


class InvalidTransition(Exception):
    """A trigger that the connection's current state does not allow."""

    def __init__(self, state: ConnectionState, trigger: Trigger) -> None:
        super().__init__(f"connection in state {state.value!r} cannot {trigger.value}")
        self.state = state
        self.trigger = trigger


def next_state(state: ConnectionState, trigger: Trigger) -> ConnectionState:
    """The state after ``trigger``; raises ``InvalidTransition`` if it is not allowed."""
    try:
        return TRANSITIONS[state][trigger]
    except KeyError:
        raise InvalidTransition(state, trigger) from None


def allows(state: ConnectionState, trigger: Trigger) -> bool:
    """Whether ``trigger`` is legal in ``state`` (for validating requests before acting)."""
    return trigger in TRANSITIONS[state]


def mermaid() -> str:
    """The state diagram of ``TRANSITIONS`` in Mermaid (docs/states.md is made from it)."""
    lines = ["stateDiagram-v2", "    [*] --> null"]
    for state, row in TRANSITIONS.items():
        for trigger, target in row.items():
            lines.append(f"    {state.value} --> {target.value}: {trigger.value}")
    return "\n".join(lines)


if __name__ == "__main__":
    print("# CSTA connection states\n")
    print("<!-- Generated: `python -m ctid.calls.states > docs/states.md` -->\n")
    print("Every legal transition of a connection; anything else raises `InvalidTransition`.\n")
    print("```mermaid")
    print(mermaid())
    print("```")
