"""The two servers under test, each run in its own process by the benchmark driver.

* ``ctid``: the real daemon on the simulator, plus a *pump* that drives phones
  and outside callers in-process (ring, answer, hang up), so events come from
  the real call model, bus and API at a controlled rate.
* ``bare``: a plain trio-websocket server that sends a ready-made event of
  the same size to every connected client at the same rate, and answers each
  request with a small reply: the transport's own cost, for comparison.

Both print ``READY <port>`` on stdout once listening and stop on SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import deque
from typing import Any

import trio
import trio.lowlevel

TOKEN = "bench-token-0123456789abcdef"
FLAT_OUT_BURST = 20
#: Call records on (as deployed) or off (the API path alone): ``bench api --records``.
RECORDS = os.environ.get("CTID_BENCH_RECORDS", "1") == "1"
BARE_QUEUE = 256


async def _pump_ticks(rate: float, tick: Any) -> None:
    """Call ``tick()`` ``rate`` times a second (0: as fast as the loop allows)."""
    if rate <= 0:
        while True:
            # Flat out: several steps per scheduler pass, so producing events is
            # not what limits a saturation run.
            for _ in range(FLAT_OUT_BURST):
                tick()
            await trio.lowlevel.checkpoint()
    interval = 1.0 / rate
    deadline = trio.current_time()
    while True:
        # Ticks are batched per wake-up: a timer per tick would cost more than the tick.
        now = trio.current_time()
        due = max(1, math.floor((now - deadline) / interval) + 1)
        for _ in range(min(due, 1000)):
            tick()
        deadline += due * interval
        await trio.sleep_until(deadline)


async def run_ctid(
    port: int, extensions: int, rate: float, state_dir: str, max_connections: int = 10_000
) -> None:
    from ctid.app import App
    from ctid.calls.events import ConnectionClearedEvent, DeliveredEvent, EstablishedEvent
    from ctid.config import config_from_dict
    from ctid.switch_drivers.simulator.core import SimError
    from ctid.switch_drivers.simulator.driver import SimulatorDriver

    first = 1001
    last = first + extensions - 1
    config = config_from_dict(
        {
            "server": {
                "listen": f"127.0.0.1:{port}",
                "log_level": "warning",
                "state_dir": state_dir,
                # Every benchmark client comes from 127.0.0.1.
                "max_connections": max_connections,
                "max_connections_per_address": max_connections,
            },
            "api": {"ping_interval": 0},
            "records": {"enabled": RECORDS},
            "events": {"max_pending": 100_000, "replay_events": 100_000},
            "switch": {
                "driver": "simulator",
                "simulator": {"extensions": f"{first}-{last}", "trunks": min(extensions + 8, 1000)},
            },
        }
    )
    app = App(config, admin_token=TOKEN)
    async with trio.open_nursery() as nursery:
        await nursery.start(app.run)
        print(f"READY {app.addresses[0][1]}", flush=True)
        sim = app.driver
        assert isinstance(sim, SimulatorDriver)
        exts = {str(first + i) for i in range(extensions)}
        # Each extension's next step, queued when the CSTA event of the previous
        # step comes out of the call model: ring it, answer it, hang it up.
        ready: deque[tuple[str, str]] = deque((str(first + i), "ring") for i in range(extensions))
        more = [trio.Event()]

        def on_event(emitted: Any) -> None:
            event = emitted.event
            step = None
            if isinstance(event, DeliveredEvent) and event.alerting_device in exts:
                step = (event.alerting_device, "answer")
            elif isinstance(event, EstablishedEvent) and event.answering_device in exts:
                step = (event.answering_device, "hangup")
            elif isinstance(event, ConnectionClearedEvent) and event.releasing_device in exts:
                step = (event.releasing_device, "ring")
            if step is not None:
                ready.append(step)
                more[0].set()

        app.calls.event_sinks.append(on_event)

        def tick() -> None:
            if not ready:
                return
            ext, action = ready.popleft()
            try:
                if action == "ring":
                    sim.incoming_call(f"555{ext:>07}", ext)
                elif action == "answer":
                    sim.off_hook(ext)
                else:
                    sim.on_hook(ext)
            except SimError:
                ready.append((ext, action))

        async def flat_out() -> None:
            while True:
                while ready:
                    tick()
                    await trio.lowlevel.checkpoint()
                more[0] = trio.Event()
                await more[0].wait()

        await _wait_for_go()
        if rate <= 0:
            await flat_out()
        else:
            await _pump_ticks(rate, tick)


async def _wait_for_go() -> None:
    """The driver writes a line on stdin when the clients are connected."""
    await trio.to_thread.run_sync(sys.stdin.readline)


EVENT = {
    "jsonrpc": "2.0",
    "method": "DeliveredEvent",
    "params": {
        "monitorCrossRefID": "m1",
        "seq": 1,
        "localConnectionInfo": "alerting",
        "timestamp": "",
        "connection": {"callID": "3lhmu8t-c1", "deviceID": "1002"},
        "alertingDevice": "1002",
        "callingDevice": "+15550001234",
        "calledDevice": "1002",
        "trunk": "T/1",
        "cause": "newCall",
        "userData": {"customer": "C-42"},
    },
}


async def run_bare(port: int, rate: float, fanout: str) -> None:
    """A bare trio-websocket server: fan a ready-made event out, answer requests."""
    from trio_websocket import ConnectionClosed, WebSocketRequest, serve_websocket

    from ctid.clock import format_iso

    clients: list[trio.MemorySendChannel[str]] = []

    async def handler(request: WebSocketRequest) -> None:
        ws = await request.accept(subprotocol="ctid.v1.json")
        # Bounded: at saturation the pump waits for the slowest writer, so what
        # is measured is the transport, not a queue growing in memory.
        send, receive = trio.open_memory_channel[str](BARE_QUEUE)
        clients.append(send)
        try:
            async with trio.open_nursery() as nursery:

                async def writer() -> None:
                    async for message in receive:
                        await ws.send_message(message)

                nursery.start_soon(writer)
                while True:
                    text = await ws.get_message()
                    request_id = json.loads(text).get("id")
                    await send.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "result": {}}))
        except ConnectionClosed:
            pass
        finally:
            clients.remove(send)

    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve_websocket, handler, "127.0.0.1", port, None)
        print(f"READY {server.port}", flush=True)
        seq = [0]

        def event() -> str:
            seq[0] += 1
            params = dict(EVENT["params"], seq=seq[0], timestamp=format_iso(time.time()))  # type: ignore[arg-type]
            return json.dumps(dict(EVENT, params=params), separators=(",", ":"))

        def tick() -> None:
            text = event()
            if fanout == "one":
                if clients:
                    clients[seq[0] % len(clients)].send_nowait(text)
            else:
                for client in clients:
                    client.send_nowait(text)

        async def flat_out() -> None:
            while True:
                text = event()
                for client in list(clients):
                    await client.send(text)
                await trio.lowlevel.checkpoint()

        await _wait_for_go()
        if rate <= 0:
            await flat_out()
        else:
            await _pump_ticks(rate, tick)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["ctid", "bare"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--extensions", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0.0, help="ticks per second (0: flat out)")
    parser.add_argument("--fanout", choices=["all", "one"], default="all")
    parser.add_argument("--state-dir", default="", help="ctid's state directory (records)")
    parser.add_argument(
        "--max-connections", type=int, default=10_000, help="ctid's [server] connection limits"
    )
    args = parser.parse_args()
    if args.kind == "ctid":
        trio.run(
            run_ctid, args.port, args.extensions, args.rate, args.state_dir, args.max_connections
        )
    else:
        trio.run(run_bare, args.port, args.rate, args.fanout)


if __name__ == "__main__":
    main()
