"""A fax ctid is handling (``ActiveFax``) and the error of a request that cannot be done."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["ActiveFax", "FaxError", "from_row"]


class FaxError(Exception):
    """A fax request that cannot be done: ``reason`` is a stable slug."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@attrs.define(eq=False)
class ActiveFax:
    """A fax not finished yet."""

    fax_id: str
    #: ``in`` or ``out``.
    direction: str
    mailbox: str
    remote: str
    local: str
    #: Relative to the fax directory.
    path: str
    requested_by: str
    max_attempts: int = 1
    attempts: int = 0
    document_ids: tuple[str, ...] = ()
    batch_id: str | None = None
    header: str = ""
    total_pages: int | None = None
    #: ``queued``, ``dialing``, ``sending``, ``receiving``.
    state: str = "queued"
    call_id: str | None = None
    #: In a call ctid does not own (an IVR's): the call goes on after the fax.
    in_ivr: bool = False
    pages: int = 0
    #: Why the last dial failed (a CSTA cause).
    dial_cause: str | None = None
    cancelled: bool = False
    #: Where the result is mailed (``fax.send emailTo``; received faxes: ``[fax.email_to]``).
    email_to: tuple[str, ...] = ()
    #: Taken back on a line after a restart (``keep.py``): its switch may never report.
    restored: bool = False


def from_row(row: Any) -> ActiveFax:
    """A fax of the last run, from its row (``store.unfinished``)."""
    return ActiveFax(
        fax_id=row["fax_id"],
        direction=row["direction"],
        mailbox=row["mailbox"],
        remote=row["remote_number"],
        local=row["local_number"] or "",
        path=row["path"] or "",
        requested_by=row["requested_by"],
        max_attempts=row["max_attempts"],
        attempts=row["attempts"],
        document_ids=tuple(row["document_ids"] or ()),
        batch_id=row["batch_id"],
        header=row["header"] or "",
        total_pages=row["total_pages"],
        state=row["state"],
        call_id=row["call_id"],
        in_ivr=row["requested_by"] == "ivr",
        pages=row["pages"] or 0,
        email_to=tuple(row.get("email_to") or ()),
    )
