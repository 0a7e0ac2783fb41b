"""Which agents have a callback booked for them alone that is due (``agentOnly``).

Blocking code, run through the campaign service's reader. The blender
(``ctid.outbound.blend``) asks it at each pacing round of a campaign of
``priority`` > 0, so that a due callback claims its agent before an inbound
caller of lower priority, as a preview campaign's due records do.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records.schema import campaign_records

__all__ = ["callback_agents_due"]

_DUE = (
    sa.select(campaign_records.c.callback_agent)
    .where(
        campaign_records.c.campaign == sa.bindparam("b_campaign"),
        campaign_records.c.status == "callback",
        campaign_records.c.next_attempt_at <= sa.bindparam("b_now"),
        campaign_records.c.callback_agent.is_not(None),
    )
    .distinct()
)


def callback_agents_due(engine: Engine, campaign: str, now: dt.datetime) -> frozenset[str]:
    """The agents with a callback of ``campaign`` booked for them whose time has come."""
    with engine.connect() as conn:
        rows = conn.execute(_DUE, {"b_campaign": campaign, "b_now": now}).all()
    return frozenset(str(r[0]) for r in rows)
