"""The JSON-RPC core to the letter: codes, messages and limits as docs/protocol.md states them.

Error codes are compared with the literal numbers of docs/protocol.md ("Errors"), never
with the constants of ``ctid.api.rpc``: a constant off by one must fail here. Mutation
testing (docs/testing.md) showed each of these lines could be broken unnoticed.
"""

from __future__ import annotations

from typing import Any

import pytest

from ctid.api import rpc
from ctid.api.limits import InputLimits
from ctid.api.rpc import Request, RpcError, parse_frame


def _one(message: Any, limits: InputLimits | None = None) -> Any:
    frame = parse_frame(message) if limits is None else parse_frame(message, limits)
    (item,) = frame.items
    return item


@pytest.mark.parametrize(
    ("constant", "code"),
    [
        ("PARSE_ERROR", -32700),
        ("INVALID_REQUEST", -32600),
        ("METHOD_NOT_FOUND", -32601),
        ("INVALID_PARAMS", -32602),
        ("INTERNAL_ERROR", -32603),
        ("CSTA_ERROR", -32000),
        ("LOGIN_REQUIRED", -32001),
        ("AUTHENTICATION_FAILED", -32002),
        ("UNKNOWN_SESSION", -32003),
        ("REPLAY_GAP", -32004),
        ("FORBIDDEN", -32005),
        ("OPERATION_FAILED", -32006),
        ("NOT_ACTIVE", -32010),
    ],
)
def test_error_codes_are_the_documented_numbers(constant: str, code: int) -> None:
    assert getattr(rpc, constant) == code


def test_every_documented_code_is_a_constant() -> None:
    # The table of docs/protocol.md, read back: no code documented without a constant.
    documented = {-32700, -32600, -32601, -32602, -32603, -32000, -32001, -32002}
    documented |= {-32003, -32004, -32005, -32006, -32010}
    constants = {
        value
        for name, value in vars(rpc).items()
        if name.isupper() and isinstance(value, int) and name != "MAX_BATCH"
    }
    assert constants == documented


def request(n: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "m", "id": n}


def test_a_batch_of_exactly_100_is_served() -> None:
    frame = parse_frame([request(n) for n in range(100)])
    assert frame.batch
    assert [item.id for item in frame.items] == list(range(100))  # type: ignore[union-attr]


@pytest.mark.parametrize("size", [101, 150])
def test_a_batch_over_100_is_one_invalid_request(size: int) -> None:
    frame = parse_frame([request(n) for n in range(size)])
    assert frame.batch is False
    assert frame.items == (
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": "a batch holds at most 100 requests"},
        },
    )


def test_empty_batch_reply_in_full() -> None:
    frame = parse_frame([])
    assert frame.batch is False
    assert frame.items == (
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "empty batch"}},
    )


@pytest.mark.parametrize(
    ("message", "reply_id", "text"),
    [
        ("just a string", None, "a request must be an object"),
        ([1], None, "a request must be an object"),
        ({"jsonrpc": "1.0", "method": "a", "id": 1}, 1, 'jsonrpc must be exactly "2.0"'),
        ({"method": "a", "id": "x"}, "x", 'jsonrpc must be exactly "2.0"'),
        ({"jsonrpc": "2.0", "method": 5, "id": 3}, 3, "method must be a non-empty string"),
        ({"jsonrpc": "2.0", "method": "", "id": 4}, 4, "method must be a non-empty string"),
        ({"jsonrpc": "2.0", "id": 4}, 4, "method must be a non-empty string"),
        (
            {"jsonrpc": "2.0", "method": "a", "params": "x", "id": 5},
            5,
            "params must be an object or an array",
        ),
        (
            {"jsonrpc": "2.0", "method": "a", "params": None, "id": 6},
            6,
            "params must be an object or an array",
        ),
        (
            {"jsonrpc": "2.0", "method": "a", "id": 1, "zeta": 1, "alpha": 2},
            1,
            "unknown member(s): alpha, zeta",
        ),
        ({"jsonrpc": "2.0", "method": "a", "extra": 1}, None, "unknown member(s): extra"),
        (
            {"jsonrpc": "2.0", "method": "a", "id": 1.5},
            None,
            "id must be a string, an integer within -9007199254740991..9007199254740991, or null",
        ),
        (
            {"jsonrpc": "2.0", "method": "a", "id": True},
            None,
            "id must be a string, an integer within -9007199254740991..9007199254740991, or null",
        ),
    ],
)
def test_invalid_request_replies_in_full(message: Any, reply_id: Any, text: str) -> None:
    item = parse_frame([message]).items[0] if isinstance(message, list) else _one(message)
    assert item == {"jsonrpc": "2.0", "id": reply_id, "error": {"code": -32600, "message": text}}


