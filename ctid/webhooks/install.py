"""Wiring webhooks into the daemon: the one call ``App._install_services`` makes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio

from ..config import ConfigError
from ..records import db
from ..records.config import records_settings
from .service import WebhookService
from .spec import specs_from_config

if TYPE_CHECKING:
    from ..app import App

__all__ = ["SHUTDOWN_FLUSH_SECONDS", "install_webhooks"]

log = logging.getLogger(__name__)

#: How long a graceful stop waits for the pending events to reach the outbox.
SHUTDOWN_FLUSH_SECONDS = 5.0


def install_webhooks(app: App) -> WebhookService | None:
    """Build the service on the records database and tap the bus; None without records.

    Installed after the records service: its task starts after the records
    service has checked (or created) the schema.
    """
    specs = specs_from_config(app.config)
    records = records_settings(app.config)
    if not records.enabled:
        if specs:
            raise ConfigError(
                app.config.file, "webhooks", "webhooks keep their outbox in the records database: "
                "[records] enabled must be true",
            )  # fmt: skip
        return None
    service = WebhookService(
        engine=db.make_engine(records.url),
        clock=app.clock,
        run_prefix=app.ids.run_prefix,
        specs=specs,
        blocking=app.blocking,
    )
    app.bus.taps.append(service.on_published)
    app.api.services["webhooks"] = service

    async def run(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            await service.run(task_status=task_status)
        finally:
            service.engine.dispose()

    app.extra_services.append(run)

    async def flush_at_shutdown() -> None:
        # A graceful stop keeps the events published so far: they go out after the restart.
        with trio.move_on_after(SHUTDOWN_FLUSH_SECONDS) as scope:
            await service.wait_written()
        if scope.cancelled_caught:
            log.error("webhooks: events not yet in the outbox were lost at the stop")

    app.api.services.setdefault("shutdown", []).append(flush_at_shutdown)
    return service
