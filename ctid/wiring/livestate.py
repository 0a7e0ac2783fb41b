"""Wiring live state into the daemon: the one call ``App._install_services`` makes.

Part of the composition root (``ctid.wiring``): it builds the store on the records
database and hands it to the services that keep state in it.
"""

from __future__ import annotations

import logging

import trio

from ..acd.persist import AcdPersistence
from ..livestate.config import livestate_section
from ..livestate.store import LiveStore
from ..outbound.keep import CampaignKeeper
from ..records import db
from ..records.config import records_settings
from .parts import Parts

__all__ = ["SHUTDOWN_FLUSH_SECONDS", "install_livestate"]

log = logging.getLogger(__name__)

#: How long a graceful stop waits for the last changes to reach the database.
SHUTDOWN_FLUSH_SECONDS = 5.0


def install_livestate(app: Parts) -> LiveStore | None:
    """Build the store (None when records or live state are off) and wire it in.

    Its task is one of the ``early_services``, started before the calls and every
    other service, so the rows are loaded before any of them restores from them.
    """
    section = livestate_section(app.config)
    records = records_settings(app.config)
    if not (section.enabled and records.enabled):
        return None
    store = LiveStore(engine=db.make_engine(records.url), blocking=app.blocking, wall=app.clock.now)
    state_dir = records.spool_dir.parent

    async def run(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        # The state directory holds the SQLite file; on a first start it is not there yet.
        try:
            await app.blocking(lambda: state_dir.mkdir(parents=True, exist_ok=True))
            await store.run(task_status=task_status)
        finally:
            # Its pooled connections go with the daemon (closing them does not wait).
            store.engine.dispose()

    # Before the calls: the driver's first resync restores the calls it kept.
    app.early_services.append(run)
    app.call_store = store
    app.api.services["livestate"] = store
    if app.acd is not None:
        persistence = AcdPersistence(app.acd.engine, store)
        app.acd.start_hooks.append(persistence.restore)
        app.acd.step_hooks.append(persistence.save)
        app.api.services["acd_persistence"] = persistence

    campaigns = app.api.services.get("campaigns")
    if campaigns is not None and campaigns.dialler is not None:
        CampaignKeeper(campaigns.dialler, store, wall=app.clock.now)

    service = app.api.services.get("records")
    if service is not None:
        service.keep_in(store)
    recording = app.api.services.get("recording")
    if recording is not None:
        recording.keep_in(store)
    fax = app.api.services.get("fax")
    if fax is not None:
        fax.keep_in(store)  # faxes on a line (ctid/fax/keep.py)

    async def flush_at_shutdown() -> None:
        with trio.move_on_after(SHUTDOWN_FLUSH_SECONDS) as scope:
            await store.flush()
        if scope.cancelled_caught:
            log.error("live state: the last changes did not reach the database before the stop")

    app.api.services.setdefault("shutdown", []).append(flush_at_shutdown)
    return store
