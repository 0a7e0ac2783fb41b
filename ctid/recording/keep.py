"""Recordings in progress as live-state rows (kind ``recording``), so a restart keeps them.

The switch goes on recording while ctid is down; when the call ends it reports
the recording finished (``RecordingDone``). Kept, the recording is still
``active`` after a restart, so that report is taken as for any other: the file
is checked and the recording's row is closed ``done`` (not ``failed`` with
"ctid stopped while recording"). Times are stored as wall-clock seconds.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from ..clock import WallClock

__all__ = ["KIND", "from_row", "to_row"]

KIND: Final = "recording"


def _trio(clock: WallClock, wall: float) -> float:
    return wall - clock.anchor_wall + clock.anchor_trio


def to_row(rec: Any, clock: WallClock) -> dict[str, Any]:
    """An ``ActiveRecording`` as a row."""
    row = attrs.asdict(rec)
    row["started_at"] = clock.at(rec.started_at)
    row["paused_since"] = None if rec.paused_since is None else clock.at(rec.paused_since)
    row["devices"] = list(rec.devices)
    row["tags"] = list(rec.tags)
    return row


def from_row(row: dict[str, Any], clock: WallClock) -> dict[str, Any]:
    """The keyword arguments of an ``ActiveRecording`` from its row."""
    values = dict(row)
    values["started_at"] = _trio(clock, float(row["started_at"]))
    paused = row.get("paused_since")
    values["paused_since"] = None if paused is None else _trio(clock, float(paused))
    values["devices"] = tuple(row["devices"])
    values["tags"] = tuple(row["tags"])
    return values
