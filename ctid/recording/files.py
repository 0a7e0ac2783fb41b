"""Recording files on disk. Blocking code: call it through ``trio.to_thread``.

Files live under the recordings directory, laid out by the day the recording
started (UTC): ``2027/01/15/<recording id>.wav``. The database keeps that
relative path, so the directory can move (or be restored from an archive
elsewhere) without rewriting rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..records.stored_files import digest, resolve

__all__ = ["delete", "digest", "relative_path", "resolve"]


def relative_path(recording_id: str, started: dt.datetime, fmt: str) -> str:
    """Where a recording goes, relative to the recordings directory."""
    day = started.astimezone(dt.UTC)
    return f"{day:%Y/%m/%d}/{recording_id}.{fmt}"


def delete(path: Path) -> bool:
    """Remove a file and the day directories it leaves empty; False if it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    parent = path.parent
    for _ in range(3):  # day, month, year
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return True
