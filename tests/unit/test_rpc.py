from typing import Any

import pytest

from ctid.api import rpc
from ctid.api.rpc import Request, parse_frame


def _error(item: Any) -> int:
    assert isinstance(item, dict)
    return int(item["error"]["code"])


def test_request_and_notification() -> None:
    frame = parse_frame({"jsonrpc": "2.0", "method": "a", "params": {"x": 1}, "id": 7})
    assert not frame.batch
    assert frame.items == (Request(method="a", params={"x": 1}, id=7, is_notification=False),)
    frame = parse_frame({"jsonrpc": "2.0", "method": "a"})
    (item,) = frame.items
    assert isinstance(item, Request) and item.is_notification and item.params is None


def test_null_id_is_a_request_not_a_notification() -> None:
    (item,) = parse_frame({"jsonrpc": "2.0", "method": "a", "id": None}).items
    assert isinstance(item, Request) and not item.is_notification


@pytest.mark.parametrize(
    ("message", "reply_id"),
    [
        ({"jsonrpc": "1.0", "method": "a", "id": 1}, 1),
        ({"method": "a", "id": 2}, 2),
        ({"jsonrpc": "2.0", "method": 5, "id": 3}, 3),
        ({"jsonrpc": "2.0", "method": "", "id": 4}, 4),
        ({"jsonrpc": "2.0", "method": "a", "params": "x", "id": 5}, 5),
        ({"jsonrpc": "2.0", "method": "a", "id": {"x": 1}}, None),
        ({"jsonrpc": "2.0", "method": "a", "id": True}, None),
        ({"jsonrpc": "2.0", "method": "a", "id": 1, "extra": 1}, 1),
        ("just a string", None),
        (42, None),
    ],
)
def test_invalid_requests(message: Any, reply_id: Any) -> None:
    (item,) = parse_frame(message).items
    assert _error(item) == rpc.INVALID_REQUEST
    assert item["id"] == reply_id  # type: ignore[index]


def test_empty_batch_is_one_invalid_request() -> None:
    frame = parse_frame([])
    assert not frame.batch
    (item,) = frame.items
    assert _error(item) == rpc.INVALID_REQUEST


def test_batch_mixes_requests_and_errors_in_order() -> None:
    frame = parse_frame(
        [{"jsonrpc": "2.0", "method": "a", "id": 1}, 1, {"jsonrpc": "2.0", "method": "b"}]
    )
    assert frame.batch
    first, second, third = frame.items
    assert isinstance(first, Request) and first.method == "a"
    assert _error(second) == rpc.INVALID_REQUEST
    assert isinstance(third, Request) and third.is_notification


def test_batch_limit() -> None:
    frame = parse_frame([{"jsonrpc": "2.0", "method": "a"}] * (rpc.MAX_BATCH + 1))
    (item,) = frame.items
    assert "at most" in item["error"]["message"]  # type: ignore[index]


def test_reply_builders() -> None:
    assert rpc.result(1, {"a": 1}) == {"jsonrpc": "2.0", "id": 1, "result": {"a": 1}}
    err = rpc.RpcError(rpc.INVALID_PARAMS, "bad", {"path": "params.x"})
    assert rpc.error(2, err) == {
        "jsonrpc": "2.0",
        "id": 2,
        "error": {"code": -32602, "message": "bad", "data": {"path": "params.x"}},
    }
