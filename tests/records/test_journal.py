"""The spool's on-disk format: appends, reads, torn tails, segments."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.records.journal import FRAME_OVERHEAD, Journal, Position


def _payloads(n: int) -> list[bytes]:
    return [f'{{"n":{i},"pad":"{"x" * (i % 7)}"}}'.encode() for i in range(n)]


def test_append_then_read_back_in_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path, fsync=False)
    rec = journal.open()
    assert rec.frames == 0
    assert rec.start == rec.end == Position(1, 0)
    items = _payloads(10)
    end, written = journal.append(items[:4])
    end, more = journal.append(items[4:])
    assert written + more == sum(len(p) + FRAME_OVERHEAD for p in items)
    got, cursor = journal.read(rec.start, end, 3)
    assert got == items[:3]
    rest, cursor = journal.read(cursor, end, 100)
    assert rest == items[3:]
    assert cursor == end
    journal.close()


def test_reopen_recovers_everything_appended(tmp_path: Path) -> None:
    journal = Journal(tmp_path, fsync=True)
    journal.open()
    journal.append(_payloads(5))
    journal.close()
    again = Journal(tmp_path)
    rec = again.open()
    assert rec.frames == 5
    got, _ = again.read(rec.start, rec.end, 100)
    assert got == _payloads(5)
    again.close()


def test_every_torn_tail_is_cut_to_the_last_whole_frame(tmp_path: Path) -> None:
    """A SIGKILL mid-write can stop the file at any byte: each length recovers whole frames."""
    source = tmp_path / "source"
    journal = Journal(source, fsync=False)
    journal.open()
    items = _payloads(3)
    journal.append(items)
    journal.close()
    data = (source / "00000001.spool").read_bytes()
    bounds = [0]
    for p in items:
        bounds.append(bounds[-1] + len(p) + FRAME_OVERHEAD)
    for cut in range(len(data) + 1):
        d = tmp_path / f"cut{cut}"
        d.mkdir()
        (d / "00000001.spool").write_bytes(data[:cut])
        torn = Journal(d, fsync=False)
        rec = torn.open()
        whole = max(i for i, b in enumerate(bounds) if b <= cut)
        assert rec.frames == whole, cut
        assert rec.discarded == cut - bounds[whole]
        assert (d / "00000001.spool").stat().st_size == bounds[whole]
        got, _ = torn.read(rec.start, rec.end, 100)
        assert got == items[:whole]
        # Appending after a cut continues cleanly.
        end, _ = torn.append([b"after"])
        got, _ = torn.read(rec.start, end, 100)
        assert got == [*items[:whole], b"after"]
        torn.close()


def test_a_corrupt_frame_and_what_follows_are_cut(tmp_path: Path) -> None:
    journal = Journal(tmp_path, fsync=False)
    journal.open()
    items = _payloads(4)
    journal.append(items)
    journal.close()
    path = tmp_path / "00000001.spool"
    data = bytearray(path.read_bytes())
    second = len(items[0]) + FRAME_OVERHEAD
    data[second + FRAME_OVERHEAD] ^= 0xFF  # flip a payload byte of the second frame
    path.write_bytes(bytes(data))
    reopened = Journal(tmp_path, fsync=False)
    rec = reopened.open()
    assert rec.frames == 1
    reopened.close()


def test_segments_roll_and_are_released_once_read(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=100, fsync=False)
    rec = journal.open()
    items = _payloads(30)
    end = rec.end
    for p in items:
        end, _ = journal.append([p])
    assert end.segment > 3
    segments = sorted(tmp_path.glob("*.spool"))
    assert len(segments) == end.segment
    sizes = [s.stat().st_size for s in segments]
    got, cursor = journal.read(rec.start, end, 1000)
    assert got == items
    freed = journal.release(cursor)
    assert freed == sum(sizes[:-1])
    assert sorted(tmp_path.glob("*.spool")) == segments[-1:]
    journal.close()
    # What is left still opens and continues.
    reopened = Journal(tmp_path, segment_bytes=100, fsync=False)
    rec2 = reopened.open()
    assert rec2.start.segment == end.segment
    reopened.close()


def test_reading_in_small_batches_across_segments(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=64, fsync=False)
    rec = journal.open()
    items = _payloads(25)
    end = rec.end
    for i in range(0, 25, 3):
        end, _ = journal.append(items[i : i + 3])
    cursor = rec.start
    seen: list[bytes] = []
    for _ in range(100):
        got, cursor = journal.read(cursor, end, 2)
        seen += got
        if cursor >= end:
            break
    assert seen == items
    journal.close()


def test_a_record_too_large_is_refused(tmp_path: Path) -> None:
    journal = Journal(tmp_path, fsync=False)
    journal.open()
    with pytest.raises(ValueError, match="too large"):
        journal.append([b"x" * ((16 << 20) + 1)])
    journal.close()


def test_reopen_starts_after_what_the_database_committed(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=120, fsync=False)
    rec = journal.open()
    items = _payloads(12)
    end = rec.end
    for item in items:
        end, _ = journal.append([item])
    got, cursor = journal.read(rec.start, end, 7)
    assert got == items[:7]
    journal.mark(cursor)
    journal.close()
    again = Journal(tmp_path, segment_bytes=120, fsync=False)
    rec = again.open()
    assert (rec.start, rec.end, rec.frames) == (cursor, end, 5)
    rest, last = again.read(rec.start, rec.end, 100)
    assert rest == items[7:]
    again.mark(last)
    again.close()
    third = Journal(tmp_path, segment_bytes=120, fsync=False)
    rec = third.open()
    assert (rec.start, rec.end, rec.frames) == (last, end, 0)
    third.close()


@pytest.mark.parametrize("mark", ["", "garbage", "1", "1 -4", "1 5", "99 0", "0 0"], ids=repr)
def test_an_unusable_committed_mark_replays_everything(tmp_path: Path, mark: str) -> None:
    """The mark is a hint: wrong, it costs a replay (harmless), never a lost record."""
    journal = Journal(tmp_path, fsync=False)
    journal.open()
    journal.append(_payloads(4))
    journal.close()
    (tmp_path / "committed").write_text(mark)
    again = Journal(tmp_path, fsync=False)
    rec = again.open()
    assert (rec.start, rec.frames) == (Position(1, 0), 4)
    again.close()
