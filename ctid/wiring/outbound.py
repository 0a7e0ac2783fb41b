"""Wiring outbound calling into the daemon: routing of outside numbers, campaigns and
their dialler (``App._install_services`` makes the two calls)."""

from __future__ import annotations

import logging
from typing import Any, Final

import trio

from ..acd.config import acd_section
from ..api.methods.campaign_agent import campaign_topic
from ..config import Config, ConfigError, each_problem
from ..outbound import store
from ..outbound.events import EVENT_NAMES
from ..outbound.install import (
    campaign_settings,
    check_campaigns,
    install_campaigns,
    install_dialler,
)
from ..outbound.install import install_outbound_routing as _routes
from ..outbound.outcome_hook import install_outcome_hook
from ..outbound.service import CampaignService
from ..reloading import Apply
from .acd import AcdDestinations
from .parts import Parts

__all__ = ["install_campaign_dialling", "install_outbound_routing"]

log = logging.getLogger(__name__)

#: How long a graceful stop waits for the last attempts' outcomes to be written.
SHUTDOWN_FLUSH_SECONDS: Final = 5.0


def install_outbound_routing(app: Parts) -> None:
    """Every outside number through the configured routes (before any service dials)."""
    _routes(app.config, app.driver, app.model, app.api.services)


def install_campaign_dialling(app: Parts) -> None:
    """Campaigns (after the call records, whose database they use) and, with an ACD,
    their dialler."""
    acd = app.acd
    campaigns = install_campaigns(
        app.config,
        services=app.api.services,
        now=app.clock.now,
        queue_names=list(acd.engine.queues) if acd is not None else [],
        live_queues=(lambda: list(acd.engine.queues)) if acd is not None else None,
    )
    if campaigns is None:
        return
    app.extra_services.append(campaigns.run)
    app.reloads.section("campaigns", _reload_campaigns(campaigns))
    if acd is None:
        return
    dialler = install_dialler(
        campaigns,
        control=app.control,
        sync=app.calls.sync,
        acd_engine=acd.engine,
        queue_numbers=AcdDestinations(acd, app.control).queue_number,
        csta=app.calls.csta,
        publish=app.publisher.publish,
        heard=app.publisher.wants,
    )
    app.api.monitor_topics["campaignObject"] = campaign_topic
    app.api.services.setdefault("extra_events", []).extend(EVENT_NAMES)
    app.calls.event_sinks.append(dialler.on_event)
    app.calls.notice_sinks.append(dialler.on_notice)
    # A call that fails in the step that ends it: its record gets the outcome too.
    install_outcome_hook(app.model)
    app.extra_services.append(dialler.run)

    async def flush_at_shutdown() -> None:
        # Ended attempts are written behind: a graceful stop writes the last ones.
        with trio.move_on_after(SHUTDOWN_FLUSH_SECONDS) as scope:
            await dialler.writer.flush()
        if scope.cancelled_caught:
            log.error("campaigns: the last attempts' outcomes did not reach the database")

    app.api.services.setdefault("shutdown", []).append(flush_at_shutdown)


def _reload_campaigns(service: CampaignService) -> Any:
    """``[outbound]`` and ``[[campaigns]]`` on reload: the file's campaigns are written
    again (the file's definition wins, the run state is kept), checked against the new
    ``[acd]``'s queues; a running campaign takes a changed definition when next started."""

    async def prepare(new: Config) -> list[ConfigError] | Apply:
        try:
            settings, specs = campaign_settings(new)
            acd = acd_section(new)
            check_campaigns(new, [q.name for q in acd.queues] if acd is not None else [])
        except ConfigError as exc:
            return each_problem(exc)

        async def apply() -> dict[str, Any]:
            service.settings = settings
            service.configured = tuple(specs)
            now = service.utcnow()
            for spec in specs:
                await service.read(store.upsert_config_campaign, spec.name, spec.to_wire(), now)
            return {"campaigns": [spec.name for spec in specs]}

        return apply

    return prepare
