"""EslConnection: states, errors, bounds and the command builders."""

from __future__ import annotations

import pytest
from esl_replay import drain

from ctid.switch_drivers.freeswitch import commands
from ctid.switch_drivers.freeswitch.errors import LocalProtocolError, RemoteProtocolError
from ctid.switch_drivers.freeswitch.frames import (
    ApiResponse,
    CommandReply,
    ConnectionClosed,
    EslEvent,
    RudeRejection,
    UnknownFrame,
    parse_event_plain,
)
from ctid.switch_drivers.freeswitch.proto import NEED_DATA, ConnState, EslConnection

AUTH_REQUEST = b"Content-Type: auth/request\n\n"
ACCEPTED = b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"


def ready(max_frame_size: int = 4096) -> EslConnection:
    conn = EslConnection(max_frame_size=max_frame_size)
    conn.receive_data(AUTH_REQUEST)
    drain(conn)
    conn.send_auth("ClueCon")
    conn.receive_data(ACCEPTED)
    drain(conn)
    return conn


def state_of(conn: EslConnection) -> ConnState:
    # A call, so that mypy does not narrow conn.state across steps.
    return conn.state


def test_states_through_auth_and_exit() -> None:
    conn = EslConnection()
    assert state_of(conn) is ConnState.AWAIT_AUTH_REQUEST
    assert conn.next_event() is NEED_DATA
    conn.receive_data(AUTH_REQUEST)
    drain(conn)
    assert state_of(conn) is ConnState.AUTH_REQUESTED
    assert conn.send_auth("ClueCon") == b"auth ClueCon\n\n"
    assert state_of(conn) is ConnState.AUTHENTICATING
    assert conn.pending_replies == 1
    conn.receive_data(ACCEPTED)
    (reply,) = drain(conn)
    assert isinstance(reply, CommandReply)
    assert reply.ok
    assert state_of(conn) is ConnState.READY
    assert conn.pending_replies == 0
    assert conn.send_exit() == b"exit\n\n"
    assert state_of(conn) is ConnState.EXITING
    with pytest.raises(LocalProtocolError):
        conn.send_api("status")
    assert state_of(conn) is ConnState.ERROR


def test_auth_only_after_auth_request() -> None:
    conn = EslConnection()
    with pytest.raises(LocalProtocolError):
        conn.send_auth("ClueCon")
    assert conn.state is ConnState.ERROR
    with pytest.raises(LocalProtocolError):
        conn.send_noevents()
    with pytest.raises(LocalProtocolError):
        conn.next_event()  # a local error: later receive calls raise the local class too


