"""What the ACD engine's companions use of it: ``AcdCore``, a protocol.

The engine (``engine.AcdEngine``) is one object; the companions that hold the
rest of the ACD (``announce``, ``callbacks``, ``daily``, ``desk``,
``overflow``, ``wallboard``) reach it through this interface, and the engine
imports them. So the imports go one way, engine -> companions -> core, and a
new companion (outbound dialling) is written against the interface rather than
against the engine's whole body. Adding to the interface is a deliberate step:
what is listed here is what companions may rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..calls.control import CallControl
from ..calls.model import Call, CallModel
from ..calls.services import CstaServices
from ..clock import WallClock
from .agent import Agent, Cancellable, Entry, Offer
from .agent_states import AgentTrigger
from .config import AcdConfig
from .entry_states import EntryTrigger
from .queue import QueueRuntime
from .router import Router
from .schedule import Calendar

__all__ = [
    "AcdCore",
    "Heard",
    "OutboundWork",
    "Publish",
    "QueueTouch",
    "Scheduler",
    "always_heard",
]


class Scheduler(Protocol):
    """Runs callbacks at trio times (``timers.TimerQueue``)."""

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Cancellable: ...


class Publish(Protocol):
    """Sends an event to monitors (``CstaPublisher.publish``)."""

    def __call__(
        self,
        name: str,
        params: dict[str, Any],
        *,
        devices: Iterable[str] = ...,
        calls: Iterable[str] = ...,
        topics: Iterable[str] = ...,
    ) -> None: ...


class Heard(Protocol):
    """Whether an event for these would reach anyone now (``CstaPublisher.wants``).

    Asked before building an event whose params cost something (an agent's
    snapshot, a queue's figures): with nobody listening they are not built.
    """

    def __call__(
        self,
        *,
        devices: Iterable[str] = ...,
        calls: Iterable[str] = ...,
        topics: Iterable[str] = ...,
    ) -> bool: ...


def always_heard(
    *, devices: Iterable[str] = (), calls: Iterable[str] = (), topics: Iterable[str] = ()
) -> bool:
    """``Heard`` when the publisher cannot say: build every event."""
    return True


class QueueTouch(Protocol):
    """Told that a queue's figures changed (``wallboard.Wallboard``)."""

    def touch(self, queue: QueueRuntime) -> None: ...


class OutboundWork(Protocol):
    """What the ACD asks the outbound side about blended agents (``ctid.acd.blend``).

    The outbound side (``ctid.outbound.blend``) implements it; the ACD knows
    nothing of campaigns but this answer.
    """

    def claim(self, agent_id: str, queues: frozenset[str], above: int) -> str | None:
        """Is there outbound work of priority > ``above`` for this ready agent, who serves
        ``queues``? The campaign's name if so: the agent is then that campaign's (the ACD
        reserves it at once and offers it nothing until the campaign releases it)."""
        ...


class AcdCore(Protocol):
    """The engine as its companions see it (``engine.AcdEngine`` is the one implementation)."""

    # What it was built with.
    config: AcdConfig
    model: CallModel
    control: CallControl
    csta: CstaServices
    scheduler: Scheduler
    clock: WallClock
    calendar: Calendar
    now: Callable[[], float]
    publish: Publish
    heard: Heard
    router: Router
    #: Asked before a ready agent takes an inbound call (None: no campaigns).
    outbound: OutboundWork | None

    @property
    def wallboard(self) -> QueueTouch: ...

    # Its state: queues by name and by route point, agents by id and by device,
    # queue entries by call, and what to do when a playback ends.
    queues: dict[str, QueueRuntime]
    points: dict[str, QueueRuntime]
    agents: dict[str, Agent]
    by_device: dict[str, Agent]
    entry_of_call: dict[str, Entry]
    after_playback: dict[str, Callable[[], None]]

    # Agents.
    def transition(
        self,
        agent: Agent,
        trigger: AgentTrigger,
        *,
        reason: str | None = None,
        cause: str = "",
        call_id: str | None = None,
    ) -> None: ...

    def free(self, agent: Agent, trigger: AgentTrigger, *, cause: str) -> None: ...

    def end_wrap_up(
        self, agent: Agent, trigger: AgentTrigger, reason: str | None = None, cause: str = ""
    ) -> None: ...

    def log_off(self, agent: Agent, *, cause: str) -> None: ...

    def check_reason(self, reason: str | None) -> None: ...

    def scheduled_groups(self, agent: Agent, now: float) -> frozenset[str]: ...

    def set_active(self, agent: Agent, active: frozenset[str]) -> None: ...

    def remember(self, caller: str, agent_id: str, now: float) -> None: ...

    # Offers.
    def backstop(self, agent: Agent, offer: Offer, ring_timeout: float) -> Cancellable: ...

    def cancel_offer(self, agent: Agent) -> None: ...

    def offer_failed(self, entry: Entry, agent: Agent) -> None: ...

    # Queues and their entries.
    def dispatch_queue(self, queue: QueueRuntime) -> None: ...

    def entry_changed(self, entry: Entry, trigger: EntryTrigger) -> None: ...

    def finish(
        self, entry: Entry, trigger: EntryTrigger, outcome: str, call: Call | None
    ) -> None: ...

    def record_leave(self, entry: Entry, outcome: str, call: Call | None) -> None: ...

    def cancel_timers(self, entry: Entry) -> None: ...

    def forget(self, entry: Entry) -> None: ...

    def hang_up_if_alive(self, call_id: str) -> None: ...
