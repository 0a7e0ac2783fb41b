"""Wiring voicemail boxes into the daemon: the one call ``App._install_services`` makes."""

from __future__ import annotations

from typing import Any

import attrs

from ..api.methods.voicemail import install_voicemail_api
from ..config import Config, ConfigError, each_problem
from ..records.service import RecordsService
from ..reloading import Apply
from ..switch_drivers import base as sw
from ..voicemail.config import voicemail_settings
from ..voicemail.service import EVENT_NAMES, VoicemailService
from .parts import Parts

__all__ = ["install_voicemail"]


def install_voicemail(app: Parts) -> VoicemailService | None:
    """Voicemail boxes, kept in the call records database (none without it)."""
    records = app.api.services.get("records")
    if not isinstance(records, RecordsService):
        return None
    extensions = set(app.driver.extensions)

    def lamps(mailbox: str) -> list[str]:
        # A number's box lights its configured phones, or the number's own phone; an
        # agent's, the phone the agent is logged on at now; a queue's, none.
        kind, _, name = mailbox.partition(":")
        if kind == "number":
            box = service.settings.numbers.get(mailbox)
            if box is not None and box.mwi_devices:
                return list(box.mwi_devices)
            return [name] if name in extensions else []
        acd = app.api.services.get("acd")
        if kind == "agent" and acd is not None:
            agent = acd.engine.agents.get(name)
            return [agent.device] if agent is not None and agent.device else []
        return []

    lit = sw.Capability.MESSAGE_WAITING in app.driver.capabilities
    service = VoicemailService(
        settings=voicemail_settings(app.config),
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

    async def prepare(new: Config) -> list[ConfigError] | Apply:
        try:
            settings = voicemail_settings(new)
        except ConfigError as exc:
            return each_problem(exc)

        async def apply() -> dict[str, Any]:
            # Messages stay where they are: the directory follows the state directory,
            # which only a restart changes.
            service.settings = attrs.evolve(settings, directory=service.settings.directory)
            return {"retention": "applied", "mailboxes": sorted(settings.numbers)}

        return apply

    app.reloads.section("voicemail", prepare)
    return service
