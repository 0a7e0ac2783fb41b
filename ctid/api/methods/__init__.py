"""API methods, one module per family; importing this package registers them all."""

from __future__ import annotations

from ..access import BUILTIN_CHECKS
from ..registry import Registry

#: The registry every method module adds to.
registry = Registry()
#: Devices and calls are checked by the API itself; agents, queues and
#: recordings by the modules that serve them (``registry.object_check``).
registry.checks.update(BUILTIN_CHECKS)

from . import (  # noqa: E402
    agent,
    csta,
    discover,
    fax,
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

__all__ = [
    "agent",
    "csta",
    "discover",
    "fax",
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
