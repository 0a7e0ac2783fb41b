"""The 94 examples of replies-sample.txt: framing, reply parsing and command bytes."""

from __future__ import annotations

import pytest
from esl_captures import load_replies
from esl_replay import drain, feed_bytewise, resend, split_commands

from ctid.switch_drivers.freeswitch.commands import parse_api_result, parse_bgapi_reply
from ctid.switch_drivers.freeswitch.frames import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    DisconnectNotice,
    Frame,
    LogData,
)
from ctid.switch_drivers.freeswitch.proto import EslConnection

EXAMPLES = load_replies()
PAIRS = [e for e in EXAMPLES if e.sent is not None]
TRAILING = b"Content-Type: command/reply\nReply-Te"


def conn_for(sent: bytes | None) -> EslConnection:
    """A READY connection that has just sent ``sent`` (or an unauthenticated one)."""
    conn = EslConnection()
    conn.receive_data(b"Content-Type: auth/request\n\n")
    drain(conn)
    if sent is None:
        return conn
    conn.send_auth("ClueCon")
    conn.receive_data(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
    drain(conn)
    return conn


def tr(make: EslConnection, again: EslConnection, bytewise: EslConnection, data: bytes) -> Frame:
    """h11's tr(): whole, byte by byte, and with trailing data must agree."""
    make.receive_data(data)
    (whole,) = drain(make)
    assert feed_bytewise(bytewise, data) == [whole]
    again.receive_data(data + TRAILING)
    assert drain(again) == [whole]
    assert again.buffered_size == len(TRAILING)
    return whole


def test_counts() -> None:
    assert len(EXAMPLES) == 94
    assert len(PAIRS) == 90


@pytest.mark.parametrize("example", EXAMPLES[:4], ids=lambda e: e.title)
def test_unsolicited_messages(example) -> None:  # type: ignore[no-untyped-def]
    if example.title.endswith("auth/request"):
        conns = [EslConnection() for _ in range(3)]
    else:
        conns = [conn_for(None) for _ in range(3)]
    frame = tr(conns[0], conns[1], conns[2], example.received)
    expected = {
        "auth/request": AuthRequest,
        "text/disconnect-notice": DisconnectNotice,
        "log/data": LogData,
    }[example.title.split("] ")[-1].split()[-1]]
    assert isinstance(frame, expected)


@pytest.mark.parametrize("example", PAIRS, ids=lambda e: f"{e.connection}:{e.title[:40]}")
def test_pairs(example) -> None:  # type: ignore[no-untyped-def]
    sent = example.sent
    unauthenticated = example.connection == "unauth"
    conns = [EslConnection() for _ in range(3)]
    for conn in conns:
        conn.receive_data(b"Content-Type: auth/request\n\n")
        drain(conn)
        if not unauthenticated and not sent.startswith(b"auth "):
            conn.send_auth("ClueCon")
            conn.receive_data(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
            drain(conn)
        rebuilt = b"".join(resend(conn, cmd) for cmd in split_commands(sent))
        assert rebuilt == sent
    frame = tr(conns[0], conns[1], conns[2], example.received)
    if isinstance(frame, ApiResponse):
        result = parse_api_result(frame.body)
        if frame.body.startswith("-ERR "):
            assert not result.ok
            assert result.text == frame.body[5:].rstrip("\n")
        elif frame.body.startswith("-USAGE: "):
            assert not result.ok
            assert result.usage
        else:
            assert result.ok
    else:
        assert isinstance(frame, CommandReply)
        assert frame.ok == frame.reply_text.startswith("+OK")
        if sent.startswith(b"bgapi "):
            job = parse_bgapi_reply(frame.reply_text)
            assert job is not None
            assert job == frame.job_uuid
            asked = next(c.get("Job-UUID") for c in split_commands(sent))
            if asked is not None:
                assert job == asked


def test_specific_reply_texts() -> None:
    by_sent = {e.sent: e.received for e in PAIRS}
    conn = conn_for(b"x")
    conn.send_api("uuid_bridge")
    conn.receive_data(by_sent[b"api uuid_bridge\n\n"])
    (frame,) = drain(conn)
    assert isinstance(frame, ApiResponse)
    assert parse_api_result(frame.body).text == "<uuid> <other_uuid>"
    assert parse_api_result("+OK").ok
    assert parse_api_result("127.0.0.1").text == "127.0.0.1"
    assert parse_api_result('{"row_count": 0}\n').text == '{"row_count": 0}'
    assert parse_bgapi_reply("-ERR command not found") is None
