"""The fax service: documents, faxes received and sent, retries and batches.

* **Documents** are uploaded (``POST /fax/documents``), made fax-ready
  (``documents.py``) and kept under ``<fax dir>/documents/``.
* **Reception**: a call to a fax number (``[fax] numbers``) is answered and
  received at once; an IVR's ``faxReceive`` node does the same in a flow. The
  switch writes the TIFF under ``<fax dir>/in/``.
* **Sending** (``fax.send``, or an IVR's ``faxSend`` in the caller's own call):
  documents are put together into one TIFF under ``<fax dir>/out/``; each
  number gets a fax, dialled when a line is free (``max_lines``), retried on a
  busy line, no answer or a failed transfer. Before each dial ``may_dial`` is
  asked (``gate.py``): a number on the do-not-call list is never dialled, and
  outside ``[fax] windows`` a fax waits for the next window. One task, the
  dialler, dials, so the lines in use never pass ``max_lines``.
* Every change is a ``fax.*`` event on the topics ``fax:*`` and
  ``fax:<mailbox>`` (monitor ``{"faxObject": "*"}`` or a mailbox) and a row in
  the records database (``store.py``), written in order by one task.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import trio

from ..blocking import Blocking, in_thread
from ..calls.control import CallControl, NoSuchCall
from ..calls.events import EstablishedEvent, FailedEvent
from ..calls.model import Emitted
from ..calls.notices import CallArrived, CallEnded, FaxDone, FaxProgressed, Notice
from ..calls.service import CallService
from ..clock import WallClock
from ..facts import FACT_FAXES
from ..ids import IdFactory
from ..publish import CstaPublisher
from ..recording import files
from ..switch_drivers import base as sw
from . import documents, store
from .config import FaxSettings
from .gate import DialCheck, DialKind, FaxGate
from .model import ActiveFax, FaxError
from .resume import FaxResume
from .retention import FaxRetention

if TYPE_CHECKING:
    from ..records.service import RecordsService

__all__ = ["EVENT_NAMES", "FACT_FAXES", "ActiveFax", "FaxError", "FaxService"]

log = logging.getLogger(__name__)

#: Every event the fax service publishes, for ``rpc.discover``.
EVENT_NAMES: Final = ("fax.received", "fax.progress", "fax.completed", "fax.failed")
#: Database writes waiting for the writer task. Full: the caller waits.
WRITE_QUEUE_SIZE: Final = 1000
#: CSTA causes of a failed dial that are worth another attempt.
RETRY_CAUSES: Final = frozenset({"busy", "noAnswer", "trunksBusy", "timeout", "networkOutOfOrder"})
#: Numbers in one ``fax.send`` at most.
MAX_BATCH: Final = 1000


class FaxService(FaxResume, FaxRetention):
    """See the module docstring."""

    def __init__(
        self,
        *,
        settings: FaxSettings,
        calls: CallService,
        control: CallControl,
        publisher: CstaPublisher,
        clock: WallClock,
        ids: IdFactory,
        records: RecordsService,
        blocking: Blocking = in_thread,
    ) -> None:
        self.settings = settings
        self.calls = calls
        self.control = control
        self.model = calls.model
        self.publisher = publisher
        self.clock = clock
        self.ids = ids
        self.records = records
        self.blocking = blocking
        self.active: dict[str, ActiveFax] = {}
        self.by_call: dict[str, str] = {}
        self.waiting: deque[str] = deque()
        #: ctid's own fax calls up now (each holds an outside line).
        self.line_calls: set[str] = set()
        #: Asked before each dial: dial, wait (calling windows) or refuse (do-not-call).
        self.may_dial: Callable[[str], Awaitable[DialCheck]] = FaxGate(
            read=records.read,
            now=clock.datetime,
            spec=settings.windows,
            zone_prefixes=settings.zone_prefixes,
            check_dnc=settings.check_dnc,
        )
        self._wake = trio.Event()
        self._writes, self._write_queue = trio.open_memory_channel[
            tuple[Callable[..., Any], tuple[Any, ...]]
        ](WRITE_QUEUE_SIZE)
        self._submitted = 0
        self._written = 0
        self._write_done = trio.Event()
        self._file_limiter = trio.CapacityLimiter(1)
        self._nursery: trio.Nursery | None = None
        self._pending: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._changed = trio.Event()
        self.received_total = 0
        self.sent_total = 0
        self.failed_total = {"in": 0, "out": 0}
        self.pages_total = {"in": 0, "out": 0}
        self.deleted_total = {"in": 0, "out": 0}
        #: Live state (``keep_in``): faxes on a line kept across restarts (``keep.py``).
        self.rows: Any = None
        #: The task that mails finished faxes (``mailer.py``; None: no ``[fax.email]``).
        self.mailer: Any = None
        for number in settings.numbers:
            self.model.directory.add_route_point(number, "fax")

    @property
    def directory(self) -> Path:
        return self.settings.directory

    def _relative(self, kind: str, object_id: str) -> str:
        return f"{kind}/" + files.relative_path(object_id, self.clock.datetime(), "tif")

    # -------------------------------------------------------------- writing

    def _write(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self._writes.send_nowait((fn, args))
        except trio.WouldBlock:
            log.error("fax: the database write queue is full; a fax row change is lost")
            return
        self._submitted += 1

    async def _writer(self) -> None:
        async for fn, args in self._write_queue:
            try:
                await self.records.read(fn, *args)
            except Exception as exc:  # the database is down: logged, the fax goes on
                log.error("fax: database write failed: %r", exc)
            self._written += 1
            self._write_done.set()
            self._write_done = trio.Event()

    async def wait_written(self) -> None:
        """Wait until every row change made so far is in the database."""
        target = self._submitted
        while self._written < target:
            await self._write_done.wait()

    async def wait_idle(self) -> None:
        """Wait until no fax is in progress or waiting (and every row is written)."""
        while self.active:
            await self._changed.wait()
        await self.wait_written()

    def _touch(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    def _spawn(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._nursery is None:
            self._pending.append((fn, args))
        else:
            self._nursery.start_soon(fn, *args)

    # ------------------------------------------------------------ documents

    async def upload(self, data: bytes, *, name: str | None, user: str) -> dict[str, Any]:
        """Store an uploaded PDF or TIFF as a fax document; raises ``FaxError``."""
        if name is not None:
            existing = await self.records.read(store.get_document, name)
            if existing is not None:
                raise FaxError("name-taken", f"a document is named {name!r} already")
        document_id = self.ids.new("fd")
        relative = self._relative("documents", document_id)
        try:
            kind, pages, size, sha = await self.blocking(
                functools.partial(
                    documents.store_upload,
                    device=self.settings.tiff_device,
                    gs=self.settings.ghostscript,
                ),
                self.directory,
                relative,
                data,
                limiter=self._file_limiter,
            )
        except documents.DocumentError as exc:
            raise FaxError("bad-document", str(exc)) from None
        row = {
            "document_id": document_id,
            "name": name,
            "path": relative,
            "source": kind,
            "pages": pages,
            "size_bytes": size,
            "sha256": sha,
            "uploaded_by": user,
            "uploaded_at": self.clock.datetime(),
        }
        await self.records.read(store.insert_document, row)
        return row

    async def _documents(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        found = []
        for key in keys:
            row = await self.records.read(store.get_document, key)
            if row is None:
                raise FaxError("no-such-document", f"no document {key!r}")
            found.append(row)
        return found

    # -------------------------------------------------------------- sending

    async def send(
        self,
        numbers: Sequence[str],
        document_keys: Sequence[str],
        *,
        user: str,
        header: str | None = None,
        caller_id: str | None = None,
        retries: int | None = None,
        mailbox: str = "outbox",
        batch: bool = False,
        email_to: Sequence[str] = (),
    ) -> tuple[str | None, list[ActiveFax]]:
        """Queue one fax per number; returns (batch id or None, the faxes)."""
        if not numbers:
            raise FaxError("no-numbers", "give at least one number")
        if len(numbers) > MAX_BATCH:
            raise FaxError("too-many-numbers", f"at most {MAX_BATCH} numbers at once")
        if not document_keys:
            raise FaxError("no-documents", "give at least one document")
        docs = await self._documents(document_keys)
        attempts = 1 + (self.settings.retries if retries is None else retries)
        batch_id = self.ids.new("fb") if batch else None
        first = self.ids.new("fx")
        relative = self._relative("out", first)
        try:
            pages, _, _ = await self.blocking(
                documents.combine,
                self.directory,
                [d["path"] for d in docs],
                relative,
                limiter=self._file_limiter,
            )
        except (OSError, ValueError) as exc:
            raise FaxError("bad-document", f"the documents cannot be read: {exc}") from None
        made: list[ActiveFax] = []
        for number in numbers:
            fax_id = first if not made else self.ids.new("fx")
            af = ActiveFax(
                fax_id=fax_id,
                direction="out",
                mailbox=mailbox,
                remote=number,
                local=caller_id or self.settings.caller_id,
                # One image for the whole batch: the faxes of a batch share it.
                path=relative,
                requested_by=user,
                max_attempts=attempts,
                document_ids=tuple(d["document_id"] for d in docs),
                batch_id=batch_id,
                header=header if header is not None else self.settings.header,
                total_pages=pages,
                email_to=tuple(email_to),
            )
            self.active[fax_id] = af
            self._write(store.insert_fax, self._row(af))
            self.waiting.append(fax_id)
            made.append(af)
        self._pump()
        return batch_id, made

    def _row(self, af: ActiveFax) -> dict[str, Any]:
        return {
            "fax_id": af.fax_id,
            "batch_id": af.batch_id,
            "direction": af.direction,
            "state": af.state,
            "mailbox": af.mailbox,
            "call_id": af.call_id,
            "remote_number": af.remote,
            "local_number": af.local or None,
            "document_ids": list(af.document_ids),
            "path": af.path if af.direction == "out" else None,
            "pages": af.pages,
            "total_pages": af.total_pages,
            "attempts": af.attempts,
            "max_attempts": af.max_attempts,
            "result_code": None,
            "result_text": "",
            "remote_station_id": "",
            "bit_rate": None,
            "size_bytes": None,
            "sha256": None,
            "header": af.header,
            "requested_by": af.requested_by,
            "tags": [],
            "created_at": self.clock.datetime(),
            "ended_at": None,
            "deleted_at": None,
            "node": self.records.node,
            "email_to": list(af.email_to) or None,
        }

    def _pump(self) -> None:
        """Wake the dialler: waiting faxes are dialled while lines are free."""
        self._wake.set()

    async def _dialler(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            while self.waiting and len(self.line_calls) < self.settings.max_lines:
                fax_id = self.waiting.popleft()
                af = self.active.get(fax_id)
                if af is None or af.cancelled or af.state != "queued":
                    continue
                try:
                    check = await self.may_dial(af.remote)
                except Exception as exc:  # the database is down: try again later
                    log.error("fax: cannot check %s before dialling: %r", af.remote, exc)
                    self._spawn(self._retry_later, fax_id, self.settings.retry_delay)
                    continue
                if self.active.get(fax_id) is not af or af.cancelled:
                    continue  # cancelled meanwhile
                if check.kind is DialKind.REFUSE:
                    self._failed(af, None, check.reason, retry=False)
                elif check.kind is DialKind.WAIT:
                    self._hold(af, check)
                else:
                    self._dial(af)
                    self.calls.sync()

    def _hold(self, af: ActiveFax, check: DialCheck) -> None:
        """Outside the calling windows: the fax stays queued until the next one opens."""
        assert check.until is not None
        delay = max(0.0, (check.until - self.clock.datetime()).total_seconds())
        text = f"{check.reason}: waits until {self.clock.iso(trio.current_time() + delay)}"
        self._write(store.update_fax, af.fax_id, {"result_text": text[:255]})
        self._spawn(self._retry_later, af.fax_id, delay)

    def _dial(self, af: ActiveFax) -> None:
        af.attempts += 1
        af.state = "dialing"
        af.dial_cause = None
        calling = af.local or "fax"
        call = self.model.new_call(calling=calling, called=af.remote, direction="outbound")
        call.facts[FACT_FAXES] = [af.fax_id]
        # The fax service owns the call (as a campaign its customer's): the far machine,
        # alone in it, is kept, also by a restart's resync (calls/recover.py settles).
        call.owner = "fax"
        self.model.originate(
            call,
            af.remote,
            sw.EndpointKind.EXTERNAL,
            timeout=self.settings.ring_timeout,
            caller_number=calling,
        )
        af.call_id = call.call_id
        self.by_call[call.call_id] = af.fax_id
        self.line_calls.add(call.call_id)
        self._write(
            store.update_fax,
            af.fax_id,
            {"state": "dialing", "attempts": af.attempts, "call_id": call.call_id},
        )
        self._keep(af)

    async def _retry_later(self, fax_id: str, delay: float) -> None:
        await trio.sleep(delay)
        af = self.active.get(fax_id)
        if af is not None and not af.cancelled and af.state == "queued":
            self.waiting.append(fax_id)
            self._pump()

    async def cancel(self, fax_id: str) -> ActiveFax:
        """Stop a fax that is waiting or in progress; raises ``FaxError``."""
        af = self.active.get(fax_id)
        if af is None:
            raise FaxError("not-active", f"fax {fax_id} is not waiting or in progress")
        af.cancelled = True
        self._keep(af)
        if af.call_id is not None and af.call_id in self.model.calls and not af.in_ivr:
            # Its end (FaxDone or CallEnded) closes the fax as cancelled.
            self.control.hang_up(af.call_id)
            self.calls.sync()
        elif af.in_ivr and af.call_id is not None:
            # The switch stops the transfer; the call goes on (the node's on_failure).
            with contextlib.suppress(NoSuchCall):
                self.control.stop_fax(af.fax_id, self.control.caller_channel(af.call_id))
            self.calls.sync()
        elif af.state == "queued":
            self._close(af, "cancelled", None, "cancelled")
        return af

    async def set_tags(self, fax_id: str, tags: Sequence[str]) -> None:
        """Replace a fax's tags (after its other row changes, in order)."""
        self._write(store.update_fax, fax_id, {"tags": list(tags)})
        await self.wait_written()

    # ---------------------------------------------------------- in a call

    def receive_in_call(self, call_id: str, *, mailbox: str, in_ivr: bool) -> ActiveFax:
        """Receive a fax from the caller of ``call_id`` (answered); raises ``NoSuchCall``."""
        call = self.model.calls.get(call_id)
        if call is None:
            raise NoSuchCall(call_id)
        fax_id = self.ids.new("fx")
        af = ActiveFax(
            fax_id=fax_id,
            direction="in",
            mailbox=mailbox,
            remote=call.calling_device,
            local=call.called_device,
            path=self._relative("in", fax_id),
            requested_by="ivr" if in_ivr else "fax-number",
            state="receiving",
            call_id=call_id,
            in_ivr=in_ivr,
            attempts=1,
        )
        self._started(af, call)
        self._spawn(self._receive, af)
        return af

    async def _receive(self, af: ActiveFax) -> None:
        """Make the received fax's directory, then have the switch take the fax into it.

        Found on a real Asterisk 22.10.1: spandsp (``res_fax_spandsp``, and
        FreeSWITCH's ``mod_spandsp`` alike) opens the TIFF in a directory it does not
        create, and a day's first fax failed with 41 "TIFF/F file cannot be opened".
        """
        path = files.resolve(self.directory, af.path)
        await self.blocking(
            functools.partial(path.parent.mkdir, parents=True, exist_ok=True),
            limiter=self._file_limiter,
        )
        if af.call_id is None or af.call_id not in self.model.calls or af.fax_id not in self.active:
            return  # the caller went meanwhile: the call's end closes the fax
        try:
            self.control.receive_fax(
                af.call_id, af.fax_id, str(path), station_id=self.settings.station_id
            )
        except NoSuchCall:
            return
        self.calls.sync()

    async def send_in_call(
        self, call_id: str, document_key: str, *, header: str | None = None, mailbox: str = "ivr"
    ) -> ActiveFax:
        """Fax a document back to the caller of ``call_id`` (fax-back); raises ``FaxError``."""
        docs = await self._documents([document_key])
        call = self.model.calls.get(call_id)
        if call is None:
            raise FaxError("no-such-call", f"call {call_id} is over")
        fax_id = self.ids.new("fx")
        af = ActiveFax(
            fax_id=fax_id,
            direction="out",
            mailbox=mailbox,
            remote=call.calling_device,
            local=call.called_device,
            path=docs[0]["path"],
            requested_by="ivr",
            state="sending",
            call_id=call_id,
            in_ivr=True,
            attempts=1,
            document_ids=(docs[0]["document_id"],),
            header=header if header is not None else self.settings.header,
            total_pages=docs[0]["pages"],
        )
        try:
            self.control.send_fax_on(
                self.control.caller_channel(call_id),
                fax_id,
                str(files.resolve(self.directory, af.path)),
                header=af.header,
                station_id=self.settings.station_id,
            )
        except NoSuchCall:
            raise FaxError("no-such-call", f"call {call_id} is over") from None
        self._started(af, call)
        self.calls.sync()
        return af

    def fax_in(self, call_id: str, mailbox: str) -> str:
        """For an IVR's ``faxReceive``: the fax id (``ivr.service.FaxHook``)."""
        return self.receive_in_call(call_id, mailbox=mailbox, in_ivr=True).fax_id

    async def fax_back(
        self, call_id: str, document: str, *, header: str | None, mailbox: str
    ) -> tuple[str | None, str]:
        """For an IVR's ``faxSend``: (fax id, "") or (None, why not)."""
        try:
            af = await self.send_in_call(call_id, document, header=header, mailbox=mailbox)
        except FaxError as exc:
            return None, exc.message
        return af.fax_id, ""

    def _started(self, af: ActiveFax, call: Any) -> None:
        self.active[af.fax_id] = af
        assert af.call_id is not None
        self.by_call[af.call_id] = af.fax_id
        call.facts.setdefault(FACT_FAXES, []).append(af.fax_id)
        self._write(store.insert_fax, self._row(af))
        self._keep(af)

    # ------------------------------------------------------------- sinks

    def on_event(self, emitted: Emitted) -> None:
        """Event sink: a fax number answered (send now) or could not be reached."""
        event = emitted.event
        if isinstance(event, EstablishedEvent):
            call_id = event.established_connection.call_id
            af = self._outgoing(call_id)
            if af is not None and af.state == "dialing":
                self._answered(af, call_id)
        elif isinstance(event, FailedEvent):
            af = self._outgoing(event.failed_connection.call_id)
            if af is not None:
                af.dial_cause = event.cause.value

    def _answered(self, af: ActiveFax, call_id: str) -> None:
        """The fax number answered ctid's call: send now."""
        conn = self.model.calls[call_id].connections.get(af.remote)
        if conn is None or conn.leg is None:
            return
        af.state = "sending"
        self.control.send_fax_on(
            conn.leg.channel_id,
            af.fax_id,
            str(files.resolve(self.directory, af.path)),
            header=af.header,
            station_id=self.settings.station_id,
        )
        self._write(store.update_fax, af.fax_id, {"state": "sending"})
        self._keep(af)

    def _outgoing(self, call_id: str) -> ActiveFax | None:
        fax_id = self.by_call.get(call_id)
        af = self.active.get(fax_id) if fax_id is not None else None
        return af if af is not None and af.direction == "out" and not af.in_ivr else None

    def on_notice(self, notice: Notice) -> None:
        """Notice sink: calls to fax numbers, fax progress and ends, calls ending."""
        match notice:
            case CallArrived() if notice.route_point in self.settings.numbers:
                self._arrived(notice)
            case FaxProgressed() if notice.fax_id in self.active:
                af = self.active[notice.fax_id]
                af.pages = notice.pages
                self._keep(af)
                self._publish("fax.progress", af)
            case FaxDone() if notice.fax_id in self.active:
                self._done(self.active[notice.fax_id], notice)
            case CallEnded() if notice.call_id in self.by_call:
                self._call_ended(notice)
            case _:
                pass

    def _arrived(self, notice: CallArrived) -> None:
        try:
            self.control.take(notice.call_id, notice.route_point)
            self.control.connect(notice.call_id, notice.route_point)
            self.receive_in_call(
                notice.call_id, mailbox=self.settings.numbers[notice.route_point], in_ivr=False
            )
        except NoSuchCall:
            return

    def _done(self, af: ActiveFax, notice: FaxDone) -> None:
        af.pages = notice.pages
        if af.call_id is not None and not af.in_ivr and af.call_id in self.model.calls:
            # The machine has what it needs: ctid's own fax call ends here.
            with contextlib.suppress(NoSuchCall):
                self.control.hang_up(af.call_id)
        if notice.success:
            self._spawn(self._finish_ok, af, notice)
        else:
            code, text = notice.result_code, notice.result_text
            if af.cancelled:
                self._close(af, "cancelled", code, text, notice=notice)
            else:
                self._failed(af, code, text, retry=af.direction == "out", notice=notice)

    async def _finish_ok(self, af: ActiveFax, notice: FaxDone) -> None:
        size = sha = None
        if af.direction == "in":
            try:
                size, sha = await self.blocking(
                    files.digest,
                    files.resolve(self.directory, af.path),
                    limiter=self._file_limiter,
                )
            except OSError as exc:
                self._failed(af, None, f"no file: {exc}", retry=False, notice=notice)
                return
        self._close(
            af,
            "completed",
            notice.result_code,
            notice.result_text,
            notice=notice,
            size=size,
            sha=sha,
        )

    def _call_ended(self, notice: CallEnded) -> None:
        fax_id = self.by_call.pop(notice.call_id)
        self.line_calls.discard(notice.call_id)
        af = self.active.get(fax_id)
        if af is None or af.call_id != notice.call_id:
            self._pump()
            return
        if af.state == "dialing":
            if af.cancelled:
                self._close(af, "cancelled", None, "cancelled")
            else:
                cause = af.dial_cause or "failed"
                self._failed(af, None, f"not reached: {cause}", retry=cause in RETRY_CAUSES)
        elif af.restored:
            # A switch that lost track of it across the restart never reports it.
            self._spawn(self._result_or_interrupted, af)
        self._pump()

    # ------------------------------------------------------------- endings

    def _failed(
        self,
        af: ActiveFax,
        code: int | None,
        text: str,
        *,
        retry: bool,
        notice: FaxDone | None = None,
    ) -> None:
        again = retry and not af.in_ivr and af.attempts < af.max_attempts and not af.cancelled
        params = {"willRetry": again}
        if again:
            af.state = "queued"
            self._keep(af)
            self._publish("fax.failed", af, code=code, text=text, extra=params)
            af.pages = 0
            self._write(
                store.update_fax,
                af.fax_id,
                {"state": "queued", "result_code": code, "result_text": text[:255]},
            )
            self._spawn(self._retry_later, af.fax_id, self.settings.retry_delay)
            return
        self._close(af, "failed", code, text, notice=notice, extra=params)

    def _close(
        self,
        af: ActiveFax,
        state: str,
        code: int | None,
        text: str,
        *,
        notice: FaxDone | None = None,
        size: int | None = None,
        sha: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.active.pop(af.fax_id, None)
        af.state = state
        direction = af.direction
        if state == "completed":
            self.pages_total[direction] += af.pages
            if direction == "in":
                self.received_total += 1
            else:
                self.sent_total += 1
        elif state == "failed":
            self.failed_total[direction] += 1
        values: dict[str, Any] = {
            "state": state,
            "pages": af.pages,
            "attempts": af.attempts,
            "result_code": code,
            "result_text": text[:255],
            "ended_at": self.clock.datetime(),
        }
        if notice is not None:
            values["remote_station_id"] = notice.remote_station_id[:128]
            values["bit_rate"] = notice.bit_rate or None
        if direction == "in":
            values["path"] = af.path if state == "completed" else None
            values["total_pages"] = af.pages
            values["size_bytes"] = size
            values["sha256"] = sha
        mail_to = self._mail_to(af, state)
        if mail_to:
            # The fax's row is the mail's queue: pending in the same change that closes it.
            values.update(email_to=list(mail_to), email_status="pending", email_attempts=0)
        self._write(store.update_fax, af.fax_id, values)
        self._keep(af)
        if mail_to and self.mailer is not None:
            self.mailer.wake()
        if state == "completed":
            name = "fax.received" if direction == "in" else "fax.completed"
            self._publish(name, af, code=code, text=text, extra=extra)
        else:
            # Cancelled or failed for good: never tried again.
            extra = {"willRetry": False, **(extra or {})}
            self._publish("fax.failed", af, code=code, text=text, extra=extra)
        self._touch()

    def _mail_to(self, af: ActiveFax, state: str) -> tuple[str, ...]:
        """Who is mailed about a fax that ended ``state``: a received fax's mailbox or
        number (``[fax.email_to]``), a sent fax's ``emailTo``."""
        if self.settings.email is None:
            return ()
        if af.direction == "in":
            return self.settings.mail_to(af.mailbox, af.local) if state == "completed" else ()
        return af.email_to

    def _publish(
        self,
        name: str,
        af: ActiveFax,
        *,
        code: int | None = None,
        text: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        params: dict[str, Any] = {
            "faxID": af.fax_id,
            "direction": af.direction,
            "state": af.state,
            "mailbox": af.mailbox,
            "remoteNumber": af.remote,
            "pages": af.pages,
            "attempt": af.attempts,
        }
        if af.total_pages is not None:
            params["totalPages"] = af.total_pages
        if af.call_id is not None:
            params["callID"] = af.call_id
        if af.batch_id is not None:
            params["batchID"] = af.batch_id
        if name != "fax.progress":
            params["resultCode"] = code
            params["resultText"] = text
        params.update(extra or {})
        self.publisher.publish(
            name,
            params,
            calls=[af.call_id] if af.call_id is not None and af.in_ivr else [],
            topics=["fax:*", f"fax:{af.mailbox}"],
        )

    # ------------------------------------------------------------------ run

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._writer)
            nursery.start_soon(self._dialler)
            for fn, args in self._pending:
                nursery.start_soon(fn, *args)
            self._pending.clear()
            await self._recover()
            if self.settings.retention_days:
                nursery.start_soon(self._retention_loop)
            task_status.started()
