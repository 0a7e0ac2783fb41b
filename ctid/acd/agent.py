"""An agent as the ACD runs it: state, where it is logged on, its queues, its day.

A caller's stay in a queue (``Entry``) lives here too: an entry names the
agents its call rings at and an agent's ``Offer`` names the entry, so the two
records refer to each other and are defined together (``queue`` re-exports
``Entry``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ..calls.values import ConnectionID
from .agent_states import AgentState
from .entry_states import EntryState

if TYPE_CHECKING:
    from .config import AgentConfig, MembershipConfig

__all__ = [
    "Agent",
    "AgentDay",
    "Cancellable",
    "Entry",
    "Membership",
    "Offer",
    "OutboundReserve",
    "Watch",
    "watched",
]

#: Told of an object whose attributes changed (``ctid.acd.persist`` saves it).
Watch = Callable[[Any], None]


def _tell_watch(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> Any:
    watch = instance.watch
    if watch is not None and attribute.name != "watch":
        watch(instance)
    return value


#: ``on_setattr`` of classes whose changes are saved as live state: any attribute
#: assigned calls the instance's ``watch`` (in-place changes of mutable fields do
#: not, which is why every such change in the engine goes with an assignment).
#: The hook alone, not ``attrs.setters.pipe(convert, validate, hook)``: these
#: classes have no converter or validator (a test checks), and a call's ~30
#: assignments made the pipe's two empty steps ~2 % of a simulation.
watched = _tell_watch


class Cancellable(Protocol):
    """A scheduled callback (``timers.Timer``)."""

    def cancel(self) -> None: ...


@attrs.define(eq=False)
class AgentDay:
    """What an agent did today (reset at local midnight). Times are seconds."""

    #: ACD calls answered.
    calls: int = 0
    #: Time busy (on ACD and direct calls).
    talk: float = 0.0
    acw: float = 0.0
    not_ready: float = 0.0
    ready: float = 0.0
    reserved: float = 0.0
    #: Offered calls let ring out.
    rona: int = 0


_BUCKETS = {
    AgentState.BUSY: "talk",
    AgentState.WORKING_AFTER_CALL: "acw",
    AgentState.NOT_READY: "not_ready",
    AgentState.READY: "ready",
    AgentState.RESERVED: "reserved",
}


@attrs.define(eq=False)
class Membership:
    """An agent's place in one queue; ``active`` while it is logged on to it and in schedule."""

    config: MembershipConfig
    active: bool = False

    @property
    def queue(self) -> str:
        return self.config.queue

    @property
    def penalty(self) -> int:
        return self.config.penalty

    @property
    def level(self) -> int:
        return self.config.level

    @property
    def position(self) -> int:
        return self.config.position


@attrs.define(eq=False)
class Offer:
    """An ACD call ringing at the agent (or, for a callback, the agent's phone prompted)."""

    entry: Entry
    call_id: str
    at: float
    backstop: Cancellable | None = None


@attrs.frozen
class OutboundReserve:
    """What holds a ``reserved`` agent that has no offer: a campaign (``agent.snapshot``'s
    ``outboundReserve``); ``record`` is the record on preview (None: not shown yet)."""

    campaign: str
    record: int | None = None


@attrs.define(eq=False, on_setattr=watched)
class Agent:
    """One agent's runtime record; the engine is the only writer."""

    config: AgentConfig
    memberships: dict[str, Membership]
    state: AgentState = AgentState.LOGGED_OFF
    reason: str | None = None
    #: trio time the current state began.
    since: float = 0.0
    device: str | None = None
    #: Queues chosen at log-on (``group``); None: all of the agent's queues.
    logged_groups: frozenset[str] | None = None
    #: Queues it serves now (logged on to them, and in schedule).
    active: frozenset[str] = frozenset()
    #: Applied when the current call (or offer) ends: (state, reason).
    pending: tuple[AgentState, str | None] | None = None
    offer: Offer | None = None
    #: The ACD call it handles (busy) or last handled; cleared at the next call.
    call_id: str | None = None
    #: Busy with an ACD call (after-call work follows), not a direct call.
    acd_call: bool = False
    last_queue: str | None = None
    answered_at: float | None = None
    #: When it last became ready (longest-idle and friends).
    ready_since: float = 0.0
    #: The campaign holding it, when it is ``reserved`` with no offer (``ctid.acd.blend``);
    #: read only in that state (it is not cleared when the agent leaves it).
    outbound: OutboundReserve | None = None
    #: After-call work timer.
    wrap_timer: Cancellable | None = None
    day: AgentDay = attrs.field(factory=AgentDay)
    #: Stats are accounted up to this trio time.
    accounted: float = 0.0
    #: Called after any attribute is assigned (live state).
    watch: Watch | None = attrs.field(default=None, repr=False)

    @property
    def agent_id(self) -> str:
        return self.config.agent_id

    @property
    def logged_on(self) -> bool:
        return self.state is not AgentState.LOGGED_OFF

    def account(self, now: float) -> None:
        """Add the time spent in the current state since the last account to today's figures."""
        bucket = _BUCKETS.get(self.state)
        if bucket is not None and now > self.accounted:
            setattr(self.day, bucket, getattr(self.day, bucket) + (now - self.accounted))
        self.accounted = now

    def wanted_groups(self) -> frozenset[str]:
        """The queues it is logged on to (before schedules)."""
        if self.state is AgentState.LOGGED_OFF:
            return frozenset()
        if self.logged_groups is None:
            return frozenset(self.memberships)
        return self.logged_groups


@attrs.define(eq=False, on_setattr=watched)
class Entry:
    """One call's stay in one queue (see ``entry_states``)."""

    entry_id: str
    queue: str
    #: The call waiting; for a callback, the call the customer made (ended by now).
    call_id: str
    #: The route point the call arrived at (the queue's name or number).
    point: str
    caller: str
    priority: int
    #: Arrival order among all entries (a call that comes back after ring-no-answer keeps it).
    seq: int
    entered_at: float
    state: EntryState = EntryState.WAITING
    #: Agents its call rings at now, by agent id.
    offers: dict[str, Agent] = attrs.field(factory=dict)
    #: The current offer rang several agents at once (ring-all): no ring-no-answer penalty.
    ring_all: bool = False
    max_wait_timer: Cancellable | None = None
    announce_timer: Cancellable | None = None
    playback_id: str | None = None
    #: ``max_wait`` passed while an agent's phone rang: overflow if nobody answers.
    timed_out: bool = False
    #: For a callback: attempts made, and the call an agent makes to the customer.
    callback_attempts: int = 0
    callback_call: str | None = None
    callback_timer: Cancellable | None = None
    #: Called after any attribute is assigned (live state).
    watch: Watch | None = attrs.field(default=None, repr=False)

    @property
    def live_call(self) -> str | None:
        """The call this entry is about right now (None while a callback waits)."""
        if self.state is EntryState.CALLING_BACK:
            return self.callback_call
        if self.state in (EntryState.WAITING, EntryState.OFFERED):
            return self.call_id
        return None

    @property
    def connection(self) -> ConnectionID:
        return ConnectionID(call_id=self.call_id, device_id=self.point)
