"""What a restart does with the faxes the last run left unfinished. Pure.

A ``kill -9`` (or a crash, or a hot standby taking over) leaves fax rows
``queued``, ``dialing``, ``sending`` or ``receiving``. None is left so for ever:

* a fax that was **waiting** for a line, a retry or a calling window (``queued``,
  ctid's own ``fax.send``) is **resumed**: it waits for a line again, with the
  attempts it has left;
* a fax that was **on a line** (being dialled, sent or received, or in an IVR
  call) is **closed as failed** with the result text ``INTERRUPTED``: the call it
  ran in belongs to the run that died, and a send that may have reached the far
  machine is not sent again behind the user's back. ``fax.failed`` says so
  (``willRetry: false``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

__all__ = ["INTERRUPTED", "Recovery", "plan"]

#: The result text of a fax a restart found on a line.
INTERRUPTED: Final = "interrupted: ctid stopped during the fax"


@attrs.frozen(kw_only=True)
class Recovery:
    #: Rows to wait for a line again.
    resume: tuple[Mapping[str, Any], ...]
    #: Rows to close as failed (``INTERRUPTED``).
    interrupted: tuple[Mapping[str, Any], ...]


def plan(rows: Sequence[Mapping[str, Any]]) -> Recovery:
    """Sort the unfinished rows (``store.unfinished``) into resumed and interrupted."""
    resume = []
    interrupted = []
    for row in rows:
        waiting = row["state"] == "queued" and row["direction"] == "out"
        own = row["requested_by"] != "ivr" and row["path"] is not None
        if waiting and own and row["attempts"] < row["max_attempts"]:
            resume.append(row)
        else:
            interrupted.append(row)
    return Recovery(resume=tuple(resume), interrupted=tuple(interrupted))
