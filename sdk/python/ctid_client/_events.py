"""What the client hands the application: server events, and its own ``SessionRestarted`` notice.

Events are one frozen class, ``Event``, for every event name, rather than a
class per event: new event families then reach applications without a new
SDK release. The ACD's and the recording events have typed readers
(``AgentEvent.from_event``, ``QueueFigures.from_event``,
``QueueAllBusy.from_event``, ``RecordingEvent.from_event``). The fields every event has are
attributes (``name``, ``seq``, ``monitor_cross_ref_id``, ``timestamp``,
``local_connection_info``); the rest is the read-only mapping ``params``,
with the wire's lowerCamel keys exactly as ``rpc.discover`` documents them,
also reachable as ``event["callingDevice"]`` and ``event.get("trunk")``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from ._acd import ACD_EVENT_NAMES
from ._campaign import CAMPAIGN_EVENT_NAMES
from ._errors import SessionLost
from ._event import Event, event_from_wire
from ._records import RECORD_EVENT_NAMES, RECORDING_EVENT_NAMES
from ._voicemail import VOICEMAIL_EVENT_NAMES

__all__ = ["CALL_EVENT_NAMES", "EVENT_NAMES", "Event", "SessionRestarted", "event_from_wire"]

#: The CSTA call and system events (docs/protocol.md, section 5): read their fields from
#: ``Event.params`` by their wire names.
CALL_EVENT_NAMES: Final = frozenset(
    {
        "ServiceInitiatedEvent",
        "OriginatedEvent",
        "DeliveredEvent",
        "EstablishedEvent",
        "HeldEvent",
        "RetrievedEvent",
        "ConnectionClearedEvent",
        "CallClearedEvent",
        "TransferredEvent",
        "ConferencedEvent",
        "DivertedEvent",
        "FailedEvent",
        "QueuedEvent",
        "DigitsGeneratedEvent",
        "CallInformationEvent",
        "MonitorEndedEvent",
        "SystemStatusEvent",
    }
)
#: The fax events (docs/fax.md): ``FaxEvent.from_event`` reads them.
FAX_EVENT_NAMES: Final = frozenset({"fax.progress", "fax.received", "fax.completed", "fax.failed"})
#: Every event of protocol v1 this SDK knows: the call events, the ACD's (``AgentEvent``,
#: ``QueueFigures``, ``QueueAllBusy``), the recording events (``RecordingEvent``) and the
#: fax events (``FaxEvent``); voicemail's (``VoicemailEvent``).
EVENT_NAMES: Final = (
    CALL_EVENT_NAMES
    | ACD_EVENT_NAMES
    | RECORDING_EVENT_NAMES
    | RECORD_EVENT_NAMES
    | VOICEMAIL_EVENT_NAMES
    | FAX_EVENT_NAMES
    | CAMPAIGN_EVENT_NAMES
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionRestarted:
    """The old session could not be resumed, so the client logged in again: take snapshots.

    Events between ``last_seq`` of the old session and the new login are lost.
    The client has started the application's monitors again in the new
    session; their cross-reference ids may have changed: ``monitors`` maps each
    old id to its new one. Monitors that could not be started again (a call
    monitor whose call has ended, say) are in ``failed_monitors`` with the error.

    ``snapshots`` holds a fresh snapshot of each restarted monitor's object,
    by its new cross-reference id (``SnapshotDevice``, ``SnapshotCall``,
    ``agent.snapshot`` or ``queue.snapshot`` results), so a toolbar can repaint
    at once. ``url`` is the server the new session is on: after a hot-standby
    takeover it is another node than before.
    """

    #: Why resuming was impossible (``ReplayGap`` or ``SessionLost``).
    reason: SessionLost
    old_session_id: str
    new_session_id: str
    #: The last seq received in the old session.
    last_seq: int
    monitors: Mapping[str, str]
    failed_monitors: Mapping[str, Exception]
    snapshots: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    url: str = ""
