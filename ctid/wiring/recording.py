"""Wiring the recordings into the daemon: the one call ``App._install_services`` makes."""

from __future__ import annotations

from typing import Any

import attrs

from ..config import Config, ConfigError, each_problem
from ..recording.config import recording_settings
from ..recording.service import EVENT_NAMES, RecordingService
from ..reloading import Apply
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
    app.reloads.fixed("recording.directory", _directory)

    async def prepare(new: Config) -> list[ConfigError] | Apply:
        try:
            settings = recording_settings(new)
        except ConfigError as exc:
            return each_problem(exc)

        async def apply() -> dict[str, Any]:
            # The directory stays (a fixed setting): recordings in progress are written there.
            service.settings = attrs.evolve(settings, directory=service.settings.directory)
            return {"policy": "applied", "retention": "applied"}

        return apply

    app.reloads.section("recording", prepare)
    return service


def _directory(config: Config) -> object:
    try:
        return recording_settings(config).directory
    except ConfigError:
        return None  # reported by the recording's own check
