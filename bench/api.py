"""API benchmark: request round trip, event delivery, memory; ctid beside a bare trio-websocket server.

Run: ``python -m bench api`` (see ``--help``). The servers run in a child
process each (``bench.servers``), the clients here, so on a 2-core machine
the server has a core to itself. Figures reported:

* round trip of sequential requests (ctid: SnapshotDevice; bare: an echo);
* events delivered per second at saturation, all clients monitoring the
  same devices (fan-out), and the server CPU time per delivered event;
* p50/p99 delivery latency at a fixed load (clients monitor one device
  each; about 10 events per client per second);
* server memory per session and per active call (RSS growth).

Latency is measured from the event's ``timestamp`` (server wall clock,
millisecond resolution, same machine) to its arrival here, so it includes
the model, the bus, encoding, the socket and this client's parsing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, Ping, Request, TextMessage

from .servers import TOKEN

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Server:
    """A server process under test."""

    def __init__(
        self,
        kind: str,
        *,
        extensions: int,
        rate: float,
        fanout: str = "all",
        extra: tuple[str, ...] = (),
    ) -> None:
        args = [
            sys.executable,
            "-m",
            "bench.servers",
            kind,
            "--extensions",
            str(extensions),
            "--rate",
            str(rate),
        ]
        if kind == "bare":
            args += ["--fanout", fanout]
        args += extra
        # A fresh state directory per run: a spool left by an earlier run would be
        # replayed into the database during this one and count as its cost.
        self.state_dir = tempfile.mkdtemp(prefix="ctid-bench-")
        args += ["--state-dir", self.state_dir]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"server did not start: {line!r}")
        self.port = int(line.split()[1])
        self.kind = kind

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.state_dir, ignore_errors=True)


class Client:
    """A lean WebSocket client (wsproto over a trio socket) that counts what it receives."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.events = 0
        #: DeliveredEvents: one per call for a client that monitors the called phone.
        self.calls = 0
        self.latencies: list[float] | None = None
        self.replies: list[Any] = []
        self._reply = trio.Event()

    @classmethod
    async def connect(cls, port: int) -> Client:
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        client = cls(stream)
        await stream.send_all(
            client.ws.send(Request(host="bench", target="/v1", subprotocols=["ctid.v1.json"]))
        )
        while True:
            client.ws.receive_data(await stream.receive_some(65536))
            if any(isinstance(e, AcceptConnection) for e in client.ws.events()):
                return client

    async def request(self, method: str, params: Any = None, request_id: int = 1) -> Any:
        self._reply = trio.Event()
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        await self.stream.send_all(self.ws.send(TextMessage(data=json.dumps(message))))
        await self._reply.wait()
        return self.replies.pop()

    async def read_loop(self) -> None:
        ws = self.ws
        while True:
            try:
                data = await self.stream.receive_some(262144)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                return
            if not data:
                return
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, TextMessage | BytesMessage):
                    text = event.data if isinstance(event.data, str) else event.data.decode()
                    if text.startswith('{"jsonrpc":"2.0","method"'):
                        self.events += 1
                        if text.startswith('{"jsonrpc":"2.0","method":"DeliveredEvent"'):
                            self.calls += 1
                        if self.latencies is not None:
                            self.latencies.append(_latency(text))
                    else:
                        self.replies.append(json.loads(text))
                        self._reply.set()
                elif isinstance(event, Ping):
                    await self.stream.send_all(ws.send(event.response()))


def _latency(text: str) -> float:
    """Seconds since the event's timestamp (HH:MM:SS.mmm of today, UTC)."""
    i = text.find('"timestamp":"') + 13
    hh, mm, ss = (
        int(text[i + 11 : i + 13]),
        int(text[i + 14 : i + 16]),
        float(text[i + 17 : i + 23]),
    )
    stamp = hh * 3600 + mm * 60 + ss
    now = time.time() % 86400
    return (now - stamp) % 86400


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _login(client: Client, kind: str, devices: list[str]) -> None:
    if kind == "bare":
        return
    await client.request("session.login", {"token": TOKEN})
    # All monitors in one JSON-RPC batch: one round trip.
    batch = [
        {
            "jsonrpc": "2.0",
            "id": i,
            "method": "MonitorStart",
            "params": {"monitorObject": {"deviceObject": d}},
        }
        for i, d in enumerate(devices)
    ]
    client._reply = trio.Event()
    await client.stream.send_all(client.ws.send(TextMessage(data=json.dumps(batch))))
    await client._reply.wait()
    client.replies.pop()


