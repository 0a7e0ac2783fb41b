"""``python -m bench webhooks``: events/s through the webhook outbox to a local receiver,
against the naive way (one signed HTTP POST per event, made by the caller).

Both run in this process against the same local HTTP receiver (h11 on a trio
socket, answering 200 to everything), so the receiver's cost is in both:

* **outbox**: ``WebhookService`` as the daemon runs it: the bus tap queues
  each event (measured: its cost per event on the call path), the writer
  commits them to a real SQLite file with ctid's settings (WAL,
  ``synchronous=FULL``) in a worker thread, the sender POSTs signed batches of
  ``batch_max`` events over one keep-alive connection and deletes what was
  acknowledged. Throughput is from the first event published to the last
  one acknowledged and deleted.
* **outbox + journal** (the daemon's way since issue 13's journal): the same,
  with each event also appended by the tap to the webhook journal (one
  ``os.write``, no fsync); and **outbox + journal + fsync**, what an fsync per
  event would cost (fewer events: it is slow).
* **naive**: for each event, sign and POST it alone over a keep-alive
  connection and wait for the answer: what a publisher without an outbox
  does, with nothing durable and the caller waiting on the receiver.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import h11
import httpx
import trio
import trio.lowlevel

from ctid.bus import Published
from ctid.clock import WallClock
from ctid.records import db
from ctid.webhooks.outbox import Stored
from ctid.webhooks.service import WebhookService, batch_body
from ctid.webhooks.signing import sign
from ctid.webhooks.spec import WebhookSpec

SECRET = "bench-webhook-secret-0123456789"


class Receiver:
    """Answers 200 to every POST; counts the events it got."""

    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0
        self.url = ""

    async def start(self, nursery: trio.Nursery) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.url = f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}/hook"
        nursery.start_soon(trio.serve_listeners, self._serve, listeners)

    async def _serve(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        async with stream:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await stream.receive_some(1 << 16)
                    if not data:
                        return
                    conn.receive_data(data)
                elif isinstance(event, h11.Data):
                    self.bytes += len(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    self.requests += 1
                    reply = conn.send(
                        h11.Response(status_code=200, headers=[("content-length", "0")])
                    )
                    await stream.send_all((reply or b"") + (conn.send(h11.EndOfMessage()) or b""))
                    conn.start_next_cycle()
                elif isinstance(event, h11.ConnectionClosed):
                    return


def _event(n: int) -> Published:
    # A DeliveredEvent's params as the model makes them (about 300 bytes of JSON).
    return Published(
        name="DeliveredEvent",
        params={
            "connection": {"callID": f"b1-c{n}", "deviceID": "1001"},
            "alertingDevice": "1001",
            "callingDevice": "+15550100",
            "calledDevice": "8001",
            "lastRedirectionDevice": "8001",
            "cause": "newCall",
            "trunk": "T/1",
            "userData": {"account": "A-10023", "language": "en"},
        },
        timestamp="2027-01-15T08:00:00.000Z",
        devices=("1001", "+15550100"),
    )


async def _outbox(
    path: Path, receiver: Receiver, events: int, batch: int, journal: str = "off"
) -> dict[str, float]:
    await trio.Path(path).mkdir()
    engine = db.make_engine(db.sqlite_url(path / "ctid.db"))
    db.prepare(engine)
    spec = WebhookSpec(
        name="bench", url=receiver.url, secret_env="BENCH_SECRET", events=("*",), batch_max=batch
    )
    service = WebhookService(
        engine=engine,
        clock=WallClock.start(),
        run_prefix="b1",
        specs=[spec],
        secrets={"BENCH_SECRET": SECRET}.get,
        journal_dir=None if journal == "off" else path / "webhooks",
        journal_fsync=journal == "fsync",
    )
    published = [_event(n) for n in range(events)]
    hook = service.hooks["bench"]
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        started = time.perf_counter()
        tap = 0.0
        # In slices, as calls would publish them, letting the writer and sender run between.
        for first in range(0, events, 500):
            t0 = time.perf_counter()
            for event in published[first : first + 500]:
                service.on_published(event, ())
            tap += time.perf_counter() - t0
            await trio.lowlevel.checkpoint()
        await service.wait_until(lambda: hook.delivery.delivered == events and hook.backlog == 0)
        elapsed = time.perf_counter() - started
        nursery.cancel_scope.cancel()
    engine.dispose()
    return {"seconds": elapsed, "rate": events / elapsed, "tap_us": tap / events * 1e6}


def _tap_alone(path: Path, events: int, journal: bool) -> float:
    """The tap's cost per event in microseconds with no writer or sender running (the
    events only queue): what publication itself costs, without the threads' GIL."""
    path.mkdir()
    spec = WebhookSpec(name="bench", url="http://127.0.0.1:9/", secret_env="X", events=("*",))
    service = WebhookService(
        engine=db.make_engine("sqlite://"),
        clock=WallClock.start(),
        run_prefix="b1",
        specs=[spec],
        journal_dir=path / "webhooks" if journal else None,
    )
    if service.journal is not None:
        service.journal.open()
    published = [_event(n) for n in range(events)]
    started = time.perf_counter()
    for event in published:
        service.on_published(event, ())
    elapsed = time.perf_counter() - started
    if service.journal is not None:
        service.journal.close()
    return elapsed / events * 1e6


