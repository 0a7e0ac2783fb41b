"""Campaigns, lists, records and do-not-call numbers in the records database. Blocking.

Every function takes an ``Engine`` first and runs in a worker thread
(``RecordsService.read``). Tables: ``ctid.records.schema`` (migration
``0007_outbound_campaigns``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records.schema import campaign_lists, campaign_records, campaigns, dnc_numbers
from .attempts import DUE_STATES, Standing
from .csv_import import ListImport

__all__ = [
    "GLOBAL_DNC",
    "KEEP",
    "CampaignRow",
    "ImportResult",
    "StoredRecord",
    "agent_callbacks",
    "agent_callbacks_due",
    "campaign_row",
    "campaign_rows",
    "dnc_add",
    "dnc_check",
    "dnc_numbers_for",
    "dnc_remove",
    "due_batch",
    "due_records",
    "import_list",
    "list_counts",
    "record",
    "record_counts",
    "save_campaign",
    "set_campaign_state",
    "update_record",
    "upsert_config_campaign",
]

#: The ``scope`` of the global do-not-call list.
GLOBAL_DNC: Final = "*"


class Keep(enum.Enum):
    """``update_record``: leave the column as it is."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@attrs.frozen(kw_only=True)
class CampaignRow:
    name: str
    spec: Mapping[str, Any]
    state: str
    source: str


@attrs.frozen(kw_only=True)
class ImportResult:
    list_id: int
    imported: int
    #: Numbers already in another list of the campaign: (line, number).
    already_listed: tuple[tuple[int, str], ...]


@attrs.frozen(kw_only=True)
class StoredRecord:
    id: int
    list_id: int
    standing: Standing
    disposition: str | None
    callback_agent: str | None


def save_campaign(
    engine: Engine,
    name: str,
    spec: Mapping[str, Any],
    source: str,
    now: dt.datetime,
    *,
    create: bool,
) -> bool:
    """Insert (``create``) or replace a campaign's definition; False if ``create`` and it
    exists, or not ``create`` and it does not."""
    with engine.begin() as conn:
        exists = (
            conn.execute(sa.select(campaigns.c.name).where(campaigns.c.name == name)).first()
            is not None
        )
        if create and exists:
            return False
        if not create and not exists:
            return False
        if exists:
            conn.execute(
                campaigns.update()
                .where(campaigns.c.name == name)
                .values(spec=dict(spec), source=source, updated_at=now)
            )
        else:
            conn.execute(
                campaigns.insert().values(
                    name=name,
                    spec=dict(spec),
                    state="stopped",
                    source=source,
                    created_at=now,
                    updated_at=now,
                )
            )
    return True


def upsert_config_campaign(
    engine: Engine, name: str, spec: Mapping[str, Any], now: dt.datetime
) -> None:
    """A ``[[campaigns]]`` entry: the file's definition wins; the run state is kept."""
    if not save_campaign(engine, name, spec, "config", now, create=True):
        save_campaign(engine, name, spec, "config", now, create=False)


def set_campaign_state(engine: Engine, name: str, state: str, now: dt.datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            campaigns.update().where(campaigns.c.name == name).values(state=state, updated_at=now)
        )


def _row(row: Any) -> CampaignRow:
    return CampaignRow(name=row.name, spec=row.spec, state=row.state, source=row.source)


def campaign_row(engine: Engine, name: str) -> CampaignRow | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(campaigns).where(campaigns.c.name == name)).first()
    return _row(row) if row is not None else None


def campaign_rows(engine: Engine) -> list[CampaignRow]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(campaigns).order_by(campaigns.c.name)).all()
    return [_row(r) for r in rows]


