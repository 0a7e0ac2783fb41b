"""The webhook journal: each published event on disk before the outbox has it.

The outbox (a database table) is written by a task a moment after publication,
off the call path; an event published in between lived only in memory and a
``kill -9`` lost it. The journal closes that window without putting the
database on the call path: ``write`` appends the event (its id, the webhooks
it is for, its method, params and timestamp) to a file with **one**
``os.write`` on an ``O_APPEND`` descriptor. Once that call has returned the
bytes are in the kernel's page cache, which outlives the process: a SIGKILL
loses nothing. Only a crash of the whole machine (or power) can, because
there is no fsync per event (measured in docs/performance.md: it would cost
the call path a disk flush per event).

Layout: a directory of segment files ``00000001.journal``... Each holds
frames ``length (u32 BE) | crc32 (u32 BE) | payload`` (the payload a JSON
object, ``encode``). The service's writer calls ``rotate`` at the start of
each pass, so publications go to a fresh segment while it commits what the
older ones hold, then ``release`` deletes the segments no event still waiting
for the outbox is in. ``open`` (at start) reads what segments are left, in
order, leaving out a torn or corrupt frame and everything after it in that
segment (a kill in the middle of a write; the file itself is deleted once its
events are in the outbox), and starts a new segment after them: the service
puts the recovered events the outbox lacks (by id) into it before anything
new.

A failed write (a full disk, a read-only or vanished directory) never stops
publication: ``write`` returns ``None``, counts it in ``failures`` and logs
(at most once a minute), and the service keeps the event in memory for the
outbox the old way. The segment is cut back to its last whole frame and the
descriptor dropped; the next ``rotate`` tries a new segment.

Concurrency: ``write`` and ``rotate`` run in the trio thread (they touch the
descriptor publication writes on; each is one or two system calls), ``open``
and ``release`` in a worker thread (they only touch segments older than the
current one).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import struct
import time
import zlib
from collections.abc import Callable
from json.encoder import encode_basestring as _quote  # the C function where there is one
from pathlib import Path
from typing import Any, Final

import attrs

__all__ = ["Entry", "Journal", "decode", "encode", "encode_params", "parse"]

log = logging.getLogger(__name__)

_HEADER: Final = struct.Struct(">II")
#: A frame longer than this is corruption, not an event.
MAX_FRAME: Final = 16 << 20
SUFFIX: Final = ".journal"
#: Seconds between two log lines about failed journal writes.
FAILURE_LOG_INTERVAL: Final = 60.0


@attrs.frozen
class Entry:
    """One published event, as the journal keeps it."""

    event_id: str
    #: The webhooks it was queued for, in the service's order.
    webhooks: tuple[str, ...]
    method: str
    #: The params as JSON text, exactly as the outbox stores them.
    params: str
    timestamp: str


#: One encoder, made once: ``json.dumps`` with options builds a new one per call.
_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_params(params: Any) -> str:
    """The params' JSON text (the outbox's ``params`` column holds the same)."""
    return _ENCODER.encode(params)


def encode(entry: Entry) -> bytes:
    """One frame: header and payload. The params text is spliced in, not encoded again."""
    # On the call path: the strings are quoted by json's own C function, a quarter of
    # the cost of encoding a dict of them (measured: docs/performance.md).
    webhooks = ",".join(_quote(name) for name in entry.webhooks)
    payload = (
        f'{{"id":{_quote(entry.event_id)},"webhooks":[{webhooks}],'
        f'"method":{_quote(entry.method)},"timestamp":{_quote(entry.timestamp)},'
        f'"params":{entry.params}}}'
    ).encode()
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def decode(payload: bytes) -> Entry:
    """A frame's payload back into an entry; ``ValueError`` if it is not one."""
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise ValueError("a journal entry is a JSON object")
    webhooks = data.get("webhooks")
    fields = (data.get("id"), data.get("method"), data.get("timestamp"))
    if (
        not all(isinstance(f, str) for f in fields)
        or not isinstance(webhooks, list)
        or not all(isinstance(w, str) for w in webhooks)
        or "params" not in data
    ):
        raise ValueError("a journal entry needs id, webhooks, method, timestamp and params")
    return Entry(
        str(fields[0]),
        tuple(webhooks),
        str(fields[1]),
        encode_params(data["params"]),
        str(fields[2]),
    )


def parse(data: bytes) -> tuple[list[Entry], int]:
    """The entries of a segment's bytes, up to the first torn or corrupt frame; and how
    many bytes they take (``len(data)`` when every frame is whole)."""
    entries: list[Entry] = []
    good = 0
    while good + _HEADER.size <= len(data):
        length, crc = _HEADER.unpack_from(data, good)
        end = good + _HEADER.size + length
        if length > MAX_FRAME or end > len(data):
            break
        payload = data[good + _HEADER.size : end]
        if zlib.crc32(payload) != crc:
            break
        try:
            entries.append(decode(payload))
        except ValueError:
            break
        good = end
    return entries, good


