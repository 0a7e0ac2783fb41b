"""The webhook journal on its own: frames as bytes, and segments in a real directory.

The frames are checked byte for byte (header, payload) and parsed back; a torn
or corrupt frame ends what is read of a segment. The file side runs on a real
directory: what ``open`` recovers, ``rotate``'s segments, what ``release``
deletes and keeps, and the failures a disk gives (a path that is not a
directory, ``/dev/full`` answering ENOSPC as a full disk does).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import resource
import shutil
import signal
import stat
import struct
import zlib
from pathlib import Path

import pytest

from ctid.webhooks import journal
from ctid.webhooks.journal import Entry, Journal, decode, encode, encode_params, parse

PARAMS = {"clearedCall": {"callID": "c1"}, "userData": {"note": "王先生 回电", "n": 2}}


def entry(n: int, webhooks: tuple[str, ...] = ("crm",)) -> Entry:
    return Entry(
        f"r1-e{n}",
        webhooks,
        "CallClearedEvent",
        encode_params({**PARAMS, "n": n}),
        f"2027-01-15T10:00:{n:02d}.000Z",
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_params_are_compact_json_with_unicode_kept() -> None:
    assert encode_params(PARAMS) == (
        '{"clearedCall":{"callID":"c1"},"userData":{"note":"王先生 回电","n":2}}'
    )


def test_a_frame_is_length_crc_and_the_json_payload() -> None:
    e = entry(1, ("crm", "erp"))
    frame = encode(e)
    length, crc = struct.unpack(">II", frame[:8])
    payload = frame[8:]
    assert length == len(payload)
    assert crc == zlib.crc32(payload)
    assert (
        payload
        == (
            '{"id":"r1-e1","webhooks":["crm","erp"],"method":"CallClearedEvent",'
            '"timestamp":"2027-01-15T10:00:01.000Z","params":'
            '{"clearedCall":{"callID":"c1"},"userData":{"note":"王先生 回电","n":2},"n":1}}'
        ).encode()
    )
    assert json.loads(payload) == {
        "id": "r1-e1",
        "webhooks": ["crm", "erp"],
        "method": "CallClearedEvent",
        "timestamp": "2027-01-15T10:00:01.000Z",
        "params": {**PARAMS, "n": 1},
    }
    assert decode(payload) == e


def test_strings_are_quoted_as_json() -> None:
    e = Entry('r"1\\', ("a\nb",), "Me\u00e9", "[]", "T\u0001")
    payload = encode(e)[8:]
    assert (
        payload == b'{"id":"r\\"1\\\\","webhooks":["a\\nb"],"method":"Me\xc3\xa9",'
        b'"timestamp":"T\\u0001","params":[]}'
    )
    assert decode(payload) == e
    assert encode(Entry("x", (), "M", "{}", "T"))[8:] == (
        b'{"id":"x","webhooks":[],"method":"M","timestamp":"T","params":{}}'
    )


def test_parse_reads_every_whole_frame_in_order() -> None:
    entries = [entry(n, ("crm",) if n % 2 else ("crm", "erp")) for n in range(1, 6)]
    data = b"".join(encode(e) for e in entries)
    assert parse(data) == (entries, len(data))
    assert parse(b"") == ([], 0)


@pytest.mark.parametrize("cut", [1, 7, 8, 9, -1])
def test_a_torn_last_frame_is_dropped(cut: int) -> None:
    whole = encode(entry(1)) + encode(entry(2))
    torn = encode(entry(3))
    data = whole + torn[:cut]
    assert parse(data) == ([entry(1), entry(2)], len(whole))


def test_a_corrupt_frame_ends_the_segment() -> None:
    first = encode(entry(1))
    bad = bytearray(encode(entry(2)))
    bad[20] ^= 0x01  # a flipped bit in the payload: the crc does not match
    data = first + bytes(bad) + encode(entry(3))
    assert parse(data) == ([entry(1)], len(first))


def test_a_length_past_the_limit_is_corruption() -> None:
    first = encode(entry(1))
    data = first + struct.pack(">II", journal.MAX_FRAME + 1, 0) + b"x" * 16
    assert parse(data) == ([entry(1)], len(first))
    # At the limit it is only a frame whose bytes are not all there yet.
    data = first + struct.pack(">II", journal.MAX_FRAME, 0) + b"x" * 16
    assert parse(data) == ([entry(1)], len(first))


NOT_OBJECT = "^a journal entry is a JSON object$"
INCOMPLETE = "^a journal entry needs id, webhooks, method, timestamp and params$"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[1, 2]", NOT_OBJECT),
        (b'"text"', NOT_OBJECT),
        (b'{"id": "r1-e1", "webhooks": ["crm"], "method": "M", "timestamp": "T"}', INCOMPLETE),
        (
            b'{"id": 1, "webhooks": ["crm"], "method": "M", "timestamp": "T", "params": {}}',
            INCOMPLETE,
        ),
        (
            b'{"id": "r1-e1", "webhooks": "crm", "method": "M", "timestamp": "T", "params": {}}',
            INCOMPLETE,
        ),
        (
            b'{"id": "r1-e1", "webhooks": [1], "method": "M", "timestamp": "T", "params": {}}',
            INCOMPLETE,
        ),
        (
            b'{"id": "r", "webhooks": ["crm"], "method": null, "timestamp": "T", "params": {}}',
            INCOMPLETE,
        ),
        (
            b'{"id": "r", "webhooks": ["crm"], "method": "M", "timestamp": 5, "params": {}}',
            INCOMPLETE,
        ),
        (b'{"id": "r1-e1", "webhooks": ["crm"], "method": "M", "params": {}}', INCOMPLETE),
        (b"not json", "^Expecting value"),
    ],
)
def test_a_frame_that_is_not_an_entry_ends_the_segment(payload: bytes, message: str) -> None:
    first = encode(entry(1))
    frame = struct.pack(">II", len(payload), zlib.crc32(payload)) + payload
    with pytest.raises(ValueError, match=message):
        decode(payload)
    assert parse(first + frame + encode(entry(2))) == ([entry(1)], len(first))


def test_a_header_promising_more_bytes_than_there_are_is_torn_even_if_the_crc_fits() -> None:
    first = encode(entry(1))
    payload = encode(entry(2))[8:]
    # The crc of the bytes that are there, the length of more: still a torn frame.
    lying = struct.pack(">II", len(payload) + 5, zlib.crc32(payload)) + payload
    assert parse(first + lying) == ([entry(1)], len(first))


def test_a_frame_of_exactly_the_largest_size_is_read() -> None:
    base = Entry("big", ("crm",), "M", encode_params({"pad": ""}), "T")
    pad = journal.MAX_FRAME - (len(encode(base)) - 8)
    big = Entry("big", ("crm",), "M", encode_params({"pad": "x" * pad}), "T")
    frame = encode(big)
    assert len(frame) - 8 == journal.MAX_FRAME
    assert parse(frame) == ([big], len(frame))


def test_null_params_are_kept() -> None:
    payload = b'{"id": "a", "webhooks": [], "method": "M", "timestamp": "T", "params": null}'
    assert decode(payload) == Entry("a", (), "M", "null", "T")


def segment_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_new_journal_starts_at_segment_1(tmp_path: Path) -> None:
    # The state directory itself may not exist yet.
    j = Journal(tmp_path / "state" / "webhooks")
    assert not j.started and not j.healthy
    assert j.write(encode(entry(1))) is None
    assert j.failures == 0  # before open: not journalled, not a failure
    assert j.open() == []
    assert j.started and j.healthy and j.segment == 1
    directory = tmp_path / "state" / "webhooks"
    assert segment_files(directory) == ["00000001.journal"]
    assert j.write(encode(entry(1))) == 1
    assert j.write(encode(entry(2))) == 1
    assert (directory / "00000001.journal").read_bytes() == encode(entry(1)) + encode(entry(2))
    # Only the owner reads it; appended to, and not inherited by child processes.
    assert stat.S_IMODE((directory / "00000001.journal").stat().st_mode) == 0o600
    assert j._fd is not None
    assert fcntl.fcntl(j._fd, fcntl.F_GETFL) & os.O_APPEND
    assert fcntl.fcntl(j._fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    j.close()
    assert not j.healthy
    j.close()  # twice is harmless


def test_rotate_moves_on_only_from_a_segment_that_holds_something(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    j.open()
    assert j.rotate() == 1  # nothing written: stays
    assert j.write(encode(entry(1))) == 1
    assert j.rotate() == 2
    assert j.write(encode(entry(2))) == 2
    assert j.rotate() == 3
    assert segment_files(tmp_path) == ["00000001.journal", "00000002.journal", "00000003.journal"]
    assert (tmp_path / "00000002.journal").read_bytes() == encode(entry(2))
    assert (tmp_path / "00000003.journal").read_bytes() == b""


def test_release_deletes_the_segments_before_keep_never_the_current(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    j.open()
    for n in range(1, 4):
        j.write(encode(entry(n)))
        j.rotate()
    assert j.segment == 4
    assert j.release(3) == 2
    assert segment_files(tmp_path) == ["00000003.journal", "00000004.journal"]
    assert j.release(3) == 0
    assert j.release(99) == 1  # the current segment stays
    assert segment_files(tmp_path) == ["00000004.journal"]
    assert j.write(encode(entry(9))) == 4


def test_open_recovers_earlier_segments_in_order_and_starts_after_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = Journal(tmp_path)
    first.open()
    first.write(encode(entry(1)))
    first.write(encode(entry(2, ("crm", "erp"))))
    first.rotate()
    first.write(encode(entry(3)))
    # Killed in the middle of the next write: half a frame at the end.
    with open(tmp_path / "00000002.journal", "ab") as f:
        f.write(encode(entry(4))[:30])
    first.close()

    second = Journal(tmp_path)
    with caplog.at_level(logging.WARNING, logger="ctid.webhooks.journal"):
        assert second.open() == [entry(1), entry(2, ("crm", "erp")), entry(3)]
    assert second.segment == 3
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    size = len(encode(entry(3)))
    assert warning.getMessage() == (
        f"webhook journal {tmp_path / '00000002.journal'}: dropped 30 bytes of a torn or "
        f"corrupt entry at offset {size} (ctid was stopped in the middle of writing it)"
    )
    assert second.write(encode(entry(5))) == 3
    # The recovered segments go once the outbox has their events.
    assert second.release(second.segment) == 2
    assert segment_files(tmp_path) == ["00000003.journal"]
    assert Journal(tmp_path).open() == [entry(5)]


def test_a_journal_that_cannot_be_made_fails_clearly_and_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a directory")
    clock = Clock()
    j = Journal(blocker / "webhooks", monotonic=clock)
    with caplog.at_level(logging.INFO, logger="ctid.webhooks.journal"):
        assert j.open() == []
        assert j.started and not j.healthy and j.failures == 1
        assert j.write(encode(entry(1))) is None
        assert j.write(encode(entry(2))) is None
        assert j.rotate() == 0
        assert j.failures == 4
        # One line a minute, saying how many events went unjournalled since the last.
        clock.now += journal.FAILURE_LOG_INTERVAL
        assert j.write(encode(entry(3))) is None
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert errors[0].startswith(f"webhook journal: cannot read {blocker / 'webhooks'}: [Errno 20]")
    assert errors[0].endswith(
        "; 1 event(s) kept in memory only until the outbox has them "
        "(a kill -9 before that loses them)"
    )
    assert errors[1] == (
        "webhook journal: no journal file is open; 4 event(s) kept in memory only until "
        "the outbox has them (a kill -9 before that loses them)"
    )
    assert j.failures == 5
    # The directory becomes writable: the next rotate opens a segment, says so.
    blocker.unlink()
    (blocker / "webhooks").mkdir(parents=True)
    with caplog.at_level(logging.INFO, logger="ctid.webhooks.journal"):
        assert j.rotate() == 1
    assert caplog.records[-1].getMessage() == (
        f"webhook journal: writing again, to {blocker / 'webhooks' / '00000001.journal'}"
    )
    assert j.healthy
    assert j.write(encode(entry(6))) == 1


def test_a_full_disk_cuts_the_segment_back_and_goes_on_in_a_new_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    j = Journal(tmp_path, monotonic=Clock())
    j.open()
    assert j.write(encode(entry(1))) == 1
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        saved = os.dup(j._fd)  # type: ignore[arg-type]
        # The segment's descriptor now answers ENOSPC, as a full disk does.
        os.dup2(full, j._fd)  # type: ignore[arg-type]
        with caplog.at_level(logging.ERROR, logger="ctid.webhooks.journal"):
            assert j.write(encode(entry(2))) is None
        assert not j.healthy and j.failures == 1
        (error,) = [r.getMessage() for r in caplog.records]
        assert error.startswith(
            f"webhook journal: cannot write to {tmp_path / '00000001.journal'}: [Errno 28]"
        )
        assert j.write(encode(entry(3))) is None
        assert j.failures == 2
    finally:
        os.close(full)
        os.close(saved)
    # Space again: the next rotate continues in a new segment; nothing was torn.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ctid.webhooks.journal"):
        assert j.rotate() == 2
        assert j.write(encode(entry(4))) == 2
        # A new failure is told at once, counted from the recovery.
        full = os.open("/dev/full", os.O_WRONLY)
        os.dup2(full, j._fd)  # type: ignore[arg-type]
        os.close(full)
        assert j.write(encode(entry(5))) is None
    assert [r.getMessage() for r in caplog.records] == [
        f"webhook journal: writing again, to {tmp_path / '00000002.journal'}",
        f"webhook journal: cannot write to {tmp_path / '00000002.journal'}: [Errno 28] No "
        "space left on device; 1 event(s) kept in memory only until the outbox has them (a kill "
        "-9 before that loses them)",
    ]
    assert Journal(tmp_path).open() == [entry(1), entry(4)]


def test_release_keeps_unread_segments_of_an_earlier_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "j"
    directory.mkdir()
    # A segment that cannot be read (here: a directory where a file should be).
    (directory / "00000001.journal").mkdir()
    j = Journal(directory)
    with caplog.at_level(logging.ERROR, logger="ctid.webhooks.journal"):
        assert j.open() == []
    assert not j.healthy
    assert caplog.records[0].getMessage().startswith(f"webhook journal: cannot read {directory}")
    assert j.rotate() == 2
    j.write(encode(entry(2)))
    assert j.rotate() == 3
    assert j.release(3) == 1
    assert segment_files(directory) == ["00000001.journal", "00000003.journal"]


def test_release_goes_on_past_a_segment_already_gone(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    j.open()
    for n in (1, 2):
        j.write(encode(entry(n)))
        j.rotate()
    listed = j.segments()
    (tmp_path / "00000001.journal").unlink()
    j.segments = lambda: listed  # type: ignore[method-assign]
    assert j.release(3) == 1
    assert segment_files(tmp_path) == ["00000003.journal"]


def test_segments_are_the_numbered_files_only(tmp_path: Path) -> None:
    for name in ("!old.journal", "00000002.journal", "00000010.journal", "x.spool", "7.journal"):
        (tmp_path / name).write_bytes(b"")
    assert Journal(tmp_path).segments() == [2, 7, 10]


def test_a_directory_gone_mid_run_keeps_the_open_segment(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "j"
    j = Journal(directory, monotonic=Clock())
    j.open()
    j.write(encode(entry(1)))
    shutil.rmtree(directory)
    with caplog.at_level(logging.ERROR, logger="ctid.webhooks.journal"):
        assert j.rotate() == 1
    (error,) = [r.getMessage() for r in caplog.records]
    assert error.startswith(
        f"webhook journal: cannot open a new file in {directory}: [Errno 2] No such file"
    )
    assert j.failures == 1 and j.healthy


def test_a_write_cut_short_leaves_only_whole_frames(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    j = Journal(tmp_path, monotonic=Clock())
    j.open()
    whole = encode(entry(1)) + encode(entry(2))
    assert j.write(encode(entry(1))) == 1
    assert j.write(encode(entry(2))) == 1
    # The file may grow 10 bytes more (RLIMIT_FSIZE, as a quota would): the next write
    # is cut short, and the one after fails.
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(whole) + 10, limits[1]))
    try:
        with caplog.at_level(logging.ERROR, logger="ctid.webhooks.journal"):
            assert j.write(encode(entry(3))) is None
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
    frame = len(encode(entry(3)))
    (error,) = [r.getMessage() for r in caplog.records]
    assert error == (
        f"webhook journal: cannot write to {tmp_path / '00000001.journal'}: short write: "
        f"10 of {frame} bytes (is the disk full?); 1 event(s) kept in memory only until "
        "the outbox has them (a kill -9 before that loses them)"
    )
    # Cut back to the whole frames: a later start reads them all.
    assert (tmp_path / "00000001.journal").read_bytes() == whole
    assert not j.healthy
    assert j.rotate() == 2
    assert j.write(encode(entry(4))) == 2
    assert Journal(tmp_path).open() == [entry(1), entry(2), entry(4)]


def test_writes_are_not_fsynced_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    plain = Journal(tmp_path / "plain")
    plain.open()
    plain.write(encode(entry(1)))
    assert synced == []
    durable = Journal(tmp_path / "durable", fsync=True)
    durable.open()
    durable.write(encode(entry(1)))
    assert synced == [durable._fd]


def test_fsync_mode_writes_the_same_bytes(tmp_path: Path) -> None:
    j = Journal(tmp_path, fsync=True)
    j.open()
    assert j.write(encode(entry(1))) == 1
    assert (tmp_path / "00000001.journal").read_bytes() == encode(entry(1))
