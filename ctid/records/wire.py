"""A stored call record as the protocol shows it: one function, used by every method
and notification that carries records (``records.get``, ``records.search``,
``records.history``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

__all__ = ["record_to_wire"]


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_to_wire(record: Mapping[str, Any]) -> dict[str, Any]:
    """A ``calls`` row (its columns by name) with its ``legs`` (``call_legs`` rows, in
    order) -> the protocol's call record (docs/protocol.md, "Call records")."""
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
        "ivrFlow": record["ivr_flow"],
        "ivrExit": record["ivr_exit"],
        "startedAt": _iso(record["started_at"]),
        "answeredAt": _iso(record["answered_at"]),
        "endedAt": _iso(record["ended_at"]),
        "waitSeconds": record["wait_seconds"],
        "holdSeconds": record["hold_seconds"],
        "talkSeconds": record["talk_seconds"],
        "acwSeconds": record["acw_seconds"],
        "disposition": record["disposition"],
        "endCause": record["end_cause"],
        "mergedInto": record["merged_into"],
        "recordingIDs": list(record["recording_ids"] or []),
        "correlatorData": record["correlator_data"],
        "userData": dict(record["user_data"] or {}),
        "legs": [
            {
                "device": leg["device"],
                "kind": leg["kind"],
                "trunk": leg["trunk"],
                "joinedAt": _iso(leg["joined_at"]),
                "answeredAt": _iso(leg["answered_at"]),
                "endedAt": _iso(leg["ended_at"]),
                "holdSeconds": leg["hold_seconds"],
                "endCause": leg["end_cause"],
                "failed": leg["failed"],
            }
            for leg in record.get("legs", ())
        ],
    }
