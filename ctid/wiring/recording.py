"""Wiring the recordings into the daemon: the one call ``App._install_services`` makes."""

from __future__ import annotations

from ..recording.config import recording_settings
from ..recording.service import EVENT_NAMES, RecordingService
from .parts import Parts

__all__ = ["install_recording"]


def install_recording(app: Parts) -> RecordingService:
    """Wire the recording service into a not yet started ``App``."""
    records = app.api.services.get("records")
    service = RecordingService(
        settings=recording_settings(app.config),
        calls=app.calls,
        publisher=app.publisher,
        clock=app.clock,
        ids=app.ids,
        records=records,
        blocking=app.blocking,
    )
    app.calls.event_sinks.append(service.on_event)
    app.calls.notice_sinks.append(service.on_notice)
    app.api.services["recording"] = service
    app.api.services.setdefault("extra_events", []).extend(EVENT_NAMES)
    app.extra_services.append(service.run)
    return service
