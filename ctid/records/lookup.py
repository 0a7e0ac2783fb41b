"""Reading finished call records with their legs, in the shape ``wire.record_to_wire`` takes,
and one recording's row with its call's devices (``wire.recording_to_wire``; the records'
announcer and the API's recording methods read it).

Blocking code, run through ``RecordsService.read``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .schema import call_legs, calls, recordings

__all__ = ["load_records", "recording_row"]


def load_records(engine: Engine, call_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The ``calls`` rows of ``call_ids`` (in that order; missing ones left out), each
    with ``legs``: its ``call_legs`` rows in ``seq`` order."""
    if not call_ids:
        return []
    wanted = sorted(set(call_ids))
    with engine.connect() as conn:
        rows = {
            row.call_id: dict(row._mapping)
            for row in conn.execute(sa.select(calls).where(calls.c.call_id.in_(wanted)))
        }
        for record in rows.values():
            record["legs"] = []
        legs = conn.execute(
            sa.select(call_legs)
            .where(call_legs.c.call_id.in_(wanted))
            .order_by(call_legs.c.call_id, call_legs.c.seq)
        )
        for leg in legs:
            rows[leg.call_id]["legs"].append(dict(leg._mapping))
    return [rows[call_id] for call_id in dict.fromkeys(call_ids) if call_id in rows]


def recording_row(engine: Engine, recording_id: str) -> dict[str, Any] | None:
    """One recording's row, with the devices that took part in its call."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(recordings).where(recordings.c.recording_id == recording_id)
        ).first()
        if row is None:
            return None
        out = dict(row._mapping)
        devices: list[str] = []
        if row.call_id is not None:
            devices = list(
                conn.execute(
                    sa.select(call_legs.c.device).where(call_legs.c.call_id == row.call_id)
                ).scalars()
            )
        out["devices"] = devices
        return out
