"""The contract between ctid's services: what the ACD and IVR report, what records and metrics read.

Producers (ACD, IVR, recording) and consumers (call records, reports,
Prometheus metrics) are developed apart; this module is where they meet.

* **Call facts**: keys a service writes into ``Call.facts`` while it handles a
  call. They arrive with the call's ``CallEnded`` notice, which the records
  service turns into the call detail record. Times are trio times (seconds);
  the records service converts them with the daemon's ``WallClock``.
* **Notices**: frozen values a service hands to ``CallModel.notify()``
  followed by ``CallService.sync()``; every notice sink (records, metrics)
  receives them in order with the model's own notices.
* **Statistics providers**: what the metrics collector asks a service for at
  scrape time. The ACD and IVR services implement these protocols.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol

import attrs

from .calls.notices import Notice

__all__ = [
    "FACT_AGENT",
    "FACT_AGENT_DEVICE",
    "FACT_FAXES",
    "FACT_INBOUND_ROUTE",
    "FACT_IVR_ENTERED_AT",
    "FACT_IVR_EXIT",
    "FACT_IVR_FLOW",
    "FACT_IVR_LEFT_AT",
    "FACT_QUEUE",
    "FACT_QUEUES_VISITED",
    "FACT_QUEUE_ENTERED_AT",
    "FACT_QUEUE_LEFT_AT",
    "FACT_QUEUE_OUTCOME",
    "FACT_QUEUE_PRIORITY",
    "FACT_RECORDINGS",
    "FACT_RINGING_STARTED_AT",
    "AcdStatistics",
    "AgentStateChanged",
    "IvrFinished",
    "IvrNodeVisited",
    "IvrStatistics",
    "QueueFigures",
    "QueueWaitObserved",
    "RecordingStateChanged",
]

# ------------------------------------------------------------------ call facts
#: The queue the call waited in last (its name).
FACT_QUEUE: Final = "queue"
#: Every queue it waited in, in order (a tuple of names; overflow adds the next).
FACT_QUEUES_VISITED: Final = "queues_visited"
#: When it entered / left that queue (trio time).
FACT_QUEUE_ENTERED_AT: Final = "queue_entered_at"
FACT_QUEUE_LEFT_AT: Final = "queue_left_at"
#: How the queue let it go: ``answered``, ``abandoned``, ``overflow``, ``callback``, ``timeout``.
FACT_QUEUE_OUTCOME: Final = "queue_outcome"
#: The agent who answered it, and at which device.
FACT_AGENT: Final = "agent_id"
FACT_AGENT_DEVICE: Final = "agent_device"
#: When an agent's phone started ringing with it (for "abandoned while ringing").
FACT_RINGING_STARTED_AT: Final = "ringing_started_at"
#: The IVR flow it went through, when it entered and left, and how it left:
#: ``agent``, ``selfService``, ``hangup`` or ``error``.
FACT_IVR_FLOW: Final = "ivr_flow"
FACT_IVR_ENTERED_AT: Final = "ivr_entered_at"
FACT_IVR_LEFT_AT: Final = "ivr_left_at"
FACT_IVR_EXIT: Final = "ivr_exit"
#: Ids of the recordings made of the call (a list of strings).
FACT_RECORDINGS: Final = "recordings"
#: Ids of the faxes of the call (a list of strings, in the order they began); the call
#: record's ``fax_id`` is the first of them.
FACT_FAXES: Final = "faxes"
#: The priority an IVR asked for when it put the call in a queue (int, higher first).
FACT_QUEUE_PRIORITY: Final = "queue_priority"
#: The inbound routing rule (or override) that sent the call on.
FACT_INBOUND_ROUTE: Final = "inbound_route"


# --------------------------------------------------------------------- notices


@attrs.frozen(kw_only=True)
class AgentStateChanged(Notice):
    """An agent's state changed (one entry of the agent state log).

    States are the CSTA names ``loggedOff``, ``notReady``, ``ready``,
    ``busy``, ``workingAfterCall``, plus ``reserved`` while an offered call
    rings.
    """

    agent_id: str
    device: str | None
    old_state: str
    new_state: str
    reason_code: str | None
    #: trio time of the change.
    at: float
    call_id: str | None = None
    queues: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class QueueWaitObserved(Notice):
    """A call stopped waiting in a queue (for the wait-time histogram)."""

    queue: str
    call_id: str
    seconds: float
    #: ``answered``, ``abandoned``, ``overflow``, ``callback`` or ``timeout``.
    outcome: str


@attrs.frozen(kw_only=True)
class IvrNodeVisited(Notice):
    flow: str
    version: str
    node: str
    node_type: str
    call_id: str
    at: float
    #: For menus: the digit chosen (None on timeout or invalid input).
    choice: str | None = None


@attrs.frozen(kw_only=True)
class IvrFinished(Notice):
    flow: str
    version: str
    call_id: str
    entered_at: float
    left_at: float
    #: ``agent``, ``selfService``, ``hangup`` or ``error``.
    exit: str
    detail: str = ""


@attrs.frozen(kw_only=True)
class RecordingStateChanged(Notice):
    """A recording started, paused, resumed, stopped or failed."""

    recording_id: str
    call_id: str | None
    state: str
    at: float
    path: str | None = None
    duration: float | None = None
    #: A voicemail message's mailbox (``queue:NAME``, ``agent:ID``, ``number:DN``).
    mailbox: str | None = None


# ---------------------------------------------------------- statistics providers


@attrs.frozen(kw_only=True)
class QueueFigures:
    """One queue's figures now (what the metrics and wallboards show)."""

    queue: str
    waiting: int
    longest_wait: float
    #: Agents serving the queue, by state name.
    agents_by_state: Mapping[str, int]
    offered_today: int
    answered_today: int
    abandoned_today: int
    #: Fraction of today's offered calls answered within the queue's threshold.
    service_level_today: float
    #: Estimated wait for a new caller, in seconds.
    estimated_wait: float


class AcdStatistics(Protocol):
    """Implemented by the ACD service."""

    def queue_figures(self) -> list[QueueFigures]: ...


class IvrStatistics(Protocol):
    """Implemented by the IVR service: calls in each flow now."""

    def calls_in_flows(self) -> Mapping[str, int]: ...
