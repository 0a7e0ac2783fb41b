"""Replay every recorded connection of session-raw.txt through EslConnection.

Each connection is replayed whole (all bytes between two writes at once, so
frames trail each other), byte by byte, and in 7-byte chunks; all three must
give the same frames, and the frames must match what the capture says.
"""

from __future__ import annotations

import collections
import json

import pytest
from esl_captures import Connection, load_sessions
from esl_replay import Feeder, drain, feed_bytewise, feed_whole, replay

from ctid.switch_drivers.freeswitch.frames import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    ConnectionClosed,
    DisconnectNotice,
    EslEvent,
    Frame,
    LogData,
    XmlEvent,
)
from ctid.switch_drivers.freeswitch.framing import FrameReader
from ctid.switch_drivers.freeswitch.proto import ConnState, EslConnection

SESSIONS = {c.name: c for c in load_sessions()}


def feed_chunks(conn: EslConnection, data: bytes) -> list[Frame]:
    frames: list[Frame] = []
    for i in range(0, len(data), 7):
        conn.receive_data(data[i : i + 7])
        frames += drain(conn)
    return frames


FEEDERS: dict[str, Feeder] = {"whole": feed_whole, "bytewise": feed_bytewise, "chunks": feed_chunks}


def run(name: str, feeder: Feeder = feed_whole) -> tuple[list[Frame], ConnState]:
    items = list(replay(SESSIONS[name], feeder))
    frames = [item for kind, item in items if kind == "frame"]
    state = items[-1][1]
    assert isinstance(state, ConnState)
    return frames, state  # type: ignore[return-value]


def test_the_capture_has_the_twelve_documented_connections() -> None:
    assert list(SESSIONS) == [
        "ref-call", "ref-plain", "ref-xml", "badauth", "unauth", "log",
        "pipeline", "pipeline-other", "myevents", "utf8-json", "utf8-plain", "shutdown",
    ]  # fmt: skip
    assert sum(len(c.sent_messages) for c in SESSIONS.values()) == 55
    assert sum(len(c.recv_messages) for c in SESSIONS.values()) == 223
    assert all(c.eof for c in SESSIONS.values())


@pytest.mark.parametrize("name", list(SESSIONS))
def test_each_recv_marker_is_exactly_one_frame(name: str) -> None:
    """The capture client framed each RECV message; our framer must agree byte for byte."""
    for message in SESSIONS[name].recv_messages:
        reader = FrameReader()
        reader.feed(message)
        assert reader.next_frame() is not None
        assert reader.buffered_size == 0
        assert reader.next_frame() is None


@pytest.mark.parametrize("feeder", list(FEEDERS))
@pytest.mark.parametrize("name", list(SESSIONS))
def test_replay_gives_one_frame_per_message_in_every_split(name: str, feeder: str) -> None:
    connection: Connection = SESSIONS[name]
    frames, state = run(name, FEEDERS[feeder])
    assert len(frames) == len(connection.recv_messages) + 1  # + ConnectionClosed
    assert isinstance(frames[0], AuthRequest)
    assert isinstance(frames[-2], DisconnectNotice)
    assert isinstance(frames[-1], ConnectionClosed)
    assert state is ConnState.CLOSED
    if feeder != "whole":
        assert frames == run(name)[0]


def _replies(frames: list[Frame]) -> list[str]:
    out = []
    for frame in frames:
        if isinstance(frame, CommandReply):
            out.append(f"reply {frame.reply_text}")
        elif isinstance(frame, ApiResponse):
            out.append(f"api {frame.body}")
    return out


def _events(frames: list[Frame]) -> list[EslEvent]:
    return [f for f in frames if isinstance(f, EslEvent)]


