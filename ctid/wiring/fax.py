"""Wiring fax into the daemon: the one call ``App._install_services`` makes."""

from __future__ import annotations

from ..api.methods import fax as fax_api
from ..calls.control import CallControl
from ..config import Config
from ..fax.config import fax_settings
from ..fax.mailer import FaxMailer
from ..fax.service import EVENT_NAMES, FaxService
from ..records.service import RecordsService
from .parts import Parts

__all__ = ["install_fax"]


def install_fax(app: Parts) -> FaxService | None:
    """Fax (documents, reception, sending) with its API routes; None without the
    records database, where documents and faxes are kept."""
    records = app.api.services.get("records")
    if not isinstance(records, RecordsService):
        return None
    settings = fax_settings(app.config)
    service = FaxService(
        settings=settings,
        calls=app.calls,
        control=CallControl(app.model),
        publisher=app.publisher,
        clock=app.clock,
        ids=app.ids,
        records=records,
        blocking=app.blocking,
    )
    app.calls.event_sinks.append(service.on_event)
    app.calls.notice_sinks.append(service.on_notice)
    ivr = getattr(app, "ivr", None)
    if ivr is not None:
        ivr.fax = service  # the faxReceive/faxSend nodes (ivr.service.FaxHook)
    app.api.services["fax"] = service
    app.api.services.setdefault("extra_events", []).extend(EVENT_NAMES)
    app.api.monitor_topics["faxObject"] = fax_api.fax_topic
    app.server.routes["/fax/documents"] = fax_api.upload_route(app.api)
    app.server.routes["/fax/download"] = fax_api.download_route(app.api)
    app.extra_services.append(service.run)
    if settings.email is not None:
        # Finished faxes mailed through [fax.email] (docs/fax.md, "Faxes by e-mail").
        service.mailer = FaxMailer(
            settings=settings.email,
            read=records.read,
            directory=settings.directory,
            clock=app.clock,
            blocking=app.blocking,
            wait_written=service.wait_written,
        )
        app.api.services["fax_mailer"] = service.mailer
        app.extra_services.append(service.mailer.run)
    # Fax numbers are route points and the directory is the service's: a restart applies.
    app.reloads.fixed("[fax]", _section)
    return service


def _section(config: Config) -> object:
    return config.sections.get("fax")
