"""Backup and restore of recordings: a date range to a tar archive and back. Blocking code.

An archive holds ``manifest.json`` and the audio files under ``recordings/``
at their relative paths. The manifest lists each recording's metadata (as in
the database, times in ISO 8601 UTC, with the file's SHA-256) and the call
records of their calls, so an archive restored into an empty database is
searchable as before.

Import checks every file against its SHA-256 before it goes in place,
refuses paths that would leave the recordings directory, keeps files and rows
that are already there, and is idempotent: importing twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records import ops as o
from ..records.schema import call_legs, calls, recordings
from ..records.store import apply_one
from . import files

__all__ = ["ArchiveError", "ExportResult", "ImportResult", "export_archive", "import_archive"]

MANIFEST: Final = "manifest.json"
FORMAT: Final = "ctid-recordings/1"


class ArchiveError(Exception):
    """The archive is not one ctid wrote, or a file in it is damaged."""


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


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def _row(row: Any) -> dict[str, Any]:
    return {key: _iso(value) for key, value in row._mapping.items()}


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
        call_ids = sorted({row.call_id for row in rows if row.call_id})
        call_rows = (
            conn.execute(sa.select(calls).where(calls.c.call_id.in_(call_ids))).all()
            if call_ids
            else []
        )
        leg_rows = (
            conn.execute(sa.select(call_legs).where(call_legs.c.call_id.in_(call_ids))).all()
            if call_ids
            else []
        )
    manifest = {
        "format": FORMAT,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "recordings": [_row(row) for row in rows],
        "calls": [_row(row) for row in call_rows],
        "legs": [_row(row) for row in leg_rows],
    }
    total = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a half-written archive never looks whole.
    with tempfile.NamedTemporaryFile(dir=out.parent, suffix=".part", delete=False) as tmp:
        part = Path(tmp.name)
    try:
        with tarfile.open(part, "w") as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            for row in rows:
                path = files.resolve(directory, row.path)
                tar.add(path, arcname=f"recordings/{row.path}", recursive=False)
                total += path.stat().st_size
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)
    return ExportResult(recordings=len(rows), calls=len(call_rows), bytes=total)


def _time(value: Any) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def import_archive(engine: Engine, directory: Path, archive: Path) -> ImportResult:
    """Put an archive's recordings back (files and rows); see the module docstring."""
    with tarfile.open(archive, "r") as tar:
        try:
            member = tar.getmember(MANIFEST)
        except KeyError:
            raise ArchiveError(f"{archive}: no {MANIFEST}: not a ctid recordings archive") from None
        handle = tar.extractfile(member)
        assert handle is not None
        manifest = json.loads(handle.read())
        if manifest.get("format") != FORMAT:
            raise ArchiveError(f"{archive}: unknown archive format {manifest.get('format')!r}")
        placed = 0
        present = 0
        for rec in manifest["recordings"]:
            target = files.resolve(directory, rec["path"])
            if target.exists() and files.digest(target)[1] == rec["sha256"]:
                present += 1
                continue
            source = tar.extractfile(f"recordings/{rec['path']}")
            if source is None:
                raise ArchiveError(f"{archive}: {rec['path']} is not a file")
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(target.name + ".part")
            with open(part, "wb") as f:
                while chunk := source.read(1 << 20):
                    f.write(chunk)
            if files.digest(part)[1] != rec["sha256"]:
                part.unlink()
                raise ArchiveError(f"{archive}: {rec['path']} does not match its SHA-256")
            part.replace(target)
            placed += 1
    with engine.begin() as conn:
        for row in manifest["calls"]:
            values = {k: _time(v) if k.endswith("_at") else v for k, v in row.items()}
            exists = conn.execute(
                sa.select(calls.c.call_id).where(calls.c.call_id == row["call_id"])
            ).first()
            if exists is None:
                conn.execute(calls.insert().values(**values))
                legs = [
                    {k: _time(v) if k.endswith("_at") else v for k, v in leg.items()}
                    for leg in manifest["legs"]
                    if leg["call_id"] == row["call_id"]
                ]
                if legs:
                    conn.execute(call_legs.insert(), legs)
        for rec in manifest["recordings"]:
            # Restoring a backup brings back what retention deleted.
            conn.execute(
                recordings.update()
                .where(recordings.c.recording_id == rec["recording_id"])
                .where(recordings.c.state == "deleted")
                .values(state=rec["state"], deleted_at=None)
            )
            apply_one(
                conn,
                o.RecordingOp(
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
                ),
            )
    return ImportResult(recordings=placed, already_there=present, calls=len(manifest["calls"]))


def _epoch(value: str) -> float:
    return dt.datetime.fromisoformat(value).timestamp()


def _epoch_or_none(value: str | None) -> float | None:
    return None if value is None else _epoch(value)