async def round_trip(kind: str, count: int) -> dict[str, Any]:
    server = Server(kind, extensions=10, rate=0)
    try:
        async with trio.open_nursery() as nursery:
            client = await Client.connect(server.port)
            nursery.start_soon(client.read_loop)
            await _login(client, kind, [])
            method, params = (
                ("SnapshotDevice", {"snapshotObject": "1001"}) if kind == "ctid" else ("echo", None)
            )
            for i in range(200):  # warm-up
                await client.request(method, params, i)
            times = []
            start = time.perf_counter()
            for i in range(count):
                t0 = time.perf_counter()
                reply = await client.request(method, params, i)
                times.append(time.perf_counter() - t0)
                assert "result" in reply, reply
            wall = time.perf_counter() - start
            nursery.cancel_scope.cancel()
    finally:
        server.stop()
    return {
        "server": kind,
        "requests": count,
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": percentile(times, 0.99) * 1000,
        "per_second": count / wall,
    }


async def fan_out(kind: str, n_clients: int, seconds: float) -> dict[str, Any]:
    """Saturation: every client monitors the same 50 extensions; events as fast as possible."""
    devices = [str(1001 + i) for i in range(50)]
    server = Server(kind, extensions=50, rate=0, fanout="all")
    try:
        async with trio.open_nursery() as nursery:
            clients = []
            for _ in range(n_clients):
                client = await Client.connect(server.port)
                nursery.start_soon(client.read_loop)
                await _login(client, kind, devices)
                clients.append(client)
            server.go()
            await trio.sleep(1.0)  # warm-up
            before = sum(c.events for c in clients)
            calls_before = sum(c.calls for c in clients)
            cpu0 = cpu_seconds(server.proc.pid)
            await trio.sleep(seconds)
            delivered = sum(c.events for c in clients) - before
            # Every client sees every call: the switch's call rate is the average.
            calls = (sum(c.calls for c in clients) - calls_before) / n_clients
            cpu = cpu_seconds(server.proc.pid) - cpu0
            nursery.cancel_scope.cancel()
    finally:
        server.stop()
    return {
        "server": kind,
        "clients": n_clients,
        "delivered_per_s": delivered / seconds,
        "calls_per_s": calls / seconds,
        "server_cpu_share": cpu / seconds,
        "server_us_per_delivery": cpu / delivered * 1e6 if delivered else float("nan"),
    }


async def latency(kind: str, n_clients: int, events_per_s: float, seconds: float) -> dict[str, Any]:
    """Fixed load: client i monitors extension i; ``events_per_s`` in total."""
    # ctid: a 3-step cycle gives 4 events on the monitored extension.
    rate = events_per_s * 3 / 4 if kind == "ctid" else events_per_s
    server = Server(kind, extensions=n_clients, rate=rate, fanout="one")
    try:
        async with trio.open_nursery() as nursery:
            clients = []
            for i in range(n_clients):
                client = await Client.connect(server.port)
                nursery.start_soon(client.read_loop)
                await _login(client, kind, [str(1001 + i)])
                clients.append(client)
            server.go()
            await trio.sleep(1.0)
            for c in clients:
                c.latencies = []
            before = sum(c.events for c in clients)
            await trio.sleep(seconds)
            samples = [x for c in clients for x in (c.latencies or [])]
            delivered = sum(c.events for c in clients) - before
            nursery.cancel_scope.cancel()
    finally:
        server.stop()
    return {
        "server": kind,
        "clients": n_clients,
        "delivered_per_s": delivered / seconds,
        "p50_ms": percentile(samples, 0.5) * 1000 if samples else float("nan"),
        "p99_ms": percentile(samples, 0.99) * 1000 if samples else float("nan"),
    }


