"""One recording's row, with the devices of its call, and the shape the protocol shows it
in: one shape for ``recording.get``, ``recording.search`` and the ``recording.available``
event. Here, with the records, because the records' announcer publishes that event and
the recording service sits above the records (docs/design.md, the layers).

Blocking code (``recording_row``): run through ``RecordsService.read``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..clock import format_iso
from .schema import call_legs, recordings

__all__ = ["recording_row", "recording_to_wire"]


def recording_row(engine: Engine, recording_id: str) -> dict[str, Any] | None:
    """One recording's row, with the devices that took part in its call."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(recordings).where(recordings.c.recording_id == recording_id)
        ).first()
        if row is None:
            return None
        out = dict(row._mapping)
        devices: list[str] = []
        if row.call_id is not None:
            devices = list(
                conn.execute(
                    sa.select(call_legs.c.device).where(call_legs.c.call_id == row.call_id)
                ).scalars()
            )
        out["devices"] = devices
        return out


def recording_to_wire(row: dict[str, Any]) -> dict[str, Any]:
    """A recording row as the API shows it (lowerCamel keys, ISO times, a download path)."""

    def iso(value: Any) -> str | None:
        return None if value is None else format_iso(value.timestamp())

    return {
        "recordingID": row["recording_id"],
        "callID": row["call_id"],
        "state": row["state"],
        "format": row["format"],
        "startedAt": iso(row["started_at"]),
        "endedAt": iso(row["ended_at"]),
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