def import_list(
    engine: Engine,
    campaign: str,
    list_name: str,
    number_column: str,
    parsed: ListImport,
    now: dt.datetime,
) -> ImportResult | None:
    """Store a parsed list as new records; None if the campaign already has a list of
    that name. Numbers already in the campaign's other lists are reported, not added."""
    with engine.begin() as conn:
        taken = conn.execute(
            sa.select(campaign_lists.c.id).where(
                campaign_lists.c.campaign == campaign, campaign_lists.c.name == list_name
            )
        ).first()
        if taken is not None:
            return None
        known = set(
            conn.execute(
                sa.select(campaign_records.c.number).where(campaign_records.c.campaign == campaign)
            ).scalars()
        )
        fresh = [row for row in parsed.rows if row.number not in known]
        listed = tuple((row.line, row.number) for row in parsed.rows if row.number in known)
        key = conn.execute(
            campaign_lists.insert().values(
                campaign=campaign,
                name=list_name,
                number_column=number_column,
                imported_at=now,
                imported=len(fresh),
                rejected=len(parsed.problems) + len(parsed.duplicates) + len(listed),
            )
        ).inserted_primary_key
        assert key is not None
        list_id = key[0]
        if fresh:
            conn.execute(
                campaign_records.insert(),
                [
                    {
                        "campaign": campaign,
                        "list_id": list_id,
                        "line": row.line,
                        "number": row.number,
                        "data": dict(row.data),
                        "status": "new",
                        "attempts": 0,
                        "retries": 0,
                        "next_attempt_at": None,
                        "last_outcome": None,
                        "disposition": None,
                        "callback_agent": None,
                        "updated_at": now,
                    }
                    for row in fresh
                ],
            )
    return ImportResult(list_id=int(list_id), imported=len(fresh), already_listed=listed)