@pytest.mark.parametrize("good", [2**53 - 1, -(2**53 - 1), 0, "", "abc", None])
def test_ids_at_the_limits_are_kept(good: Any) -> None:
    item = _one({"jsonrpc": "2.0", "method": "a", "id": good})
    assert item == Request(method="a", params=None, id=good, is_notification=False)


@pytest.mark.parametrize("bad", [2**53, -(2**53), [1], {"a": 1}, False])
def test_ids_past_the_limits_are_refused(bad: Any) -> None:
    item = _one({"jsonrpc": "2.0", "method": "a", "id": bad})
    assert item["id"] is None
    assert item["error"]["code"] == -32600


def test_string_ids_obey_the_string_limits() -> None:
    limits = InputLimits(max_string_chars=4)
    kept = _one({"jsonrpc": "2.0", "method": "a", "id": "abcd"}, limits)
    assert kept == Request(method="a", params=None, id="abcd", is_notification=False)
    refused = _one({"jsonrpc": "2.0", "method": "a", "id": "abcde"}, limits)
    assert refused["id"] is None and refused["error"]["code"] == -32600
    surrogate = _one({"jsonrpc": "2.0", "method": "a", "id": "\ud800"})
    assert surrogate["id"] is None and surrogate["error"]["code"] == -32600


def test_integer_id_limit_follows_the_configured_limit() -> None:
    limits = InputLimits(max_integer=10)
    assert _one({"jsonrpc": "2.0", "method": "a", "id": -10}, limits).id == -10
    refused = _one({"jsonrpc": "2.0", "method": "a", "id": 11}, limits)
    assert refused == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32600,
            "message": "id must be a string, an integer within -10..10, or null",
        },
    }


def test_a_method_name_obeys_the_string_limits() -> None:
    limits = InputLimits(max_string_chars=3)
    assert _one({"jsonrpc": "2.0", "method": "abc", "id": 1}, limits).method == "abc"
    item = _one({"jsonrpc": "2.0", "method": "abcd", "id": 1}, limits)
    assert item == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32600, "message": "method: string longer than 3 characters (4)"},
    }


def test_an_unknown_member_name_is_checked_before_it_is_echoed() -> None:
    item = _one({"jsonrpc": "2.0", "method": "a", "id": 2, "\udc80x": 1})
    assert item == {
        "jsonrpc": "2.0",
        "id": 2,
        "error": {
            "code": -32600,
            "message": "member name: not valid Unicode: lone surrogate U+DC80 at character 0",
        },
    }


def test_params_array_and_object_are_kept() -> None:
    item = _one({"jsonrpc": "2.0", "method": "a", "params": [1, 2]})
    assert item == Request(method="a", params=[1, 2], id=None, is_notification=True)
    item = _one({"jsonrpc": "2.0", "method": "a", "params": {}, "id": "k"})
    assert item == Request(method="a", params={}, id="k", is_notification=False)


def test_rpc_error_carries_code_message_and_data() -> None:
    err = RpcError(-32006, "simulator failed", {"reason": "simulator"})
    assert (err.code, err.message, err.data, str(err)) == (
        -32006,
        "simulator failed",
        {"reason": "simulator"},
        "simulator failed",
    )
    assert err.to_wire() == {
        "code": -32006,
        "message": "simulator failed",
        "data": {"reason": "simulator"},
    }
    bare = RpcError(-32601, "no such method")
    assert bare.data is None
    assert bare.to_wire() == {"code": -32601, "message": "no such method"}
    assert rpc.error(None, bare) == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32601, "message": "no such method"},
    }
    assert rpc.result("x", None) == {"jsonrpc": "2.0", "id": "x", "result": None}


def test_unknown_member_names_obey_the_configured_string_limit() -> None:
    limits = InputLimits(max_string_chars=5)
    item = _one({"jsonrpc": "2.0", "method": "a", "id": 3, "abcdef": 1}, limits)
    assert item == {
        "jsonrpc": "2.0",
        "id": 3,
        "error": {"code": -32600, "message": "member name: string longer than 5 characters (6)"},
    }


def test_a_single_message_is_not_a_batch() -> None:
    frame = parse_frame({"jsonrpc": "2.0", "method": "a", "id": 1})
    assert frame.batch is False
    assert parse_frame([{"jsonrpc": "2.0", "method": "a", "id": 1}]).batch is True
