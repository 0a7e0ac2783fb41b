"""Backup and restore of faxes: a date range to a tar archive and back. Blocking code.

As ``ctid.recording.archive`` does for recordings. An archive holds
``manifest.json`` and the images under ``faxes/`` at their relative paths:
received faxes (``in/``), the images of sent ones (``out/``, one per batch) and
the documents the sent faxes were made of (``documents/``). The manifest lists
the fax rows finished in the range (times in ISO 8601 UTC), their documents,
the call records of their calls (with their legs), and each file's SHA-256, so
an archive restored into an empty database is searchable and downloadable as
before.

Import checks every file against its SHA-256 before it goes in place, refuses
paths that would leave the fax directory, keeps files and rows that are
already there (a fax deleted by retention comes back), and is idempotent.
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

from ..recording import files
from ..records.schema import call_legs, calls, fax_documents, faxes

__all__ = ["ArchiveError", "ExportResult", "ImportResult", "export_archive", "import_archive"]

MANIFEST: Final = "manifest.json"
FORMAT: Final = "ctid-faxes/1"
#: Finished faxes (those in progress are not backed up).
FINISHED: Final = ("completed", "failed", "cancelled")
_TIMES: Final = frozenset(
    {"created_at", "ended_at", "deleted_at", "uploaded_at", "started_at", "joined_at"}
)


class ArchiveError(Exception):
    """The archive is not one ctid wrote, or a file in it is damaged."""


@attrs.frozen(kw_only=True)
class ExportResult:
    faxes: int
    documents: int
    calls: int
    bytes: int


@attrs.frozen(kw_only=True)
class ImportResult:
    faxes: int
    files: int
    already_there: int
    calls: int


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def _row(row: Any) -> dict[str, Any]:
    return {key: _iso(value) for key, value in row._mapping.items()}


def _values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: dt.datetime.fromisoformat(v) if (k in _TIMES or k.endswith("_at")) and v else v
        for k, v in row.items()
    }


def export_archive(
    engine: Engine, directory: Path, start: dt.datetime, end: dt.datetime, out: Path
) -> ExportResult:
    """Write the faxes made in [start, end) (finished ones, with their images,
    documents and calls) to ``out``."""
    c = faxes.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(faxes)
            .where(c.created_at >= start)
            .where(c.created_at < end)
            .where(c.state.in_(FINISHED))
            .order_by(c.created_at, c.fax_id)
        ).all()
        doc_ids = sorted({d for row in rows for d in (row.document_ids or ())})
        doc_rows = (
            conn.execute(
                sa.select(fax_documents).where(fax_documents.c.document_id.in_(doc_ids))
            ).all()
            if doc_ids
            else []
        )
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
    paths = sorted({row.path for row in rows if row.path} | {d.path for d in doc_rows})
    digests = {path: files.digest(files.resolve(directory, path)) for path in paths}
    manifest = {
        "format": FORMAT,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "faxes": [_row(row) for row in rows],
        "documents": [_row(row) for row in doc_rows],
        "calls": [_row(row) for row in call_rows],
        "legs": [_row(row) for row in leg_rows],
        "files": {path: sha for path, (_, sha) in digests.items()},
    }
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
            for path in paths:
                tar.add(files.resolve(directory, path), arcname=f"faxes/{path}", recursive=False)
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)
    return ExportResult(
        faxes=len(rows),
        documents=len(doc_rows),
        calls=len(call_rows),
        bytes=sum(size for size, _ in digests.values()),
    )


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise ArchiveError(f"{archive}: no {MANIFEST}: not a ctid fax archive") from None
    handle = tar.extractfile(member)
    assert handle is not None
    manifest: dict[str, Any] = json.loads(handle.read())
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"{archive}: unknown archive format {manifest.get('format')!r}")
    return manifest


def _place(tar: tarfile.TarFile, archive: Path, directory: Path, path: str, sha: str) -> bool:
    """Put one file in place; False if it was there already."""
    try:
        target = files.resolve(directory, path)
    except ValueError:
        raise ArchiveError(f"{archive}: {path!r} would leave the fax directory") from None
    if target.exists() and files.digest(target)[1] == sha:
        return False
    try:
        source = tar.extractfile(f"faxes/{path}")
    except KeyError:
        source = None
    if source is None:
        raise ArchiveError(f"{archive}: {path} is not in it")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    with open(part, "wb") as f:
        while chunk := source.read(1 << 20):
            f.write(chunk)
    if files.digest(part)[1] != sha:
        part.unlink()
        raise ArchiveError(f"{archive}: {path} does not match its SHA-256")
    part.replace(target)
    return True


def import_archive(engine: Engine, directory: Path, archive: Path) -> ImportResult:
    """Put an archive's faxes back (files and rows); see the module docstring."""
    placed = present = 0
    try:
        with tarfile.open(archive, "r") as tar:
            manifest = _read_manifest(tar, archive)
            for path, sha in sorted(manifest["files"].items()):
                if _place(tar, archive, directory, path, sha):
                    placed += 1
                else:
                    present += 1
    except (tarfile.TarError, json.JSONDecodeError, KeyError, AttributeError) as exc:
        raise ArchiveError(f"{archive}: not a ctid fax archive ({exc})") from None
    restored = 0
    with engine.begin() as conn:
        for row in manifest["documents"]:
            d = fax_documents.c
            if conn.execute(
                sa.select(d.document_id).where(d.document_id == row["document_id"])
            ).first():
                continue
            values = _values(row)
            if row["name"] and conn.execute(sa.select(d.name).where(d.name == row["name"])).first():
                values["name"] = None  # the name is another document's here: kept by id
            conn.execute(fax_documents.insert().values(**values))
        for row in manifest["calls"]:
            if conn.execute(
                sa.select(calls.c.call_id).where(calls.c.call_id == row["call_id"])
            ).first():
                continue
            conn.execute(calls.insert().values(**_values(row)))
            legs = [_values(leg) for leg in manifest["legs"] if leg["call_id"] == row["call_id"]]
            if legs:
                conn.execute(call_legs.insert(), legs)
        for row in manifest["faxes"]:
            c = faxes.c
            found = conn.execute(sa.select(c.state).where(c.fax_id == row["fax_id"])).first()
            if found is None:
                conn.execute(faxes.insert().values(**_values(row)))
                restored += 1
            elif found.state == "deleted":
                # Restoring a backup brings back what retention deleted.
                conn.execute(
                    faxes.update()
                    .where(c.fax_id == row["fax_id"])
                    .values(state=row["state"], path=row["path"], deleted_at=None)
                )
                restored += 1
    return ImportResult(
        faxes=restored, files=placed, already_there=present, calls=len(manifest["calls"])
    )
