"""API methods, one module per family; importing this package registers them all."""

from __future__ import annotations

from ..registry import Registry

#: The registry every method module adds to.
registry = Registry()

from . import (  # noqa: E402
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
)

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
]
