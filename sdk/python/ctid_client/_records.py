"""Typed values of recordings, call records and reports (docs/records.md).

Recording events (``RecordingStartedEvent``...) reach the application as
``Event``; ``RecordingEvent.from_event`` reads one into values. Reports differ
by report, so a ``Report`` keeps the server's ``columns`` and ``rows`` as they
are, with ``records()`` for rows keyed by column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from ._errors import ProtocolError
from ._values import field, items, optional, optional_number, strings

if TYPE_CHECKING:
    from ._event import Event

__all__ = [
    "RECORDING_EVENT_NAMES",
    "RECORD_EVENT_NAMES",
    "REPORT_NAMES",
    "Recording",
    "RecordingEvent",
    "RecordingStatus",
    "RecordsStatus",
    "Report",
    "ReportInfo",
]

#: The recording events: ``RecordingEvent.from_event``. ``RecordingFailedEvent`` is sent
#: when the switch reports a recording failed (docs/records.md).
RECORDING_EVENT_NAMES: Final = frozenset(
    {
        "RecordingStartedEvent",
        "RecordingPausedEvent",
        "RecordingResumedEvent",
        "RecordingStoppedEvent",
        "RecordingFailedEvent",
        "RecordingDeletedEvent",
    }
)

#: Events of the call records, published once the database has them: ``record.callClosed``
#: (params: the call record, as ``records.get`` returns it) and ``recording.available``
#: (params: the recording, ``Recording.from_wire``).
RECORD_EVENT_NAMES: Final = frozenset({"record.callClosed", "recording.available"})

#: Report names (``report.list``) -> the ``Services`` method that runs each.
REPORT_NAMES: Final = MappingProxyType(
    {
        "ivr-nodes": "report_ivr_nodes",
        "handle-times": "report_handle_times",
        "trunk-occupancy": "report_trunk_occupancy",
        "agents": "report_agents",
        "abandoned": "report_abandoned",
        "answer-rate": "report_answer_rate",
        "service-level": "report_service_level",
        "queue-waits": "report_queue_waits",
    }
)


def _object(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{where}: expected an object, got {type(data).__name__}")
    return data


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordingStatus:
    """A recording in progress: the reply of ``recording.start``/``pause``/``resume``/``stop``."""

    recording_id: str
    call_id: str
    #: ``recording``, ``paused``, ``stopping`` (then ``done`` or ``failed``).
    state: str
    #: The user (credential name) who started it, or the policy.
    started_by: str
    tags: tuple[str, ...]

    @classmethod
    def from_wire(cls, data: Any, where: str = "recording") -> RecordingStatus:
        data = _object(data, where)
        return cls(
            recording_id=field(data, "recordingID", str, where),
            call_id=field(data, "callID", str, where),
            state=field(data, "state", str, where),
            started_by=field(data, "startedBy", str, where),
            tags=strings(data, "tags", where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Recording:
    """A recording's metadata from the records (``recording.get``, ``recording.search``)."""

    recording_id: str
    call_id: str
    #: ``recording``, ``paused``, ``done``, ``failed``, ``deleted``.
    state: str
    #: ``wav``.
    format: str
    started_at: str | None
    ended_at: str | None
    duration: float | None
    paused_seconds: float | None
    size_bytes: int | None
    sha256: str | None
    started_by: str | None
    caller: str | None
    called: str | None
    queue: str | None
    agent_id: str | None
    tags: tuple[str, ...]
    #: Why it failed (state ``failed``), else None.
    detail: str | None
    #: The path to download it from on the API's HTTP port, with ``Authorization: Bearer``.
    download: str
    #: Kept whatever the retention rules say (``recording.setImportant``).
    important: bool = False

    @classmethod
    def from_wire(cls, data: Any, where: str = "recording.get") -> Recording:
        data = _object(data, where)
        return cls(
            recording_id=field(data, "recordingID", str, where),
            call_id=field(data, "callID", str, where),
            state=field(data, "state", str, where),
            format=field(data, "format", str, where),
            started_at=optional(data, "startedAt", str, where),
            ended_at=optional(data, "endedAt", str, where),
            duration=optional_number(data, "duration", where),
            paused_seconds=optional_number(data, "pausedSeconds", where),
            size_bytes=optional(data, "sizeBytes", int, where),
            sha256=optional(data, "sha256", str, where),
            started_by=optional(data, "startedBy", str, where),
            caller=optional(data, "caller", str, where),
            called=optional(data, "called", str, where),
            queue=optional(data, "queue", str, where),
            agent_id=optional(data, "agentID", str, where),
            tags=strings(data, "tags", where),
            detail=optional(data, "detail", str, where),
            download=field(data, "download", str, where),
            important=field(data, "important", bool, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordingEvent:
    """A recording event (``RecordingStartedEvent``, ``...PausedEvent``, ...) read into values."""

    name: str
    seq: int | None
    monitor_cross_ref_id: str | None
    timestamp: str | None
    recording_id: str
    call_id: str
    #: ``recording``, ``paused``, ``done`` or ``failed``.
    state: str
    started_by: str
    #: Seconds recorded (``RecordingStoppedEvent``).
    duration: float | None
    #: What went wrong (``RecordingFailedEvent``).
    detail: str | None
    #: Who deleted it (``RecordingDeletedEvent``): ``"<name> (<role>)"``.
    deleted_by: str | None = None

    @classmethod
    def from_event(cls, event: Event) -> RecordingEvent:
        """Read a recording event; ``ValueError`` for an event of another name."""
        if event.name not in RECORDING_EVENT_NAMES:
            raise ValueError(f"{event.name} is not a recording event")
        params, w = event.params, event.name
        return cls(
            name=event.name,
            seq=event.seq,
            monitor_cross_ref_id=event.monitor_cross_ref_id,
            timestamp=event.timestamp,
            recording_id=field(params, "recordingID", str, w),
            call_id=field(params, "callID", str, w),
            state=field(params, "state", str, w),
            started_by=field(params, "startedBy", str, w),
            duration=optional_number(params, "duration", w),
            detail=optional(params, "detail", str, w),
            deleted_by=optional(params, "deletedBy", str, w),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordsStatus:
    """``records.status``: the record writer's counters and the database's health."""

    submitted: int
    #: Records in the spool, not yet in the database.
    spooled: int
    spool_bytes: int
    committed: int
    #: Dropped because the spool was full.
    dropped: int
    #: Refused by the database (kept in ``spool/rejected.jsonl``).
    rejected: int
    database_up: bool
    database_error: str | None

    @classmethod
    def from_wire(cls, data: Any, where: str = "records.status") -> RecordsStatus:
        return cls(
            submitted=field(data, "submitted", int, where),
            spooled=field(data, "spooled", int, where),
            spool_bytes=field(data, "spoolBytes", int, where),
            committed=field(data, "committed", int, where),
            dropped=field(data, "dropped", int, where),
            rejected=field(data, "rejected", int, where),
            database_up=field(data, "databaseUp", bool, where),
            database_error=optional(data, "databaseError", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Report:
    """A report (``report.*``): its columns, and rows of values in the columns' order.

    The columns differ by report (README "Reports"); with ``interval`` the
    first column is ``interval`` (the start of the hour or day).
    """

    #: The report's name (``answer-rate``...).
    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> tuple[Mapping[str, Any], ...]:
        """The rows as read-only mappings, column name -> value."""
        return tuple(
            MappingProxyType(dict(zip(self.columns, row, strict=True))) for row in self.rows
        )

    @classmethod
    def from_wire(cls, data: Any, where: str = "report") -> Report:
        columns = strings(data, "columns", where)
        rows = []
        for row in items(data, "rows", where):
            if not isinstance(row, list) or len(row) != len(columns):
                raise ProtocolError(f"{where}.rows[]: expected {len(columns)} values, got {row!r}")
            rows.append(tuple(row))
        return cls(
            name=field(data, "name", str, where),
            title=field(data, "title", str, where),
            columns=columns,
            rows=tuple(rows),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReportInfo:
    """One report in ``report.list``: its name and the method that runs it."""

    name: str
    method: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "report.list.reports[]") -> ReportInfo:
        return cls(name=field(data, "name", str, where), method=field(data, "method", str, where))
