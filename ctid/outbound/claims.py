"""The dialler's writes to campaign records, in batches. Blocking (reader threads).

Three writes, each one transaction whatever the number of records:

* ``claim_records``: before a pacing round dials, the records it will dial are
  marked ``dialling`` (and the round's do-not-call endings written) in ONE
  transaction; only the records still due in the database at that moment, and on
  no do-not-call list then, are claimed and returned. A record is claimed durably
  before it is dialled, so a ``kill -9`` can never make ctid call a person twice at
  once.
* ``write_records``: ended attempts, written behind (``writeback.RecordWriter``),
  many per transaction.
* ``orphan_claims``: at a campaign's start, the records left ``dialling`` by a
  run that died, with how their last call ended according to the call records
  (``recover``: they move on by the retry rules, as an attempt).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records.schema import calls, campaign_records, dnc_numbers
from .attempts import DUE_STATES, Standing, after_attempt, outcome_of
from .campaign_config import CampaignSpec
from .store import _RECORD_COLUMNS, GLOBAL_DNC, KEEP, Keep, StoredRecord, _stored

__all__ = [
    "Orphan",
    "RecordWrite",
    "claim_records",
    "orphan_claims",
    "recover",
    "write_records",
]

#: The outcome an orphan takes when no call record says how its call went: an
#: attempt that failed (it may have rung), retried by the campaign's rule for
#: ``failed`` (1800 s by default), so a call still up from before can end first.
ORPHAN_OUTCOME: Final = "failed"


@attrs.frozen(kw_only=True)
class RecordWrite:
    """Where a record stands after the dialler's last word on it."""

    standing: Standing
    at: dt.datetime
    disposition: str | Keep | None = KEEP
    callback_agent: str | Keep | None = KEEP

    def after(self, newer: RecordWrite) -> RecordWrite:
        """``newer`` written over this one (a column ``newer`` keeps keeps this one's)."""
        return attrs.evolve(
            newer,
            disposition=self.disposition
            if isinstance(newer.disposition, Keep)
            else newer.disposition,
            callback_agent=(
                self.callback_agent
                if isinstance(newer.callback_agent, Keep)
                else newer.callback_agent
            ),
        )


def _values(write: RecordWrite) -> dict[str, Any]:
    s = write.standing
    values: dict[str, Any] = {
        "status": s.status,
        "attempts": s.attempts,
        "retries": s.retries,
        "next_attempt_at": s.next_attempt_at,
        "last_outcome": s.last_outcome,
        "updated_at": write.at,
    }
    if not isinstance(write.disposition, Keep):
        values["disposition"] = write.disposition
    if not isinstance(write.callback_agent, Keep):
        values["callback_agent"] = write.callback_agent
    return values


def _write_all(conn: sa.Connection, writes: Mapping[int, RecordWrite]) -> None:
    # One executemany per set of columns (a disposition given or kept).
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record_id, write in writes.items():
        values = _values(write)
        row = {f"v_{k}": v for k, v in values.items()}
        row["b_id"] = record_id
        groups.setdefault(tuple(sorted(values)), []).append(row)
    for columns, rows in groups.items():
        conn.execute(_update_of(columns), rows)


@functools.cache
def _update_of(columns: tuple[str, ...]) -> Any:
    """The executemany update of ``columns`` (a handful of sets of columns: built once)."""
    return (
        campaign_records.update()
        .where(campaign_records.c.id == sa.bindparam("b_id"))
        .values({c: sa.bindparam(f"v_{c}") for c in columns})
    )


def write_records(engine: Engine, writes: Mapping[int, RecordWrite]) -> None:
    """Write every record of ``writes`` in one transaction."""
    if not writes:
        return
    with engine.begin() as conn:
        _write_all(conn, writes)


