"""Tar archives of stored files and their rows: what the backups of recordings
(``ctid.recording.archive``) and of faxes (``ctid.fax.archive``) share. Blocking code.

An archive holds ``manifest.json`` (its ``format`` names the kind of archive) and the
files under one folder (``recordings/``, ``faxes/``) at their relative paths. The
manifest lists the rows (times in ISO 8601 UTC), the call records of their calls
with their legs, and each file's SHA-256.

Export writes beside the target and renames, so a half-written archive never looks
whole. Import checks every file against its SHA-256 before it goes in place,
refuses paths that would leave the directory, keeps files and rows that are already
there, and is idempotent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import stored_files as files
from .schema import call_legs, calls

__all__ = [
    "MANIFEST",
    "ArchiveError",
    "call_rows",
    "open_archive",
    "place_file",
    "read_manifest",
    "restore_calls",
    "row_values",
    "wire_row",
    "write_archive",
]

MANIFEST: Final = "manifest.json"


class ArchiveError(Exception):
    """The archive is not one ctid wrote, or a file in it is damaged."""


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def wire_row(row: Any) -> dict[str, Any]:
    """A database row as the manifest keeps it (times in ISO 8601 UTC)."""
    return {key: _iso(value) for key, value in row._mapping.items()}


def row_values(row: dict[str, Any]) -> dict[str, Any]:
    """A manifest row as the database takes it back (the ``*_at`` times as datetimes)."""
    return {
        k: dt.datetime.fromisoformat(v) if k.endswith("_at") and v else v for k, v in row.items()
    }


def call_rows(
    conn: Connection, call_ids: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The call records of ``call_ids`` and their legs, as the manifest keeps them."""
    if not call_ids:
        return [], []
    found = conn.execute(sa.select(calls).where(calls.c.call_id.in_(call_ids))).all()
    legs = conn.execute(sa.select(call_legs).where(call_legs.c.call_id.in_(call_ids))).all()
    return [wire_row(row) for row in found], [wire_row(row) for row in legs]


def write_archive(out: Path, manifest: dict[str, Any], members: Iterable[tuple[Path, str]]) -> None:
    """Write ``manifest`` and each file (its path, its name in the archive) to ``out``."""
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
            for path, name in members:
                tar.add(path, arcname=name, recursive=False)
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)


@contextlib.contextmanager
def open_archive(archive: Path, what: str) -> Iterator[tarfile.TarFile]:
    """The archive, open for reading; what is wrong in it raises ``ArchiveError``
    ("not a ctid ``what`` archive")."""
    try:
        with tarfile.open(archive, "r") as tar:
            yield tar
    except (tarfile.TarError, json.JSONDecodeError, KeyError, AttributeError) as exc:
        raise ArchiveError(f"{archive}: not a ctid {what} archive ({exc})") from None


def read_manifest(tar: tarfile.TarFile, archive: Path, fmt: str, what: str) -> dict[str, Any]:
    """The manifest of an archive of format ``fmt``."""
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise ArchiveError(f"{archive}: no {MANIFEST}: not a ctid {what} archive") from None
    handle = tar.extractfile(member)
    assert handle is not None
    manifest: dict[str, Any] = json.loads(handle.read())
    if manifest.get("format") != fmt:
        raise ArchiveError(f"{archive}: unknown archive format {manifest.get('format')!r}")
    return manifest


def place_file(
    tar: tarfile.TarFile,
    archive: Path,
    directory: Path,
    folder: str,
    path: str,
    sha: str,
    *,
    what: str,
) -> bool:
    """Put the file ``folder/path`` of the archive at ``path`` under ``directory`` (the
    ``what`` directory), once it matches ``sha``; False if it was there already."""
    try:
        target = files.resolve(directory, path)
    except ValueError:
        raise ArchiveError(f"{archive}: {path!r} would leave the {what} directory") from None
    if target.exists() and files.digest(target)[1] == sha:
        return False
    try:
        source = tar.extractfile(f"{folder}/{path}")
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


def restore_calls(conn: Connection, manifest: dict[str, Any]) -> None:
    """The manifest's call records (with their legs) that the database does not have."""
    for row in manifest["calls"]:
        if conn.execute(
            sa.select(calls.c.call_id).where(calls.c.call_id == row["call_id"])
        ).first():
            continue
        conn.execute(calls.insert().values(**row_values(row)))
        legs = [row_values(leg) for leg in manifest["legs"] if leg["call_id"] == row["call_id"]]
        if legs:
            conn.execute(call_legs.insert(), legs)
