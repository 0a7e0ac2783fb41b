"""The spool: an append-only journal of records on disk. Blocking code, run in worker threads.

Every record ctid writes goes here first, and only then to the database: the
journal is the durable point. Once ``append`` has returned, the records are
in the file (and, with ``fsync``, on the disk), so killing the daemon, even
with SIGKILL, cannot lose them: the next start replays what the database
had not committed yet. The same journal carries ctid through a database
outage: records pile up in it, bounded by ``max_bytes``, and are written in
order when the database is back.

Layout: a directory of segment files ``00000001.spool``, ``00000002.spool``...
Each holds frames ``length (u32 BE) | crc32 (u32 BE) | payload``. A new
segment starts when the current one passes ``segment_bytes``; a segment whose
every frame the database has committed is deleted. A SIGKILL during a write
can leave a torn frame at the end of the last segment: ``open`` cuts it off.

Where the database's commits reached inside the segments that are still there
is kept in ``committed`` (``mark``), so a restart replays only what the
database may not have: without it every clean restart would write the whole
current segment again. The file is a hint: missing, unreadable or pointing
outside the spool, ``open`` starts from the first segment (writing a record
twice changes nothing); it lags a commit at most by a crash between the two.

Concurrency: one thread appends (the journal limiter) while another reads and
releases (the database limiter). They share no state: the reader is told up
to where it may read, and only segments the appender has moved past are
deleted. The byte count is kept by the trio side from what these return.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Final

import attrs

__all__ = ["FRAME_OVERHEAD", "Journal", "Position", "Recovered"]

log = logging.getLogger(__name__)

_HEADER: Final = struct.Struct(">II")
#: Bytes each frame adds to its payload.
FRAME_OVERHEAD: Final = _HEADER.size
#: A frame larger than this is corruption, not a record.
MAX_FRAME: Final = 16 << 20
_SUFFIX: Final = ".spool"
#: Where the database's commits reached: ``SEGMENT OFFSET``.
MARK_FILE: Final = "committed"


@attrs.frozen(order=True)
class Position:
    """A place in the journal: a segment number and a byte offset in it."""

    segment: int
    offset: int


@attrs.frozen(kw_only=True)
class Recovered:
    """What ``open`` found: ``frames`` not yet known to be committed, from ``start`` to
    ``end``; ``bytes`` on disk."""

    start: Position
    end: Position
    frames: int
    bytes: int
    #: Bytes cut off torn or corrupt frames.
    discarded: int


class Journal:
    """See the module docstring."""

    def __init__(
        self, directory: Path, *, segment_bytes: int = 4 << 20, fsync: bool = True
    ) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.fsync = fsync
        self._file: BinaryIO | None = None
        self._segment = 0
        self._offset = 0

    def _path(self, segment: int) -> Path:
        return self.directory / f"{segment:08d}{_SUFFIX}"

    def _segments(self) -> list[int]:
        out = []
        for path in self.directory.glob(f"*{_SUFFIX}"):
            try:
                out.append(int(path.stem))
            except ValueError:
                continue
        return sorted(out)

    # ------------------------------------------------------------- recovery

    def open(self) -> Recovered:
        """Check every segment, cut torn frames, and get ready to append."""
        self.directory.mkdir(parents=True, exist_ok=True)
        segments = self._segments()
        mark = self._read_mark(segments)
        frames = 0
        pending = 0
        total = 0
        discarded = 0
        for number in segments:
            path = self._path(number)
            skip = -1
            if mark is not None and number >= mark.segment:
                skip = mark.offset if number == mark.segment else 0
            good, count, after, aligned = _scan(path, skip)
            if mark is not None and number == mark.segment and not aligned:
                mark = None  # not where a frame starts: a stale or damaged hint
            size = path.stat().st_size
            if good < size:
                log.warning(
                    "spool %s: cutting %d bytes of torn or corrupt records at offset %d",
                    path,
                    size - good,
                    good,
                )
                with open(path, "r+b") as f:
                    f.truncate(good)
                    os.fsync(f.fileno())
                discarded += size - good
            frames += count
            pending += after
            total += good
        if not segments:
            segments = [1]
        self._segment = segments[-1]
        path = self._path(self._segment)
        self._file = open(path, "ab")  # noqa: SIM115 - kept open for appending
        self._offset = self._file.tell()
        if self._offset == 0:
            self._sync_directory()
        start = Position(segments[0], 0)
        if mark is not None:
            start = mark
            frames = pending
        return Recovered(
            start=start,
            end=Position(self._segment, self._offset),
            frames=frames,
            bytes=total,
            discarded=discarded,
        )

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    # ------------------------------------------------------------ appending

    def append(self, payloads: Sequence[bytes]) -> tuple[Position, int]:
        """Write ``payloads`` as frames and make them durable; returns (new end, bytes written)."""
        assert self._file is not None, "open() first"
        written = 0
        if self._offset >= self.segment_bytes:
            self._roll()
        data = bytearray()
        for payload in payloads:
            if len(payload) > MAX_FRAME:
                raise ValueError(f"a record of {len(payload)} bytes is too large for the spool")
            data += _HEADER.pack(len(payload), zlib.crc32(payload))
            data += payload
        self._file.write(data)
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())
        self._offset += len(data)
        written += len(data)
        return Position(self._segment, self._offset), written

    def _roll(self) -> None:
        assert self._file is not None
        self._file.close()
        self._segment += 1
        self._file = open(self._path(self._segment), "ab")  # noqa: SIM115
        self._offset = 0
        self._sync_directory()

    def _sync_directory(self) -> None:
        # The new segment's directory entry must be durable too.
        if not self.fsync:
            return
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # ------------------------------------------------- reading and releasing

    def read(self, start: Position, end: Position, limit: int) -> tuple[list[bytes], Position]:
        """Up to ``limit`` payloads from ``start``, not past ``end``; returns them and where
        the next read starts."""
        out: list[bytes] = []
        position = start
        while len(out) < limit and position < end:
            path = self._path(position.segment)
            if not path.exists():
                # A segment can only be missing if it was empty when rolled past.
                position = Position(position.segment + 1, 0)
                continue
            stop = end.offset if position.segment == end.segment else None
            with open(path, "rb") as f:
                f.seek(position.offset)
                offset = position.offset
                while len(out) < limit and (stop is None or offset < stop):
                    header = f.read(_HEADER.size)
                    if len(header) < _HEADER.size:
                        break
                    length, crc = _HEADER.unpack(header)
                    payload = f.read(length)
                    if len(payload) < length or zlib.crc32(payload) != crc:
                        raise OSError(f"spool {path} is corrupt at offset {offset}")
                    out.append(payload)
                    offset += _HEADER.size + length
            if stop is None and len(out) < limit:
                position = Position(position.segment + 1, 0)
            else:
                position = Position(position.segment, offset)
        return out, position

    def mark(self, committed: Position) -> None:
        """Note that the database has committed everything before ``committed``."""
        tmp = self.directory / f"{MARK_FILE}.tmp"
        tmp.write_text(f"{committed.segment} {committed.offset}\n")
        os.replace(tmp, self.directory / MARK_FILE)

    def _read_mark(self, segments: list[int]) -> Position | None:
        try:
            segment_text, offset_text = (self.directory / MARK_FILE).read_text().split()
            mark = Position(int(segment_text), int(offset_text))
        except (OSError, ValueError):
            return None
        if not segments or mark.segment < segments[0] or mark.offset < 0:
            return None
        if mark.segment > segments[-1]:
            return None
        return mark

    def release(self, upto: Position) -> int:
        """Delete the segments wholly before ``upto``; returns the bytes freed."""
        freed = 0
        for number in self._segments():
            if number >= upto.segment:
                break
            path = self._path(number)
            freed += path.stat().st_size
            path.unlink()
        return freed


def _scan(path: Path, skip: int = 0) -> tuple[int, int, int, bool]:
    """Bytes of whole, valid frames from the start; how many frames; how many of them
    start at or after byte ``skip`` (-1: none); whether a frame starts at ``skip``
    (or it is the end)."""
    good = 0
    count = 0
    after = 0
    aligned = skip <= 0
    with open(path, "rb") as f:
        while True:
            if good == skip:
                aligned = True
            header = f.read(_HEADER.size)
            if len(header) < _HEADER.size:
                break
            length, crc = _HEADER.unpack(header)
            if length > MAX_FRAME:
                break
            payload = f.read(length)
            if len(payload) < length or zlib.crc32(payload) != crc:
                break
            count += 1
            if 0 <= skip <= good:
                after += 1
            good += _HEADER.size + length
    return good, count, after, aligned
