"""The sans-IO client core: frames out, frames in, with no socket and no event loop."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from ctid_client import CstaError, ReplayGap, RpcError
from ctid_client._codec import Codec, JsonCodec, MsgpackCodec, make_codec
from ctid_client._protocol import (
    ClientProtocol,
    ErrorReply,
    EventReceived,
    ProtocolViolation,
    Reply,
    SeqAnomaly,
    UnmatchedReply,
)


@pytest.fixture(params=["json", "msgpack"])
def codec(request: pytest.FixtureRequest) -> Codec:
    return make_codec(request.param)


def wire(codec: Codec, message: Any) -> str | bytes:
    """``message`` as the server would send it, encoded independently of the SDK's codec."""
    if codec.binary:
        return bytes(msgpack.packb(message, use_bin_type=True))
    return json.dumps(message)


def read(codec: Codec, frame: str | bytes) -> Any:
    if codec.binary:
        assert isinstance(frame, bytes)
        return msgpack.unpackb(frame, raw=False)
    assert isinstance(frame, str)
    return json.loads(frame)


def event(seq: int, name: str = "DeliveredEvent", **params: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "method": name,
        "params": {"monitorCrossRefID": "m1", "seq": seq, "timestamp": "t", **params},
    }


def test_request_frame_and_reply(codec: Codec) -> None:
    core = ClientProtocol(codec)
    out = core.request("MakeCall", {"callingDevice": "1001"})
    assert read(codec, out.frame) == {
        "jsonrpc": "2.0",
        "method": "MakeCall",
        "params": {"callingDevice": "1001"},
        "id": out.ids[0],
    }
    assert core.pending == 1
    items = core.receive(wire(codec, {"jsonrpc": "2.0", "id": out.ids[0], "result": {"x": 1}}))
    assert items == [Reply(request_id=out.ids[0], method="MakeCall", result={"x": 1})]
    assert core.pending == 0


def test_ids_are_unique_and_params_optional(codec: Codec) -> None:
    core = ClientProtocol(codec)
    first, second = core.request("rpc.discover"), core.request("session.ping", [])
    assert first.ids != second.ids
    assert "params" not in read(codec, first.frame)
    assert read(codec, second.frame)["params"] == []


@pytest.mark.parametrize(
    ("code", "data", "cls"),
    [
        (-32000, {"cstaError": "invalidCallIdentifier"}, CstaError),
        (-32004, {"oldestSeq": 7, "lastSeq": 9}, ReplayGap),
        (-32602, {"path": "params.x"}, RpcError),
    ],
)
def test_error_reply_becomes_the_typed_error(
    codec: Codec, code: int, data: dict[str, Any], cls: type[RpcError]
) -> None:
    core = ClientProtocol(codec)
    out = core.request("ClearCall", {"callToBeCleared": "c9"})
    error = {"code": code, "message": "no", "data": data}
    [item] = core.receive(wire(codec, {"jsonrpc": "2.0", "id": out.ids[0], "error": error}))
    assert isinstance(item, ErrorReply)
    assert type(item.error) is cls
    assert item.error.code == code
    assert item.error.method == "ClearCall"
    assert item.error.data == data


def test_csta_error_names_the_ecma_value(codec: Codec) -> None:
    core = ClientProtocol(codec)
    out = core.request("AnswerCall")
    error = {"code": -32000, "message": "x", "data": {"cstaError": "noCallToAnswer"}}
    [item] = core.receive(wire(codec, {"jsonrpc": "2.0", "id": out.ids[0], "error": error}))
    assert isinstance(item, ErrorReply)
    assert isinstance(item.error, CstaError)
    assert item.error.csta_error == "noCallToAnswer"


def test_batch_replies_match_by_id_in_any_order(codec: Codec) -> None:
    core = ClientProtocol(codec)
    out = core.batch([("SnapshotDevice", {"snapshotObject": "1001"}), ("rpc.discover", None)])
    sent = read(codec, out.frame)
    assert [m["method"] for m in sent] == ["SnapshotDevice", "rpc.discover"]
    assert [m["id"] for m in sent] == list(out.ids)
    a, b = out.ids
    replies = [
        {"jsonrpc": "2.0", "id": b, "result": 2},
        {"jsonrpc": "2.0", "id": a, "error": {"code": -32601, "message": "nope"}},
    ]
    items = core.receive(wire(codec, replies))
    assert isinstance(items[0], Reply)
    assert (items[0].request_id, items[0].result) == (b, 2)
    assert isinstance(items[1], ErrorReply)
    assert items[1].request_id == a
    assert core.pending == 0


def test_empty_batch_is_refused(codec: Codec) -> None:
    with pytest.raises(ValueError, match="at least one"):
        ClientProtocol(codec).batch([])


