"""The webhook service: events from the bus into the outbox, and from the outbox to receivers.

* ``on_published`` is a bus tap: synchronous, on the call path. It appends
  the event to the pending deque of each webhook that wants it and, with a
  journal (``journal``, the daemon's way), to a file in the state directory
  with one ``os.write`` (no database, no waiting on anyone): from then on a
  ``kill -9`` cannot lose it, and the next start puts what the outbox lacks
  into it before anything new. A dead or slow receiver cannot slow calls or
  the API.
* The **writer** task moves what is pending into the outbox table (one
  transaction per pass, in a worker thread) and trims a webhook's backlog to
  its ``max_backlog``, dropping the oldest events (counted, logged at most once
  a minute per webhook).
* One **sender** task per webhook reads its oldest ``batch_max`` events,
  POSTs them signed, and deletes them on a 2xx. A failure is retried with the
  same rows and the same delivery id, with back-off (``policy``), for up to
  ``max_retry_hours``; the events after it wait. Each sender has its own HTTP
  client, so one receiver's trouble stays its own.

The journal is the durable point against ``kill -9`` (the outbox against the
loss of the machine, once the writer has committed: within one writer pass of
publication); a restart sends on from the oldest event not delivered.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import json
import logging
import os
import random
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
import trio
from sqlalchemy.engine import Engine

from ..blocking import Blocking, in_thread
from ..bus import Published
from ..clock import WallClock, format_iso
from ..records.store import is_outage
from . import journal, outbox, policy
from .signing import HEADER, sign
from .spec import WebhookSpec, from_row, to_row

if TYPE_CHECKING:
    import httpx

__all__ = ["Hook", "WebhookError", "WebhookService"]

log = logging.getLogger(__name__)

#: Seconds between two "events dropped" log lines of one webhook.
DROP_LOG_INTERVAL: Final = 60.0
#: Events the writer moves into the outbox per transaction.
WRITE_BATCH: Final = 5_000
#: First and longest wait before retrying a database that cannot be reached.
DB_RETRY_FIRST: Final = 0.25
DB_RETRY_MAX: Final = 5.0
#: Bytes of a receiver's answer kept for ``webhook.status`` (its error).
ERROR_BODY: Final = 200
USER_AGENT: Final = "ctid-webhooks/1"


class WebhookError(Exception):
    """A webhook request that cannot be done (``reason`` is a short code)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@attrs.define(eq=False)
class Hook:
    """One webhook at run time."""

    spec: WebhookSpec
    #: ``config`` (the file's ``[[webhooks]]``) or ``api`` (stored in the database).
    source: str
    selector: policy.Selector
    delivery: policy.Delivery
    #: Events published and not yet in the outbox.
    pending: collections.deque[outbox.Queued] = attrs.field(factory=collections.deque)
    #: Events being written into the outbox now (taken out of ``pending``).
    writing: int = 0
    #: Events in the outbox (not yet delivered).
    backlog: int = 0
    #: Counts the writer's additions (a sender that found nothing knows whether
    #: rows came meanwhile).
    added: int = 0
    dropped: int = 0
    dropped_logged: int = 0
    drop_logged_at: float = -DROP_LOG_INTERVAL
    wake: trio.Event = attrs.field(factory=trio.Event)
    scope: trio.CancelScope | None = None
    stopped: trio.Event = attrs.field(factory=trio.Event)

    def poke(self) -> None:
        self.wake.set()
        self.wake = trio.Event()

    @property
    def waiting(self) -> int:
        """Events published for this webhook and not yet in the outbox."""
        return len(self.pending) + self.writing

    @property
    def total_backlog(self) -> int:
        """Events published for this webhook and not yet delivered (or dropped)."""
        return self.backlog + self.waiting


