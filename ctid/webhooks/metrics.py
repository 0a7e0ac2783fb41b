"""The webhooks' Prometheus metrics, read at scrape time (``ctid.metrics.collector``)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from .service import WebhookService

__all__ = ["webhook_metrics"]


def webhook_metrics(service: WebhookService) -> Iterator[Metric]:
    """Backlog, delivered, dropped and failed tries per webhook."""
    backlog = GaugeMetricFamily(
        "ctid_webhook_backlog", "Events waiting for a webhook's receiver.", labels=["webhook"]
    )
    delivered = CounterMetricFamily(
        "ctid_webhook_delivered", "Events a webhook's receiver took (2xx).", labels=["webhook"]
    )
    dropped = CounterMetricFamily(
        "ctid_webhook_dropped",
        "Events dropped: past max_backlog, or given up after max_retry_hours.",
        labels=["webhook"],
    )
    failures = CounterMetricFamily(
        "ctid_webhook_failures", "Failed delivery tries (no 2xx).", labels=["webhook"]
    )
    for name, hook in sorted(service.hooks.items()):
        backlog.add_metric([name], hook.total_backlog)
        delivered.add_metric([name], hook.delivery.delivered)
        dropped.add_metric([name], hook.dropped)
        failures.add_metric([name], hook.delivery.failures)
    yield from (backlog, delivered, dropped, failures)
    if service.journal is not None:
        yield CounterMetricFamily(
            "ctid_webhook_journal_failures",
            "Failed webhook journal writes (each event kept in memory only until the outbox "
            "had it) and journal files it could not read or open.",
            value=service.journal.failures,
        )
