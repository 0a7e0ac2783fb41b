"""Agent dispositions of campaign calls: the rule (pure) and where they are kept (blocking).

An agent who handled a campaign call gives it a disposition code from the
campaign's ``dispositions`` (``campaign.setDisposition``). The code goes to
the campaign record (``campaign_records.disposition``) and to the call record
(``calls.agent_disposition``; while the call is up, as the call's fact
``agent_disposition``, which the call record keeps when it closes).

Retry rules apply per outcome, and a disposition code is an outcome too: a
campaign may name a code in ``retries`` (``retries = { callback = {...} }``)
to have the record dialled again that much later, at most ``max_retries``
times in a row and within ``max_attempts``. Without a rule, an answered
record is ``done``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records.schema import calls
from .attempts import Standing
from .campaign_config import CampaignSpec

__all__ = [
    "FACT_AGENT_DISPOSITION",
    "FACT_CAMPAIGN",
    "FACT_CAMPAIGN_OUTCOME",
    "FACT_CAMPAIGN_RECORD",
    "CallAttempt",
    "after_disposition",
    "attempt_of_call",
    "last_attempt_of_record",
    "set_call_disposition",
]

#: Call facts of a campaign call (the call record's columns of the same names).
FACT_CAMPAIGN: Final = "campaign"
FACT_CAMPAIGN_RECORD: Final = "campaign_record"
FACT_CAMPAIGN_OUTCOME: Final = "campaign_outcome"
FACT_AGENT_DISPOSITION: Final = "agent_disposition"


@attrs.frozen(kw_only=True)
class CallAttempt:
    """One attempt of a record, as a call: who handled it."""

    call_id: str
    campaign: str
    record: int
    #: The agent who took the call (None: nobody yet, or nobody at all).
    agent: str | None
    #: How the attempt ended (None: still up).
    outcome: str | None = None


def after_disposition(
    spec: CampaignSpec, record: Standing, previous: str | None, code: str, now: dt.datetime
) -> Standing:
    """``record`` after the agent gave its answered attempt the disposition ``code``.

    ``previous`` is the record's disposition before this one: the same code again
    counts as one more retry in a row.
    """
    rule = spec.retries.get(code)
    if rule is None or record.status not in ("done", "dialling"):
        return record
    retries = record.retries + 1 if previous == code else 1
    if retries > rule.max_retries or record.attempts >= spec.max_attempts:
        return attrs.evolve(record, status="done", next_attempt_at=None)
    return attrs.evolve(
        record,
        status="retry",
        retries=retries,
        next_attempt_at=now + dt.timedelta(seconds=rule.after_seconds),
    )


def _attempt(row: Any) -> CallAttempt:
    return CallAttempt(
        call_id=row.call_id,
        campaign=row.campaign,
        record=int(row.campaign_record),
        agent=row.agent_id,
        outcome=row.campaign_outcome,
    )


def attempt_of_call(engine: Engine, call_id: str) -> CallAttempt | None:
    """The campaign attempt that call ``call_id`` was, from the call records."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                calls.c.call_id,
                calls.c.campaign,
                calls.c.campaign_record,
                calls.c.agent_id,
                calls.c.campaign_outcome,
            ).where(calls.c.call_id == call_id, calls.c.campaign_record.is_not(None))
        ).first()
    return _attempt(row) if row is not None else None


def last_attempt_of_record(engine: Engine, record_id: int) -> CallAttempt | None:
    """The latest call of campaign record ``record_id``, from the call records."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                calls.c.call_id,
                calls.c.campaign,
                calls.c.campaign_record,
                calls.c.agent_id,
                calls.c.campaign_outcome,
            )
            .where(calls.c.campaign_record == record_id, calls.c.campaign.is_not(None))
            .order_by(calls.c.started_at.desc())
            .limit(1)
        ).first()
    return _attempt(row) if row is not None else None


def set_call_disposition(engine: Engine, call_id: str, code: str) -> int:
    """Write ``code`` to the call record of ``call_id``; how many rows it reached."""
    with engine.begin() as conn:
        result = conn.execute(
            calls.update().where(calls.c.call_id == call_id).values(agent_disposition=code)
        )
    return int(result.rowcount)
