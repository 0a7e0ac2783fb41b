"""Reading voicemail messages from the call records database (run in a worker thread)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..clock import format_iso
from ..records.schema import voicemail_messages

__all__ = ["counts", "expired", "get", "listing", "to_wire"]

_m = voicemail_messages.c


def get(engine: Engine, message_id: str) -> dict[str, Any] | None:
    """One message (deleted ones too), as a dict of its columns."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(voicemail_messages).where(_m.message_id == message_id)).first()
    return None if row is None else dict(row._mapping)


def listing(engine: Engine, mailbox: str, unheard_only: bool, limit: int) -> list[dict[str, Any]]:
    """A mailbox's messages not deleted, newest first."""
    stmt = (
        sa.select(voicemail_messages)
        .where(_m.mailbox == mailbox)
        .where(_m.deleted_at.is_(None))
        .order_by(_m.received_at.desc(), _m.message_id.desc())
        .limit(limit)
    )
    if unheard_only:
        stmt = stmt.where(_m.heard_at.is_(None))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def counts(engine: Engine) -> dict[str, tuple[int, int]]:
    """Mailbox -> (new, old) messages not deleted: what the lamps show at start."""
    heard = sa.case((_m.heard_at.is_(None), 0), else_=1)
    stmt = (
        sa.select(_m.mailbox, sa.func.count(), sa.func.sum(heard))
        .where(_m.deleted_at.is_(None))
        .group_by(_m.mailbox)
    )
    with engine.connect() as conn:
        return {
            row[0]: (int(row[1]) - int(row[2] or 0), int(row[2] or 0)) for row in conn.execute(stmt)
        }


def expired(engine: Engine, cutoff: dt.datetime) -> list[dict[str, Any]]:
    """Messages received before ``cutoff`` and not yet deleted."""
    stmt = (
        sa.select(voicemail_messages).where(_m.received_at < cutoff).where(_m.deleted_at.is_(None))
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def to_wire(row: dict[str, Any]) -> dict[str, Any]:
    """A message as the API shows it."""

    def iso(value: Any) -> str | None:
        return None if value is None else format_iso(value.timestamp())

    return {
        "messageID": row["message_id"],
        "mailbox": row["mailbox"],
        "callID": row["call_id"],
        "caller": row["caller"],
        "called": row["called"],
        "receivedAt": iso(row["received_at"]),
        "duration": row["duration"],
        "sizeBytes": row["size_bytes"],
        "userData": dict(row["user_data"] or {}),
        "heard": row["heard_at"] is not None,
        "heardAt": iso(row["heard_at"]),
        "heardBy": row["heard_by"],
        "deleted": row["deleted_at"] is not None,
        "download": f"/recordings/download?id={row['message_id']}",
    }