class Journal:
    """See the module docstring."""

    def __init__(
        self,
        directory: Path,
        *,
        fsync: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        #: fsync after every write: only to measure what it would cost (docs/performance.md).
        self.fsync = fsync
        self.monotonic = monotonic
        #: The segment written to now (0: none open).
        self.segment = 0
        self._fd: int | None = None
        self._offset = 0
        #: Whether ``open`` has run: before it, events are not journalled (and not counted).
        self.started = False
        #: Segments from this one on were made by this run (``release`` may delete them);
        #: older ones only if ``open`` read them all.
        self._first_own: int | None = None
        self._recovered = False
        #: Events that could not be written (counted, ``ctid_webhook_journal_failures``).
        self.failures = 0
        self._logged_at: float | None = None
        #: Failures since the last log line.
        self._unlogged = 0

    def _path(self, segment: int) -> Path:
        return self.directory / f"{segment:08d}{SUFFIX}"

    def segments(self) -> list[int]:
        """The segment numbers on disk, in order."""
        out = []
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            try:
                out.append(int(path.stem))
            except ValueError:
                continue
        return sorted(out)

    @property
    def healthy(self) -> bool:
        """Whether a segment is open for writing."""
        return self._fd is not None

    # --------------------------------------------------------------- start

    def open(self) -> list[Entry]:
        """Read what earlier runs left (in order), then open a new segment after it.

        Blocking: run in a worker thread. A directory that cannot be made or read is
        logged and counted: the journal stays closed until a ``rotate`` succeeds.
        """
        entries: list[Entry] = []
        self.started = True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            numbers = self.segments()
            for number in numbers:
                path = self._path(number)
                data = path.read_bytes()
                found, good = parse(data)
                if good < len(data):
                    log.warning(
                        "webhook journal %s: dropped %d bytes of a torn or corrupt entry "
                        "at offset %d (ctid was stopped in the middle of writing it)",
                        path,
                        len(data) - good,
                        good,
                    )
                entries.extend(found)
        except OSError as exc:
            self._failed(f"cannot read {self.directory}", exc)
            return []
        self._recovered = True
        self.rotate()  # no descriptor yet: past the segments on disk
        return entries

    # ------------------------------------------------------------- writing

    def write(self, frame: bytes) -> int | None:
        """Append one frame (``encode``) with one ``os.write``; the segment it is in, or
        None if it could not be written (counted and logged; the caller goes on)."""
        fd = self._fd
        if fd is None:
            if self.started:
                self._failed("no journal file is open", None)
            return None
        try:
            written = os.write(fd, frame)
            if written != len(frame):
                raise OSError(f"short write: {written} of {len(frame)} bytes (is the disk full?)")
            if self.fsync:
                os.fsync(fd)
        except OSError as exc:
            self._broken(fd, exc)
            return None
        self._offset += written
        return self.segment

    def rotate(self) -> int:
        """Continue in a new segment if the current one holds anything (or none is open);
        returns the current segment. Called by the writer at the start of each pass."""
        if self._fd is not None and self._offset == 0:
            return self.segment
        try:
            number = self.segment + 1
            if self._fd is None:
                # After a failure: past whatever is on disk (this run's or an unread earlier's).
                number = max([self.segment, *self.segments()]) + 1
            fd = os.open(
                self._path(number), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600
            )
        except OSError as exc:
            self._failed(f"cannot open a new file in {self.directory}", exc)
            return self.segment
        self.close()
        if self._unlogged or self._logged_at is not None:
            log.info("webhook journal: writing again, to %s", self._path(number))
            self._logged_at, self._unlogged = None, 0
        self._fd, self.segment, self._offset = fd, number, 0
        if self._first_own is None:
            self._first_own = number
        return number

    def _broken(self, fd: int, exc: OSError) -> None:
        # Cut the segment back to its last whole frame so later starts read it all;
        # then write no more to it (a new segment at the next rotate).
        with contextlib.suppress(OSError):  # if not, a torn frame is dropped when read
            os.ftruncate(fd, self._offset)
        self.close()
        self._failed(f"cannot write to {self._path(self.segment)}", exc)

    def _failed(self, what: str, exc: BaseException | None) -> None:
        self.failures += 1
        self._unlogged += 1
        now = self.monotonic()
        if self._logged_at is not None and now - self._logged_at < FAILURE_LOG_INTERVAL:
            return
        reason = f": {exc}" if exc is not None else ""
        log.error(
            "webhook journal: %s%s; %d event(s) kept in memory only until the outbox has "
            "them (a kill -9 before that loses them)",
            what,
            reason,
            self._unlogged,
        )
        self._logged_at, self._unlogged = now, 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # ----------------------------------------------------------- releasing

    def release(self, keep: int) -> int:
        """Delete the segments before segment ``keep`` (every event in them is in the
        outbox, or dropped); how many went. Blocking: run in a worker thread."""
        gone = 0
        for number in self.segments():
            if number >= keep or number >= self.segment:
                break
            if not self._recovered and (self._first_own is None or number < self._first_own):
                continue  # an earlier run's, never read: kept for the next start
            try:
                self._path(number).unlink()
            except FileNotFoundError:
                continue
            gone += 1
        return gone
