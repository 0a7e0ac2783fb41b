"""Many sessions on one node: memory per session and event delivery latency at a fixed rate.

Run: ``python -m bench sessions`` (``--sessions 10000`` by default, ``--quick``
for 1,000). Each server (ctid on the simulator, and the bare trio-websocket
server of ``bench.servers`` for comparison) runs in a child process; the
clients run here. Every client logs in (ctid) and monitors an extension of its
own, so ``--rate`` events a second in all reach the clients. Past 990 sessions
(the simulator has 1,000 outside lines) several sessions watch each extension
and each event reaches all of them: at 10,000 sessions, 10 per extension. Reported per server:

* RSS growth per logged-in session (after all have connected);
* time to connect and log in every session;
* events delivered per second, p50/p99/max latency from the event's
  ``timestamp`` to its arrival (server wall clock, same machine);
* server CPU share during the measurement.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import trio

from ctid.descriptors import raise_limit

from .api import Client, Server, cpu_seconds, percentile, rss_bytes
from .servers import TOKEN

#: Extensions with calls at once: under the simulator's 1,000 outside lines.
MAX_EXTENSIONS = 990
#: Sessions connecting at once (a burst of clients after an outage, not a stampede).
CONNECT_AT_ONCE = 100


async def run(kind: str, sessions: int, rate: float, seconds: float) -> dict[str, Any]:
    # Calls come in on outside lines, of which the simulator has 1,000 at most:
    # past that many sessions, several watch each extension and every event is
    # delivered to each of them (the pump runs slower to keep the rate).
    per_extension = -(-sessions // MAX_EXTENSIONS)
    extensions = -(-sessions // per_extension)
    # ctid: each 3-step cycle (ring, answer, hang up) gives 4 events on the
    # monitored extension, so the pump ticks at 3/4 of the event rate.
    ticks = rate * 3 / 4 / per_extension if kind == "ctid" else rate
    server = Server(
        kind,
        extensions=extensions,
        rate=ticks,
        fanout="one",
        extra=("--max-connections", str(sessions + 10)),
    )
    clients: list[Client] = []
    try:
        async with trio.open_nursery() as nursery:
            await trio.sleep(0.5)
            rss0 = rss_bytes(server.proc.pid)
            limiter = trio.CapacityLimiter(CONNECT_AT_ONCE)
            started = time.perf_counter()

            async def one(i: int) -> None:
                async with limiter:
                    client = await Client.connect(server.port)
                    nursery.start_soon(client.read_loop)
                    if kind == "ctid":
                        await client.request("session.login", {"token": TOKEN})
                        await client.request(
                            "MonitorStart",
                            {"monitorObject": {"deviceObject": str(1001 + i % extensions)}},
                        )
                    clients.append(client)

            async with trio.open_nursery() as connecting:
                for i in range(sessions):
                    connecting.start_soon(one, i)
            connect_seconds = time.perf_counter() - started
            await trio.sleep(1.0)
            rss1 = rss_bytes(server.proc.pid)
            server.go()
            await trio.sleep(2.0)  # warm-up: every extension's first cycle
            for c in clients:
                c.latencies = []
            before = sum(c.events for c in clients)
            cpu0 = cpu_seconds(server.proc.pid)
            await trio.sleep(seconds)
            cpu = cpu_seconds(server.proc.pid) - cpu0
            delivered = sum(c.events for c in clients) - before
            samples = [x for c in clients for x in (c.latencies or [])]
            for c in clients:
                await trio.aclose_forcefully(c.stream)
            nursery.cancel_scope.cancel()
    finally:
        server.stop()
    return {
        "server": kind,
        "sessions": len(clients),
        "connect_seconds": connect_seconds,
        "bytes_per_session": (rss1 - rss0) / sessions,
        "delivered_per_s": delivered / seconds,
        "p50_ms": percentile(samples, 0.5) * 1000 if samples else float("nan"),
        "p99_ms": percentile(samples, 0.99) * 1000 if samples else float("nan"),
        "max_ms": max(samples) * 1000 if samples else float("nan"),
        "server_cpu_share": cpu / seconds,
    }


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| server | sessions | connect+login s | RSS bytes/session | events/s | p50 ms | p99 ms "
        "| max ms | server CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['server']} | {r['sessions']} | {r['connect_seconds']:.1f} | "
            f"{r['bytes_per_session']:.0f} | {r['delivered_per_s']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['server_cpu_share']:.0%} |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    return [await run(kind, args.sessions, args.rate, args.seconds) for kind in ("bare", "ctid")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench sessions")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second in all")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="1,000 sessions, 5 s")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.seconds = 1_000, 5.0
    # This process holds a socket per session, and so does each server (the
    # children inherit the raised limit).
    limit = raise_limit()
    if limit < args.sessions + 256:
        parser.error(f"the open file limit is {limit}: too low for {args.sessions} sessions")
    results = trio.run(main_async, args)
    print(json.dumps(results, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
