"""Fax rows in the records database. Blocking code: run through ``RecordsService.read``.

Fax rows are few (a fax is minutes long) and a client reads one right after
it changes (``fax.get`` after ``fax.send``), so they are written at once in a
worker thread rather than batched with the call records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..clock import format_iso
from ..records.schema import fax_documents, faxes

__all__ = [
    "IMPORTANT",
    "FaxQuery",
    "document_to_wire",
    "email_pending",
    "expired",
    "get_document",
    "get_fax",
    "insert_document",
    "insert_fax",
    "path_in_use",
    "search",
    "to_wire",
    "unfinished",
    "update_fax",
]


def insert_document(engine: Engine, row: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(fax_documents).values(**row))


def get_document(engine: Engine, key: str) -> dict[str, Any] | None:
    """A document by id, or else by name."""
    d = fax_documents.c
    with engine.connect() as conn:
        row = conn.execute(sa.select(fax_documents).where(d.document_id == key)).first()
        if row is None:
            row = conn.execute(sa.select(fax_documents).where(d.name == key)).first()
        return None if row is None else dict(row._mapping)


def insert_fax(engine: Engine, row: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(faxes).values(**row))


def update_fax(engine: Engine, fax_id: str, values: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(faxes).where(faxes.c.fax_id == fax_id).values(**values))


def get_fax(engine: Engine, fax_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(faxes).where(faxes.c.fax_id == fax_id)).first()
        return None if row is None else dict(row._mapping)


@attrs.frozen(kw_only=True)
class FaxQuery:
    """Search criteria; every one given must hold."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    direction: str | None = None
    #: The other side's number (sender or destination).
    number: str | None = None
    local_number: str | None = None
    state: str | None = None
    mailbox: str | None = None
    batch_id: str | None = None
    min_pages: int | None = None
    max_pages: int | None = None
    tags: tuple[str, ...] = ()
    #: ``pending``, ``sent`` or ``failed`` (the mail of the fax).
    email_status: str | None = None
    include_deleted: bool = False
    limit: int = 100
    #: Restriction from who asks: only these mailboxes (None: all).
    only_mailboxes: frozenset[str] | None = None


def search(engine: Engine, q: FaxQuery) -> list[dict[str, Any]]:
    """Faxes matching ``q``, newest first."""
    c = faxes.c
    stmt = sa.select(faxes).order_by(c.created_at.desc(), c.fax_id.desc())
    if q.start is not None:
        stmt = stmt.where(c.created_at >= q.start)
    if q.end is not None:
        stmt = stmt.where(c.created_at < q.end)
    for column, value in (
        (c.direction, q.direction),
        (c.remote_number, q.number),
        (c.local_number, q.local_number),
        (c.state, q.state),
        (c.mailbox, q.mailbox),
        (c.batch_id, q.batch_id),
        (c.email_status, q.email_status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if q.min_pages is not None:
        stmt = stmt.where(c.pages >= q.min_pages)
    if q.max_pages is not None:
        stmt = stmt.where(c.pages <= q.max_pages)
    if not q.include_deleted and q.state != "deleted":
        stmt = stmt.where(c.state != "deleted")
    if q.only_mailboxes is not None:
        stmt = stmt.where(c.mailbox.in_(sorted(q.only_mailboxes)))
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            if q.tags and not set(q.tags) <= set(row.tags or ()):
                continue
            out.append(dict(row._mapping))
            if len(out) >= q.limit:
                break
    return out


#: The tag that keeps a fax whatever the retention says (as ``recording.setImportant``).
IMPORTANT: Final = "important"


def expired(engine: Engine, cutoff: dt.datetime) -> list[tuple[str, str | None, str]]:
    """(id, path, direction) of finished faxes made before ``cutoff``, received or
    sent, except those tagged ``important``."""
    c = faxes.c
    stmt = (
        sa.select(c.fax_id, c.path, c.direction, c.tags)
        .where(c.created_at < cutoff)
        .where(c.state.in_(("completed", "failed", "cancelled")))
    )
    with engine.connect() as conn:
        return [
            (row.fax_id, row.path, row.direction)
            for row in conn.execute(stmt)
            if IMPORTANT not in (row.tags or ())
        ]


def path_in_use(engine: Engine, path: str) -> bool:
    """Whether a fax not deleted still has the image ``path`` (the faxes of a batch
    share one)."""
    c = faxes.c
    stmt = sa.select(c.fax_id).where(c.path == path).where(c.state != "deleted").limit(1)
    with engine.connect() as conn:
        return conn.execute(stmt).first() is not None


#: States of a fax not finished: what a restart finds of the faxes ctid was handling.
UNFINISHED: Final = ("queued", "dialing", "sending", "receiving")


def unfinished(engine: Engine) -> list[dict[str, Any]]:
    """The fax rows not finished, oldest first."""
    c = faxes.c
    stmt = sa.select(faxes).where(c.state.in_(UNFINISHED)).order_by(c.created_at, c.fax_id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def _iso(value: Any) -> str | None:
    return None if value is None else format_iso(value.timestamp())


def to_wire(row: dict[str, Any]) -> dict[str, Any]:
    """A fax row as the API shows it (lowerCamel keys, ISO times, download paths)."""
    has_image = row["path"] is not None and row["state"] != "deleted"
    return {
        "faxID": row["fax_id"],
        "batchID": row["batch_id"],
        "direction": row["direction"],
        "state": row["state"],
        "mailbox": row["mailbox"],
        "callID": row["call_id"],
        "remoteNumber": row["remote_number"],
        "localNumber": row["local_number"],
        "documents": list(row["document_ids"] or ()),
        "pages": row["pages"],
        "totalPages": row["total_pages"],
        "attempts": row["attempts"],
        "maxAttempts": row["max_attempts"],
        "resultCode": row["result_code"],
        "resultText": row["result_text"] or None,
        "remoteStationID": row["remote_station_id"] or None,
        "bitRate": row["bit_rate"],
        "sizeBytes": row["size_bytes"],
        "header": row["header"] or None,
        "requestedBy": row["requested_by"],
        "tags": list(row["tags"] or ()),
        "createdAt": _iso(row["created_at"]),
        "endedAt": _iso(row["ended_at"]),
        "node": row.get("node"),
        "emailTo": list(row["email_to"]) if row.get("email_to") else None,
        "emailStatus": row.get("email_status"),
        "emailAttempts": row.get("email_attempts"),
        "emailedAt": _iso(row.get("emailed_at")),
        "emailError": row.get("email_error"),
        "download": (
            {
                "tiff": f"/fax/download?id={row['fax_id']}&format=tiff",
                "pdf": f"/fax/download?id={row['fax_id']}&format=pdf",
            }
            if has_image
            else None
        ),
    }


def document_to_wire(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "documentID": row["document_id"],
        "name": row["name"],
        "source": row["source"],
        "pages": row["pages"],
        "sizeBytes": row["size_bytes"],
        "sha256": row["sha256"],
        "uploadedBy": row["uploaded_by"],
        "uploadedAt": _iso(row["uploaded_at"]),
        "download": {
            "tiff": f"/fax/download?document={row['document_id']}&format=tiff",
            "pdf": f"/fax/download?document={row['document_id']}&format=pdf",
        },
    }


def email_pending(engine: Engine) -> list[dict[str, Any]]:
    """The fax rows whose mail is still to send (``mailer.py``), oldest first."""
    c = faxes.c
    stmt = sa.select(faxes).where(c.email_status == "pending").order_by(c.ended_at, c.fax_id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]
