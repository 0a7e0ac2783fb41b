"""What a ``kill -9`` keeps of the webhook events: every event published before it.

docs/webhooks.md ("What survives a kill -9") states the guarantee: an event is kept
from the moment the bus's tap has appended it to the journal (one ``os.write``, in
the publish call itself), whether the outbox writer has committed it or not. Here
the first service is stopped dead, as a SIGKILL stops it (no flush, no shutdown
step: its tasks are cancelled and its memory dropped; the journal's writes are
unbuffered, so its file holds what a killed process's would). The moment is
chosen by holding one of the service's blocking calls (the outbox commit, the
release of the journal after it) until the kill, so no sleeping is involved. A
second service on the same database and journal then delivers to a real HTTP
server on port 0. ``test_kill.py`` does the same with a real process and a real
SIGKILL; ``test_journal.py`` tests the journal's file format on its own.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import trio
from sqlalchemy.engine import Engine

from ctid.blocking import in_thread
from ctid.clock import WallClock
from ctid.webhooks import outbox
from ctid.webhooks.journal import Entry, encode, parse
from ctid.webhooks.metrics import webhook_metrics
from ctid.webhooks.service import WebhookService
from ctid.webhooks.spec import WebhookSpec

from .receiver import Receiver
from .test_delivery import ANCHOR, GUARD, SECRET, Waits, body_events, delivered_ids, event, spec

T = TypeVar("T")


class Gate:
    """The service's blocking calls; a call to a function named in ``held`` waits until
    the test lets it go (or forever: the kill comes first)."""

    def __init__(self) -> None:
        self.held: set[str] = set()
        self.reached = trio.Event()
        self.go = trio.Event()

    async def __call__(
        self, fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
    ) -> T:
        if getattr(fn, "__name__", "") in self.held:
            self.reached.set()
            await self.go.wait()
        return await in_thread(fn, *args, limiter=limiter)


def service(
    engine: Engine,
    url: str,
    prefix: str,
    journal: Path,
    *,
    gate: Gate | None = None,
    specs: tuple[WebhookSpec, ...] = (),
) -> WebhookService:
    return WebhookService(
        engine=engine,
        clock=WallClock(anchor_wall=ANCHOR, anchor_trio=trio.current_time()),
        run_prefix=prefix,
        specs=specs or (spec(url),),
        secrets={"CRM_SECRET": SECRET}.get,
        rng=lambda: 0.5,
        sleep=Waits(),
        blocking=gate or in_thread,
        journal_dir=journal,
    )


@asynccontextmanager
async def serving(*receivers: Receiver) -> AsyncIterator[None]:
    """The receivers (real HTTP servers on port 0) for the block, which ``GUARD`` bounds."""
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as servers:
            for receiver in receivers:
                await receiver.start(servers)
            yield
            servers.cancel_scope.cancel()


@asynccontextmanager
async def running(hooks: WebhookService) -> AsyncIterator[None]:
    """``hooks`` running for the block; its end stops it dead, as a SIGKILL does (its
    tasks cancelled, no flush, no shutdown step)."""
    async with trio.open_nursery() as process:
        await process.start(hooks.run)
        yield
        process.cancel_scope.cancel()


def outbox_ids(engine: Engine, webhook: str = "crm") -> list[str]:
    return [s.event_id for s in outbox.next_batch(engine, webhook, 100)]


def journalled(directory: Path) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for path in sorted(directory.glob("*.journal")):
        data = path.read_bytes()
        entries, good = parse(data)
        assert good == len(data)
        out.extend((e.event_id, e.webhooks) for e in entries)
    return out


def calls_of(receiver: Receiver) -> list[str]:
    return [e["params"]["clearedCall"]["callID"] for r in receiver.accepted for e in body_events(r)]


async def test_events_published_before_a_kill_are_delivered_after_it_even_uncommitted(
    engine: Engine, tmp_path: Path
) -> None:
    # The first run's receiver never answers: everything stays in the outbox (and the
    # kill finds the sender waiting for an answer, its request sent).
    down = Receiver(lambda request: None)
    up = Receiver()
    journal = tmp_path / "webhooks"
    gate = Gate()
    async with serving(down, up):
        first = service(engine, down.url, "t1", journal, gate=gate)
        async with running(first):
            for n in (1, 2, 3):
                first.on_published(event(n), ())
            await first.wait_written()
            assert outbox_ids(engine) == ["t1-e1", "t1-e2", "t1-e3"]
            await down.wait_for(lambda: len(down.requests) >= 1)
            # The writer's next commit never finishes: event 4 is being written,
            # event 5 waits behind it. Neither is in the outbox at the kill.
            gate.held.add("append")
            first.on_published(event(4), ())
            await gate.reached.wait()
            first.on_published(event(5), ())
            assert first.hooks["crm"].writing == 1
            assert first.hooks["crm"].waiting == 2
            # kill -9 (the block ends): nothing more runs in this process.

        assert outbox_ids(engine) == ["t1-e1", "t1-e2", "t1-e3"]
        # Committed events' segments are gone; 4 (taken by the blocked pass) and 5
        # (published during it, so in the next segment) are on disk.
        assert journalled(journal) == [("t1-e4", ("crm",)), ("t1-e5", ("crm",))]
        assert len(list(journal.glob("*.journal"))) == 2
        second = service(engine, up.url, "t2", journal)
        async with running(second):
            # Recovered before anything new: in the outbox once started.
            assert outbox_ids(engine) == ["t1-e1", "t1-e2", "t1-e3", "t1-e4", "t1-e5"]
            assert second.hooks["crm"].backlog == 5
            assert journalled(journal) == []
            await second.wait_until(lambda: second.hooks["crm"].delivery.delivered == 5)
            second.on_published(event(6), ())
            await second.wait_until(lambda: second.hooks["crm"].delivery.delivered == 6)

    # The batch the dead receiver held is delivered after the restart with the same
    # ids, followed by the two that were never committed, in publication order.
    assert [e["id"] for e in body_events(down.requests[0])] == ["t1-e1", "t1-e2", "t1-e3"]
    assert delivered_ids(up) == ["t1-e1", "t1-e2", "t1-e3", "t1-e4", "t1-e5", "t2-e1"]
    assert calls_of(up) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert json.loads(up.accepted[0].body)["webhook"] == "crm"
    assert outbox.backlogs(engine) == {}
    # Only the segment the second run writes to now is left (event 6's is released).
    assert journalled(journal) == []


async def test_journalled_events_the_outbox_has_are_not_added_again(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = Receiver(lambda request: None)
    up = Receiver()
    journal = tmp_path / "webhooks"
    gate = Gate()
    async with serving(down, up):
        first = service(engine, down.url, "t1", journal, gate=gate)
        async with running(first):
            # Killed after the commit of 1-3 but before their segment is deleted;
            # 4 is published meanwhile and committed by nobody.
            gate.held.add("release")
            for n in (1, 2, 3):
                first.on_published(event(n), ())
            await gate.reached.wait()
            first.on_published(event(4), ())

        assert outbox_ids(engine) == ["t1-e1", "t1-e2", "t1-e3"]
        assert [i for i, _ in journalled(journal)] == ["t1-e1", "t1-e2", "t1-e3", "t1-e4"]
        second = service(engine, up.url, "t2", journal)
        with caplog.at_level(logging.INFO, logger="ctid.webhooks.service"):
            async with running(second):
                assert outbox_ids(engine) == ["t1-e1", "t1-e2", "t1-e3", "t1-e4"]
                assert second.hooks["crm"].backlog == 4
                await second.wait_until(lambda: second.hooks["crm"].delivery.delivered == 4)

    assert delivered_ids(up) == ["t1-e1", "t1-e2", "t1-e3", "t1-e4"]
    assert calls_of(up) == ["c1", "c2", "c3", "c4"]
    assert "webhooks: 4 event(s) recovered from the journal, 1 of them not yet in the outbox" in [
        r.getMessage() for r in caplog.records
    ]
    assert outbox.backlogs(engine) == {}


async def test_a_torn_entry_is_dropped_and_events_of_a_removed_webhook_skipped(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    up = Receiver()
    journal = tmp_path / "webhooks"
    gate = Gate()
    erp = spec("http://127.0.0.1:9/unused", name="erp", secret_env="OTHER_SECRET", enabled=False)
    async with serving(up):
        first = service(engine, up.url, "t1", journal, gate=gate, specs=(spec(up.url), erp))
        gate.held.add("append")
        async with running(first):
            for n in (1, 2, 3):
                first.on_published(event(n), ())
            await gate.reached.wait()
        assert journalled(journal) == [(f"t1-e{n}", ("crm", "erp")) for n in (1, 2, 3)]
        # Killed in the middle of writing event 4: half its frame is on disk.
        last = sorted(journal.glob("*.journal"))[-1]
        torn = encode(
            Entry("t1-e4", ("crm", "erp"), "CallClearedEvent", "{}", "2027-01-15T10:00:04.000Z")
        )
        last.write_bytes(last.read_bytes() + torn[: len(torn) // 2])
        size = last.stat().st_size

        # The next start has only "crm": erp's copies are not put anywhere.
        second = service(engine, up.url, "t2", journal)
        with caplog.at_level(logging.WARNING, logger="ctid.webhooks.journal"):
            async with running(second):
                assert outbox.backlogs(engine) == {"crm": 3}
                await second.wait_until(lambda: second.hooks["crm"].delivery.delivered == 3)

    assert delivered_ids(up) == ["t1-e1", "t1-e2", "t1-e3"]
    assert calls_of(up) == ["c1", "c2", "c3"]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == (
        f"webhook journal {last}: dropped {len(torn) // 2} bytes of a torn or corrupt entry "
        f"at offset {size - len(torn) // 2} (ctid was stopped in the middle of writing it)"
    )


def journal_failures(service: WebhookService) -> float:
    for metric in webhook_metrics(service):
        if metric.name == "ctid_webhook_journal_failures":
            (sample,) = metric.samples
            return sample.value
    raise AssertionError("no ctid_webhook_journal_failures metric")


async def test_an_unwritable_journal_never_stops_publishing(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    up = Receiver()
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory should be")
    async with serving(up):
        hooks = service(engine, up.url, "t1", blocker / "webhooks")
        with caplog.at_level(logging.ERROR, logger="ctid.webhooks.journal"):
            async with running(hooks):
                for n in (1, 2, 3):
                    hooks.on_published(event(n), ())
                await hooks.wait_until(lambda: hooks.hooks["crm"].delivery.delivered == 3)
    # Delivered the old way, through memory and the outbox.
    assert delivered_ids(up) == ["t1-e1", "t1-e2", "t1-e3"]
    assert calls_of(up) == ["c1", "c2", "c3"]
    assert hooks.journal is not None and not hooks.journal.healthy
    # The failed open, each event's failed write and each writer pass's failed rotate.
    assert journal_failures(hooks) == hooks.journal.failures >= 4
    (error,) = [r.getMessage() for r in caplog.records]
    assert error.startswith(f"webhook journal: cannot read {blocker / 'webhooks'}: [Errno 20]")


async def test_a_full_disk_mid_run_loses_no_event_and_the_journal_comes_back(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    up = Receiver()
    journal = tmp_path / "webhooks"
    gate = Gate()
    async with serving(up):
        hooks = service(engine, up.url, "t1", journal, gate=gate)
        with caplog.at_level(logging.INFO, logger="ctid.webhooks.journal"):
            async with running(hooks):
                assert hooks.journal is not None
                fd = hooks.journal._fd
                assert fd is not None
                # The segment's descriptor answers ENOSPC from now on, as on a full disk.
                full = os.open("/dev/full", os.O_WRONLY)
                os.dup2(full, fd)
                os.close(full)
                hooks.on_published(event(1), ())
                assert not hooks.journal.healthy
                assert journal_failures(hooks) == 1
                await hooks.wait_until(lambda: hooks.hooks["crm"].delivery.delivered == 1)
                # The writer's pass opened a new segment: journalled again.
                assert hooks.journal.healthy
                gate.held.add("append")
                hooks.on_published(event(2), ())
                await gate.reached.wait()
                assert journalled(journal) == [("t1-e2", ("crm",))]
                gate.go.set()
                await hooks.wait_until(lambda: hooks.hooks["crm"].delivery.delivered == 2)
    assert delivered_ids(up) == ["t1-e1", "t1-e2"]
    assert journal_failures(hooks) == 1
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("webhook journal: cannot write to ")
    assert "[Errno 28]" in messages[0]
    assert messages[1].startswith("webhook journal: writing again, to ")