async def _naive(receiver: Receiver, events: int) -> dict[str, float]:
    published = [_event(n) for n in range(events)]
    clock = WallClock.start()
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for n, event in enumerate(published):
            body = batch_body(
                "bench",
                [Stored(n, f"b1-e{n}", event.name, json.dumps(event.params), event.timestamp)],
            )
            headers = {
                "Content-Type": "application/json",
                "X-Ctid-Signature": sign(SECRET.encode(), int(clock.now()), body),
            }
            response = await client.post(receiver.url, content=body, headers=headers)
            assert response.status_code == 200
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "rate": events / elapsed, "tap_us": elapsed / events * 1e6}


async def _main(events: int, naive_events: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with trio.open_nursery() as nursery:
            receiver = Receiver()
            await receiver.start(nursery)
            naive = await _naive(receiver, naive_events)
            outbox = await _outbox(Path(tmp) / "off", receiver, events, batch)
            journal = await _outbox(Path(tmp) / "on", receiver, events, batch, "on")
            fsync_events = max(events // 25, 500)
            fsynced = await _outbox(Path(tmp) / "fsync", receiver, fsync_events, batch, "fsync")
            nursery.cancel_scope.cancel()
        tap_off = _tap_alone(Path(tmp) / "tap-off", events, journal=False)
        tap_on = _tap_alone(Path(tmp) / "tap-on", events, journal=True)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(
        f"outbox (SQLite, batch {batch:4d}) : {outbox['rate']:9,.0f} events/s "
        f"({events:,} events in {outbox['seconds']:.2f} s); "
        f"call path {outbox['tap_us']:.2f} us/event"
    )
    print(
        f"outbox + journal             : {journal['rate']:9,.0f} events/s "
        f"({events:,} events in {journal['seconds']:.2f} s); "
        f"call path {journal['tap_us']:.2f} us/event"
    )
    print(
        f"outbox + journal + fsync     : {fsynced['rate']:9,.0f} events/s "
        f"({fsync_events:,} events in {fsynced['seconds']:.2f} s); "
        f"call path {fsynced['tap_us']:.2f} us/event"
    )
    print(
        f"the tap alone, {events:,} events: {tap_off:.2f} us/event without the journal, "
        f"{tap_on:.2f} us/event with it"
    )
    print(
        f"naive, one POST per event    : {naive['rate']:9,.0f} events/s "
        f"({naive_events:,} events in {naive['seconds']:.2f} s); "
        f"caller waits {naive['tap_us']:.0f} us/event"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench webhooks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--batch", type=int, default=100, help="batch_max (default 100)")
    args = parser.parse_args(argv)
    events, naive = (2_000, 500) if args.quick else (50_000, 5_000)
    trio.run(_main, events, naive, args.batch)