def record_counts(engine: Engine, campaign: str) -> dict[str, int]:
    """Records of ``campaign`` by status."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(campaign_records.c.status, sa.func.count())
            .where(campaign_records.c.campaign == campaign)
            .group_by(campaign_records.c.status)
        ).all()
    return {status: int(n) for status, n in rows}


def list_counts(engine: Engine, campaign: str) -> list[dict[str, Any]]:
    """Each list of ``campaign``: name, when, imported, rejected, and its records by status."""
    with engine.connect() as conn:
        lists = conn.execute(
            sa.select(campaign_lists)
            .where(campaign_lists.c.campaign == campaign)
            .order_by(campaign_lists.c.id)
        ).all()
        counts = conn.execute(
            sa.select(campaign_records.c.list_id, campaign_records.c.status, sa.func.count())
            .where(campaign_records.c.campaign == campaign)
            .group_by(campaign_records.c.list_id, campaign_records.c.status)
        ).all()
    by_list: dict[int, dict[str, int]] = {}
    for list_id, status, n in counts:
        by_list.setdefault(int(list_id), {})[status] = int(n)
    return [
        {
            "name": row.name,
            "numberColumn": row.number_column,
            "importedAt": row.imported_at.isoformat().replace("+00:00", "Z"),
            "imported": row.imported,
            "rejected": row.rejected,
            "records": by_list.get(int(row.id), {}),
        }
        for row in lists
    ]


#: The columns a ``StoredRecord`` is made of.
_RECORD_COLUMNS: Final = (
    campaign_records.c.id,
    campaign_records.c.list_id,
    campaign_records.c.number,
    campaign_records.c.data,
    campaign_records.c.status,
    campaign_records.c.attempts,
    campaign_records.c.retries,
    campaign_records.c.next_attempt_at,
    campaign_records.c.last_outcome,
    campaign_records.c.disposition,
    campaign_records.c.callback_agent,
)


def _due_rank(status: str) -> int:
    # Callbacks first, then retries, then new records; by their time, then id.
    return {"callback": 0, "retry": 1}.get(status, 2)


def _due_query(*, listed: bool) -> Any:
    """The due records of ``:campaign`` at ``:now``, oldest first, at most ``:limit``.

    One indexed part per state (``ix_campaign_records_due`` hands each part's rows over
    in its order, the next time then the id), merged: the same rows in the same order as
    one ORDER BY over every due record, which sorted the whole of a long list at each
    read. With ``listed``: a column saying whether the number is on the global
    do-not-call list or the campaign's.
    """
    c = campaign_records.c
    parts = []
    for status in sorted(DUE_STATES):
        part = (
            sa.select(*_RECORD_COLUMNS, sa.literal(_due_rank(status)).label("rank"))
            .where(
                c.campaign == sa.bindparam("campaign"),
                c.status == status,
                sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= sa.bindparam("now")),
                # A callback booked for one agent is offered to that agent only
                # (``agent_callbacks``, ``ctid.outbound.preview``).
                c.callback_agent.is_(None),
            )
            .order_by(c.next_attempt_at, c.id)
            .limit(sa.bindparam("limit"))
        )
        parts.append(sa.select(part.subquery()))
    due = sa.union_all(*parts).subquery()
    columns: list[Any] = [due]
    if listed:
        columns.append(
            sa.exists()
            .where(
                dnc_numbers.c.number == due.c.number,
                dnc_numbers.c.scope.in_([GLOBAL_DNC, sa.bindparam("campaign")]),
            )
            .label("listed")
        )
    return (
        sa.select(*columns)
        .order_by(due.c.rank, due.c.next_attempt_at, due.c.id)
        .limit(sa.bindparam("limit"))
    )


#: Built once: a statement built at each call cost more than running it.
_DUE: Final = _due_query(listed=False)
_DUE_LISTED: Final = _due_query(listed=True)


def due_records(engine: Engine, campaign: str, now: dt.datetime, limit: int) -> list[StoredRecord]:
    """Records that may be due at ``now`` (new, or a retry or callback whose time has
    come), oldest first; ``attempts.verdict`` decides for each."""
    with engine.connect() as conn:
        rows = conn.execute(_DUE, {"campaign": campaign, "now": now, "limit": limit}).all()
    return [_stored(r) for r in rows]


def due_batch(
    engine: Engine, campaign: str, now: dt.datetime, limit: int
) -> tuple[list[StoredRecord], set[str]]:
    """``due_records``, and which of their numbers are on the global do-not-call list or
    the campaign's, in one statement (the dialler's batch, ``due.DueQueue``)."""
    with engine.connect() as conn:
        rows = conn.execute(_DUE_LISTED, {"campaign": campaign, "now": now, "limit": limit}).all()
    return [_stored(r) for r in rows], {r.number for r in rows if r.listed}


_AGENT_CALLBACKS: Final = (
    sa.select(*_RECORD_COLUMNS)
    .where(
        campaign_records.c.campaign == sa.bindparam("campaign"),
        campaign_records.c.status == "callback",
        campaign_records.c.next_attempt_at <= sa.bindparam("now"),
        campaign_records.c.callback_agent.in_(sa.bindparam("agents", expanding=True)),
    )
    .order_by(campaign_records.c.next_attempt_at, campaign_records.c.id)
)
_NEXT_AGENT_CALLBACK: Final = sa.select(sa.func.min(campaign_records.c.next_attempt_at)).where(
    campaign_records.c.campaign == sa.bindparam("campaign"),
    campaign_records.c.status == "callback",
    campaign_records.c.callback_agent.is_not(None),
)


def agent_callbacks_due(
    engine: Engine, campaign: str, now: dt.datetime, agents: Sequence[str]
) -> list[StoredRecord]:
    """Callbacks of ``campaign`` booked for one of ``agents`` whose time has come."""
    if not agents:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            _AGENT_CALLBACKS, {"campaign": campaign, "now": now, "agents": list(agents)}
        ).all()
    return [_stored(r) for r in rows]


def agent_callbacks(
    engine: Engine, campaign: str, now: dt.datetime, agents: Sequence[str]
) -> tuple[list[StoredRecord], dt.datetime | None]:
    """``agent_callbacks_due``, and when the soonest callback of ``campaign`` booked for
    any agent is due (None: none is booked), read together (``callbook.CallbackBook``)."""
    with engine.connect() as conn:
        soonest = conn.execute(_NEXT_AGENT_CALLBACK, {"campaign": campaign}).scalar()
        rows = (
            conn.execute(
                _AGENT_CALLBACKS, {"campaign": campaign, "now": now, "agents": list(agents)}
            ).all()
            if agents and soonest is not None and soonest <= now
            else []
        )
    return [_stored(r) for r in rows], soonest


def _stored(row: Any) -> StoredRecord:
    return StoredRecord(
        id=int(row.id),
        list_id=int(row.list_id),
        standing=Standing(
            number=row.number,
            data=row.data,
            status=row.status,
            attempts=row.attempts,
            retries=row.retries,
            next_attempt_at=row.next_attempt_at,
            last_outcome=row.last_outcome,
        ),
        disposition=row.disposition,
        callback_agent=row.callback_agent,
    )


def record(engine: Engine, campaign: str, record_id: int) -> StoredRecord | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(campaign_records).where(
                campaign_records.c.campaign == campaign, campaign_records.c.id == record_id
            )
        ).first()
    return _stored(row) if row is not None else None


def records_in_flight(engine: Engine) -> list[tuple[str, StoredRecord]]:
    """Every campaign's records being dialled or previewed: (campaign, record)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(campaign_records)
            .where(campaign_records.c.status.in_(("dialling", "preview")))
            .order_by(campaign_records.c.id)
        ).all()
    return [(str(r.campaign), _stored(r)) for r in rows]


