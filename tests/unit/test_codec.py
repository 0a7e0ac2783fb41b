import json
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctid.api.codec import JsonCodec, MsgpackCodec
from ctid.api.rpc import PARSE_ERROR, RpcError, parse_frame
from ctid.bus import Published

CODECS = [JsonCodec(), MsgpackCodec()]


def _decode(data: bytes) -> Any:
    # JSON frames are UTF-8 JSON text; msgpack frames start with a map header.
    return msgpack.unpackb(data, raw=False) if data[:1] == b"\x83" else json.loads(data)


def _event(params: dict[str, Any]) -> Published:
    return Published(name="DeliveredEvent", params=params, timestamp="2027-01-15T08:00:00.000Z")


@pytest.mark.parametrize("codec", CODECS, ids=["json", "msgpack"])
@pytest.mark.parametrize("local", [None, "alerting"])
@pytest.mark.parametrize("xref", [None, "m1", 'we"ird'])
def test_event_frame_matches_plain_encoding(codec: Any, local: Any, xref: Any) -> None:
    params = {
        "connection": {"callID": "c1", "deviceID": "1002"},
        "alertingDevice": "1002",
        "userData": {"crm": "42", "vip": True, "score": 1.5, "name": "Zoë 张"},
    }
    event = _event(params)
    frame = codec.encode_event(event, 17, xref, local)
    expected_params = {"monitorCrossRefID": xref, "seq": 17}
    if local is not None:
        expected_params["localConnectionInfo"] = local
    expected_params["timestamp"] = "2027-01-15T08:00:00.000Z"
    expected_params.update(params)
    assert _decode(frame) == {
        "jsonrpc": "2.0",
        "method": "DeliveredEvent",
        "params": expected_params,
    }
    # The shared part is encoded once and reused for the next session.
    assert codec.encode_event(event, 18, xref, local) != frame


@pytest.mark.parametrize("codec", CODECS, ids=["json", "msgpack"])
def test_event_with_empty_and_large_params(codec: Any) -> None:
    assert _decode(codec.encode_event(_event({}), 1, "m1", None))["params"]["seq"] == 1
    many = {f"k{i}": i for i in range(40)}  # msgpack map16 header
    decoded = _decode(codec.encode_event(_event(many), 2, "m1", "connected"))
    assert decoded["params"]["k39"] == 39 and decoded["params"]["seq"] == 2


def test_json_rejects_bad_input() -> None:
    codec = JsonCodec()
    for data in ["{", "NaN", '{"a": Infinity}', b"\xff\xfe"]:
        with pytest.raises(RpcError) as info:
            codec.decode(data)
        assert info.value.code == PARSE_ERROR
    assert codec.decode(b'{"a": 1}') == {"a": 1}  # UTF-8 JSON in a binary frame is accepted


def test_msgpack_rejects_text_frames_and_non_json_values() -> None:
    codec = MsgpackCodec()
    with pytest.raises(RpcError, match="binary frames"):
        codec.decode('{"a": 1}')
    for value in [{"a": b"bytes"}, {1: "int key"}, {"a": float("nan")}, msgpack.ExtType(1, b"x")]:
        with pytest.raises(RpcError) as info:
            codec.decode(msgpack.packb(value, use_bin_type=True, strict_types=False))
        assert info.value.code == PARSE_ERROR
    with pytest.raises(RpcError):
        codec.decode(b"\xc1")  # never used in msgpack


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decoders_only_raise_parse_errors(data: bytes) -> None:
    for codec in CODECS:
        try:
            value = codec.decode(data)
        except RpcError as exc:
            assert exc.code == PARSE_ERROR
        else:
            parse_frame(value)  # whatever decodes, the frame parser takes without raising


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_frame_parser_never_raises(value: Any) -> None:
    frame = parse_frame(value)
    for item in frame.items:
        if isinstance(item, dict):
            assert item["error"]["code"] in (-32600,)
