"""The task that mails finished faxes (``mail.py``), durably and off the call path.

The queue is the fax rows themselves: a fax that ends with addresses to mail
gets ``email_status = 'pending'`` in the same row change that closes it
(``FaxService._close``), so a mail is never lost between the fax's end and its
delivery, whatever stops ctid. This task reads the pending rows, hands each mail
to the relay in a worker thread (one at a time: never more than one SMTP
conversation, never on the call path) and marks the row ``sent`` with
``emailed_at``. A relay that is down or refuses is tried again with back-off
(``retry_delay`` doubled up to ``retry_max``); past ``give_up_after`` seconds
after the fax ended the mail is given up: ``failed`` with its ``email_error``, an
error in the log and ``ctid_fax_emails_total{result="failed"}``.

After a restart the pending rows are tried at once. A mail the relay took is
never sent again, except the one whose ``sent`` had not reached the database when
ctid was killed (its ``Message-ID`` is the fax's, so it is one message to
clients that de-duplicate).
"""

from __future__ import annotations

import functools
import logging
import math
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from .. import faximage
from ..blocking import Blocking, in_thread
from ..clock import WallClock
from ..recording import files
from . import store
from .mail import EmailSettings, MailError, backoff, build, deliver

__all__ = ["FaxMailer"]

log = logging.getLogger(__name__)


class FaxMailer:
    """See the module docstring."""

    def __init__(
        self,
        *,
        settings: EmailSettings,
        read: Callable[..., Awaitable[Any]],
        directory: Path,
        clock: WallClock,
        blocking: Blocking = in_thread,
        wait_written: Callable[[], Awaitable[None]] | None = None,
        password: Callable[[str], str | None] = os.environ.get,
        on_given_up: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.settings = settings
        #: ``RecordsService.read``: runs a blocking store function on the engine.
        self.read = read
        self.directory = directory
        self.clock = clock
        self.blocking = blocking
        self.wait_written = wait_written
        self.password = password
        self.on_given_up = on_given_up
        #: Mails the relay took / attempts that failed and wait / mails given up.
        self.sent_total = 0
        self.retried_total = 0
        self.failed_total = 0
        #: Fax id -> the trio time of its next attempt (this run; a restart tries at once).
        self._next: dict[str, float] = {}
        #: Mails the relay took whose ``sent`` could not be written yet: the write is
        #: tried again, the mail is not sent again (by this run).
        self._taken: dict[str, dict[str, Any]] = {}
        self._wake = trio.Event()
        self._limiter = trio.CapacityLimiter(1)
        #: Passes over the pending rows begun / the last one that ended with nothing due.
        self._passes = 0
        self._idle_pass = 0
        self._changed = trio.Event()

    def wake(self) -> None:
        """A fax row became ``pending``: look again."""
        self._wake.set()

    async def wait_idle(self) -> None:
        """Wait until a pass begun after this call left nothing due now (tests)."""
        begun = self._passes
        self.wake()
        while self._idle_pass <= begun:
            await self._changed.wait()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            self._wake = trio.Event()
            self._passes += 1
            this = self._passes
            if self.wait_written is not None:
                await self.wait_written()
            try:
                rows = await self.read(store.email_pending)
            except Exception as exc:  # the database is down: look again later
                log.error("fax mail: cannot read the mails to send: %r", exc)
                rows = []
                self._next["*"] = trio.current_time() + self.settings.retry_delay
            else:
                self._next.pop("*", None)
            pending = {row["fax_id"] for row in rows}
            for fax_id in list(self._next):
                if fax_id != "*" and fax_id not in pending:
                    del self._next[fax_id]
            for row in rows:
                taken = self._taken.get(row["fax_id"])
                if taken is not None:
                    if await self._update(row["fax_id"], taken):
                        del self._taken[row["fax_id"]]
                elif self._next.get(row["fax_id"], -math.inf) <= trio.current_time():
                    await self._attempt(row)
            if self._taken:
                self._next["*"] = trio.current_time() + self.settings.retry_delay
            due = min(self._next.values(), default=math.inf)
            if due > trio.current_time():
                self._idle_pass = this
                self._changed.set()
                self._changed = trio.Event()
            with trio.move_on_at(due):
                await self._wake.wait()

    async def _attempt(self, row: dict[str, Any]) -> None:
        fax_id = row["fax_id"]
        attempts = (row["email_attempts"] or 0) + 1
        try:
            outgoing = await self.blocking(
                functools.partial(self._build, row), limiter=self._limiter
            )
            await self.blocking(
                deliver, outgoing, self.settings, self.password, limiter=self._limiter
            )
        except MailError as exc:
            await self._failed(row, attempts, str(exc))
            return
        self._next.pop(fax_id, None)
        self.sent_total += 1
        values = {
            "email_status": "sent",
            "email_attempts": attempts,
            "emailed_at": self.clock.datetime(),
            "email_error": None,
        }
        if not await self._update(fax_id, values):
            self._taken[fax_id] = values
        log.info("fax mail: fax %s mailed to %s", fax_id, ", ".join(row["email_to"]))

    def _build(self, row: dict[str, Any]) -> Any:
        image = None
        if row["path"] is not None and row["state"] != "deleted":
            try:
                path = files.resolve(self.directory, row["path"])
                image = (
                    faximage.tiff_to_pdf(path)
                    if self.settings.attach == "pdf"
                    else path.read_bytes()
                )
            except (OSError, ValueError) as exc:
                log.warning("fax mail: fax %s goes without its image (%s)", row["fax_id"], exc)
        return build(row, settings=self.settings, image=image, now=self.clock.datetime())

    async def _failed(self, row: dict[str, Any], attempts: int, error: str) -> None:
        fax_id = row["fax_id"]
        ended = row["ended_at"] or row["created_at"]
        waited = self.clock.now() - ended.timestamp()
        values: dict[str, Any] = {"email_attempts": attempts, "email_error": error[:255]}
        if waited >= self.settings.give_up_after:
            self._next.pop(fax_id, None)
            self.failed_total += 1
            values["email_status"] = "failed"
            log.error(
                "fax mail: fax %s not mailed to %s after %d attempt(s), given up: %s",
                fax_id,
                ", ".join(row["email_to"]),
                attempts,
                error,
            )
            await self._update(fax_id, values)
            if self.on_given_up is not None:
                self.on_given_up({**row, **values})
            return
        self.retried_total += 1
        delay = min(backoff(self.settings, attempts), self.settings.give_up_after - waited)
        self._next[fax_id] = trio.current_time() + max(delay, 0.0)
        log.warning(
            "fax mail: fax %s not mailed (attempt %d, again in %.0f s): %s",
            fax_id,
            attempts,
            delay,
            error,
        )
        await self._update(fax_id, values)

    async def _update(self, fax_id: str, values: dict[str, Any]) -> bool:
        """Write the mail's state; False if the database could not take it."""
        try:
            await self.read(store.update_fax, fax_id, values)
        except Exception as exc:  # the database is down: the row says pending, tried again
            log.error("fax mail: cannot write the mail state of fax %s: %r", fax_id, exc)
            return False
        return True