def test_notification_has_no_id_and_waits_for_nothing(codec: Codec) -> None:
    core = ClientProtocol(codec)
    out = core.notification("session.ping")
    assert "id" not in read(codec, out.frame)
    assert out.ids == ()
    assert core.pending == 0


def test_events_in_order(codec: Codec) -> None:
    core = ClientProtocol(codec)
    items = [i for seq in (1, 2, 3) for i in core.receive(wire(codec, event(seq, trunk="T1")))]
    assert all(isinstance(i, EventReceived) for i in items)
    events = [i.event for i in items if isinstance(i, EventReceived)]
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].name == "DeliveredEvent"
    assert events[0].monitor_cross_ref_id == "m1"
    assert events[0]["trunk"] == "T1"
    assert "seq" not in events[0].params
    assert core.seq.last == 3


def test_duplicate_event_is_reported_and_not_delivered(codec: Codec) -> None:
    core = ClientProtocol(codec)
    core.receive(wire(codec, event(1)))
    core.receive(wire(codec, event(2)))
    assert core.receive(wire(codec, event(2))) == [
        SeqAnomaly(kind="duplicate", expected=3, received=2, name="DeliveredEvent")
    ]
    assert core.seq.last == 2


def test_gap_is_reported_and_the_event_still_delivered(codec: Codec) -> None:
    core = ClientProtocol(codec)
    core.receive(wire(codec, event(1)))
    gap, delivered = core.receive(wire(codec, event(5)))
    assert gap == SeqAnomaly(kind="gap", expected=2, received=5, name="DeliveredEvent")
    assert isinstance(delivered, EventReceived)
    assert delivered.event.seq == 5
    assert core.seq.last == 5


def test_new_session_counts_from_one_again(codec: Codec) -> None:
    core = ClientProtocol(codec)
    core.receive(wire(codec, event(1)))
    core.seq.reset()
    [item] = core.receive(wire(codec, event(1)))
    assert isinstance(item, EventReceived)


def test_late_reply_after_forget_is_unmatched(codec: Codec) -> None:
    core = ClientProtocol(codec)
    out = core.request("session.ping")
    core.forget(out.ids[0])
    [item] = core.receive(wire(codec, {"jsonrpc": "2.0", "id": out.ids[0], "result": {}}))
    assert isinstance(item, UnmatchedReply)


def test_error_about_an_unparsable_frame_is_unmatched(codec: Codec) -> None:
    core = ClientProtocol(codec)
    message = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    [item] = core.receive(wire(codec, message))
    assert isinstance(item, UnmatchedReply)


def test_connection_lost_fails_every_pending_request(codec: Codec) -> None:
    core = ClientProtocol(codec)
    a, b = core.request("x"), core.request("y")
    assert core.connection_lost() == [a.ids[0], b.ids[0]]
    assert core.pending == 0


def test_pending_requests_are_bounded(codec: Codec) -> None:
    core = ClientProtocol(codec, max_pending=2)
    core.request("a")
    core.request("b")
    with pytest.raises(Exception, match="more than 2"):
        core.request("c")
    with pytest.raises(Exception, match="more than 2"):
        core.batch([("c", None)])


@pytest.mark.parametrize(
    "message",
    [
        [],
        "hello",
        {"method": "DeliveredEvent", "params": {}},
        {"jsonrpc": "2.0", "method": "x", "id": 1},
        {"jsonrpc": "2.0", "method": "DeliveredEvent", "params": [1]},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "result": 1, "error": {}},
    ],
)
def test_frames_that_are_not_protocol_v1_are_violations(codec: Codec, message: Any) -> None:
    core = ClientProtocol(codec)
    [item] = core.receive(wire(codec, message))
    assert isinstance(item, ProtocolViolation)


def test_undecodable_frames_are_violations() -> None:
    assert isinstance(ClientProtocol(JsonCodec()).receive("{nope")[0], ProtocolViolation)
    assert isinstance(ClientProtocol(JsonCodec()).receive(b"{}")[0], ProtocolViolation)
    assert isinstance(ClientProtocol(MsgpackCodec()).receive(b"\xc1")[0], ProtocolViolation)
    assert isinstance(ClientProtocol(MsgpackCodec()).receive("{}")[0], ProtocolViolation)


def test_a_batch_frame_can_mix_replies_and_events(codec: Codec) -> None:
    core = ClientProtocol(codec)
    out = core.request("x")
    frame = [{"jsonrpc": "2.0", "id": out.ids[0], "result": 1}, event(1), 7]
    items = core.receive(wire(codec, frame))
    assert [type(i) for i in items] == [Reply, EventReceived, ProtocolViolation]


def test_msgpack_is_imported_only_when_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "msgpack", None)
    make_codec("json")
    with pytest.raises(ImportError, match=r"ctid-client\[msgpack\]"):
        make_codec("msgpack")


def test_unknown_codec_name() -> None:
    with pytest.raises(ValueError, match="json"):
        make_codec("xml")  # type: ignore[arg-type]
