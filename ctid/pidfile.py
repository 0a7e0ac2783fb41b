"""The daemon's pid file (``<server.state_dir>/ctid.pid``), for ``ctid reload``.

``ctid run`` writes it once it runs and removes it when it stops; ``ctid reload``
reads it to send the daemon SIGHUP. A file left by a daemon that died is
recognised (no such process) rather than trusted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

__all__ = ["PID_FILE", "PidFileError", "read_pid", "remove_pid", "write_pid"]

#: The file's name in the state directory.
PID_FILE: Final = "ctid.pid"


class PidFileError(Exception):
    """No running daemon could be found through the pid file; the message says why."""


def write_pid(path: Path, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid}\n", encoding="ascii")


def remove_pid(path: Path, pid: int) -> None:
    """Remove the file if it is still ``pid``'s (a newer daemon may have written its own)."""
    try:
        if path.read_text(encoding="ascii").strip() == str(pid):
            path.unlink()
    except (OSError, ValueError):
        pass


def read_pid(path: Path) -> int:
    """The pid of the running daemon; ``PidFileError`` when there is none."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        msg = f"{path} does not exist: is ctid running with this configuration?"
        raise PidFileError(msg) from None
    except OSError as exc:
        raise PidFileError(f"cannot read {path}: {exc.strerror}") from None
    if not text.isdigit():
        raise PidFileError(f"{path} does not hold a process id")
    pid = int(text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise PidFileError(f"{path} names process {pid}, which is not running") from None
    except PermissionError:
        pass  # it runs, as another user: the signal will say whether we may
    return pid
