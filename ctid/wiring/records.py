"""Wiring the call records into the daemon: the one call ``App._install_services`` makes."""

from __future__ import annotations

from ..records.config import records_settings
from ..records.service import RecordsService
from .parts import Parts

__all__ = ["install_records"]


def install_records(app: Parts) -> RecordsService | None:
    """Wire the records service into a not yet started ``App`` (``App._install_services``)."""
    settings = records_settings(app.config)
    if not settings.enabled:
        return None
    service = RecordsService(
        settings=settings, model=app.model, clock=app.clock, ids=app.ids, blocking=app.blocking
    )
    # In a cluster this node may take over from another one (another records.node):
    # what that node's dead run left open is this node's to close.
    service.every_node = "cluster" in app.config.sections
    app.calls.event_sinks.append(service.on_event)
    app.calls.notice_sinks.append(service.on_notice)
    app.api.services["records"] = service
    app.api.services.setdefault("health_checks", {})["database"] = service.health
    app.extra_services.append(service.run)
    return service
