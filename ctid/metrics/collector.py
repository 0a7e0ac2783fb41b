"""ctid's Prometheus metrics: a registry per daemon, counted as things happen or read at scrape.

Nothing here is global: each ``Metrics`` has its own ``CollectorRegistry``,
so two daemons in one process (tests) never mix their numbers. Counters and
histograms are fed by hooks the parts already offer (notice and event sinks,
API request observers, the record writer's commit observers, the records
service's record observers). Everything that is a state right now (active
calls, queues, agents, sessions, the driver link, the spool) is read when
Prometheus scrapes, by ``_Snapshot.collect``; queue and agent figures come
from the ACD service's ``AcdStatistics`` (``app.api.services["acd"]``) and
IVR figures from ``IvrStatistics`` (``app.api.services["ivr"]``) when those
services are installed. docs/operations.md lists every metric with an alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

from .. import __version__
from .. import facts as f
from ..calls.events import SystemStatusEvent
from ..calls.model import Emitted
from ..calls.notices import CallEnded, Notice
from ..records.ops import CallClose
from ..webhooks.metrics import webhook_metrics

if TYPE_CHECKING:
    from ..api.context import ApiContext
    from ..api.server import ApiServer
    from ..bus import EventBus
    from ..calls.model import CallModel
    from ..calls.service import CallService
    from ..switch_drivers.base import SwitchDriver

__all__ = ["WAIT_BUCKETS", "Metrics", "Observed"]


class Observed(Protocol):
    """The parts of the daemon read at scrape time (``app.App`` is one; no import of it)."""

    @property
    def api(self) -> ApiContext: ...

    @property
    def server(self) -> ApiServer: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def model(self) -> CallModel: ...

    @property
    def calls(self) -> CallService: ...

    @property
    def driver(self) -> SwitchDriver: ...


#: Queue wait histogram buckets, seconds (service levels are usually 10-60 s).
WAIT_BUCKETS: Final = (5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
#: API request latency buckets, seconds.
REQUEST_BUCKETS: Final = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
#: Database commit latency buckets, seconds.
COMMIT_BUCKETS: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
LINK_STATES: Final = ("up", "syncing", "connecting", "down")


class Metrics:
    """The daemon's metrics; ``ctid.wiring.metrics`` hooks it into the daemon."""

    def __init__(self, app: Observed) -> None:
        self.app = app
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.calls_total = Counter(
            "ctid_calls_total",
            "Calls ended, by direction and disposition.",
            ["direction", "disposition"],
            registry=r,
        )
        self.queue_wait = Histogram(
            "ctid_queue_wait_seconds",
            "How long calls waited in a queue, by how the wait ended.",
            ["queue", "outcome"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.api_requests = Counter(
            "ctid_api_requests_total",
            "API requests by method and result (ok, or the JSON-RPC error code).",
            ["method", "result"],
            registry=r,
        )
        self.api_seconds = Histogram(
            "ctid_api_request_seconds",
            "Time to answer an API request, by method.",
            ["method"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.reconnects = Counter(
            "ctid_driver_reconnects_total",
            "Times the switch link came back up after being lost.",
            registry=r,
        )
        self.db_write = Histogram(
            "ctid_db_write_seconds",
            "Time to commit one batch of records to the database.",
            buckets=COMMIT_BUCKETS,
            registry=r,
        )
        ProcessCollector(registry=r)
        r.register(_Snapshot(self))
        self._link_was_down = False

    # ------------------------------------------------------------------ hooks

    def on_notice(self, notice: Notice) -> None:
        if isinstance(notice, f.QueueWaitObserved):
            self.queue_wait.labels(notice.queue, notice.outcome).observe(notice.seconds)
        elif isinstance(notice, CallEnded) and "records" not in self.app.api.services:
            # Without call records there is no disposition to count by.
            self.calls_total.labels(notice.direction, "unrecorded").inc()

    def on_record(self, record: CallClose) -> None:
        self.calls_total.labels(record.direction, record.disposition).inc()

    def on_event(self, emitted: Emitted) -> None:
        event = emitted.event
        if isinstance(event, SystemStatusEvent):
            if event.system_status == "disabled":
                self._link_was_down = True
            elif event.system_status == "normal" and self._link_was_down:
                self._link_was_down = False
                self.reconnects.inc()

    def on_request(self, method: str, outcome: str, seconds: float) -> None:
        # Only registered method names become labels: a client sending random
        # names must not grow the number of time series without bound.
        name = method if self.app.api.registry.get(method) is not None else "unknown"
        result = "ok" if outcome == "ok" else outcome.partition(":")[2] or "error"
        self.api_requests.labels(name, result).inc()
        self.api_seconds.labels(name).observe(seconds)

    def on_commit(self, seconds: float) -> None:
        self.db_write.observe(seconds)


class _Snapshot:
    """Metrics read from the daemon's state at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[Metric]:
        # Names are known only at scrape (queues come and go): no fixed description.
        return []

    def collect(self) -> Iterator[Metric]:
        app = self.metrics.app
        info = GaugeMetricFamily("ctid_info", "The running ctid.", labels=["version", "driver"])
        info.add_metric([__version__, app.driver.name], 1)
        yield info
        yield GaugeMetricFamily(
            "ctid_calls_active", "Calls in progress.", value=len(app.model.calls)
        )
        link = app.model.link_state.value
        yield GaugeMetricFamily(
            "ctid_driver_connected",
            "1 while the switch link is up.",
            value=1 if link == "up" else 0,
        )
        state = GaugeMetricFamily(
            "ctid_driver_link_state",
            "The switch link's state (1 for the current one).",
            labels=["state"],
        )
        for name in LINK_STATES:
            state.add_metric([name], 1 if link == name else 0)
        yield state
        yield CounterMetricFamily(
            "ctid_driver_commands_failed",
            "Switch commands the switch refused.",
            value=app.calls.commands_failed,
        )
        yield GaugeMetricFamily(
            "ctid_api_sessions", "API sessions (logged in, attached or resumable).",
            value=len(app.api.sessions.sessions),
        )  # fmt: skip
        yield GaugeMetricFamily(
            "ctid_api_connections", "Open WebSocket connections.",
            value=len(app.server.connections),
        )  # fmt: skip
        bus = app.bus
        yield CounterMetricFamily(
            "ctid_events_published", "Events published on the bus.", value=bus.published
        )
        yield CounterMetricFamily(
            "ctid_events_delivered", "Event deliveries to sessions.", value=bus.delivered
        )
        yield CounterMetricFamily(
            "ctid_events_dropped",
            "Event deliveries a session lost before its socket took them.",
            value=bus.dropped,
        )
        yield from self._logins(app)
        yield from self._records(app)
        yield from self._recording(app)
        yield from self._fax(app)
        yield from self._acd(app)
        yield from self._ivr(app)
        webhooks = app.api.services.get("webhooks")
        if webhooks is not None:
            yield from webhook_metrics(webhooks)

    def _logins(self, app: Any) -> Iterator[Metric]:
        throttle = app.api.throttle
        failures = CounterMetricFamily(
            "ctid_login_failures",
            "Failed logins (login, resume, refresh) by reason.",
            labels=["reason"],
        )
        for reason, count in sorted(throttle.failures.items()):
            failures.add_metric([reason], count)
        yield failures
        yield CounterMetricFamily(
            "ctid_login_throttled",
            "Logins refused unchecked because their address failed too often.",
            value=throttle.throttled,
        )

    def _records(self, app: Any) -> Iterator[Metric]:
        records = app.api.services.get("records")
        if records is None:
            return
        stats = records.writer.statistics()
        yield GaugeMetricFamily(
            "ctid_db_up", "1 while the records database takes writes.", value=int(stats.db_up)
        )
        yield GaugeMetricFamily(
            "ctid_spool_records",
            "Records waiting in the spool for the database.",
            value=stats.spooled,
        )
        yield GaugeMetricFamily(
            "ctid_spool_bytes", "Bytes the spool holds on disk.", value=stats.spool_bytes
        )
        yield CounterMetricFamily(
            "ctid_records_committed", "Records written to the database.", value=stats.committed
        )
        yield CounterMetricFamily(
            "ctid_records_dropped",
            "Records lost because the spool was full or could not be written.",
            value=stats.dropped,
        )
        yield CounterMetricFamily(
            "ctid_records_rejected",
            "Records the database refused (kept in rejected.jsonl).",
            value=stats.rejected,
        )

    def _recording(self, app: Any) -> Iterator[Metric]:
        recording = app.api.services.get("recording")
        if recording is None:
            return
        yield GaugeMetricFamily(
            "ctid_recordings_active", "Recordings in progress.", value=len(recording.active)
        )
        totals = CounterMetricFamily(
            "ctid_recordings", "Recordings by what became of them.", labels=["result"]
        )
        totals.add_metric(["started"], recording.started_total)
        totals.add_metric(["failed"], recording.failed_total)
        totals.add_metric(["deleted"], recording.deleted_total)
        yield totals

    def _fax(self, app: Any) -> Iterator[Metric]:
        fax = app.api.services.get("fax")
        if fax is None:
            return
        yield GaugeMetricFamily(
            "ctid_faxes_active", "Faxes waiting or in progress.", value=len(fax.active)
        )
        done = CounterMetricFamily(
            "ctid_faxes", "Faxes finished, by direction and result.", labels=["direction", "result"]
        )
        done.add_metric(["in", "completed"], fax.received_total)
        done.add_metric(["out", "completed"], fax.sent_total)
        done.add_metric(["in", "failed"], fax.failed_total["in"])
        done.add_metric(["out", "failed"], fax.failed_total["out"])
        yield done
        pages = CounterMetricFamily(
            "ctid_fax_pages", "Pages of completed faxes, by direction.", labels=["direction"]
        )
        pages.add_metric(["in"], fax.pages_total["in"])
        pages.add_metric(["out"], fax.pages_total["out"])
        yield pages
        deleted = CounterMetricFamily(
            "ctid_faxes_deleted",
            "Faxes deleted by retention ([fax] retention_days), by direction.",
            labels=["direction"],
        )
        for direction in ("in", "out"):
            deleted.add_metric([direction], fax.deleted_total[direction])
        yield deleted
        # Zeros without [fax.email]: the series exist for the alert rules either way.
        mailer = getattr(fax, "mailer", None)
        emails = CounterMetricFamily(
            "ctid_fax_emails",
            "Fax mails ([fax.email]): taken by the relay, attempts that failed and wait, given up.",
            labels=["result"],
        )
        for result in ("sent", "retried", "failed"):
            emails.add_metric([result], getattr(mailer, f"{result}_total", 0))
        yield emails

    def _acd(self, app: Any) -> Iterator[Metric]:
        acd = app.api.services.get("acd")
        figures_of = getattr(acd, "queue_figures", None)
        if not callable(figures_of):
            return
        figures: list[f.QueueFigures] = list(figures_of())
        waiting = GaugeMetricFamily(
            "ctid_queue_waiting_calls", "Calls waiting in each queue.", labels=["queue"]
        )
        longest = GaugeMetricFamily(
            "ctid_queue_longest_wait_seconds",
            "How long the longest-waiting call in each queue has waited.",
            labels=["queue"],
        )
        level = GaugeMetricFamily(
            "ctid_queue_service_level",
            "Today's service level of each queue (0-1, answered within its threshold).",
            labels=["queue"],
        )
        estimated = GaugeMetricFamily(
            "ctid_queue_estimated_wait_seconds",
            "Estimated wait for a new caller in each queue.",
            labels=["queue"],
        )
        today = GaugeMetricFamily(
            "ctid_queue_calls_today",
            "Calls offered, answered and abandoned in each queue today.",
            labels=["queue", "outcome"],
        )
        agents = GaugeMetricFamily(
            "ctid_agents", "Agents serving each queue, by state.", labels=["queue", "state"]
        )
        for q in figures:
            waiting.add_metric([q.queue], q.waiting)
            longest.add_metric([q.queue], q.longest_wait)
            level.add_metric([q.queue], q.service_level_today)
            estimated.add_metric([q.queue], q.estimated_wait)
            today.add_metric([q.queue, "offered"], q.offered_today)
            today.add_metric([q.queue, "answered"], q.answered_today)
            today.add_metric([q.queue, "abandoned"], q.abandoned_today)
            for state_name, count in sorted(q.agents_by_state.items()):
                agents.add_metric([q.queue, state_name], count)
        yield from (waiting, longest, level, estimated, today, agents)

    def _ivr(self, app: Any) -> Iterator[Metric]:
        ivr = app.api.services.get("ivr")
        calls_in = getattr(ivr, "calls_in_flows", None)
        if not callable(calls_in):
            return
        flows = GaugeMetricFamily("ctid_ivr_calls", "Calls in each IVR flow.", labels=["flow"])
        for flow, count in sorted(calls_in().items()):
            flows.add_metric([flow], count)
        yield flows
