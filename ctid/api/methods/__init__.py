"""API methods, one module per family; importing this package registers them all."""

from __future__ import annotations

from ..registry import Registry

#: The registry every method module adds to.
registry = Registry()

from . import csta, discover, monitor, recording, records, report, session, sim  # noqa: E402

__all__ = [
    "csta",
    "discover",
    "monitor",
    "recording",
    "records",
    "registry",
    "report",
    "session",
    "sim",
]
