from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

import pytest
import trio
import trio.testing

from ctid.testing import CallCentre

from ..protocol.rawclient import RawClient


def strict_json(text: str | bytes) -> Any:
    """Parse as a strict parser would: NaN, Infinity and lone surrogates are errors."""

    def refuse(name: str) -> NoReturn:
        raise ValueError(f"{name} is not JSON")

    if isinstance(text, str):
        text.encode("utf-8")
    return json.loads(text, parse_constant=refuse)


#: ``assert_reply``'s request id when any valid id will do.
ANY_ID: Any = object()


def assert_reply(reply: Any, request_id: Any) -> None:
    """A well-formed JSON-RPC 2.0 reply, never an internal error."""
    assert isinstance(reply, dict), reply
    reply_id = reply["id"]
    assert reply_id is None or isinstance(reply_id, str) or type(reply_id) is int, reply
    if type(reply_id) is int:
        assert abs(reply_id) < 2**53, reply
    if request_id is ANY_ID:
        request_id = reply_id
    assert reply["jsonrpc"] == "2.0"
    assert set(reply) in ({"jsonrpc", "id", "result"}, {"jsonrpc", "id", "error"}), reply
    if "error" in reply:
        error = reply["error"]
        assert set(error) <= {"code", "message", "data"} and isinstance(error["message"], str)
        assert error["code"] != -32603, reply
        if error["code"] == -32700:
            assert reply["id"] is None
        else:
            assert reply["id"] in (request_id, None), (reply, request_id)
    else:
        assert reply["id"] == request_id


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def open_raw(cc: CallCentre, subprotocol: str) -> tuple[RawClient, trio.abc.Stream]:
    client_stream, server_stream = trio.testing.memory_stream_pair()
    cc.nursery.start_soon(cc.app.server.handle_stream, server_stream)
    client = RawClient(client_stream)
    await client.handshake([subprotocol])
    return client, client_stream


Runner = Callable[[Callable[[], Awaitable[Any]]], Any]


async def in_worker(run: Callable[[Runner], None]) -> None:
    """Run hypothesis (synchronous) in a worker thread; ``run`` gets a way to run
    async steps back in this trio run, so one daemon serves every example."""
    token = trio.lowlevel.current_trio_token()

    def call(step: Callable[[], Awaitable[Any]]) -> Any:
        return trio.from_thread.run(step, trio_token=token)

    await trio.to_thread.run_sync(run, call)