def _claimable(*, lock: bool) -> Any:
    c = campaign_records.c
    # SQLite (``lock`` False): ``+campaign`` (SQLite's unary plus, a no-op on the value)
    # keeps its planner off ``ix_campaign_records_due``. With four ids or more it took
    # that index over the primary key and read every due record of the campaign at each
    # claim: 7 ms a claim at 40,000 records, growing with the list, where the ids' own
    # rows take 0.1 ms. PostgreSQL has no unary plus for text and plans by its statistics.
    campaign = (
        sa.literal_column("+campaign_records.campaign", sa.String) if not lock else c.campaign
    )
    query = sa.select(*_RECORD_COLUMNS).where(
        campaign == sa.bindparam("campaign"),
        c.id.in_(sa.bindparam("ids", expanding=True)),
        c.status.in_(sorted(DUE_STATES)),
        sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= sa.bindparam("now")),
        c.callback_agent.is_(None),
        # The do-not-call lists at the moment of the claim, whatever the round read
        # before: a number listed meanwhile (by anyone) is not claimed, so not dialled.
        ~sa.exists().where(
            dnc_numbers.c.number == c.number,
            dnc_numbers.c.scope.in_([GLOBAL_DNC, sa.bindparam("campaign")]),
        ),
    )
    # Another writer (an API call) must not change them between read and claim;
    # SQLite's single writer holds the whole file for the transaction anyway.
    return query.with_for_update() if lock else query


#: Built once (building them cost more than running them, at every round that dials).
_CLAIMABLE: Final = _claimable(lock=False)
_CLAIMABLE_LOCKED: Final = _claimable(lock=True)
_CLAIM: Final = (
    campaign_records.update()
    .where(campaign_records.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(status="dialling", updated_at=sa.bindparam("now"))
)


def claim_records(
    engine: Engine,
    campaign: str,
    ids: Sequence[int],
    now: dt.datetime,
    ended: Mapping[int, RecordWrite] | None = None,
) -> list[StoredRecord]:
    """Mark the records ``ids`` that are still due and on no do-not-call list ``dialling``
    and write ``ended`` (records the round ended without dialling: do-not-call), in one
    transaction. Returns the claimed records as they stood before the claim, in the
    order of ``ids``."""
    if not ids and not ended:
        return []
    with engine.begin() as conn:
        if ended:
            _write_all(conn, ended)
        if not ids:
            return []
        query = _CLAIMABLE if conn.dialect.name == "sqlite" else _CLAIMABLE_LOCKED
        rows = conn.execute(query, {"campaign": campaign, "ids": list(ids), "now": now}).all()
        found = {int(r.id): _stored(r) for r in rows}
        if found:
            conn.execute(_CLAIM, {"ids": sorted(found), "now": now})
    return [found[i] for i in ids if i in found]


@attrs.frozen(kw_only=True)
class Orphan:
    """A record left ``dialling`` by a run that died, and its last call, if any."""

    stored: StoredRecord
    claimed_at: dt.datetime
    #: How the call of the claim ended (the call record's ``campaign_outcome``, else
    #: its ``disposition``);
    #: None: no closed call record since the claim.
    outcome: str | None


def orphan_claims(engine: Engine, campaign: str) -> list[Orphan]:
    """The records of ``campaign`` in ``dialling``, each with its call record since."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(campaign_records)
            .where(
                campaign_records.c.campaign == campaign,
                campaign_records.c.status == "dialling",
            )
            .order_by(campaign_records.c.id)
        ).all()
        out = []
        for row in rows:
            call = conn.execute(
                sa.select(calls.c.campaign_outcome, calls.c.disposition, calls.c.ended_at)
                .where(
                    calls.c.campaign_record == row.id,
                    calls.c.campaign == campaign,
                    calls.c.started_at >= row.updated_at,
                )
                .order_by(calls.c.started_at.desc())
                .limit(1)
            ).first()
            outcome = None
            if call is not None and call.ended_at is not None:
                # The dialler's word, else (a call that failed at once, before the
                # dialler noted it) the call record's own disposition.
                outcome = call.campaign_outcome or outcome_of(
                    call.disposition == "answered", call.disposition
                )
            out.append(Orphan(stored=_stored(row), claimed_at=row.updated_at, outcome=outcome))
    return out


def recover(spec: CampaignSpec, orphan: Orphan, now: dt.datetime) -> Standing:
    """Where an orphan goes: its claim counts as an attempt with the outcome its call
    record gives (``failed`` when none does), moved on by the retry rules."""
    return after_attempt(spec, orphan.stored.standing, orphan.outcome or ORPHAN_OUTCOME, now)
