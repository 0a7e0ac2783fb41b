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
from pathlib import Path
from typing import Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..recording import files
from ..records.archive import (
    ArchiveError,
    call_rows,
    open_archive,
    place_file,
    read_manifest,
    restore_calls,
    row_values,
    wire_row,
    write_archive,
)
from ..records.schema import fax_documents, faxes

__all__ = ["ArchiveError", "ExportResult", "ImportResult", "export_archive", "import_archive"]

FORMAT: Final = "ctid-faxes/1"
#: Finished faxes (those in progress are not backed up).
FINISHED: Final = ("completed", "failed", "cancelled")


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
        found_calls, legs = call_rows(conn, sorted({row.call_id for row in rows if row.call_id}))
    paths = sorted({row.path for row in rows if row.path} | {d.path for d in doc_rows})
    digests = {path: files.digest(files.resolve(directory, path)) for path in paths}
    manifest = {
        "format": FORMAT,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "faxes": [wire_row(row) for row in rows],
        "documents": [wire_row(row) for row in doc_rows],
        "calls": found_calls,
        "legs": legs,
        "files": {path: sha for path, (_, sha) in digests.items()},
    }
    write_archive(out, manifest, ((files.resolve(directory, p), f"faxes/{p}") for p in paths))
    return ExportResult(
        faxes=len(rows),
        documents=len(doc_rows),
        calls=len(found_calls),
        bytes=sum(size for size, _ in digests.values()),
    )


def import_archive(engine: Engine, directory: Path, archive: Path) -> ImportResult:
    """Put an archive's faxes back (files and rows); see the module docstring."""
    placed = present = 0
    with open_archive(archive, "fax") as tar:
        manifest = read_manifest(tar, archive, FORMAT, "fax")
        for path, sha in sorted(manifest["files"].items()):
            if place_file(tar, archive, directory, "faxes", path, sha, what="fax"):
                placed += 1
            else:
                present += 1
    restored = 0
    with engine.begin() as conn:
        for row in manifest["documents"]:
            d = fax_documents.c
            if conn.execute(
                sa.select(d.document_id).where(d.document_id == row["document_id"])
            ).first():
                continue
            values = row_values(row)
            if row["name"] and conn.execute(sa.select(d.name).where(d.name == row["name"])).first():
                values["name"] = None  # the name is another document's here: kept by id
            conn.execute(fax_documents.insert().values(**values))
        restore_calls(conn, manifest)
        for row in manifest["faxes"]:
            c = faxes.c
            found = conn.execute(sa.select(c.state).where(c.fax_id == row["fax_id"])).first()
            if found is None:
                conn.execute(faxes.insert().values(**row_values(row)))
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