async def memory(n_sessions: int, n_calls: int) -> dict[str, Any]:
    """RSS growth of the server with idle logged-in sessions, then with active calls."""
    out: dict[str, Any] = {}
    for kind in ("bare", "ctid"):
        server = Server(kind, extensions=n_calls, rate=0)
        try:
            async with trio.open_nursery() as nursery:
                await trio.sleep(0.2)
                rss0 = rss_bytes(server.proc.pid)
                clients = []
                for i in range(n_sessions):
                    client = await Client.connect(server.port)
                    nursery.start_soon(client.read_loop)
                    await _login(client, kind, [str(1001 + i % n_calls)])
                    clients.append(client)
                await trio.sleep(0.5)
                rss1 = rss_bytes(server.proc.pid)
                out[f"{kind}_bytes_per_session"] = (rss1 - rss0) / n_sessions
                if kind == "ctid":
                    admin = clients[0]
                    for i in range(n_calls):
                        ext = str(1001 + i)
                        await admin.request(
                            "sim.incomingCall",
                            {"callingNumber": f"555{i:07d}", "calledNumber": ext},
                            i,
                        )
                        await admin.request("sim.offHook", {"device": ext}, i)
                    await trio.sleep(0.5)
                    rss2 = rss_bytes(server.proc.pid)
                    out["ctid_bytes_per_active_call"] = (rss2 - rss1) / n_calls
                for c in clients:
                    await c.stream.aclose()
                nursery.cancel_scope.cancel()
        finally:
            server.stop()
    return out


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "records": args.records,
        "round_trip": [],
        "fan_out": [],
        "latency": [],
        "memory": {},
    }
    for kind in ("bare", "ctid"):
        results["round_trip"].append(await round_trip(kind, args.requests))
    for n in args.clients:
        for kind in ("bare", "ctid"):
            results["fan_out"].append(await fan_out(kind, n, args.seconds))
    for kind in ("bare", "ctid"):
        results["latency"].append(
            await latency(kind, args.latency_clients, args.latency_rate, args.seconds)
        )
    results["memory"] = await memory(args.sessions, args.calls)
    return results


def report(results: dict[str, Any]) -> str:
    lines = [
        f"Call records: {results['records']}.",
        "",
        "### Request round trip",
        "",
        "| server | requests | p50 ms | p99 ms | requests/s |",
        "|---|---|---|---|---|",
    ]
    for r in results["round_trip"]:
        lines.append(
            f"| {r['server']} | {r['requests']} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['per_second']:.0f} |"
        )
    lines += [
        "",
        "### Event delivery at saturation (fan-out)",
        "",
        "| clients | bare events/s | ctid events/s | ctid/bare | bare CPU us/event | ctid CPU us/event "
        "| bare CPU share | ctid CPU share | ctid calls/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by = {(r["server"], r["clients"]): r for r in results["fan_out"]}
    for n in sorted({r["clients"] for r in results["fan_out"]}):
        b, c = by[("bare", n)], by[("ctid", n)]
        lines.append(
            f"| {n} | {b['delivered_per_s']:.0f} | {c['delivered_per_s']:.0f} | "
            f"{c['delivered_per_s'] / b['delivered_per_s']:.0%} | {b['server_us_per_delivery']:.1f} | "
            f"{c['server_us_per_delivery']:.1f} | {b['server_cpu_share']:.0%} | {c['server_cpu_share']:.0%} | {c['calls_per_s']:.0f} |"
        )
    lines += [
        "",
        "### Delivery latency at a fixed load",
        "",
        "| server | clients | events/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for r in results["latency"]:
        lines.append(
            f"| {r['server']} | {r['clients']} | {r['delivered_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    m = results["memory"]
    lines += ["", "### Memory (server RSS growth)", "", "| what | bytes |", "|---|---|"]
    for key, value in m.items():
        lines.append(f"| {key} | {value:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench api")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument(
        "--clients", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 100, 500]
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--records",
        choices=["on", "off"],
        default="on",
        help="ctid's call records (SQLite in a temporary state directory): on as deployed, "
        "or off to measure the API path alone",
    )
    parser.add_argument("--latency-clients", type=int, default=100)
    parser.add_argument("--latency-rate", type=float, default=1000.0)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    # The server processes read it (bench.servers.RECORDS).
    os.environ["CTID_BENCH_RECORDS"] = "1" if args.records == "on" else "0"
    results = trio.run(main_async, args)
    print(json.dumps(results, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
