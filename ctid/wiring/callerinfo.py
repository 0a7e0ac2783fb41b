"""Wiring ``[numbers]``: where outside callers are from, on screen pops and histories."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..callerinfo import caller_info_from_config

if TYPE_CHECKING:
    from .parts import Parts

__all__ = ["install_caller_info"]


def install_caller_info(app: Parts) -> None:
    """``DeliveredEvent.callerInfo`` (the publisher) and ``records.history`` (the API)."""
    lookup = caller_info_from_config(app.config)
    if lookup is not None:
        app.publisher.caller_info = lookup.lookup
        app.publisher.directory = app.directory
        app.api.services["caller_info"] = lookup