def test_unsolicited_reply_is_a_remote_error_and_sticks() -> None:
    conn = ready()
    conn.receive_data(b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n")
    with pytest.raises(RemoteProtocolError):
        conn.next_event()
    assert conn.state is ConnState.ERROR
    with pytest.raises(RemoteProtocolError):
        conn.next_event()
    with pytest.raises(RemoteProtocolError):
        conn.receive_data(b"more")
    with pytest.raises(LocalProtocolError):
        conn.send_api("status")


def test_api_response_to_a_non_api_command_is_an_error() -> None:
    conn = ready()
    conn.send_event(["DTMF"])
    conn.receive_data(b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n")
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_replies_pair_in_order() -> None:
    conn = ready()
    conn.send_api("msleep", "1500")
    conn.send_bgapi("status", job_uuid="11111111-2222-3333-4444-555555555555")
    conn.send_api("global_getvar", "domain")
    assert conn.pending_replies == 3
    conn.receive_data(
        b"Content-Type: api/response\nContent-Length: 3\n\n+OK"
        b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: 1\nJob-UUID: 1\n\n"
        b"Content-Type: api/response\nContent-Length: 9\n\n127.0.0.1"
    )
    frames = drain(conn)
    assert [type(f) for f in frames] == [ApiResponse, CommandReply, ApiResponse]
    assert conn.pending_replies == 0


def test_eof_inside_a_frame_is_a_remote_error() -> None:
    conn = ready()
    conn.receive_data(b"Content-Length: 10\nContent-Type: text/event-json\n\n{")
    assert conn.next_event() is NEED_DATA
    conn.receive_data(None)
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_eof_at_a_boundary_is_connection_closed_for_good() -> None:
    conn = ready()
    conn.receive_data(b"")
    assert isinstance(conn.next_event(), ConnectionClosed)
    assert isinstance(conn.next_event(), ConnectionClosed)
    assert conn.state is ConnState.CLOSED
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"late")


@pytest.mark.parametrize(
    "data",
    [
        b"Content-Type: api/response\nContent-Length: -1\n\n",
        b"Content-Type: api/response\nContent-Length: 12345678901\n\n",
        b"Content-Type: api/response\nContent-Length: 1\nContent-Length: 2\n\nab",
        b"Content-Type: api/response\nno colon here\n\n",
        b"Content-Type: text/event-json\nContent-Length: 2\n\n[]",
        b'Content-Type: text/event-json\nContent-Length: 9\n\n{"a": 1}\n',
        b'Content-Type: text/event-json\nContent-Length: 12\n\n{"a":{"b":1}',
        b"Content-Type: text/event-json\nContent-Length: 3\n\nabc",
        b"Content-Type: text/event-plain\nContent-Length: 24\n\nA: b\nContent-Length: 5\n\nab",
        b"Content-Type: text/event-plain\nContent-Length: 10\n\nA: b\n\nxyz\n",
    ],
)
def test_malformed_frames_are_remote_errors(data: bytes) -> None:
    conn = ready()
    conn.send_api("x")
    conn.receive_data(data)
    with pytest.raises(RemoteProtocolError):
        drain(conn)
    assert conn.state is ConnState.ERROR


def test_deeply_nested_json_is_a_remote_error_not_a_crash() -> None:
    body = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    conn = ready(max_frame_size=1_000_000)
    conn.receive_data(
        b"Content-Type: text/event-json\nContent-Length: %d\n\n%s" % (len(body), body)
    )
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_frames_over_the_limit_are_refused_before_buffering_them() -> None:
    conn = ready(max_frame_size=100)
    conn.receive_data(b"Content-Type: text/event-json\nContent-Length: 500\n\n")
    with pytest.raises(RemoteProtocolError, match="max_frame_size"):
        conn.next_event()
    endless = ready(max_frame_size=100)
    endless.receive_data(b"Content-Type: x\nX: " + b"y" * 100)
    with pytest.raises(RemoteProtocolError, match="header block"):
        endless.next_event()


def test_a_frame_exactly_at_the_limit_passes() -> None:
    head = b"Content-Type: api/response\nContent-Length: 50\n\n"
    conn = ready(max_frame_size=len(head) + 50)
    conn.send_api("x")
    conn.receive_data(head + b"z" * 50)
    (frame,) = drain(conn)
    assert frame == ApiResponse(body="z" * 50)


def test_unknown_content_types_and_rude_rejection_keep_framing() -> None:
    conn = EslConnection()
    conn.receive_data(
        b"Content-Type: text/something-new\nContent-Length: 3\n\nabc"
        b"Content-Type: text/rude-rejection\nContent-Length: 14\n\nAccess Denied\n"
    )
    first, second = drain(conn)
    assert first == UnknownFrame(
        content_type="text/something-new",
        headers={"Content-Type": "text/something-new", "Content-Length": "3"},
        body=b"abc",
    )
    assert second == RudeRejection(text="Access Denied\n")
    assert conn.disconnect_notice_received


def test_plain_values_are_decoded_one_by_one_after_framing() -> None:
    event = parse_event_plain(
        b"Event-Name: CUSTOM\nX-Line: a%0Ab%3A%20c\nX-Array: ARRAY%3A%3Aone%7C%3Atwo%20words\n"
        b"X-Plus: 1+1\nX-Bad: 100%\nX-Utf8: Zo%C3%AB\n\n"
    )
    assert event.get("X-Line") == "a\nb: c"
    assert event.get_all("X-Array") == ("one", "two words")
    assert event.get("X-Plus") == "1+1"
    assert event.get("X-Bad") == "100%"
    assert event.get("X-Utf8") == "Zoë"
    assert event.body is None


def test_invalid_utf8_never_raises() -> None:
    conn = ready()
    body = b'{"Event-Name":"CUSTOM","X":"\xff\xfe"}'
    conn.receive_data(
        b"Content-Type: text/event-json\nContent-Length: %d\n\n%s" % (len(body), body)
    )
    (event,) = drain(conn)
    assert isinstance(event, EslEvent)
    assert event.get("X") == "\ufffd\ufffd"


# ------------------------------------------------------------------- builders


def test_builders_produce_the_documented_bytes() -> None:
    assert commands.event(["CHANNEL_CREATE", "DTMF"], custom=["conference::maintenance"]) == (
        b"event json CHANNEL_CREATE DTMF CUSTOM conference::maintenance\n\n"
    )
    assert commands.nixevent(["DTMF"]) == b"nixevent DTMF\n\n"
    assert commands.noevents() == b"noevents\n\n"
    assert commands.filter_add("Unique-ID", "abc") == b"filter Unique-ID abc\n\n"
    assert commands.filter_delete("Unique-ID", "abc") == b"filter delete Unique-ID abc\n\n"
    assert commands.bgapi("originate", "x", job_uuid="J") == b"bgapi originate x\nJob-UUID: J\n\n"
    assert commands.sendmsg_hangup("U", "USER_BUSY") == (
        b"sendmsg U\ncall-command: hangup\nhangup-cause: USER_BUSY\n\n"
    )
    assert commands.sendmsg_execute("U", "playback", "/a.wav", event_uuid="E") == (
        b"sendmsg U\ncall-command: execute\nexecute-app-name: playback\n"
        b"execute-app-arg: /a.wav\nEvent-UUID: E\n\n"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: commands.api("status", "x\n\napi fsctl shutdown"),
        lambda: commands.api("uuid kill"),
        lambda: commands.auth("pw\nexit"),
        lambda: commands.bgapi("status", job_uuid="a b"),
        lambda: commands.event(["CUSTOM", "x::y"]),
        lambda: commands.event([]),
        lambda: commands.event(["DTMF"], format="yaml"),
        lambda: commands.sendmsg_execute("u", "playback", "a\rb"),
        lambda: commands.raw_command("sendevent X", [("Content-Length", "3")], b"abc"),
        lambda: commands.dial_variables({"bad name": "x"}),
        lambda: commands.dial_variables({"x": "a}b"}),
        lambda: commands.originate_args("user/1001 &hangup()", variables={}),
    ],
)
def test_builders_refuse_injection(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LocalProtocolError):
        build()


