"""Wiring voicemail boxes into the daemon: the one call ``App._install_services`` makes."""

from __future__ import annotations

from ..api.methods.voicemail import install_voicemail_api
from ..records.service import RecordsService
from ..switch_drivers import base as sw
from ..voicemail.config import voicemail_settings
from ..voicemail.service import EVENT_NAMES, VoicemailService
from .parts import Parts

__all__ = ["install_voicemail"]


def install_voicemail(app: Parts) -> None:
    """Voicemail boxes, kept in the call records database (none without it)."""

    records = app.api.services.get("records")
    if not isinstance(records, RecordsService):
        return
    settings = voicemail_settings(app.config)
    acd = app.acd
    extensions = set(app.driver.extensions)

    def lamps(mailbox: str) -> list[str]:
        # A number's box lights its configured phones, or the number's own phone; an
        # agent's, the phone the agent is logged on at now; a queue's, none.
        kind, _, name = mailbox.partition(":")
        if kind == "number":
            box = settings.numbers.get(mailbox)
            if box is not None and box.mwi_devices:
                return list(box.mwi_devices)
            return [name] if name in extensions else []
        if kind == "agent" and acd is not None:
            agent = acd.engine.agents.get(name)
            return [agent.device] if agent is not None and agent.device else []
        return []

    lit = sw.Capability.MESSAGE_WAITING in app.driver.capabilities
    service = VoicemailService(
        settings=settings,
        model=app.model,
        publisher=app.publisher,
        clock=app.clock,
        ids=app.ids,
        records=records,
        blocking=app.blocking,
        lamps=lamps,
        execute=app.calls.execute if lit else None,
    )
    app.calls.notice_sinks.append(service.on_notice)
    install_voicemail_api(app.api, service)
    app.api.services.setdefault("extra_events", []).extend(EVENT_NAMES)
    app.extra_services.append(service.run)
