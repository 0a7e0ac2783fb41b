"""API methods, one module per family; importing this package registers them all."""

from __future__ import annotations

from . import (
    agent,
    csta,
    discover,
    ivr,
    monitor,
    queue,
    recording,
    records,
    report,
    session,
    sim,
    supervisor,
    voicemail,
)
from .base import registry

__all__ = [
    "agent",
    "csta",
    "discover",
    "ivr",
    "monitor",
    "queue",
    "recording",
    "records",
    "registry",
    "report",
    "session",
    "sim",
    "supervisor",
    "voicemail",
]
