"""Both codecs and the JSON-RPC frame parser, sans-IO, on arbitrary and hostile input.

Whatever arrives, decoding either gives a value or raises ``RpcError(-32700)``;
``parse_frame`` then gives requests or error replies; validating a request's
params raises nothing but ``RpcError(-32602)``; and every reply built on the
way encodes to strict JSON / msgpack (no NaN, no lone surrogate).
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from ctid.api import rpc
from ctid.api.codec import JsonCodec, MsgpackCodec
from ctid.api.methods import registry
from ctid.api.rpc import RpcError

from .conftest import ANY_ID, assert_reply, strict_json
from .strategies import FUZZ, encode_json, encode_msgpack, json_values, poisons

CODECS = (JsonCodec(), MsgpackCodec())
METHODS = sorted(registry.methods)

# Requests that look almost right: the members a client sends, some of them poisoned.
ids = st.one_of(
    st.none(), st.integers(min_value=-(2**60), max_value=2**60), st.text(max_size=4), poisons
)
requests = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "1.0", 2])},
    optional={
        "id": ids,
        "method": st.one_of(st.sampled_from(METHODS), st.text(max_size=6), poisons),
        "params": st.one_of(
            st.dictionaries(st.text(max_size=6), st.one_of(json_values, poisons), max_size=4),
            st.lists(st.one_of(json_values, poisons), max_size=4),
            json_values,
        ),
        "extra": json_values,
    },
)
messages = st.one_of(requests, st.lists(requests, max_size=4), json_values, poisons)


def handle(codec: JsonCodec | MsgpackCodec, data: str | bytes) -> list[Any]:
    """What the connection does with one message, short of running handlers."""
    replies: list[Any] = []
    try:
        obj = codec.decode(data)
    except RpcError as exc:
        assert exc.code == -32700, exc.message
        replies.append(rpc.error(None, exc))
        obj = None
    else:
        for item in rpc.parse_frame(obj).items:
            if isinstance(item, dict):
                replies.append(item)
                continue
            spec = registry.get(item.method)
            if spec is None:
                continue
            try:
                spec.parse_params(item.params)
            except RpcError as exc:
                assert exc.code == -32602, exc.message
                replies.append(rpc.error(item.id, exc))
    for reply in replies:
        encoded = codec.encode(reply)
        if isinstance(codec, JsonCodec):
            assert_reply(strict_json(encoded.decode()), ANY_ID)
        else:
            msgpack.unpackb(encoded, raw=False)
    return replies


@settings(FUZZ, max_examples=200)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    for codec in CODECS:
        handle(codec, data)


@settings(FUZZ, max_examples=200)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    handle(CODECS[0], text)
    handle(CODECS[1], text)  # a text frame on a msgpack session: refused


@settings(FUZZ, max_examples=200)
@given(messages)
def test_hostile_messages_json(message: Any) -> None:
    handle(CODECS[0], encode_json(message))


@settings(FUZZ, max_examples=200)
@given(messages)
def test_hostile_messages_msgpack(message: Any) -> None:
    handle(CODECS[1], encode_msgpack(message))


@settings(FUZZ, max_examples=50)
@given(st.integers(min_value=1, max_value=5000), st.sampled_from("[{"))
def test_any_depth(levels: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    body = "0" if opener == "[" else ""
    inner = '"k":' if opener == "{" else ""
    text = (opener + inner) * levels + (body or "0" if opener == "[" else "1") + closer * levels
    handle(CODECS[0], text)
    nested: Any = 0
    for _ in range(min(levels, 2000)):
        nested = [nested]
    try:
        data = msgpack.packb(nested)
    except ValueError:
        return  # msgpack's own packer stops at its nesting limit
    handle(CODECS[1], data)


def test_mutated_valid_requests() -> None:
    """Every one-byte change of a valid request of each method: still answered properly."""
    for name in METHODS[:: max(1, len(METHODS) // 12)]:
        base = json.dumps({"jsonrpc": "2.0", "id": 1, "method": name, "params": {}}).encode()
        for i in range(len(base)):
            for byte in (0x00, 0x22, 0x5B, 0x5C, 0x7B, 0xFF):
                handle(CODECS[0], base[:i] + bytes((byte,)) + base[i + 1 :])
