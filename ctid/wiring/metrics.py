"""Wiring metrics into the daemon: the one call ``App._install_services`` makes."""

from __future__ import annotations

import trio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..api.server import HttpHandler, HttpRequest, HttpResponse
from ..metrics.collector import Metrics
from ..metrics.server import MetricsServer
from .parts import Parts

__all__ = ["install_metrics", "routes"]


def routes(app: Parts, metrics: Metrics) -> dict[str, HttpHandler]:
    """``/metrics`` and ``/healthz`` (the API port's health check: driver and database)."""

    async def exposition(request: HttpRequest) -> HttpResponse:
        return HttpResponse(
            status=200, body=generate_latest(metrics.registry), content_type=CONTENT_TYPE_LATEST
        )

    return {"/metrics": exposition, "/healthz": app.server.routes["/healthz"]}


def install_metrics(app: Parts) -> Metrics:
    """Wire metrics into a not yet started ``App``; its listener starts if ``metrics_listen``."""
    metrics = Metrics(app)
    app.calls.notice_sinks.append(metrics.on_notice)
    app.calls.event_sinks.append(metrics.on_event)
    app.api.request_observers.append(metrics.on_request)
    records = app.api.services.get("records")
    if records is not None:
        records.record_observers.append(metrics.on_record)
        records.writer.commit_observers.append(metrics.on_commit)
    app.api.services["metrics"] = metrics

    async def run(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        # metrics_listen is read at start: 'ctid run --metrics-listen' sets it after App().
        if not app.metrics_listen:
            task_status.started()
            return
        tls_files = app.tls if app.config.server.metrics_tls else None
        server = MetricsServer(
            app.metrics_listen,
            routes(app, metrics),
            tls=(lambda: tls_files.context) if tls_files is not None else None,
        )
        app.api.services["metrics_server"] = server
        await server.run(task_status=task_status)

    app.extra_services.append(run)
    return metrics
