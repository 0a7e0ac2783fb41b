"""The voicemail service: files the messages the IVR records, keeps each mailbox's counts,
tells monitors (``voicemail.new``) and the phones' lamps, and expires old messages.

A message is a recording the IVR made for a mailbox (``RecordingStateChanged`` with a
``mailbox``). Its metadata goes to the call records database through the records
journal (never blocking call handling), its audio stays where the IVR wrote it, under
``state_dir/voicemail``. The counts of new and old messages per mailbox live in memory
(read from the database at start) so lamps and events never wait for a query.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Final

import trio

from .. import facts as f
from ..blocking import Blocking
from ..calls.model import CallModel
from ..calls.notices import Notice
from ..clock import WallClock, format_iso
from ..ids import IdFactory
from ..publish import CstaPublisher
from ..recording import files
from ..records import ops as o
from ..records.service import RecordsService
from ..switch_drivers import base as sw
from . import queries
from .config import VoicemailSettings

__all__ = ["EVENT_NAMES", "Execute", "VoicemailError", "VoicemailService"]

log = logging.getLogger(__name__)

#: Every event the service publishes, for ``rpc.discover``.
EVENT_NAMES: Final = ("voicemail.new", "voicemail.changed")
#: Messages waiting to be filed. Full: one is logged and not filed (its file stays).
FILE_QUEUE_SIZE: Final = 1000

#: Carries out switch commands (``CallService.execute``): here, the phones' lamps.
Execute = Callable[[list[sw.SwitchCommand]], Awaitable[None]]


def _relative(path: Path, directory: Path) -> Path:
    """``path`` relative to ``directory``; ``ValueError`` if it is not inside (symlinks too)."""
    return path.resolve().relative_to(directory.resolve())


class VoicemailError(Exception):
    """A request that cannot be done: ``reason`` is a stable slug."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class VoicemailService:
    """See the module docstring."""

    def __init__(
        self,
        *,
        settings: VoicemailSettings,
        model: CallModel,
        publisher: CstaPublisher,
        clock: WallClock,
        ids: IdFactory,
        records: RecordsService,
        blocking: Blocking,
        lamps: Callable[[str], list[str]] | None = None,
        execute: Execute | None = None,
    ) -> None:
        self.settings = settings
        self.model = model
        self.publisher = publisher
        self.clock = clock
        self.ids = ids
        self.records = records
        self.blocking = blocking
        #: Mailbox -> the phones whose lamp shows it.
        self.lamps = lamps or (lambda mailbox: [])
        #: None: the switch has no lamps to light.
        self.execute = execute
        #: Device -> (new, old) to show, the latest only: lamps lag, never queue up.
        self._lamps_due: dict[str, tuple[int, int]] = {}
        self._lamps_wake = trio.Event()
        #: Mailbox -> (new, old) messages.
        self.counts: dict[str, tuple[int, int]] = {}
        self.filed_total = 0
        self.deleted_total = 0
        self._send, self._receive = trio.open_memory_channel[tuple[Any, ...]](FILE_QUEUE_SIZE)
        self._started = trio.Event()

    @property
    def directory(self) -> Path:
        return self.settings.directory

    # ------------------------------------------------------------------ sinks

    def on_notice(self, notice: Notice) -> None:
        """Notice sink: the IVR finished recording a message for a mailbox."""
        if not isinstance(notice, f.RecordingStateChanged) or notice.mailbox is None:
            return
        if notice.state != "stopped" or not notice.path:
            return
        call = self.model.calls.get(notice.call_id or "")
        # The call's data as the caller left it: the screen pop of whoever calls back.
        user_data = dict(call.user_data) if call is not None else {}
        caller = call.calling_device if call is not None else None
        called = call.called_device if call is not None else None
        item = (notice, user_data, caller, called, self.clock.now())
        try:
            self._send.send_nowait(item)
        except trio.WouldBlock:
            log.error("voicemail: too many messages to file; %s not filed", notice.path)

    # ------------------------------------------------------------------ tasks

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """File messages, sweep expired ones; start once the counts are read."""
        self.counts = await self.records.read(queries.counts)
        for mailbox in self.counts:
            self._show(mailbox)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._filer)
            if self.execute is not None:
                nursery.start_soon(self._lamp_task, self.execute)
            # Always: a reload may turn retention on.
            nursery.start_soon(self._retention_loop)
            self._started.set()
            task_status.started()

    async def _filer(self) -> None:
        async for notice, user_data, caller, called, at in self._receive:
            try:
                await self._file(notice, user_data, caller, called, at)
            except Exception:  # one bad message must not stop the filing of the others
                log.exception("voicemail: could not file %s", notice.path)

    async def _file(
        self,
        notice: f.RecordingStateChanged,
        user_data: dict[str, Any],
        caller: str | None,
        called: str | None,
        at: float,
    ) -> None:
        assert notice.mailbox is not None
        assert notice.path is not None
        path = Path(notice.path)
        try:
            relative = await self.blocking(_relative, path, self.directory)
        except ValueError:
            log.error("voicemail: %s is not under %s; not filed", path, self.directory)
            return
        try:
            size: int | None = (await self.blocking(path.stat)).st_size
        except OSError:
            size = None
        message_id = self.ids.new("vm")
        received = at - (notice.duration or 0.0)
        self.records.submit(
            o.VoicemailOp(
                message_id=message_id,
                mailbox=notice.mailbox,
                call_id=notice.call_id,
                caller=caller,
                called=called,
                received_at=received,
                duration=notice.duration,
                path=str(relative),
                size_bytes=size,
                user_data=user_data,
            )
        )
        self.filed_total += 1
        new, old = self.counts.get(notice.mailbox, (0, 0))
        self.counts[notice.mailbox] = (new + 1, old)
        self._publish(
            "voicemail.new",
            notice.mailbox,
            {
                "messageID": message_id,
                "callID": notice.call_id,
                "caller": caller,
                "called": called,
                "receivedAt": format_iso(received),
                "duration": notice.duration,
                "userData": user_data,
            },
        )
        self._show(notice.mailbox)

    async def _lamp_task(self, execute: Execute) -> None:
        while True:
            await self._lamps_wake.wait()
            self._lamps_wake = trio.Event()
            due, self._lamps_due = self._lamps_due, {}
            for device, (new, old) in due.items():
                try:
                    await execute([sw.SetMessageWaiting(device=device, new=new, old=old)])
                except sw.DriverError as exc:
                    # A lamp that cannot be lit must not stop the others (nor lose a message).
                    log.warning("voicemail: could not set the lamp of %s: %s", device, exc)

    async def _retention_loop(self) -> None:
        while True:
            await self.apply_retention()
            await trio.sleep(self.settings.retention_interval)

    async def apply_retention(self) -> int:
        """Delete the messages older than ``retention_days``; returns how many."""
        if self.settings.retention_days <= 0:
            return 0
        cutoff = self.clock.datetime(trio.current_time() - self.settings.retention_days * 86400)
        found = await self.records.read(queries.expired, cutoff)
        for row in found:
            await self._delete(row)
        for mailbox in {row["mailbox"] for row in found}:
            self._show(mailbox)
        if found:
            log.info("voicemail retention: deleted %d message(s)", len(found))
            await self.records.wait_committed()
        return len(found)

    # ------------------------------------------------------------------ requests

    def mark_heard(self, row: Mapping[str, Any], *, by: str) -> bool:
        """Mark a message heard; False if it already was."""
        if row["heard_at"] is not None or row["deleted_at"] is not None:
            return False
        self.records.submit(
            o.VoicemailHeard(message_id=row["message_id"], at=self.clock.now(), by=by)
        )
        mailbox = row["mailbox"]
        new, old = self.counts.get(mailbox, (0, 0))
        self.counts[mailbox] = (max(new - 1, 0), old + 1)
        self._publish(
            "voicemail.changed", mailbox, {"messageID": row["message_id"], "change": "heard"}
        )
        self._show(mailbox)
        return True

    async def delete(self, row: Mapping[str, Any], *, by: str) -> None:
        """Delete a message's audio at a user's request (its row stays, marked deleted)."""
        if row["deleted_at"] is not None:
            raise VoicemailError("deleted", f"message {row['message_id']} was already deleted")
        await self._delete(row)
        log.warning("AUDIT voicemail %s deleted by %s", row["message_id"], by)
        self._publish(
            "voicemail.changed",
            row["mailbox"],
            {"messageID": row["message_id"], "change": "deleted"},
        )
        self._show(row["mailbox"])

    async def _delete(self, row: Mapping[str, Any]) -> None:
        try:
            path = files.resolve(self.directory, row["path"])
        except ValueError:
            log.error("voicemail %s: refusing to delete %r", row["message_id"], row["path"])
        else:
            await self.blocking(files.delete, path)
        self.records.submit(o.VoicemailDeleted(message_id=row["message_id"], at=self.clock.now()))
        self.deleted_total += 1
        mailbox = row["mailbox"]
        new, old = self.counts.get(mailbox, (0, 0))
        if row["heard_at"] is None:
            new = max(new - 1, 0)
        else:
            old = max(old - 1, 0)
        self.counts[mailbox] = (new, old)

    def file_path(self, row: Mapping[str, Any]) -> Path:
        """The audio of a message (``ValueError`` for a path outside the directory)."""
        return files.resolve(self.directory, row["path"])

    # ------------------------------------------------------------------ out

    def _publish(self, name: str, mailbox: str, params: dict[str, Any]) -> None:
        new, old = self.counts.get(mailbox, (0, 0))
        self.publisher.publish(
            name,
            {"mailbox": mailbox, **params, "newMessages": new, "oldMessages": old},
            topics=(f"mailbox:{mailbox}", "mailboxes"),
        )

    def _show(self, mailbox: str) -> None:
        if self.execute is None:
            return
        counts = self.counts.get(mailbox, (0, 0))
        for device in self.lamps(mailbox):
            self._lamps_due[device] = counts
        if self._lamps_due:
            self._lamps_wake.set()