def update_record(
    engine: Engine,
    record_id: int,
    standing: Standing,
    now: dt.datetime,
    *,
    disposition: str | Keep | None = KEEP,
    callback_agent: str | Keep | None = KEEP,
) -> None:
    """Write where a record stands; ``disposition`` and ``callback_agent`` are kept
    unless given (an attempt's end must not wipe the agent's disposition)."""
    values: dict[str, Any] = {
        "status": standing.status,
        "attempts": standing.attempts,
        "retries": standing.retries,
        "next_attempt_at": standing.next_attempt_at,
        "last_outcome": standing.last_outcome,
        "updated_at": now,
    }
    if not isinstance(disposition, Keep):
        values["disposition"] = disposition
    if not isinstance(callback_agent, Keep):
        values["callback_agent"] = callback_agent
    with engine.begin() as conn:
        conn.execute(
            campaign_records.update().where(campaign_records.c.id == record_id).values(**values)
        )


# ------------------------------------------------------------------ do not call


def dnc_add(engine: Engine, scope: str, numbers: Sequence[str], note: str, now: dt.datetime) -> int:
    """Add ``numbers`` to the list ``scope``; returns how many were not on it already."""
    with engine.begin() as conn:
        present = set(
            conn.execute(
                sa.select(dnc_numbers.c.number).where(
                    dnc_numbers.c.scope == scope, dnc_numbers.c.number.in_(list(numbers))
                )
            ).scalars()
        )
        new = sorted(set(numbers) - present)
        if new:
            conn.execute(
                dnc_numbers.insert(),
                [{"scope": scope, "number": n, "added_at": now, "note": note} for n in new],
            )
    return len(new)


def dnc_remove(engine: Engine, scope: str, numbers: Sequence[str]) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            dnc_numbers.delete().where(
                dnc_numbers.c.scope == scope, dnc_numbers.c.number.in_(list(numbers))
            )
        )
    return int(result.rowcount)


def dnc_check(engine: Engine, number: str) -> list[dict[str, Any]]:
    """Every list ``number`` is on: scope (``*`` or a campaign), when, note."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(dnc_numbers)
            .where(dnc_numbers.c.number == number)
            .order_by(dnc_numbers.c.scope)
        ).all()
    return [
        {
            "scope": r.scope,
            "addedAt": r.added_at.isoformat().replace("+00:00", "Z"),
            "note": r.note,
        }
        for r in rows
    ]


def dnc_numbers_for(engine: Engine, campaign: str, numbers: Iterable[str]) -> set[str]:
    """Which of ``numbers`` are on the global list or ``campaign``'s, read now."""
    wanted = list(set(numbers))
    if not wanted:
        return set()
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.select(dnc_numbers.c.number).where(
                    dnc_numbers.c.scope.in_([GLOBAL_DNC, campaign]),
                    dnc_numbers.c.number.in_(wanted),
                )
            ).scalars()
        )
