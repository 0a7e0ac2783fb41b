"""The WebSocket frame parser of a real connection: valid, fragmented, mutated and random frames.

Each example is one connection over memory streams: handshake, the fuzzed
bytes, then end of input. Everything the server sent back must be well-formed
WebSocket frames carrying valid JSON-RPC replies (never -32603), or a close
with a protocol code; nothing is logged as an error; and the daemon goes on
serving (checked at the end).
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

from ctid.testing import call_centre

from .conftest import ANY_ID, Runner, assert_reply, errors_logged, in_worker, open_raw, strict_json
from .strategies import FUZZ, encode_json, encode_msgpack, json_values, poisons

#: Close codes the server may use on a client's bad frames (RFC 6455 §7.4.1).
PROTOCOL_CLOSES = {1000, 1002, 1003, 1007, 1009, 4003}

payloads = st.one_of(
    st.builds(encode_json, st.one_of(json_values, poisons)),
    st.builds(
        lambda m, i: json.dumps({"jsonrpc": "2.0", "id": i, "method": m}),
        st.sampled_from(["session.ping", "rpc.discover", "x"]),
        st.integers(0, 9),
    ),
    st.text(max_size=40),
)


@st.composite
def frame_bytes(draw: st.DrawFn, binary: bool) -> bytes:
    """A client's bytes after the handshake: built by a real client, then maybe damaged."""
    ws = Connection(ConnectionType.CLIENT)  # after the handshake: frames only
    out = b""
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["message", "fragments", "ping", "close"]))
        text = draw(payloads)
        data: str | bytes = encode_msgpack(json.loads(text)) if binary and _is_json(text) else text
        if kind == "message":
            out += ws.send(
                BytesMessage(data=data) if isinstance(data, bytes) else TextMessage(data=data)
            )
        elif kind == "fragments":
            cut = len(data) // 2
            first, rest = data[:cut], data[cut:]
            message = BytesMessage if isinstance(data, bytes) else TextMessage
            out += ws.send(message(data=first, message_finished=False))  # type: ignore[arg-type]
            out += ws.send(message(data=rest, message_finished=True))  # type: ignore[arg-type]
        elif kind == "ping":
            out += ws.send(Ping(payload=draw(st.binary(max_size=20))))
        else:
            out += ws.send(CloseConnection(code=1000, reason="bye"))
            break
    damage = draw(st.sampled_from(["none", "flip", "truncate", "random"]))
    if damage == "flip" and out:
        i = draw(st.integers(0, len(out) - 1))
        out = out[:i] + bytes((draw(st.integers(0, 255)),)) + out[i + 1 :]
    elif damage == "truncate" and out:
        out = out[: draw(st.integers(0, len(out) - 1))]
    elif damage == "random":
        out = draw(st.binary(max_size=200))
    return out


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def server_output(data: bytes, binary: bool) -> tuple[list[Any], int | None]:
    """The replies and the close code in what the server sent."""
    ws = Connection(ConnectionType.CLIENT)
    ws.receive_data(data)
    replies: list[Any] = []
    close = None
    for event in ws.events():
        if isinstance(event, TextMessage):
            assert not binary
            replies.append(strict_json(event.data))
        elif isinstance(event, BytesMessage):
            replies.append(msgpack.unpackb(event.data, raw=False))
        elif isinstance(event, CloseConnection):
            close = event.code
    return replies, close


@pytest.mark.parametrize("subprotocol", ["ctid.v1.json", "ctid.v1.msgpack"])
async def test_frames(subprotocol: str, caplog: pytest.LogCaptureFixture) -> None:
    binary = subprotocol.endswith("msgpack")
    async with call_centre() as cc:
        closes: list[int | None] = []
        answered: list[int] = []

        def run(call: Runner) -> None:
            @settings(FUZZ, max_examples=120)
            @given(frame_bytes(binary))
            def check(data: bytes) -> None:
                async def exchange() -> bytes:
                    _, stream = await open_raw(cc, subprotocol)
                    await stream.send_all(data)
                    await trio.testing.wait_all_tasks_blocked()
                    await stream.send_eof()  # type: ignore[attr-defined]
                    received = b""
                    while True:
                        try:
                            chunk = await stream.receive_some(65536)
                        except (trio.BrokenResourceError, trio.ClosedResourceError):
                            break
                        if not chunk:
                            break
                        received += chunk
                    await cc.app.server.wait_idle()
                    return received

                replies, close = server_output(call(exchange), binary)
                for reply in replies:
                    if isinstance(reply, list):
                        for item in reply:
                            assert_reply(item, ANY_ID)
                    else:
                        assert_reply(reply, ANY_ID)
                assert close is None or close in PROTOCOL_CLOSES, close
                closes.append(close)
                answered.append(len(replies))

            check()

        await in_worker(run)
        # The examples did reach the parser and the dispatcher, not only the socket.
        assert sum(answered) > 20 and closes.count(1002) > 5, (sum(answered), closes)
        assert errors_logged(caplog) == []
        client = await cc.client(msgpack=binary)
        assert await client.call("session.ping") is not None
