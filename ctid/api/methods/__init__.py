"""API methods, one module per family.

``registry`` (``from ctid.api.methods import registry``) holds every family's
methods: asking for it imports them all. Importing one family (the wiring does,
for its helpers) imports and registers that one only, so a daemon that serves
no API (``ctid simulate``) does not import the whole API (issue 14: start-up).
``App`` asks for ``registry`` before it serves clients.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..registry import Registry

    registry: Registry

#: Every family; asking for ``registry`` imports (and so registers) them all.
FAMILIES = (
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
    "report",
    "session",
    "sim",
    "supervisor",
    "voicemail",
    "webhook",
)

__all__ = [*FAMILIES, "load_all", "registry"]


def load_all() -> Registry:
    """The registry with every family's methods in it."""
    for family in FAMILIES:
        importlib.import_module(f"{__name__}.{family}")
    from .base import registry

    globals()["registry"] = registry
    return registry


def __getattr__(name: str) -> Any:
    if name == "registry":
        return load_all()
    if name in FAMILIES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