class WebhookService:
    """See the module docstring."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: WallClock,
        run_prefix: str,
        specs: Iterable[WebhookSpec] = (),
        blocking: Blocking = in_thread,
        secrets: Callable[[str], str | None] = os.environ.get,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = trio.sleep,
        journal_dir: Path | None = None,
        journal_fsync: bool = False,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.blocking = blocking
        self.secrets = secrets
        self.transport = transport
        self.rng = rng
        #: How a sender waits between tries (tests record the waits instead).
        self.sleep = sleep
        self._ids = (f"{run_prefix}-e{n}" for n in itertools.count(1))
        self.hooks: dict[str, Hook] = {}
        for spec in specs:
            self.hooks[spec.name] = self._hook(spec, "config")
        self._db_limiter = trio.CapacityLimiter(1)
        self._pending_wake = trio.Event()
        self._pending = 0
        self._nursery: trio.Nursery | None = None
        self.db_up = True
        self.db_error: str | None = None
        self._written = trio.Event()
        self._changed = trio.Event()
        #: Where each event is appended at publication (None: memory until the outbox).
        self.journal = (
            journal.Journal(journal_dir, fsync=journal_fsync) if journal_dir is not None else None
        )

    def _hook(self, spec: WebhookSpec, source: str) -> Hook:
        return Hook(
            spec=spec,
            source=source,
            selector=policy.Selector(spec),
            delivery=policy.Delivery(max_retry_seconds=spec.max_retry_hours * 3600.0),
        )

    # ------------------------------------------------------------- the bus tap

    def on_published(self, event: Published, topics: Iterable[str]) -> None:
        """Bus tap (call path): journal ``event`` and queue it for each webhook that wants it."""
        wanted = [
            hook
            for hook in self.hooks.values()
            if hook.selector.wants(event.name, event.params, devices=event.devices, topics=topics)
        ]
        if not wanted:
            return
        # One id per event, the same in every webhook's copy.
        queued_id = next(self._ids)
        params_json: str | None = None
        segment = 0
        if self.journal is not None and self.journal.started:
            params_json = journal.encode_params(event.params)
            entry = journal.Entry(
                queued_id,
                tuple(hook.spec.name for hook in wanted),
                event.name,
                params_json,
                event.timestamp,
            )
            segment = self.journal.write(journal.encode(entry)) or 0
        for hook in wanted:
            if len(hook.pending) >= hook.spec.max_backlog:
                hook.pending.popleft()
                self._pending -= 1
                self._dropped(hook, 1)
            hook.pending.append(
                outbox.Queued(
                    hook.spec.name,
                    queued_id,
                    event.name,
                    event.params,
                    event.timestamp,
                    params_json,
                    segment,
                )
            )
            self._pending += 1
        self._pending_wake.set()

    def _dropped(self, hook: Hook, count: int) -> None:
        """Past ``max_backlog``: count, and log at most once a minute per webhook."""
        hook.dropped += count
        now = trio.current_time()
        if now - hook.drop_logged_at >= DROP_LOG_INTERVAL:
            log.error(
                "webhook %s: backlog over max_backlog = %d, dropped the oldest; %d dropped so far",
                hook.spec.name,
                hook.spec.max_backlog,
                hook.dropped,
            )
            hook.drop_logged_at = now

    # --------------------------------------------------------------------- run

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Open the journal, load the stored webhooks and the backlogs, put what the
        journal recovered into the outbox, then write and send until cancelled."""
        recovered: list[journal.Entry] = []
        if self.journal is not None:
            # First, so that events published while the database is awaited are journalled.
            recovered = await self.blocking(self.journal.open)
        try:
            await self._serve(recovered, task_status)
        finally:
            if self.journal is not None:
                self.journal.close()

    async def _serve(
        self, recovered: list[journal.Entry], task_status: trio.TaskStatus[None]
    ) -> None:
        stored, counts = await self._load()
        for data in stored:
            try:
                spec = from_row(data)
            except ValueError as exc:
                log.error("webhook stored in the database is unreadable, skipped: %s", exc)
                continue
            if spec.name in self.hooks:
                log.error(
                    "webhook %s: in the config file and in the database; using the file's",
                    spec.name,
                )
                continue
            self.hooks[spec.name] = self._hook(spec, "api")
        for name, count in counts.items():
            hook = self.hooks.get(name)
            if hook is not None:
                hook.backlog = count
            else:
                log.warning("webhook %s is gone; its %d waiting event(s) are deleted", name, count)
                await self._db(outbox.drop_all, name)
        if recovered:
            await self._replay(recovered)
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._writer)
            for hook in self.hooks.values():
                self._start(hook)
            task_status.started()

    async def _replay(self, recovered: list[journal.Entry]) -> None:
        """Put the journalled events the outbox lacks into it, in order, before anything new."""
        events = [
            outbox.Queued(name, e.event_id, e.method, None, e.timestamp, e.params)
            for e in recovered
            for name in e.webhooks
            if name in self.hooks
        ]
        delay = DB_RETRY_FIRST
        while True:
            try:
                added: dict[str, int] = await self._db(outbox.append_missing, events)
                break
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._db_down(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, DB_RETRY_MAX)
        for name, count in added.items():
            self.hooks[name].backlog += count
        log.info(
            "webhooks: %d event(s) recovered from the journal, %d of them not yet in the outbox",
            len(recovered),
            sum(added.values()),
        )
        await self._release()

    async def _release(self) -> None:
        """Delete the journal segments that no event waiting for the outbox is in."""
        if self.journal is None:
            return
        keep = self.journal.segment
        for hook in self.hooks.values():
            oldest = next((q.segment for q in hook.pending if q.segment), keep)
            keep = min(keep, oldest)
        try:
            await self.blocking(self.journal.release, keep)
        except OSError as exc:
            log.warning("webhook journal: could not delete committed segments: %s", exc)

    async def _load(self) -> tuple[list[dict[str, Any]], dict[str, int]]:
        delay = DB_RETRY_FIRST
        while True:
            try:
                stored = await self._db(outbox.load_specs)
                counts = await self._db(outbox.backlogs)
                return stored, counts
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._db_down(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, DB_RETRY_MAX)

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.blocking(fn, self.engine, *args, limiter=self._db_limiter)

    def _db_down(self, exc: BaseException) -> None:
        if self.db_up:
            log.error("webhooks: the database is unavailable, events wait in memory: %s", exc)
        self.db_up = False
        self.db_error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__

    def _start(self, hook: Hook) -> None:
        assert self._nursery is not None
        hook.scope = trio.CancelScope()
        hook.stopped = trio.Event()
        self._nursery.start_soon(self._sender, hook)

    async def _stop(self, hook: Hook) -> None:
        if hook.scope is not None:
            hook.scope.cancel()
            await hook.stopped.wait()
            hook.scope = None

    # ------------------------------------------------------------------ writer

    async def _writer(self) -> None:
        delay = DB_RETRY_FIRST
        while True:
            while not self._pending:
                await self._pending_wake.wait()
                self._pending_wake = trio.Event()
            if self.journal is not None:
                # What is published from here on is in a segment this pass does not empty.
                self.journal.rotate()
            batch: list[outbox.Queued] = []
            taken: dict[str, list[outbox.Queued]] = {}
            for hook in self.hooks.values():
                n = min(len(hook.pending), WRITE_BATCH - len(batch))
                if n <= 0:
                    continue
                # Taken out now: the tap may drop from the left meanwhile.
                items = [hook.pending.popleft() for _ in range(n)]
                hook.writing = n
                taken[hook.spec.name] = items
                batch.extend(items)
            try:
                await self._db(outbox.append, batch)
            except Exception as exc:
                for name, items in taken.items():
                    if name in self.hooks:
                        self.hooks[name].writing = 0
                        self.hooks[name].pending.extendleft(reversed(items))
                    else:
                        self._pending -= len(items)
                if not is_outage(exc):
                    raise
                self._db_down(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, DB_RETRY_MAX)
                continue
            if not self.db_up:
                log.info("webhooks: the database is back")
            self.db_up, self.db_error, delay = True, None, DB_RETRY_FIRST
            self._pending -= len(batch)
            done: list[Hook] = []
            for name, items in taken.items():
                written = self.hooks.get(name)
                if written is None:
                    continue  # deleted meanwhile; the next start deletes its rows
                written.writing = 0
                written.backlog += len(items)
                written.added += 1
                done.append(written)
            # The journal's copies are not needed any more; deleted before any trim, so
            # that a kill after it cannot bring trimmed events back.
            await self._release()
            for hook in done:
                excess = policy.overflow(hook.backlog, hook.spec.max_backlog)
                if excess:
                    trimmed = await self._db(outbox.trim, hook.spec.name, excess)
                    hook.backlog -= trimmed
                    self._dropped(hook, trimmed)
                hook.poke()
            self._written.set()
            self._written = trio.Event()
            self._note()

    async def wait_written(self) -> None:
        """Wait until every event published so far is in the outbox (tests, status)."""
        while self._pending:
            await self._written.wait()

    def _note(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds, checked after each change of a webhook's state."""
        while not predicate():
            await self._changed.wait()

    # ------------------------------------------------------------------ sender

    async def _sender(self, hook: Hook) -> None:
        assert hook.scope is not None
        import httpx  # here, not at the top: see _http_error

        try:
            with hook.scope:
                async with httpx.AsyncClient(
                    transport=self.transport,
                    headers={"User-Agent": USER_AGENT},
                    follow_redirects=False,
                ) as client:
                    await self._send_loop(hook, client)
        finally:
            hook.stopped.set()

    async def _send_loop(self, hook: Hook, client: httpx.AsyncClient) -> None:
        name = hook.spec.name
        while True:
            if not hook.spec.enabled or hook.backlog <= 0:
                wake = hook.wake
                await wake.wait()
                continue
            added = hook.added
            try:
                rows = await self._db(outbox.next_batch, name, hook.spec.batch_max)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._db_down(exc)
                await trio.sleep(DB_RETRY_FIRST)
                continue
            if not rows:
                if hook.added == added:
                    hook.backlog = 0  # trimmed or deleted meanwhile: nothing is waiting
                continue
            await self._deliver(hook, client, rows)

    async def _deliver(
        self, hook: Hook, client: httpx.AsyncClient, rows: list[outbox.Stored]
    ) -> None:
        """Send one batch until a 2xx or until it is given up."""
        spec = hook.spec
        body = batch_body(spec.name, rows)
        delivery = policy.batch_id(spec.name, rows[0].id, rows[-1].id)
        while True:
            error = await self._post(spec, client, body, delivery)
            now = self.clock.now()
            if error is None:
                await self._forget(hook, rows[-1].id)
                hook.delivery.succeeded(now, len(rows))
                self._note()
                return
            delay = hook.delivery.failed(now, error, self.rng)
            self._note()
            log.warning("webhook %s: delivery %s failed: %s", spec.name, delivery, error)
            if delay is None:
                log.error(
                    "webhook %s: gave up delivery %s (%d events) after %g hours of failures",
                    spec.name,
                    delivery,
                    len(rows),
                    spec.max_retry_hours,
                )
                hook.dropped += await self._forget(hook, rows[-1].id)
                return
            await self.sleep(delay)

    async def _forget(self, hook: Hook, last_id: int) -> int:
        delay = DB_RETRY_FIRST
        while True:
            try:
                gone: int = await self._db(outbox.delete_through, hook.spec.name, last_id)
                break
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._db_down(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, DB_RETRY_MAX)
        hook.backlog = max(0, hook.backlog - gone)
        self._note()
        return gone

    async def _post(
        self, spec: WebhookSpec, client: httpx.AsyncClient, body: bytes, delivery: str
    ) -> str | None:
        """POST one batch; None on a 2xx, else what went wrong."""
        secret = self.secrets(spec.secret_env)
        if not secret:
            return f"the environment variable {spec.secret_env} (secret_env) is not set"
        stamp = int(self.clock.now())
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(secret.encode(), stamp, body),
            "X-Ctid-Delivery": delivery,
        }
        try:
            with trio.fail_after(spec.timeout_seconds):
                response = await client.post(
                    spec.url, content=body, headers=headers, timeout=spec.timeout_seconds
                )
        except trio.TooSlowError:
            return f"no answer within {spec.timeout_seconds:g} s"
        except _http_error() as exc:
            return f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
        if 200 <= response.status_code < 300:
            return None
        text = response.text[:ERROR_BODY].strip()
        return f"HTTP {response.status_code}" + (f": {text}" if text else "")

    # --------------------------------------------------------- administration

    def get(self, name: str) -> Hook:
        hook = self.hooks.get(name)
        if hook is None:
            raise WebhookError("no-such-webhook", f"no webhook {name!r}")
        return hook

    def _api_only(self, hook: Hook) -> None:
        if hook.source != "api":
            raise WebhookError(
                "configured",
                f"webhook {hook.spec.name!r} is in the config file; change it there",
            )

    async def create(self, spec: WebhookSpec) -> Hook:
        if spec.name in self.hooks:
            raise WebhookError("exists", f"a webhook named {spec.name!r} exists")
        await self._db(outbox.save_spec, spec.name, to_row(spec), self._now())
        hook = self.hooks[spec.name] = self._hook(spec, "api")
        if self._nursery is not None:
            self._start(hook)
        return hook

    async def update(self, spec: WebhookSpec) -> Hook:
        hook = self.get(spec.name)
        self._api_only(hook)
        await self._db(outbox.save_spec, spec.name, to_row(spec), self._now())
        await self._stop(hook)
        hook.spec = spec
        hook.selector = policy.Selector(spec)
        hook.delivery.max_retry_seconds = spec.max_retry_hours * 3600.0
        if self._nursery is not None:
            self._start(hook)
        return hook

    async def delete(self, name: str) -> None:
        hook = self.get(name)
        self._api_only(hook)
        await self._stop(hook)
        await self._db(outbox.delete_spec, name)
        self._pending -= len(hook.pending)
        del self.hooks[name]

    async def test(self, name: str) -> dict[str, Any]:
        """Send one ``webhook.test`` event now, outside the outbox; what the receiver said."""
        hook = self.get(name)
        event_id = next(self._ids)
        row = outbox.Stored(
            id=0,
            event_id=event_id,
            method="webhook.test",
            params=json.dumps({"webhook": name}),
            timestamp=self.clock.iso(),
        )
        body = batch_body(name, [row])
        import httpx  # here, not at the top: see _http_error

        async with httpx.AsyncClient(transport=self.transport, follow_redirects=False) as client:
            error = await self._post(hook.spec, client, body, f"test-{event_id}")
        return {"delivered": error is None, "error": error, "eventID": event_id}

    def reload_problems(self, specs: Iterable[WebhookSpec]) -> list[str]:
        """Why the file's new ``specs`` cannot replace its current ones (none: they can)."""
        return [
            f"webhooks: {spec.name!r} is also a webhook made through the API; rename one"
            for spec in specs
            if spec.name in self.hooks and self.hooks[spec.name].source == "api"
        ]

    async def reload(self, specs: Iterable[WebhookSpec]) -> dict[str, list[str]]:
        """The file's webhooks become ``specs`` (checked): new ones start, changed ones
        restart with their new settings and keep their backlog, removed ones stop and
        their waiting events are deleted, as at a start without them."""
        new = {spec.name: spec for spec in specs}
        configured = {n for n, h in self.hooks.items() if h.source == "config"}
        added = [n for n in new if n not in self.hooks]
        changed = [n for n in new if n in configured and self.hooks[n].spec != new[n]]
        removed = sorted(configured - set(new))
        for name in removed:
            hook = self.hooks.pop(name)
            await self._stop(hook)
            self._pending -= len(hook.pending)
            await self._db(outbox.drop_all, name)
        for name in changed:
            hook = self.hooks[name]
            await self._stop(hook)
            hook.spec = new[name]
            hook.selector = policy.Selector(new[name])
            hook.delivery.max_retry_seconds = new[name].max_retry_hours * 3600.0
            if self._nursery is not None:
                self._start(hook)
        for name in added:
            hook = self.hooks[name] = self._hook(new[name], "config")
            if self._nursery is not None:
                self._start(hook)
        return {"added": added, "changed": changed, "removed": removed}

    def _now(self) -> dt.datetime:
        return self.clock.datetime()

    def status(self, hook: Hook) -> dict[str, Any]:
        d = hook.delivery

        def iso(value: float | None) -> str | None:
            return None if value is None else format_iso(value)

        return {
            "name": hook.spec.name,
            "source": hook.source,
            "enabled": hook.spec.enabled,
            "backlog": hook.total_backlog,
            "pending": hook.waiting,
            "delivered": d.delivered,
            "dropped": hook.dropped,
            "failures": d.failures,
            "attempt": d.attempt,
            "lastSuccess": iso(d.last_success),
            "lastError": d.last_error,
            "lastErrorAt": iso(d.last_error_at),
            "failingSince": iso(d.failing_since),
            "nextRetry": iso(d.next_try),
            "databaseUp": self.db_up,
        }


def batch_body(webhook: str, rows: Iterable[outbox.Stored]) -> bytes:
    """The POST body: ``{"webhook": NAME, "events": [{"id", "method", "params", "timestamp"}]}``.

    The params are spliced in as the JSON text the outbox holds, not decoded and encoded again.
    """
    events = ",".join(
        f'{{"id":{json.dumps(r.event_id)},"method":{json.dumps(r.method)},'
        f'"params":{r.params},"timestamp":{json.dumps(r.timestamp)}}}'
        for r in rows
    )
    return f'{{"webhook":{json.dumps(webhook)},"events":[{events}]}}'.encode()


def _http_error() -> type[Exception]:
    """httpx's base error. httpx is imported only when a webhook is sent: importing it
    (with what its command line pulls in) costs ~0.2 s, which every ctid that has no
    webhook (``ctid simulate``, ``ctid --help``) would pay at start."""
    import httpx

    return httpx.HTTPError
