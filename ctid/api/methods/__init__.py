"""API methods, one module per family; importing this package registers them all."""

from __future__ import annotations

from ..registry import Registry

#: The registry every method module adds to.
registry = Registry()

from . import agent, csta, discover, ivr, monitor, queue, session, sim, supervisor  # noqa: E402

__all__ = [
    "agent",
    "csta",
    "discover",
    "ivr",
    "monitor",
    "queue",
    "registry",
    "session",
    "sim",
    "supervisor",
]
