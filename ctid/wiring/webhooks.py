"""Wiring webhooks into the daemon: the one call ``App._install_services`` makes.

Part of the composition root (``ctid.wiring``): the announcer of finished records
(``record.callClosed``, ``recording.available``) on the records writer, and the
webhook service on the records database, tapping the bus.
"""

from __future__ import annotations

import logging

import trio

from ..config import Config, ConfigError, each_problem
from ..records import db
from ..records.announce import CALL_CLOSED, RECORDING_AVAILABLE, Announcer
from ..records.config import records_settings
from ..records.service import RecordsService
from ..reloading import Apply
from ..webhooks.service import WebhookService
from ..webhooks.spec import specs_from_config
from .parts import Parts

__all__ = ["SHUTDOWN_FLUSH_SECONDS", "install_announcer", "install_webhooks"]

log = logging.getLogger(__name__)

#: How long a graceful stop waits for the pending events to reach the outbox.
SHUTDOWN_FLUSH_SECONDS = 5.0


def install_announcer(app: Parts) -> Announcer | None:
    """Publish finished records and recordings once committed, when there are records."""
    records = app.api.services.get("records")
    if not isinstance(records, RecordsService):
        return None
    announcer = Announcer(records, app.publisher)
    app.api.services.setdefault("extra_events", []).extend((CALL_CLOSED, RECORDING_AVAILABLE))
    records.writer.applied_observers.append(announcer.on_applied)
    app.extra_services.append(announcer.run)
    return announcer


def install_webhooks(app: Parts) -> WebhookService | None:
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
        # Beside the records spool: the node's own disk (docs/webhooks.md, a pair).
        journal_dir=records.spool_dir.parent / "webhooks",
    )
    app.bus.taps.append(service.on_published)
    app.bus.taps_wanted = lambda: bool(service.hooks)
    app.api.services["webhooks"] = service

    async def prepare(new: Config) -> list[ConfigError] | Apply:
        # The file's webhooks reload; those made through the API are the API's.
        try:
            specs = specs_from_config(new)
        except ConfigError as exc:
            return each_problem(exc)
        clashes = service.reload_problems(specs)
        if clashes:
            return [ConfigError(new.file, "webhooks", text) for text in clashes]

        async def apply() -> dict[str, list[str]]:
            return await service.reload(specs)

        return apply

    app.reloads.section("webhooks", prepare)

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
            if service.journal is not None and service.journal.healthy:
                log.warning(
                    "webhooks: events not yet in the outbox stay in the journal; "
                    "the next start puts them there"
                )
            else:
                log.error("webhooks: events not yet in the outbox were lost at the stop")

    app.api.services.setdefault("shutdown", []).append(flush_at_shutdown)
    return service
