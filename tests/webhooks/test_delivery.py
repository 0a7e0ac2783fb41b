"""The webhook service against a real HTTP receiver and a real database (SQLite, PostgreSQL).

Events are fed in through the bus tap as the bus would; the receiver is a
real h11 server on a port-0 socket. Waits between tries go through the
service's ``sleep``, recorded here instead of slept, so retries are
deterministic and cost no wall-clock time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import trio
from sqlalchemy.engine import Engine

from ctid.bus import Published
from ctid.clock import WallClock
from ctid.webhooks import outbox
from ctid.webhooks.policy import BACKOFF_MAX, batch_id
from ctid.webhooks.service import WebhookService
from ctid.webhooks.spec import WebhookSpec

from .receiver import Receiver, Request

SECRET = "whsec-test-0123456789"
GUARD = 30.0
ANCHOR = 1_800_000_000.0


def spec(url: str, **kw: Any) -> WebhookSpec:
    values: dict[str, Any] = {
        "name": "crm",
        "url": url,
        "secret_env": "CRM_SECRET",
        "events": ("CallClearedEvent",),
    }
    values.update(kw)
    return WebhookSpec(**values)


def event(n: int, name: str = "CallClearedEvent", **params: Any) -> Published:
    return Published(
        name=name,
        params={"clearedCall": {"callID": f"c{n}"}, **params},
        timestamp=f"2027-01-15T10:00:{n % 60:02d}.000Z",
        devices=("1001",),
    )


@attrs.define
class Waits:
    """The service's sleeps, recorded; each returns at once (after letting others run)."""

    delays: list[float] = attrs.Factory(list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await trio.lowlevel.checkpoint()


@asynccontextmanager
async def running(
    engine: Engine, *specs: WebhookSpec, waits: Waits | None = None
) -> AsyncIterator[WebhookService]:
    service = WebhookService(
        engine=engine,
        clock=WallClock(anchor_wall=ANCHOR, anchor_trio=trio.current_time()),
        run_prefix="t1",
        specs=specs,
        secrets={"CRM_SECRET": SECRET, "OTHER_SECRET": "other-secret-0123"}.get,
        rng=lambda: 0.5,
        sleep=waits or Waits(),
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        yield service
        nursery.cancel_scope.cancel()


def body_events(request: Request) -> list[dict[str, Any]]:
    data = json.loads(request.body)
    events: list[dict[str, Any]] = data["events"]
    return events


def delivered_ids(receiver: Receiver) -> list[str]:
    return [e["id"] for r in receiver.accepted for e in body_events(r)]


async def test_a_batch_is_signed_and_shaped_as_documented(engine: Engine) -> None:
    receiver = Receiver()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            async with running(engine, spec(receiver.url)) as service:
                service.on_published(event(1), ())
                service.on_published(event(2, name="DeliveredEvent"), ())  # not wanted
                service.on_published(event(3), ())
                await service.wait_until(lambda: service.hooks["crm"].delivery.delivered == 2)
                status = service.status(service.hooks["crm"])
            nursery.cancel_scope.cancel()
    request = receiver.requests[0]
    assert request.method == "POST"
    assert request.target == "/hook"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert body == {
        "webhook": "crm",
        "events": [
            {
                "id": "t1-e1",
                "method": "CallClearedEvent",
                "params": {"clearedCall": {"callID": "c1"}},
                "timestamp": "2027-01-15T10:00:01.000Z",
            },
            {
                "id": "t1-e2",
                "method": "CallClearedEvent",
                "params": {"clearedCall": {"callID": "c3"}},
                "timestamp": "2027-01-15T10:00:03.000Z",
            },
        ],
    }
    # The signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">.
    header = request.headers["x-ctid-signature"]
    t_part, v1_part = header.split(",")
    stamp = t_part.removeprefix("t=")
    assert int(ANCHOR) <= int(stamp) <= ANCHOR + GUARD
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256)
    assert v1_part == f"v1={expected.hexdigest()}"
    assert request.headers["x-ctid-delivery"].startswith("d-")
    assert status["backlog"] == 0
    assert status["delivered"] == 2
    assert status["dropped"] == 0
    assert status["failures"] == 0
    assert status["lastError"] is None
    assert status["nextRetry"] is None
    assert status["lastSuccess"] is not None


async def test_a_failing_receiver_gets_the_same_batch_until_it_recovers(engine: Engine) -> None:
    """Order and retries: 3 failures (500, 503, 404), then 200; the events published
    meanwhile wait behind the failed batch and follow it in order."""
    answers = iter([500, 503, 404])
    receiver = Receiver(lambda request: next(answers, 200))
    waits = Waits()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            hook_spec = spec(receiver.url, batch_max=3)
            async with running(engine, hook_spec, waits=waits) as service:
                for n in range(1, 4):
                    service.on_published(event(n), ())
                await receiver.wait_for(lambda: len(receiver.requests) >= 1)
                for n in range(4, 9):
                    service.on_published(event(n), ())
                await service.wait_until(lambda: service.hooks["crm"].delivery.delivered == 8)
                status = service.status(service.hooks["crm"])
            nursery.cancel_scope.cancel()
    # The first four tries carried the same batch under the same delivery id.
    first = receiver.requests[:4]
    assert len({r.headers["x-ctid-delivery"] for r in first}) == 1
    assert {r.body for r in first} == {first[0].body}
    assert [e["id"] for e in body_events(first[0])] == ["t1-e1", "t1-e2", "t1-e3"]
    # Everything arrived once, in order.
    assert delivered_ids(receiver) == [f"t1-e{n}" for n in range(1, 9)]
    cleared = [
        e["params"]["clearedCall"]["callID"] for r in receiver.accepted for e in body_events(r)
    ]
    assert cleared == [f"c{n}" for n in range(1, 9)]
    # Backoff: 1, 2, 4 s nominal, less the jitter (rng 0.5: an eighth).
    assert waits.delays == [1.0, 1.75, 3.5]
    assert status["failures"] == 3
    assert status["delivered"] == 8
    assert status["lastError"] == "HTTP 404: not now"
    assert status["attempt"] == 0
    assert status["backlog"] == 0


async def test_a_dead_receiver_fills_a_bounded_backlog_and_stalls_nobody(engine: Engine) -> None:
    """A receiver that never answers: its backlog stops at max_backlog (the oldest
    dropped and counted), while another webhook keeps delivering everything."""
    hung = Receiver(lambda request: None)
    good = Receiver()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await hung.start(nursery)
            await good.start(nursery)
            dead = spec(hung.url, name="dead", max_backlog=10, batch_max=5, timeout_seconds=300)
            alive = spec(good.url, name="alive", secret_env="OTHER_SECRET")
            async with running(engine, dead, alive) as service:
                for n in range(1, 31):
                    service.on_published(event(n), ())
                    await trio.lowlevel.checkpoint()
                await service.wait_until(lambda: service.hooks["alive"].delivery.delivered == 30)
                await service.wait_written()
                dead_status = service.status(service.hooks["dead"])
                stored = await trio.to_thread.run_sync(outbox.backlogs, engine)
                waiting = await trio.to_thread.run_sync(outbox.next_batch, engine, "dead", 100)
            nursery.cancel_scope.cancel()
    assert delivered_ids(good) == [f"t1-e{n}" for n in range(1, 31)]
    assert dead_status["backlog"] == 10
    assert dead_status["dropped"] == 20
    assert dead_status["delivered"] == 0
    assert stored == {"dead": 10}
    # The newest ten wait; the first batch (already on its way) was among the oldest.
    assert [row.event_id for row in waiting] == [f"t1-e{n}" for n in range(21, 31)]
    assert len(hung.requests) == 1


async def test_filters_choose_the_events(engine: Engine) -> None:
    receiver = Receiver()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            hook = spec(
                receiver.url,
                events=("Agent*", "queue.*", "record.callClosed"),
                queues=("vip",),
            )
            async with running(engine, hook) as service:
                feed: list[tuple[Published, tuple[str, ...]]] = [
                    (event(1, name="AgentReadyEvent"), ("agent:2001", "queue:vip")),
                    (event(2, name="AgentReadyEvent"), ("agent:2002", "queue:sales")),
                    (event(3, name="queue.figures", queue="vip"), ("queue:vip",)),
                    (event(4, name="queue.figures", queue="sales"), ("queue:sales",)),
                    (event(5, name="record.callClosed", queue="vip"), ()),
                    (event(6, name="record.callClosed", queue=None), ()),
                    (event(7, name="DeliveredEvent"), ("queue:vip",)),
                    (event(8, name="queueFigures"), ("queue:vip",)),
                ]
                for published, topics in feed:
                    service.on_published(published, topics)
                await receiver.wait_for(lambda: len(delivered_ids(receiver)) == 3)
                await service.wait_written()
            nursery.cancel_scope.cancel()
    names = [(e["method"], e["params"]["clearedCall"]["callID"]) for r in receiver.accepted
             for e in body_events(r)]  # fmt: skip
    assert names == [
        ("AgentReadyEvent", "c1"),
        ("queue.figures", "c3"),
        ("record.callClosed", "c5"),
    ]


async def test_a_batch_is_given_up_after_max_retry_hours(engine: Engine) -> None:
    """Every try fails; the service's clock moves with each wait. After max_retry_hours
    the batch is dropped (counted) and the next one is sent."""
    receiver = Receiver(lambda request: 200 if b"c3" in request.body else 500)
    clock = WallClock(anchor_wall=ANCHOR, anchor_trio=0.0)
    now = [ANCHOR]

    class Clock(WallClock):
        def now(self) -> float:
            return now[0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await trio.lowlevel.checkpoint()

    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            service = WebhookService(
                engine=engine,
                clock=Clock(anchor_wall=clock.anchor_wall, anchor_trio=0.0),
                run_prefix="t1",
                specs=[spec(receiver.url, batch_max=2, max_retry_hours=1.0)],
                secrets={"CRM_SECRET": SECRET}.get,
                rng=lambda: 0.0,
                sleep=sleep,
            )
            await nursery.start(service.run)
            for n in (1, 2):
                service.on_published(event(n), ())
            await service.wait_written()
            service.on_published(event(3), ())
            await service.wait_until(lambda: service.hooks["crm"].delivery.delivered == 1)
            status = service.status(service.hooks["crm"])
            nursery.cancel_scope.cancel()
    assert delivered_ids(receiver) == ["t1-e3"]
    # Waits of 1, 2, 4 ... 512 s (1023 s), four of 600 s, then the 177 s left of the
    # hour: the last try is at the hour, then the batch is given up.
    assert now[0] - ANCHOR == 3600.0
    tries = [r for r in receiver.requests if b"c1" in r.body]
    assert len(tries) == 1 + 10 + 4 + 1
    assert status["dropped"] == 2
    assert status["delivered"] == 1
    assert BACKOFF_MAX == 600.0


def test_the_delivery_id_is_the_same_for_the_same_rows() -> None:
    assert batch_id("crm", 1, 3) == batch_id("crm", 1, 3)
    assert batch_id("crm", 1, 3) != batch_id("crm", 1, 4)
    assert batch_id("crm", 1, 3) != batch_id("erp", 1, 3)
