"""Prometheus metrics: scraped over HTTP, parsed with prometheus-client's own parser.

The first tests run the daemon on MockClock and scrape the metrics listener's
HTTP handling over memory streams (no real sockets with a mock clock); the
last one runs it on the real clock and scrapes a real TCP port, as
Prometheus does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
from prometheus_client.parser import text_string_to_metric_families

from ctid import facts as f
from ctid.blocking import in_thread
from ctid.metrics.collector import Metrics
from ctid.metrics.server import MetricsServer
from ctid.testing import CallCentre, RpcErrorReply, call_centre, sim_config
from ctid.wiring.metrics import routes

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def get(server: MetricsServer, path: str) -> tuple[int, str]:
    """One request to the metrics listener's handler over a memory stream."""
    client, peer = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.handle_stream, peer)
        await client.send_all(f"GET {path} HTTP/1.1\r\nHost: ctid\r\n\r\n".encode())
        data = b""
        while chunk := await client.receive_some(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


def scraper(cc: CallCentre) -> MetricsServer:
    metrics = cc.app.api.services["metrics"]
    assert isinstance(metrics, Metrics)
    return MetricsServer("127.0.0.1:0", routes(cc.app, metrics))


class FakeAcd:
    """Plays the ACD's part of the facts.py contract (AcdStatistics)."""

    def queue_figures(self) -> list[f.QueueFigures]:
        return [
            f.QueueFigures(
                queue="sales",
                waiting=3,
                longest_wait=42.0,
                agents_by_state={"ready": 2, "busy": 5, "notReady": 1},
                offered_today=120,
                answered_today=110,
                abandoned_today=10,
                service_level_today=0.85,
                estimated_wait=30.0,
            )
        ]


class FakeIvr:
    def calls_in_flows(self) -> Mapping[str, int]:
        return {"main": 4, "billing": 1}


def config(tmp_path: Path, **server: Any) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path), **server},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
        }
    )


async def test_metrics_of_a_working_daemon(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with call_centre(config(tmp_path)) as cc:
        app = cc.app
        app.api.services["acd"] = FakeAcd()
        app.api.services["ivr"] = FakeIvr()
        admin = await cc.client()
        # Two calls: one answered, one busy.
        answered = await admin.call(
            "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"}
        )
        await admin.call("sim.offHook", {"device": "1001"})
        await cc.settle()
        app.model.notify(
            f.QueueWaitObserved(
                queue="sales", call_id=answered["callID"], seconds=12.0, outcome="answered"
            )
        )
        app.model.notify(
            f.QueueWaitObserved(queue="sales", call_id="x", seconds=75.0, outcome="abandoned")
        )
        app.calls.sync()
        status, text = await get(scraper(cc), "/metrics")
        assert status == 200
        during = parse(text)
        assert value(during, "ctid_calls_active") == 1
        await admin.call("sim.offHook", {"device": "1002"})
        await admin.call("sim.incomingCall", {"callingNumber": "5550002", "calledNumber": "1002"})
        await cc.settle()
        await admin.call("sim.onHook", {"device": "5550001"})
        await cc.settle()
        # Requests: some fail, one names no method at all.
        with pytest.raises(RpcErrorReply):
            await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "9999"}})
        with pytest.raises(RpcErrorReply):
            await admin.call("no.such.method")
        # The switch link goes and comes back.
        await admin.call("sim.dropLink")
        await cc.settle()
        await admin.call("sim.restoreLink")
        await cc.settle()
        await app.api.services["records"].wait_committed()
        status, text = await get(scraper(cc), "/metrics")
    s = parse(text)
    assert value(s, "ctid_calls_total", direction="inbound", disposition="answered") == 1
    assert value(s, "ctid_calls_total", direction="inbound", disposition="busy") == 1
    assert value(s, "ctid_calls_active") == 1  # 1002 is still off-hook, dialling
    assert value(s, "ctid_queue_wait_seconds_count", queue="sales", outcome="answered") == 1
    assert (
        value(s, "ctid_queue_wait_seconds_bucket", queue="sales", outcome="answered", le="20.0")
        == 1
    )
    assert (
        value(s, "ctid_queue_wait_seconds_bucket", queue="sales", outcome="abandoned", le="60.0")
        == 0
    )
    assert value(s, "ctid_queue_wait_seconds_sum", queue="sales", outcome="abandoned") == 75.0
    assert value(s, "ctid_queue_waiting_calls", queue="sales") == 3
    assert value(s, "ctid_queue_longest_wait_seconds", queue="sales") == 42.0
    assert value(s, "ctid_queue_service_level", queue="sales") == 0.85
    assert value(s, "ctid_queue_calls_today", queue="sales", outcome="abandoned") == 10
    assert value(s, "ctid_agents", queue="sales", state="busy") == 5
    assert value(s, "ctid_ivr_calls", flow="main") == 4
    assert value(s, "ctid_api_sessions") == 1
    assert value(s, "ctid_api_connections") == 1
    assert value(s, "ctid_api_requests_total", method="sim.offHook", result="ok") == 2
    assert value(s, "ctid_api_requests_total", method="MonitorStart", result="-32000") == 1
    assert value(s, "ctid_api_requests_total", method="unknown", result="-32601") == 1
    assert value(s, "ctid_api_request_seconds_count", method="sim.incomingCall") == 2
    assert value(s, "ctid_driver_connected") == 1
    assert value(s, "ctid_driver_link_state", state="up") == 1
    assert value(s, "ctid_driver_link_state", state="down") == 0
    assert value(s, "ctid_driver_reconnects_total") == 1
    assert value(s, "ctid_events_published_total") > 0
    assert value(s, "ctid_events_delivered_total") > 0
    assert value(s, "ctid_events_dropped_total") == 0
    assert value(s, "ctid_db_up") == 1
    assert value(s, "ctid_spool_records") == 0
    assert value(s, "ctid_records_committed_total") > 0
    assert value(s, "ctid_records_dropped_total") == 0
    assert value(s, "ctid_db_write_seconds_count") > 0
    assert value(s, "ctid_recordings_active") == 0
    assert value(s, "ctid_info", version=__import__("ctid").__version__, driver="simulator") == 1


