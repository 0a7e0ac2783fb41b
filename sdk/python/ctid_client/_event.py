"""The one class every server event is read as: ``Event``, and how it is made from the wire.

Its own module, below the families' typed readers (``_acd``, ``_records``,
``_voicemail``, ``_campaign``...), which take an ``Event``, and below ``_events``,
which gathers the families' event names: so no module imports its importer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ._values import ConnectionID

__all__ = ["Event", "event_from_wire"]

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
