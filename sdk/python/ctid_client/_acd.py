"""Typed values of the ACD: agents, queues, supervision, and its events (docs/acd.md).

The string enums carry the server's own values (``ctid/acd/agent_states.py``,
``ctid/acd/entry_states.py``); being ``StrEnum`` they also compare equal to the
plain strings (``snapshot.agent_state == "ready"``). Reason codes are strings
the operator configures (``[acd] reason_codes``), so they stay ``str``.

Agent and queue events reach the application as ``Event`` like every other
event; ``AgentEvent.from_event``, ``QueueFigures.from_event`` and
``QueueAllBusy.from_event`` read them into these values.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from ._errors import ProtocolError
from ._values import (
    ConnectionID,
    choice,
    counts,
    field,
    items,
    number,
    optional,
    optional_choice,
    optional_number,
    strings,
)

if TYPE_CHECKING:
    from ._event import Event

__all__ = [
    "ACD_EVENT_NAMES",
    "AGENT_EVENT_NAMES",
    "QUEUE_EVENT_NAMES",
    "AgentEvent",
    "AgentEventCause",
    "AgentMembership",
    "AgentSnapshot",
    "AgentState",
    "AgentStateResult",
    "AgentSummary",
    "AgentToday",
    "QueueAllBusy",
    "QueueCall",
    "QueueEntryState",
    "QueueFigures",
    "QueueSnapshot",
    "QueueSummary",
    "Supervision",
]


class AgentState(enum.StrEnum):
    """An agent's state (``agentState``); the values are the server's."""

    #: Not logged on anywhere (CSTA's agent null state).
    LOGGED_OFF = "loggedOff"
    #: Logged on, not taking ACD calls; with a reason code.
    NOT_READY = "notReady"
    #: Logged on and free: the ACD may offer a call.
    READY = "ready"
    #: An offered ACD call rings at the agent's phone (a ctid extension).
    RESERVED = "reserved"
    #: On a call.
    BUSY = "busy"
    #: After-call work (wrap-up), timed or manual.
    WORKING_AFTER_CALL = "workingAfterCall"


class AgentEventCause(enum.StrEnum):
    """Why an agent event happened (``cause``)."""

    REQUESTED = "requested"
    FORCED = "forced"
    OFFERED = "offered"
    ANSWERED = "answered"
    RONA = "rona"
    CALL_ENDED = "callEnded"
    WRAP_UP_ENDED = "wrapUpEnded"
    OFFER_ENDED = "offerEnded"
    DIRECT_CALL = "directCall"
    CALLBACK = "callback"
    #: ``ctid demo`` logged the agent on (generated traffic).
    DEMO = "demo"
    #: ``ctid simulate`` logged the agent on.
    SIMULATION = "simulation"


class QueueEntryState(enum.StrEnum):
    """Where a call in a queue is (``queue.snapshot`` ``calls[].state``)."""

    WAITING = "waiting"
    OFFERED = "offered"
    #: The caller hung up to be called back; the entry keeps its place.
    CALLBACK = "callback"
    #: An agent is calling the customer back.
    CALLING_BACK = "callingBack"


#: The agent events (each carries the agent's whole snapshot): ``AgentEvent.from_event``.
AGENT_EVENT_NAMES: Final = frozenset(
    {
        "AgentLoggedOnEvent",
        "AgentLoggedOffEvent",
        "AgentReadyEvent",
        "AgentNotReadyEvent",
        "AgentBusyEvent",
        "AgentWorkingAfterCallEvent",
        "agent.reserved",
        # ctid: a pending state was asked for (or cancelled) while the agent is busy.
        "agent.pending",
    }
)
#: The queue events: ``QueueFigures.from_event`` and ``QueueAllBusy.from_event``.
QUEUE_EVENT_NAMES: Final = frozenset({"queue.figures", "queue.allBusy"})
#: Every event the ACD sends besides the CSTA call events (``QueuedEvent``...).
ACD_EVENT_NAMES: Final = AGENT_EVENT_NAMES | QUEUE_EVENT_NAMES


def _check_name(event: Event, names: frozenset[str], what: str) -> None:
    if event.name not in names:
        raise ValueError(f"{event.name} is not {what} ({', '.join(sorted(names))})")


# ------------------------------------------------------------------ agents


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgentStateResult:
    """``SetAgentState``'s reply: the state now, and the state pending until the call ends."""

    agent_state: AgentState
    reason_code: str | None
    #: ``notReady``, ``loggedOff`` or ``workingAfterCall`` asked while busy or reserved.
    pending_agent_state: AgentState | None
    pending_reason_code: str | None

    @classmethod
    def from_wire(cls, data: Any, where: str = "SetAgentState") -> AgentStateResult:
        if not isinstance(data, Mapping):
            raise ProtocolError(f"{where}: expected an object, got {type(data).__name__}")
        return cls(
            agent_state=choice(data, "agentState", AgentState, where),
            reason_code=optional(data, "reasonCode", str, where),
            pending_agent_state=optional_choice(data, "pendingAgentState", AgentState, where),
            pending_reason_code=optional(data, "pendingReasonCode", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgentMembership:
    """One queue an agent serves."""

    queue: str
    #: Lower is served first.
    penalty: int
    #: For strategy ``skill-level``.
    level: int
    #: The membership schedule's name, if the skill has one.
    schedule: str | None
    #: Whether the agent serves the queue now (logged on to it, within its schedule).
    active: bool

    @classmethod
    def from_wire(cls, data: Any, where: str) -> AgentMembership:
        return cls(
            queue=field(data, "queue", str, where),
            penalty=field(data, "penalty", int, where),
            level=field(data, "level", int, where),
            schedule=optional(data, "schedule", str, where),
            active=field(data, "active", bool, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgentToday:
    """An agent's figures today (seconds), the current state counted up to now."""

    calls: int
    talk_time: float
    acw_time: float
    not_ready_time: float
    ready_time: float
    reserved_time: float
    ring_no_answer: int

    @classmethod
    def from_wire(cls, data: Any, where: str) -> AgentToday:
        return cls(
            calls=field(data, "calls", int, where),
            talk_time=number(data, "talkTime", where),
            acw_time=number(data, "acwTime", where),
            not_ready_time=number(data, "notReadyTime", where),
            ready_time=number(data, "readyTime", where),
            reserved_time=number(data, "reservedTime", where),
            ring_no_answer=field(data, "ringNoAnswer", int, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutboundReserve:
    """The campaign holding a ``reserved`` agent (no offered call): ``outboundReserve``."""

    campaign: str
    #: The record shown to the agent (``None`` until the campaign shows it one).
    record: int | None

    @classmethod
    def from_wire(cls, data: Any, where: str) -> OutboundReserve:
        return cls(
            campaign=field(data, "campaign", str, where),
            record=optional(data, "record", int, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgentSnapshot:
    """An agent's whole state: ``agent.snapshot``, ``GetAgentState``, and every agent event."""

    agent_id: str
    agent_name: str
    #: Where it is logged on (``None`` when logged off).
    agent_device: str | None
    agent_state: AgentState
    #: When it entered this state (ISO 8601 UTC).
    since: str
    #: The ``notReady`` reason (a configured string).
    reason_code: str | None
    pending_agent_state: AgentState | None
    pending_reason_code: str | None
    #: The call it is offered or on.
    call_id: str | None
    #: The campaign holding it for an outbound call (blended agents), if one does.
    outbound_reserve: OutboundReserve | None
    auto_answer: bool
    queues: tuple[AgentMembership, ...]
    today: AgentToday

    @classmethod
    def from_wire(cls, data: Any, where: str = "agent.snapshot") -> AgentSnapshot:
        if not isinstance(data, Mapping):
            raise ProtocolError(f"{where}: expected an object, got {type(data).__name__}")
        return cls(
            agent_id=field(data, "agentID", str, where),
            agent_name=field(data, "agentName", str, where),
            agent_device=optional(data, "agentDevice", str, where),
            agent_state=choice(data, "agentState", AgentState, where),
            since=field(data, "since", str, where),
            reason_code=optional(data, "reasonCode", str, where),
            pending_agent_state=optional_choice(data, "pendingAgentState", AgentState, where),
            pending_reason_code=optional(data, "pendingReasonCode", str, where),
            call_id=optional(data, "callID", str, where),
            outbound_reserve=(
                None
                if data.get("outboundReserve") is None
                else OutboundReserve.from_wire(
                    field(data, "outboundReserve", dict, where), f"{where}.outboundReserve"
                )
            ),
            auto_answer=field(data, "autoAnswer", bool, where),
            queues=tuple(
                AgentMembership.from_wire(q, f"{where}.queues[]")
                for q in items(data, "queues", where)
            ),
            today=AgentToday.from_wire(field(data, "today", dict, where), f"{where}.today"),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgentSummary:
    """One agent in ``agent.list``."""

    agent_id: str
    agent_name: str
    agent_device: str | None
    agent_state: AgentState
    reason_code: str | None
    #: The queues it is a member of (by name).
    queues: tuple[str, ...]

    @classmethod
    def from_wire(cls, data: Any, where: str = "agent.list.agents[]") -> AgentSummary:
        return cls(
            agent_id=field(data, "agentID", str, where),
            agent_name=field(data, "agentName", str, where),
            agent_device=optional(data, "agentDevice", str, where),
            agent_state=choice(data, "agentState", AgentState, where),
            reason_code=optional(data, "reasonCode", str, where),
            queues=strings(data, "queues", where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgentEvent:
    """An agent event (``AgentReadyEvent``, ``agent.reserved``, ...) read into values."""

    name: str
    seq: int | None
    monitor_cross_ref_id: str | None
    timestamp: str | None
    #: The agent after the change.
    agent: AgentSnapshot
    old_state: AgentState
    new_state: AgentState
    #: Why (``requested``, ``forced``, ``offered``, ...); ``None`` if the server gave none.
    cause: AgentEventCause | None

    @classmethod
    def from_event(cls, event: Event) -> AgentEvent:
        """Read an agent event; ``ValueError`` for an event of another name."""
        _check_name(event, AGENT_EVENT_NAMES, "an agent event")
        params = event.params
        return cls(
            name=event.name,
            seq=event.seq,
            monitor_cross_ref_id=event.monitor_cross_ref_id,
            timestamp=event.timestamp,
            agent=AgentSnapshot.from_wire(params, event.name),
            old_state=choice(params, "oldState", AgentState, event.name),
            new_state=choice(params, "newState", AgentState, event.name),
            cause=optional_choice(params, "cause", AgentEventCause, event.name),
        )


# ------------------------------------------------------------------ queues


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueueSummary:
    """One queue in ``queue.list``."""

    queue: str
    number: str | None
    strategy: str
    waiting: int
    agents_logged_on: int
    agents_ready: int

    @classmethod
    def from_wire(cls, data: Any, where: str = "queue.list.queues[]") -> QueueSummary:
        return cls(
            queue=field(data, "queue", str, where),
            number=optional(data, "number", str, where),
            strategy=field(data, "strategy", str, where),
            waiting=field(data, "waiting", int, where),
            agents_logged_on=field(data, "agentsLoggedOn", int, where),
            agents_ready=field(data, "agentsReady", int, where),
        )


def _figures(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{where}: expected an object, got {type(data).__name__}")
    return {
        "queue": field(data, "queue", str, where),
        "waiting": field(data, "waiting", int, where),
        "callbacks": field(data, "callbacks", int, where),
        "longest_wait": number(data, "longestWait", where),
        "agents_by_state": counts(data, "agentsByState", where),
        "offered_today": field(data, "offeredToday", int, where),
        "answered_today": field(data, "answeredToday", int, where),
        "abandoned_today": field(data, "abandonedToday", int, where),
        "overflowed_today": field(data, "overflowedToday", int, where),
        "callbacks_requested_today": field(data, "callbacksRequestedToday", int, where),
        "service_level_today": number(data, "serviceLevelToday", where),
        "estimated_wait": optional_number(data, "estimatedWait", where),
        "all_busy": field(data, "allBusy", bool, where),
    }


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueueFigures:
    """A queue's wallboard figures: the ``queue.figures`` event, and part of ``queue.snapshot``."""

    queue: str
    #: Callers waiting on the line.
    waiting: int
    #: Callers waiting for a callback.
    callbacks: int
    #: Seconds the longest-waiting caller has waited.
    longest_wait: float
    #: Agents serving the queue now, by state (``AgentState`` values as keys).
    agents_by_state: Mapping[str, int]
    offered_today: int
    answered_today: int
    abandoned_today: int
    overflowed_today: int
    callbacks_requested_today: int
    #: 0 to 1.
    service_level_today: float
    #: Seconds a new caller can expect to wait; ``None`` when nobody serves the queue.
    estimated_wait: float | None
    #: Agents are logged on and none is ready (also true with nobody logged on).
    all_busy: bool

    @classmethod
    def from_wire(cls, data: Any, where: str = "queue.figures") -> QueueFigures:
        return cls(**_figures(data, where))

    @classmethod
    def from_event(cls, event: Event) -> QueueFigures:
        """Read a ``queue.figures`` event; ``ValueError`` for an event of another name."""
        _check_name(event, frozenset({"queue.figures"}), "queue.figures")
        return cls.from_wire(event.params, event.name)


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueueAllBusy:
    """The ``queue.allBusy`` event: whether every agent of the queue is busy (or none is on)."""

    queue: str
    all_busy: bool

    @classmethod
    def from_event(cls, event: Event) -> QueueAllBusy:
        """Read a ``queue.allBusy`` event; ``ValueError`` for an event of another name."""
        _check_name(event, frozenset({"queue.allBusy"}), "queue.allBusy")
        return cls(
            queue=field(event.params, "queue", str, event.name),
            all_busy=field(event.params, "allBusy", bool, event.name),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueueCall:
    """One call in a queue (``queue.snapshot``), in order of service."""

    call_id: str
    calling_device: str
    priority: int
    state: QueueEntryState
    #: 1 = next to be served; ``None`` while it is not waiting (offered, calling back).
    position: int | None
    wait_seconds: float
    #: The agents its offer rings.
    offered_to: tuple[str, ...]
    #: While an agent calls the customer back: that call.
    callback_call: str | None

    @classmethod
    def from_wire(cls, data: Any, where: str = "queue.snapshot.calls[]") -> QueueCall:
        return cls(
            call_id=field(data, "callID", str, where),
            calling_device=field(data, "callingDevice", str, where),
            priority=field(data, "priority", int, where),
            state=choice(data, "state", QueueEntryState, where),
            position=optional(data, "position", int, where),
            wait_seconds=number(data, "waitSeconds", where),
            offered_to=strings(data, "offeredTo", where),
            callback_call=optional(data, "callbackCall", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueueSnapshot(QueueFigures):
    """``queue.snapshot``: the queue's figures, its calls and its agents now."""

    number: str | None
    strategy: str
    service_level_seconds: float
    calls: tuple[QueueCall, ...]
    #: Agent ids by state (``AgentState`` values as keys).
    agents: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_wire(cls, data: Any, where: str = "queue.snapshot") -> QueueSnapshot:
        figures = _figures(data, where)
        agents = field(data, "agents", dict, where)
        return cls(
            **figures,
            number=optional(data, "number", str, where),
            strategy=field(data, "strategy", str, where),
            service_level_seconds=number(data, "serviceLevelSeconds", where),
            calls=tuple(QueueCall.from_wire(c) for c in items(data, "calls", where)),
            agents=MappingProxyType(
                {state: strings(agents, state, f"{where}.agents") for state in agents}
            ),
        )


# -------------------------------------------------------------- supervision


@dataclasses.dataclass(frozen=True, kw_only=True)
class Supervision:
    """A supervisor joined to an agent's call (``SingleStepConferenceCall``, whisper)."""

    #: The supervisor's connection (``ClearConnection`` on it stops supervising).
    conferenced_call: ConnectionID
    #: ``silent``, ``active`` (barge-in) or ``whisper``: the mode as asked for.
    participation_type: str

    @classmethod
    def from_wire(cls, data: Any, where: str) -> Supervision:
        return cls(
            conferenced_call=ConnectionID.from_wire(
                field(data, "conferencedCall", dict, where), f"{where}.conferencedCall"
            ),
            participation_type=field(data, "participationType", str, where),
        )
