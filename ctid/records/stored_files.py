"""Stored files (recordings, faxes) under their directory, by the relative path the
database keeps: finding one safely, and its size and SHA-256. Blocking code.

The recordings and faxes and their archives (``records.archive``) use these; they
live here, below all three, so the records package imports none of them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

__all__ = ["digest", "resolve"]


def resolve(directory: Path, relative: str) -> Path:
    """The file of a stored relative path; refuses paths that leave the directory."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"recording path {relative!r} is not inside the recordings directory")
    return directory.joinpath(*rel.parts)


def digest(path: Path) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex) of a file."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()
