"""A stored call record as the protocol shows it: one shape for ``records.get``,
``records.search`` and the ``record.callClosed`` event; and a recording's, for
``recording.get``, ``recording.search`` and the ``recording.available`` event (the
records' announcer publishes it, and the recording service sits above the records).

The input is the ``calls`` row as a mapping (column names as keys, times as
aware datetimes, as SQLAlchemy reads them) with one more key, ``legs``: the
call's ``call_legs`` rows in ``seq`` order. Columns another migration adds
later (``campaign``, ``fax_id``) are read with ``get`` so the shape does not depend on them
being there: absent, they are ``null``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..clock import format_iso

__all__ = ["record_to_wire", "recording_to_wire"]


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else format_iso(value.timestamp())


def _leg(leg: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "device": leg["device"],
        "kind": leg["kind"],
        "trunk": leg["trunk"],
        "joinedAt": _iso(leg["joined_at"]),
        "answeredAt": _iso(leg["answered_at"]),
        "endedAt": _iso(leg["ended_at"]),
        "holdSeconds": leg["hold_seconds"],
        "endCause": leg["end_cause"],
        "failed": bool(leg["failed"]),
    }


def record_to_wire(record: Mapping[str, Any]) -> dict[str, Any]:
    """The protocol dict of one stored call record (see the module docstring)."""
    return {
        "callID": record["call_id"],
        "node": record["node"],
        "state": record["state"],
        "direction": record["direction"],
        "caller": record["caller"],
        "called": record["called"],
        "dnis": record["dnis"],
        "trunk": record["trunk"],
        "queue": record["queue"],
        "queueOutcome": record["queue_outcome"],
        "agentID": record["agent_id"],
        "agentDevice": record["agent_device"],
        "answeredBy": record["answered_by"],
        "campaign": record.get("campaign"),
        "faxID": record.get("fax_id"),
        "ivrFlow": record["ivr_flow"],
        "ivrExit": record["ivr_exit"],
        "startedAt": _iso(record["started_at"]),
        "answeredAt": _iso(record["answered_at"]),
        "ivrEnteredAt": _iso(record["ivr_entered_at"]),
        "ivrLeftAt": _iso(record["ivr_left_at"]),
        "queueEnteredAt": _iso(record["queue_entered_at"]),
        "queueLeftAt": _iso(record["queue_left_at"]),
        "endedAt": _iso(record["ended_at"]),
        "waitSeconds": record["wait_seconds"],
        "holdSeconds": record["hold_seconds"],
        "talkSeconds": record["talk_seconds"],
        "acwSeconds": record["acw_seconds"],
        "disposition": record["disposition"],
        "endCause": record["end_cause"],
        "mergedInto": record["merged_into"],
        "recordingIDs": list(record["recording_ids"] or ()),
        "correlatorData": record["correlator_data"],
        "userData": dict(record["user_data"] or {}),
        "legs": [_leg(leg) for leg in record.get("legs", ())],
    }


def recording_to_wire(row: dict[str, Any]) -> dict[str, Any]:
    """A recording row as the API shows it (lowerCamel keys, ISO times, a download path)."""
    return {
        "recordingID": row["recording_id"],
        "callID": row["call_id"],
        "state": row["state"],
        "format": row["format"],
        "startedAt": _iso(row["started_at"]),
        "endedAt": _iso(row["ended_at"]),
        "duration": row["duration"],
        "pausedSeconds": row["paused_seconds"],
        "sizeBytes": row["size_bytes"],
        "sha256": row["sha256"],
        "startedBy": row["started_by"],
        "caller": row["caller"],
        "called": row["called"],
        "queue": row["queue"],
        "agentID": row["agent_id"],
        "tags": list(row["tags"] or ()),
        "important": bool(row["important"]),
        # Why it failed (state "failed"); null otherwise.
        "detail": row["detail"] or None,
        "download": f"/recordings/download?id={row['recording_id']}",
    }
