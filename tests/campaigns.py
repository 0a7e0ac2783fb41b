"""The set-up the campaign tests share: a calendar always open, queue ``sales`` with its
agents, campaign sections of the configuration, and the campaign records as stored.

Used by the outbound tests and by the continuity and cluster tests that run a campaign
across a restart or a takeover.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ctid.app import App
from ctid.outbound.dialler import Dialler
from ctid.records import db
from ctid.records.schema import campaign_records
from ctid.testing import sim_config

__all__ = [
    "ALWAYS",
    "ONE_AGENT",
    "TWO_AGENTS",
    "campaign",
    "campaign_config",
    "campaign_sections",
    "dialler_of",
    "standings",
]

#: Calling windows open every hour of every day.
ALWAYS: list[dict[str, Any]] = [
    {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}
]

#: Queue ``sales`` (8001, no wrap-up) and agent 2001, whose phone answers by itself.
ONE_AGENT: dict[str, Any] = {
    "queues": [{"name": "sales", "number": "8001", "wrap_up": 0}],
    "agents": [{"id": "2001", "auto_answer": True, "skills": [{"queue": "sales"}]}],
}

#: Queue ``sales`` (8001, no wrap-up) and agents 2001 and 2002.
TWO_AGENTS: dict[str, Any] = {
    "queues": [{"name": "sales", "number": "8001", "wrap_up": 0}],
    "agents": [
        {"id": "2001", "skills": [{"queue": "sales"}]},
        {"id": "2002", "skills": [{"queue": "sales"}]},
    ],
}


def campaign(**fields: Any) -> dict[str, Any]:
    """Campaign ``c`` of queue ``sales``, caller id 0170000000, UTC, always open;
    ``fields`` add to it or replace (``name="renewals"``, ``mode="predictive"``)."""
    return {
        "name": "c",
        "queue": "sales",
        "caller_id": "0170000000",
        "timezone": "UTC",
        "windows": ALWAYS,
        **fields,
    }


def campaign_sections(
    url: str, *campaigns: dict[str, Any], acd: dict[str, Any] = ONE_AGENT, **records: Any
) -> dict[str, Any]:
    """The ``[records]`` (enabled, on ``url``, plus ``records``), ``[acd]`` and
    ``[[campaigns]]`` sections (``campaign()`` when none is given)."""
    return {
        "records": {"enabled": True, "database": url, **records},
        "acd": acd,
        "campaigns": list(campaigns) or [campaign()],
    }


def campaign_config(
    tmp_path: Path,
    url: str,
    *campaigns: dict[str, Any],
    acd: dict[str, Any] = ONE_AGENT,
    **records: Any,
) -> Any:
    """A simulator daemon's configuration with ``campaign_sections`` and its state in
    ``tmp_path``."""
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            **campaign_sections(url, *campaigns, acd=acd, **records),
        }
    )


def dialler_of(app: App) -> Dialler:
    """The running ``Dialler`` of a daemon (``CallCentre.app``, a cluster node's ``app``)."""
    dialler = app.api.services["campaigns"].dialler
    assert isinstance(dialler, Dialler)
    return dialler


def standings(url: str, *more: str) -> dict[str, tuple[Any, ...]]:
    """Each campaign record's number -> (status, attempts, last outcome, then the
    columns named in ``more``), read from the database at ``url``."""
    columns = [campaign_records.c[name] for name in ("status", "attempts", "last_outcome", *more)]
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.select(campaign_records.c.number, *columns)).all()
    finally:
        engine.dispose()
    return {r[0]: tuple(r[1:]) for r in found}