def test_a_refused_argument_leaves_the_connection_usable() -> None:
    conn = ready()
    with pytest.raises(LocalProtocolError):
        conn.send_api("status", "x\nexit")
    assert conn.state is ConnState.READY
    assert conn.pending_replies == 0
    assert conn.send_api("status") == b"api status\n\n"


def test_originate_string_escaping() -> None:
    args = commands.originate_args(
        "user/1001@127.0.0.1",
        variables={
            "origination_uuid": "49d4b0c6-108c-408b-a183-f4644acf19bd",
            "origination_caller_id_number": "5000",
            "origination_caller_id_name": "CTI Server",
        },
    )
    # Exactly what the capture client sent (session-raw.txt, ref-call SENT #7).
    assert args == (
        "{origination_uuid=49d4b0c6-108c-408b-a183-f4644acf19bd,origination_caller_id_number=5000,"
        "origination_caller_id_name='CTI Server'}user/1001@127.0.0.1 &park()"
    )
    assert commands.escape_variable_value("Smith, John") == "'Smith\\, John'"
    assert commands.escape_variable_value("a,b") == "a\\,b"
    assert commands.escape_variable_value("O'Brien") == "O\\'Brien"
    assert commands.escape_variable_value("back\\slash") == "back\\\\slash"
    assert commands.escape_variable_value("") == ""
    assert commands.dial_variables({}) == ""
    assert commands.originate_args(
        "user/1003", variables={}, application="eavesdrop", application_arg="A"
    ) == ("user/1003 &eavesdrop(A)")
