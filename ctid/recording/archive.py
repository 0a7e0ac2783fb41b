"""Backup and restore of recordings: a date range to a tar archive and back. Blocking code.

The archive's form and the checks of import are ``ctid.records.archive``'s, shared
with the faxes' backup. An archive holds ``manifest.json`` and the audio files
under ``recordings/`` at their relative paths. The manifest lists each recording's metadata (as in
the database, times in ISO 8601 UTC, with the file's SHA-256) and the call
records of their calls, so an archive restored into an empty database is
searchable as before.

Import checks every file against its SHA-256 before it goes in place,
refuses paths that would leave the recordings directory, keeps files and rows
that are already there, and is idempotent: importing twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records import ops as o
from ..records.archive import (
    ArchiveError,
    call_rows,
    open_archive,
    place_file,
    read_manifest,
    restore_calls,
    wire_row,
    write_archive,
)
from ..records.schema import recordings
from ..records.store import apply_one
from . import files

__all__ = ["ArchiveError", "ExportResult", "ImportResult", "export_archive", "import_archive"]

FORMAT: Final = "ctid-recordings/1"


@attrs.frozen(kw_only=True)
class ExportResult:
    recordings: int
    calls: int
    bytes: int


@attrs.frozen(kw_only=True)
class ImportResult:
    recordings: int
    already_there: int
    calls: int


def export_archive(
    engine: Engine, directory: Path, start: dt.datetime, end: dt.datetime, out: Path
) -> ExportResult:
    """Write the recordings started in [start, end) (and their calls) to ``out``."""
    r = recordings.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(recordings)
            .where(r.started_at >= start)
            .where(r.started_at < end)
            .where(r.state == "done")
            .order_by(r.started_at)
        ).all()
        found_calls, legs = call_rows(conn, sorted({row.call_id for row in rows if row.call_id}))
    manifest = {
        "format": FORMAT,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "recordings": [wire_row(row) for row in rows],
        "calls": found_calls,
        "legs": legs,
    }
    members = [(files.resolve(directory, row.path), f"recordings/{row.path}") for row in rows]
    write_archive(out, manifest, members)
    total = sum(path.stat().st_size for path, _ in members)
    return ExportResult(recordings=len(rows), calls=len(found_calls), bytes=total)


def import_archive(engine: Engine, directory: Path, archive: Path) -> ImportResult:
    """Put an archive's recordings back (files and rows); see the module docstring."""
    placed = present = 0
    with open_archive(archive, "recordings") as tar:
        manifest = read_manifest(tar, archive, FORMAT, "recordings")
        for rec in manifest["recordings"]:
            path, sha = rec["path"], rec["sha256"]
            if place_file(tar, archive, directory, "recordings", path, sha, what="recordings"):
                placed += 1
            else:
                present += 1
    with engine.begin() as conn:
        restore_calls(conn, manifest)
        for rec in manifest["recordings"]:
            # Restoring a backup brings back what retention deleted.
            conn.execute(
                recordings.update()
                .where(recordings.c.recording_id == rec["recording_id"])
                .where(recordings.c.state == "deleted")
                .values(state=rec["state"], deleted_at=None)
            )
            apply_one(conn, _op(rec))
    return ImportResult(recordings=placed, already_there=present, calls=len(manifest["calls"]))


def _op(rec: dict[str, Any]) -> o.RecordingOp:
    return o.RecordingOp(
        recording_id=rec["recording_id"],
        call_id=rec["call_id"],
        node=rec["node"],
        run_id=rec["run_id"],
        path=rec["path"],
        format=rec["format"],
        state=rec["state"],
        started_at=_epoch(rec["started_at"]),
        ended_at=_epoch_or_none(rec["ended_at"]),
        duration=rec["duration"],
        paused_seconds=rec["paused_seconds"],
        size_bytes=rec["size_bytes"],
        sha256=rec["sha256"],
        started_by=rec["started_by"],
        caller=rec["caller"],
        called=rec["called"],
        queue=rec["queue"],
        agent_id=rec["agent_id"],
        tags=tuple(rec["tags"] or ()),
        detail=rec["detail"],
    )


def _epoch(value: str) -> float:
    return dt.datetime.fromisoformat(value).timestamp()


def _epoch_or_none(value: str | None) -> float | None:
    return None if value is None else _epoch(value)