async def test_healthz_and_unknown_paths(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with call_centre(config(tmp_path)) as cc:
        server = scraper(cc)
        status, body = await get(server, "/healthz")
        assert status == 200
        assert '"driver": "up"' in body
        assert '"database": "up"' in body
        admin = await cc.client()
        await admin.call("sim.dropLink")
        await cc.settle()
        status, body = await get(server, "/healthz")
        assert status == 503
        assert '"status": "degraded"' in body
        assert (await get(server, "/nope"))[0] == 404


async def test_scraped_over_a_real_port(tmp_path: Path) -> None:
    """On the real clock, through the listener 'metrics_listen' opens, as Prometheus would."""
    async with call_centre(
        config(tmp_path, metrics_listen="127.0.0.1:0"), blocking=in_thread
    ) as cc:
        server = cc.app.api.services["metrics_server"]
        assert isinstance(server, MetricsServer)
        host, port = server.addresses[0]
        bodies = {}
        for path in ("/metrics", "/healthz"):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                await stream.send_all(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                data = b""
                while chunk := await stream.receive_some(65536):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            bodies[path] = body.decode()
        samples = parse(bodies["/metrics"])
        assert value(samples, "ctid_calls_active") == 0
        assert value(samples, "ctid_db_up") == 1
        assert value(samples, "process_open_fds") > 0
        assert '"database": "up"' in bodies["/healthz"]


async def test_every_metric_is_documented(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    """docs/operations.md lists exactly the metrics ctid exposes, each with an alert rule."""
    import re

    doc = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    table = set(re.findall(r"^\| `(ctid_\w+)` \|", doc, re.MULTILINE))
    rules = doc[doc.index("### Example alert rules") :]
    async with call_centre(config(tmp_path)) as cc:
        cc.app.api.services["acd"] = FakeAcd()
        cc.app.api.services["ivr"] = FakeIvr()
        _, text = await get(scraper(cc), "/metrics")
    exposed = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in text_string_to_metric_families(text)
        # prometheus-client adds a "_created" series to each counter and histogram.
        if family.name.startswith("ctid_") and not family.name.endswith("_created")
    }
    assert table == exposed
    for name in sorted(table):
        assert name in rules, f"no example alert rule uses {name}"
