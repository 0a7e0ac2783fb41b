"""``report.campaign`` and ``ctid report campaign``: a campaign's results over a period.

``load_campaign`` (blocking) reads the call records of the campaign's calls
started in ``[start, end)``, the agent states of the campaign's queue in that
period and the campaign's records; ``campaign_report`` (pure) computes one
row:

* ``attempts``: the campaign's calls; ``outcomes``: how many ended each way
  (``answered``, ``busy``, ``noAnswer``, ``abandoned``, ``machine``...);
* ``answered``: attempts a person answered (``answered`` and ``abandoned``);
  ``contacts``: those connected to an agent; ``abandoned``, and
  ``abandonRate`` = abandoned / answered (the rule of issue 12);
* ``dispositions``: the agents' disposition codes, with how many of each;
* ``agentOccupancy``: (talk + after-call work) / logged-on time of the agents
  of the campaign's queue over the period (blended agents' inbound calls
  count too: the agent was occupied); ``contactsPerAgentHour``: contacts per
  logged-on hour of those agents;
* ``records``, ``recordsAttempted`` and ``listPenetration``: the campaign's
  records now, those dialled at least once, and their share.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..records.reports import Report
from ..records.schema import agent_states, calls, campaign_records
from .dialler import outcome_of

__all__ = ["COLUMNS", "CampaignReportData", "CampaignReportRequest", "campaign_report", "load"]

COLUMNS: Final = (
    "campaign",
    "attempts",
    "outcomes",
    "answered",
    "contacts",
    "abandoned",
    "abandonRate",
    "dispositions",
    "agentLoggedOnSeconds",
    "agentOccupancy",
    "contactsPerAgentHour",
    "records",
    "recordsAttempted",
    "listPenetration",
)
#: Agent states that count as occupied.
OCCUPIED: Final = frozenset({"busy", "workingAfterCall"})


@attrs.frozen(kw_only=True)
class CampaignReportRequest:
    campaign: str
    #: The campaign's queue (its agents' occupancy).
    queue: str
    start: dt.datetime
    end: dt.datetime


@attrs.frozen(kw_only=True)
class CampaignReportData:
    calls: Sequence[Mapping[str, Any]] = ()
    agent_states: Sequence[Mapping[str, Any]] = ()
    #: (records, records dialled at least once).
    records: tuple[int, int] = (0, 0)
    now: dt.datetime | None = None


def load(engine: Engine, req: CampaignReportRequest, now: dt.datetime) -> CampaignReportData:
    with engine.connect() as conn:
        call_rows = conn.execute(
            sa.select(
                calls.c.call_id,
                calls.c.agent_id,
                calls.c.campaign_outcome,
                calls.c.agent_disposition,
                calls.c.state,
                calls.c.disposition,
            ).where(
                calls.c.campaign == req.campaign,
                calls.c.started_at >= req.start,
                calls.c.started_at < req.end,
            )
        ).all()
        state_rows = conn.execute(
            sa.select(
                agent_states.c.agent_id,
                agent_states.c.state,
                agent_states.c.queues,
                agent_states.c.started_at,
                agent_states.c.ended_at,
            ).where(
                agent_states.c.started_at < req.end,
                sa.or_(agent_states.c.ended_at.is_(None), agent_states.c.ended_at > req.start),
            )
        ).all()
        total, attempted = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(
                    sa.func.sum(sa.case((campaign_records.c.attempts > 0, 1), else_=0)), 0
                ),
            ).where(campaign_records.c.campaign == req.campaign)
        ).one()
    return CampaignReportData(
        calls=[dict(r._mapping) for r in call_rows],
        agent_states=[dict(r._mapping) for r in state_rows if req.queue in (r.queues or ())],
        records=(int(total), int(attempted)),
        now=now,
    )


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _outcome(call: Mapping[str, Any]) -> str:
    """How an attempt ended: the dialler's word, else (a call that failed at once,
    before the dialler could note it) from the call record's own columns."""
    if call["campaign_outcome"]:
        return str(call["campaign_outcome"])
    if call["state"] == "open":
        return "open"
    return outcome_of(call["disposition"] == "answered", call["disposition"])


def campaign_report(data: CampaignReportData, req: CampaignReportRequest) -> Report:
    outcomes: Counter[str] = Counter()
    dispositions: Counter[str] = Counter()
    contacts = 0
    for call in data.calls:
        outcome = _outcome(call)
        outcomes[outcome] += 1
        if outcome == "answered" and call["agent_id"] is not None:
            contacts += 1
        if call["agent_disposition"]:
            dispositions[call["agent_disposition"]] += 1
    answered = outcomes["answered"] + outcomes["abandoned"]
    now = data.now or req.end
    logged_on = 0.0
    occupied = 0.0
    for state in data.agent_states:
        if state["state"] == "loggedOff":
            continue
        end = state["ended_at"] or min(now, req.end)
        seconds = max(
            0.0, (min(end, req.end) - max(state["started_at"], req.start)).total_seconds()
        )
        logged_on += seconds
        if state["state"] in OCCUPIED:
            occupied += seconds
    total, attempted = data.records
    row = (
        req.campaign,
        len(data.calls),
        dict(sorted(outcomes.items())),
        answered,
        contacts,
        outcomes["abandoned"],
        _ratio(outcomes["abandoned"], answered),
        dict(sorted(dispositions.items())),
        round(logged_on, 2),
        _ratio(occupied, logged_on),
        _ratio(contacts, logged_on / 3600.0),
        total,
        attempted,
        _ratio(attempted, total),
    )
    return Report(
        name="campaign",
        title=f"Campaign {req.campaign}: attempts, contacts, dispositions, abandon rate, "
        "occupancy, penetration",
        columns=COLUMNS,
        rows=(row,),
    )
