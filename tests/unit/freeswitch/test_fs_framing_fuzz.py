"""Property tests of the framer: splits never matter, garbage never escapes the
documented errors, and memory stays bounded."""

from __future__ import annotations

import itertools

from esl_captures import load_sessions
from esl_replay import drain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctid.switch_drivers.freeswitch.errors import EslProtocolError, RemoteProtocolError
from ctid.switch_drivers.freeswitch.frames import ConnectionClosed, Frame, parse_frame
from ctid.switch_drivers.freeswitch.framing import FrameReader, RawFrame
from ctid.switch_drivers.freeswitch.proto import NEED_DATA, EslConnection

SESSIONS = load_sessions()
# The server's side of a few connections: real frames of every content type.
STREAMS = [c.received for c in SESSIONS if c.name in ("ref-call", "ref-plain", "log", "utf8-plain")]
MAX = 64 * 1024


def frames_of(data: bytes, cuts: list[int]) -> list[RawFrame]:
    reader = FrameReader(max_frame_size=MAX)
    out: list[RawFrame] = []
    edges = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    for start, end in itertools.pairwise(edges):
        reader.feed(data[start:end])
        while (frame := reader.next_frame()) is not None:
            out.append(frame)
        assert reader.buffered_size <= MAX
    assert reader.buffered_size == 0
    return out


REFERENCE = [frames_of(stream, []) for stream in STREAMS]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(STREAMS) - 1), cuts=st.lists(st.integers(0, 10**7), max_size=60))
def test_random_splits_give_the_same_frames(index: int, cuts: list[int]) -> None:
    assert frames_of(STREAMS[index], cuts) == REFERENCE[index]


def _garbage() -> st.SearchStrategy[bytes]:
    pieces = st.sampled_from(
        [
            b"\n",
            b"\n\n",
            b"Content-Length: ",
            b"Content-Length: 5",
            b"Content-Length: 99999999",
            b"Content-Type: ",
            b"text/event-json",
            b"text/event-plain",
            b"api/response",
            b"command/reply",
            b"auth/request",
            b"Reply-Text: +OK",
            b": ",
            b"{",
            b"}",
            b'"a":"b"',
            b"[",
            b"%",
            b"%C3",
            b"ARRAY::",
            b"\xff",
            b"\r",
        ]
    )
    return st.lists(st.one_of(pieces, st.binary(max_size=20)), max_size=40).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(data=_garbage(), cuts=st.lists(st.integers(0, 1000), max_size=10))
def test_garbage_only_raises_protocol_errors_and_stays_bounded(
    data: bytes, cuts: list[int]
) -> None:
    limit = 256
    conn = EslConnection(max_frame_size=limit)
    edges = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
    try:
        for start, end in itertools.pairwise(edges):
            if start == end:
                continue  # b"" would mean EOF
            conn.receive_data(data[start:end])
            while (frame := conn.next_event()) is not NEED_DATA:
                assert not isinstance(frame, ConnectionClosed)
            # After NEED_DATA at most one incomplete frame is held.
            assert conn.buffered_size <= limit
        conn.receive_data(None)
        conn.next_event()
    except EslProtocolError:
        return


@settings(max_examples=200, deadline=None)
@given(data=_garbage())
def test_parse_frame_of_any_raw_frame_only_raises_remote_errors(data: bytes) -> None:
    for content_type in ("text/event-json", "text/event-plain", "api/response", "command/reply"):
        raw = RawFrame(start_line=None, headers=(("Content-Type", content_type),), body=data)
        try:
            frame: Frame = parse_frame(raw)
        except RemoteProtocolError:
            continue
        assert frame is not None


def test_a_stream_of_blank_lines_is_consumed_not_buffered() -> None:
    conn = EslConnection(max_frame_size=16)
    for _ in range(1000):
        conn.receive_data(b"\n" * 64)
        assert drain(conn) == []
        assert conn.buffered_size == 0
