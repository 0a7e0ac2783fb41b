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
from ._records import RECORD_EVENT_NAMES, RECORDING_EVENT_NAMES
from ._values import ConnectionID
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

#: Keys every event carries, lifted out of ``params`` into attributes.
_COMMON = frozenset({"monitorCrossRefID", "seq", "timestamp", "localConnectionInfo"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """One event notification from the server (``DeliveredEvent``, ``EstablishedEvent``, ...)."""

    #: The event's name, e.g. ``"DeliveredEvent"``.
    name: str
    #: Its number in this session: 1, 2, 3, ... with no gaps (``None`` if the server sent none).
    seq: int | None
    #: The monitor it came through (``MonitorStart``'s result), if any.
    monitor_cross_ref_id: str | None
    #: When it happened: ISO 8601, UTC.
    timestamp: str | None
    #: For device monitors: the monitored device's connection state in the call.
    local_connection_info: str | None
    #: The event's own fields, lowerCamel keys as on the wire (read-only).
    params: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def connection(self, key: str) -> ConnectionID | None:
        """The ConnectionID in field ``key`` (e.g. ``"connection"``), or None if absent."""
        value = self.params.get(key)
        return ConnectionID.from_wire(value) if isinstance(value, Mapping) else None


def event_from_wire(method: str, params: Mapping[str, Any]) -> Event:
    """An ``Event`` from a notification's method and params (unknown extra keys are kept)."""
    seq = params.get("seq")
    xref = params.get("monitorCrossRefID")
    timestamp = params.get("timestamp")
    local = params.get("localConnectionInfo")
    return Event(
        name=method,
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        monitor_cross_ref_id=xref if isinstance(xref, str) else None,
        timestamp=timestamp if isinstance(timestamp, str) else None,
        local_connection_info=local if isinstance(local, str) else None,
        params=MappingProxyType({k: v for k, v in params.items() if k not in _COMMON}),
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
