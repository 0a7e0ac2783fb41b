"""Fairness: a healthy session's request round trip, alone and beside 40 hostile connections.

Run: ``python -m bench fairness`` (``--help`` for the knobs). ctid runs in a
child process (``bench.servers``, the simulator, no traffic); the clients run
here. The healthy client logs in and sends ``session.ping`` requests one after
the other; the round trip of each is measured:

1. alone (no other connection), then
2. while ``--hostile`` connections (40) each send frames of the largest size
   the server accepts (``[api] max_message_bytes``, 1 MiB), back to back, as
   fast as the server reads them. Each frame is a JSON-RPC request padded to
   the limit, so the server has to read, unmask and decode the whole of it.
   Hostile clients log in first (``--hostile-login``, the default: a stolen or
   buggy client, the worst case) or not (``--no-hostile-login``), and read and
   discard whatever comes back; one the server closes connects again.

Reported: p50/p99/max of the healthy round trips in each phase and the bytes
per second the hostile connections got the server to take.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import trio

from .api import Client, Server, cpu_seconds, percentile
from .servers import TOKEN

MAX_MESSAGE_BYTES = 1 << 20


def masked_frame(payload: bytes) -> bytes:
    """One client text frame carrying ``payload``, masked with the all-zero key.

    A zero key is a legal mask (RFC 6455 §5.3 asks for unpredictable keys to
    protect proxies, not servers) and leaves the payload as it is, so the same
    bytes can be sent again and again without this client spending its CPU on
    masking.
    """
    n = len(payload)
    if n < 126:
        head = bytes((0x81, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x81, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


def hostile_frame(size: int) -> bytes:
    """A JSON-RPC request padded to ``size`` bytes."""
    shell = '{"jsonrpc":"2.0","id":1,"method":"session.ping","params":{"pad":"%s"}}'
    pad = size - len(shell % "")
    return masked_frame((shell % ("x" * pad)).encode())


class Hostile:
    """One hostile connection: sends ``frame`` in a loop, reconnects when dropped."""

    def __init__(self, port: int, frame: bytes, login: bool) -> None:
        self.port = port
        self.frame = frame
        self.login = login
        self.sent = 0
        self.connections = 0

    async def run(self) -> None:
        while True:
            client = await Client.connect(self.port)
            self.connections += 1
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(client.read_loop)
                    if self.login:
                        await client.request("session.login", {"token": TOKEN})
                    client.replies.clear()
                    while True:
                        await client.stream.send_all(self.frame)
                        self.sent += len(self.frame)
                        client.replies.clear()
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            finally:
                await trio.aclose_forcefully(client.stream)


async def _pings(client: Client, count: int, seconds: float) -> list[float]:
    """Round trips of up to ``count`` requests, for at most ``seconds``."""
    times: list[float] = []
    with trio.move_on_after(seconds):
        for i in range(count):
            t0 = time.perf_counter()
            reply = await client.request("session.ping", None, i)
            times.append(time.perf_counter() - t0)
            assert "result" in reply, reply
    return times


def _summary(phase: str, times: list[float]) -> dict[str, Any]:
    return {
        "phase": phase,
        "requests": len(times),
        "p50_ms": percentile(times, 0.5) * 1000,
        "p99_ms": percentile(times, 0.99) * 1000,
        "max_ms": max(times) * 1000,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    server = Server("ctid", extensions=10, rate=0)
    results: dict[str, Any] = {"hostile": args.hostile, "hostile_login": args.hostile_login}
    try:
        async with trio.open_nursery() as nursery:
            healthy = await Client.connect(server.port)
            nursery.start_soon(healthy.read_loop)
            await healthy.request("session.login", {"token": TOKEN})
            await _pings(healthy, 200, args.seconds)  # warm-up
            alone = _summary("alone", await _pings(healthy, args.requests, args.seconds))

            frame = hostile_frame(args.frame_bytes)
            hostiles = [
                Hostile(server.port, frame, args.hostile_login) for _ in range(args.hostile)
            ]
            async with trio.open_nursery() as attack:
                for h in hostiles:
                    attack.start_soon(h.run)
                await trio.sleep(1.0)  # every hostile connection is sending
                sent0 = sum(h.sent for h in hostiles)
                cpu0 = cpu_seconds(server.proc.pid)
                started = time.perf_counter()
                loaded = _summary(
                    f"beside {args.hostile} hostile",
                    await _pings(healthy, args.requests, args.seconds),
                )
                elapsed = time.perf_counter() - started
                loaded["hostile_mb_per_s"] = (sum(h.sent for h in hostiles) - sent0) / elapsed / 1e6
                loaded["server_cpu_share"] = (cpu_seconds(server.proc.pid) - cpu0) / elapsed
                loaded["hostile_connections"] = sum(h.connections for h in hostiles)
                attack.cancel_scope.cancel()
            results["phases"] = [alone, loaded]
            nursery.cancel_scope.cancel()
    finally:
        server.stop()
    return results


def report(results: dict[str, Any]) -> str:
    lines = [
        f"Hostile connections: {results['hostile']} "
        f"({'logged in' if results['hostile_login'] else 'not logged in'}).",
        "",
        "| healthy client | requests | p50 ms | p99 ms | max ms | hostile MB/s taken "
        "| server CPU | hostile connections made |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["phases"]:
        lines.append(
            f"| {r['phase']} | {r['requests']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{r['max_ms']:.2f} | {r.get('hostile_mb_per_s', 0):.1f} | "
            f"{r.get('server_cpu_share', 0):.0%} | {r.get('hostile_connections', 0)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench fairness")
    parser.add_argument("--hostile", type=int, default=40)
    parser.add_argument("--hostile-login", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--frame-bytes",
        type=int,
        default=MAX_MESSAGE_BYTES,
        help="payload of each hostile frame (default: the server's max_message_bytes)",
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="longest a phase runs (bounds the time)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = trio.run(main_async, args)
    print(json.dumps(results, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
