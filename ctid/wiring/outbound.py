"""Wiring outbound calling into the daemon: routing of outside numbers, campaigns and
their dialler (``App._install_services`` makes the two calls)."""

from __future__ import annotations

from ..api.methods.campaign_agent import campaign_topic
from ..outbound.events import EVENT_NAMES
from ..outbound.install import install_campaigns, install_dialler
from ..outbound.install import install_outbound_routing as _routes
from .acd import AcdDestinations
from .parts import Parts

__all__ = ["install_campaign_dialling", "install_outbound_routing"]


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
    )
    if campaigns is None:
        return
    app.extra_services.append(campaigns.run)
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
    )
    app.api.monitor_topics["campaignObject"] = campaign_topic
    app.api.services.setdefault("extra_events", []).extend(EVENT_NAMES)
    app.calls.event_sinks.append(dialler.on_event)
    app.calls.notice_sinks.append(dialler.on_notice)
    app.extra_services.append(dialler.run)