def test_ref_call_replies_events_and_jobs() -> None:
    frames, _ = run("ref-call")
    replies = _replies(frames)
    assert replies[:5] == [
        "reply +OK accepted",
        "reply +OK event listener enabled json",
        'api {"row_count": 0}\n',
        "api -ERR No such channel!\n",
        "api -ERR no_such_command Command not found!\n",
    ]
    assert "api +OK 20580cd0-63e3-47a0-aa47-d551a401145d\n" in replies  # uuid_bridge
    assert "api false" in replies  # uuid_exists: a body without a newline
    assert replies[-1] == "reply +OK bye"
    events = _events(frames)
    assert all(e.format == "json" for e in events)
    jobs = {e.get("Job-UUID"): e.body for e in events if e.name == "BACKGROUND_JOB"}
    assert jobs == {
        "30991591-5bf3-4b62-98a3-82257b804a8b": "-ERR USER_NOT_REGISTERED\n",
        "a9db4022-c908-4ea3-8a11-f4757f74b5b0": "+OK 49d4b0c6-108c-408b-a183-f4644acf19bd\n",
        "0b0b0b0b-1111-4222-8333-444444444444": "+OK 20580cd0-63e3-47a0-aa47-d551a401145d\n",
    }
    counts = collections.Counter(e.name for e in events)
    assert counts["CHANNEL_BRIDGE"] == 1
    assert counts["CHANNEL_UNBRIDGE"] == 1
    assert counts["CHANNEL_HANGUP_COMPLETE"] == 2
    assert counts["DTMF"] == 1
    (bridge,) = [e for e in events if e.name == "CHANNEL_BRIDGE"]
    assert bridge.get("Bridge-A-Unique-ID") == "49d4b0c6-108c-408b-a183-f4644acf19bd"
    assert bridge.get("Bridge-B-Unique-ID") == "20580cd0-63e3-47a0-aa47-d551a401145d"
    hangup_complete = [e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE"]
    assert all("Hangup-Cause" in e.duplicate_keys for e in hangup_complete)


def _json_events_by_sequence() -> dict[str, EslEvent]:
    frames, _ = run("ref-call")
    return {e.get("Event-Sequence") or "": e for e in _events(frames)}


def test_ref_plain_decodes_to_the_same_headers_as_the_json_of_the_same_events() -> None:
    """ref-plain ran beside ref-call: the same events (same Event-Sequence) in both formats."""
    by_sequence = _json_events_by_sequence()
    frames, _ = run("ref-plain")
    plain = _events(frames)
    assert [e.name for e in plain] == [
        "BACKGROUND_JOB", "CHANNEL_ANSWER", "BACKGROUND_JOB", "CHANNEL_ANSWER",
        "BACKGROUND_JOB", "DTMF", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_HANGUP_COMPLETE",
    ]  # fmt: skip
    compared = 0
    for event in plain:
        assert event.format == "plain"
        twin = by_sequence.get(event.get("Event-Sequence") or "")
        if twin is None:
            continue
        compared += 1
        assert dict(event.headers) == dict(twin.headers)
        assert event.body == twin.body
    assert compared == len(plain)
    job = plain[2]
    assert job.get("Job-Command-Arg") == (
        "{origination_uuid=49d4b0c6-108c-408b-a183-f4644acf19bd,origination_caller_id_number=5000,"
        "origination_caller_id_name='CTI Server'}user/1001@127.0.0.1 &park()"
    )
    assert job.body == "+OK 49d4b0c6-108c-408b-a183-f4644acf19bd\n"


def test_ref_xml_is_framed_and_kept_raw() -> None:
    frames, _ = run("ref-xml")
    xml = [f for f in frames if isinstance(f, XmlEvent)]
    assert len(xml) == 5
    assert all(f.raw.startswith(b"<event>\n  <headers>\n    <Event-Name>") for f in xml)
    assert b"<body>-ERR USER_NOT_REGISTERED\n  </body>" in xml[0].raw


def test_badauth_is_rejected_then_closed() -> None:
    frames, state = run("badauth")
    assert _replies(frames) == ["reply -ERR invalid"]
    assert isinstance(frames[2], DisconnectNotice)
    assert frames[2].text == "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
    assert state is ConnState.CLOSED


def test_badauth_state_before_eof_is_auth_rejected() -> None:
    conn = EslConnection()
    conn.receive_data(SESSIONS["badauth"].recv_messages[0])
    assert isinstance(conn.next_event(), AuthRequest)
    conn.send_auth("NotThePassword")
    conn.receive_data(SESSIONS["badauth"].recv_messages[1])
    reply = conn.next_event()
    assert isinstance(reply, CommandReply)
    assert not reply.ok
    assert conn.state is ConnState.AUTH_REJECTED


def test_unauth_api_is_answered_with_a_command_reply() -> None:
    frames, _ = run("unauth")
    assert _replies(frames) == ["reply -ERR command not found", "reply +OK bye"]


def test_log_data_frames() -> None:
    frames, _ = run("log")
    logs = [f for f in frames if isinstance(f, LogData)]
    assert len(logs) == 2
    assert logs[0].headers["Log-Level"] == "5"
    assert logs[0].headers["User-Data"] == ""
    assert "cause: [USER_NOT_REGISTERED]" in logs[1].text
    assert _replies(frames)[2] == "api -ERR USER_NOT_REGISTERED\n"


def test_pipeline_replies_come_in_order_before_the_events() -> None:
    frames, _ = run("pipeline")
    kinds = [type(f).__name__ for f in frames[3:6]]
    assert kinds == ["ApiResponse", "CommandReply", "ApiResponse"]
    assert _replies(frames)[2:5] == [
        "api +OK",
        "reply +OK Job-UUID: 11111111-2222-3333-4444-555555555555",
        "api 127.0.0.1",
    ]
    jobs = [e for e in _events(frames) if e.name == "BACKGROUND_JOB"]
    # Every subscribed connection receives every job, other connections' too.
    assert [j.get("Job-UUID") for j in jobs] == [
        "b77a58c1-9b64-4e7c-a484-e87e3396161d",
        "11111111-2222-3333-4444-555555555555",
    ]


def test_sendevent_with_body_round_trips_in_pipeline() -> None:
    frames, _ = run("pipeline")
    (custom,) = [e for e in _events(frames) if e.name == "CUSTOM"]
    assert custom.subclass == "ctid::test"
    assert custom.get("X-Ctid-Note") == "hello world & more: 100%"
    assert custom.body == "hello body!"
    assert custom.duplicate_keys == ("Content-Length",)


def test_utf8_json_body_length_counts_bytes() -> None:
    frames, _ = run("utf8-json")
    (event,) = _events(frames)
    assert event.get("X-Name") == "Zoë Ünïcode 名前"
    assert event.get("X-Path") == "a/b c:d;e=f?g#h"
    assert event.body == 'line one\nZoë says: 100% "quoted" <tag> & more\n'
    assert len(event.body.encode()) == 47 != len(event.body)


def test_utf8_plain_decodes_like_the_json() -> None:
    json_event = _events(run("utf8-json")[0])[0]
    frames, _ = run("utf8-plain")
    (event,) = _events(frames)
    assert event.format == "plain"
    assert dict(event.headers) == dict(json_event.headers)
    assert event.body == json_event.body
    assert event.duplicate_keys == ("Content-Length",)


def test_myevents_json_still_arrives_as_plain() -> None:
    frames, _ = run("myevents")
    events = _events(frames)
    assert [e.name for e in events] == ["CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE"]
    assert {e.format for e in events} == {"plain"}
    notice = frames[-2]
    assert isinstance(notice, DisconnectNotice)
    assert notice.headers["Controlled-Session-UUID"] == "a43a4072-a2b9-4bf2-bbe5-d575f081d486"


def test_shutdown_sequence() -> None:
    frames, _ = run("shutdown")
    events = _events(frames)
    names = collections.Counter(e.name for e in events)
    assert names["SHUTDOWN"] == 1
    assert names["MODULE_UNLOAD"] == 46
    hangup = next(e for e in events if e.name == "CHANNEL_HANGUP")
    assert hangup.get("Hangup-Cause") == "SYSTEM_SHUTDOWN"
    notice = frames[-2]
    assert isinstance(notice, DisconnectNotice)
    assert notice.text == "The system is being shut down.\n"


def test_json_events_equal_plain_json_loads() -> None:
    """Cross-check the pair-keeping parser against json.loads (which keeps the last value)."""
    for connection in SESSIONS.values():
        for message in connection.recv_messages:
            head, _, body = message.partition(b"\n\n")
            if b"text/event-json" not in head:
                continue
            conn_frames = feed_whole(_authed(), message)
            (event,) = conn_frames
            assert isinstance(event, EslEvent)
            expected = json.loads(body)
            expected_body = expected.pop("_body", None)
            assert {k: v if isinstance(v, str) else tuple(v) for k, v in expected.items()} == dict(
                event.headers
            )
            assert event.body == expected_body


def _authed() -> EslConnection:
    conn = EslConnection()
    conn.receive_data(b"Content-Type: auth/request\n\n")
    drain(conn)
    conn.send_auth("ClueCon")
    conn.receive_data(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
    drain(conn)
    assert conn.state is ConnState.READY
    return conn
