"""API methods, one module per family; importing this package registers them all."""

from __future__ import annotations

from . import (
    agent,
    campaign,
    campaign_agent,
    campaign_report,
    csta,
    discover,
    fax,
    ivr,
    monitor,
    queue,
    recording,
    records,
    records_query,
    report,
    session,
    sim,
    supervisor,
    voicemail,
    webhook,
)
from .base import registry

__all__ = [
    "agent",
    "campaign",
    "campaign_agent",
    "campaign_report",
    "csta",
    "discover",
    "fax",
    "ivr",
    "monitor",
    "queue",
    "recording",
    "records",
    "records_query",
    "registry",
    "report",
    "session",
    "sim",
    "supervisor",
    "voicemail",
    "webhook",
]
