"""JSON-RPC 2.0 compliance over real WebSocket connections (TCP, port 0)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import attrs
import msgpack
import pytest
import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from ctid.api import rpc
from ctid.api.methods import registry
from ctid.testing import CallCentre, call_centre
from ctid.testing.harness import ADMIN_TOKEN

from .rawclient import RawClient

pytestmark = pytest.mark.usefixtures("guard")


@pytest.fixture
async def guard() -> AsyncIterator[None]:
    # Real sockets and the real clock: a hang must fail, not stall CI.
    with trio.fail_after(20):
        yield


@pytest.fixture
async def tcp() -> AsyncIterator[CallCentre]:
    async with call_centre() as centre:
        yield centre


def url(cc: CallCentre, path: str = "/v1") -> str:
    host, port = cc.app.addresses[0]
    return f"ws://{host}:{port}{path}"


async def exchange(ws: WebSocketConnection, message: Any) -> Any:
    await ws.send_message(message if isinstance(message, str | bytes) else json.dumps(message))
    reply = await ws.get_message()
    return json.loads(reply) if isinstance(reply, str) else msgpack.unpackb(reply, raw=False)


LOGIN = {"jsonrpc": "2.0", "id": 1, "method": "session.login", "params": {"token": ADMIN_TOKEN}}


async def test_login_gates_everything(tcp: CallCentre) -> None:
    async with open_websocket_url(url(tcp), subprotocols=["ctid.v1.json"]) as ws:
        assert ws.subprotocol == "ctid.v1.json"
        reply = await exchange(
            ws,
            {
                "jsonrpc": "2.0",
                "id": "a",
                "method": "SnapshotDevice",
                "params": {"snapshotObject": "1001"},
            },
        )
        assert reply["id"] == "a" and reply["error"]["code"] == rpc.LOGIN_REQUIRED
        reply = await exchange(
            ws, {"jsonrpc": "2.0", "id": 2, "method": "session.login", "params": {"token": "wrong"}}
        )
        assert reply["error"]["code"] == rpc.AUTHENTICATION_FAILED
        reply = await exchange(ws, LOGIN)
        result = reply["result"]
        assert set(result) == {"sessionID", "protocolVersion", "serverVersion", "role"}
        assert (result["protocolVersion"], result["role"]) == ("1.0", "admin")
        reply = await exchange(ws, LOGIN)
        assert reply["error"]["code"] == rpc.OPERATION_FAILED  # already logged in


async def test_positional_params_and_notifications(tcp: CallCentre) -> None:
    async with open_websocket_url(url(tcp)) as ws:
        assert ws.subprotocol is None  # no subprotocol asked for: JSON
        # A notification gets no reply, even an erroneous one.
        await ws.send_message(json.dumps({"jsonrpc": "2.0", "method": "no.such.method"}))
        reply = await exchange(
            ws, {"jsonrpc": "2.0", "id": 5, "method": "session.login", "params": [ADMIN_TOKEN]}
        )
        assert reply["id"] == 5 and reply["result"]["role"] == "admin"


async def test_batches(tcp: CallCentre) -> None:
    async with open_websocket_url(url(tcp), subprotocols=["ctid.v1.json"]) as ws:
        await exchange(ws, LOGIN)
        reply = await exchange(
            ws,
            [
                {"jsonrpc": "2.0", "id": 1, "method": "session.ping"},
                {"jsonrpc": "2.0", "method": "session.ping"},
                {"jsonrpc": "2.0", "id": 2, "method": "nope"},
                {"foo": "bar"},
                {
                    "jsonrpc": "2.0",
                    "id": 3,
                    "method": "SnapshotDevice",
                    "params": {"snapshotObject": 1},
                },
            ],
        )
        assert isinstance(reply, list)
        assert [(r["id"], "result" in r, r.get("error", {}).get("code")) for r in reply] == [
            (1, True, None),
            (2, False, rpc.METHOD_NOT_FOUND),
            (None, False, rpc.INVALID_REQUEST),
            (3, False, rpc.INVALID_PARAMS),
        ]
        # A batch of notifications only gets no reply at all.
        await ws.send_message(json.dumps([{"jsonrpc": "2.0", "method": "session.ping"}] * 3))
        reply = await exchange(ws, {"jsonrpc": "2.0", "id": 9, "method": "session.ping"})
        assert reply["id"] == 9


@pytest.mark.parametrize(
    ("message", "code", "fragment"),
    [
        ("{not json", rpc.PARSE_ERROR, "parse error"),
        ("[]", rpc.INVALID_REQUEST, "empty batch"),
        ('{"jsonrpc": "2.0", "id": 1}', rpc.INVALID_REQUEST, "method"),
        ('{"jsonrpc": "2.0", "id": 1, "method": "nope"}', rpc.METHOD_NOT_FOUND, "nope"),
        (
            '{"jsonrpc": "2.0", "id": 1, "method": "MakeCall", "params": {}}',
            rpc.INVALID_PARAMS,
            "params.callingDevice: required",
        ),
        (
            '{"jsonrpc": "2.0", "id": 1, "method": "MakeCall", "params": '
            '{"callingDevice": "1001", "calledDirectoryNumber": "1002", "colour": 1}}',
            rpc.INVALID_PARAMS,
            "params.colour: unknown key",
        ),
        (
            '{"jsonrpc": "2.0", "id": 1, "method": "MakeCall", "params": '
            '{"callingDevice": "1001", "calledDirectoryNumber": "1002", "autoOriginate": "maybe"}}',
            rpc.INVALID_PARAMS,
            'expected one of "prompt", "doNotPrompt"',
        ),
        (
            '{"jsonrpc": "2.0", "id": 1, "method": "session.ping", "params": {"x": 1}}',
            rpc.INVALID_PARAMS,
            "takes no params",
        ),
    ],
)
async def test_every_error_code_names_the_problem(
    tcp: CallCentre, message: str, code: int, fragment: str
) -> None:
    async with open_websocket_url(url(tcp)) as ws:
        await exchange(ws, LOGIN)
        reply = await exchange(ws, message)
        assert reply["error"]["code"] == code
        assert fragment in reply["error"]["message"]
        # The connection goes on.
        assert "result" in await exchange(ws, {"jsonrpc": "2.0", "id": 7, "method": "session.ping"})


async def test_internal_error_is_contained(
    tcp: CallCentre, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx: Any, p: None) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setitem(
        registry.methods,
        "test.broken",
        attrs.evolve(
            registry.methods["session.ping"], name="test.broken", handler=broken, summary=""
        ),
    )
    async with open_websocket_url(url(tcp)) as ws:
        await exchange(ws, LOGIN)
        reply = await exchange(ws, {"jsonrpc": "2.0", "id": 1, "method": "test.broken"})
        assert reply["error"] == {
            "code": rpc.INTERNAL_ERROR,
            "message": "internal error in test.broken",
        }
        assert "result" in await exchange(ws, {"jsonrpc": "2.0", "id": 2, "method": "session.ping"})


async def test_oversized_message_is_refused_and_the_connection_goes_on(tcp: CallCentre) -> None:
    limit = tcp.app.api.limits.max_message_bytes
    async with open_websocket_url(url(tcp), max_message_size=4 * limit) as ws:
        await exchange(ws, LOGIN)
        big = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "session.ping", "params": {"x": "y" * limit}}
        )
        reply = await exchange(ws, big)
        assert reply["error"]["code"] == rpc.INVALID_REQUEST
        assert reply["error"]["data"] == {"limit": limit}
        assert "result" in await exchange(ws, {"jsonrpc": "2.0", "id": 2, "method": "session.ping"})


async def test_msgpack_subprotocol(tcp: CallCentre) -> None:
    async with open_websocket_url(url(tcp), subprotocols=["ctid.v1.msgpack"]) as ws:
        assert ws.subprotocol == "ctid.v1.msgpack"
        reply = await exchange(ws, msgpack.packb(LOGIN))
        assert reply["result"]["role"] == "admin"
        reply = await exchange(
            ws,
            msgpack.packb(
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "MonitorStart",
                    "params": {"monitorObject": {"deviceObject": "1001"}},
                }
            ),
        )
        assert reply["result"] == {"monitorCrossRefID": "m1"}
        await ws.send_message(
            msgpack.packb(
                {
                    "jsonrpc": "2.0",
                    "id": 3,
                    "method": "MakeCall",
                    "params": {"callingDevice": "1001", "calledDirectoryNumber": "1002"},
                }
            )
        )
        messages = [msgpack.unpackb(await ws.get_message(), raw=False) for _ in range(2)]
        names = sorted(m.get("method", "reply") for m in messages)
        assert names == ["ServiceInitiatedEvent", "reply"]
        reply = await exchange(
            ws, '{"jsonrpc": "2.0", "id": 4, "method": "session.ping"}'
        )  # text frame
        assert reply["error"]["code"] == rpc.PARSE_ERROR and "binary" in reply["error"]["message"]


async def test_subprotocol_negotiation_and_http_routes(tcp: CallCentre) -> None:
    async with open_websocket_url(url(tcp), subprotocols=["chat", "ctid.v1.msgpack"]) as ws:
        assert ws.subprotocol == "ctid.v1.msgpack"
    host, port = tcp.app.addresses[0]
    async with await trio.open_tcp_stream(host, port) as stream:
        raw = RawClient(stream)
        await raw.handshake(["chat"])
        assert raw.rejected is not None and raw.rejected.status_code == 400
        assert b"ctid.v1.json" in raw.reject_body

    async def http_get(path: str, headers: str = "") -> tuple[int, bytes]:
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            await stream.send_all(f"GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
            data = b""
            while chunk := await stream.receive_some(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body

    status, body = await http_get("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok", "driver": "up"})
    assert (await http_get("/nope"))[0] == 404
    assert (await http_get("/v1"))[0] == 426


async def test_many_clients_each_get_their_own_gap_free_stream(tcp: CallCentre) -> None:
    async with trio.open_nursery() as nursery:
        sockets = []
        for _ in range(12):
            ws = await _open(nursery, url(tcp))
            await exchange(ws, LOGIN)
            await exchange(
                ws,
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "MonitorStart",
                    "params": {"monitorObject": {"deviceObject": "1002"}},
                },
            )
            sockets.append(ws)
        driver = sockets[0]
        await driver.send_message(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 3,
                    "method": "sim.incomingCall",
                    "params": {"callingNumber": "5550001", "calledNumber": "1002"},
                }
            )
        )
        streams = []
        for ws in sockets:
            events = []
            while len(events) < 1:
                message = json.loads(await ws.get_message())
                if "method" in message:
                    events.append(
                        (
                            message["method"],
                            message["params"]["seq"],
                            message["params"]["monitorCrossRefID"],
                        )
                    )
            streams.append(events)
        assert all(s == [("DeliveredEvent", 1, "m1")] for s in streams)
        for ws in sockets:
            await ws.aclose()


async def _open(nursery: trio.Nursery, address: str) -> WebSocketConnection:
    from trio_websocket import connect_websocket_url

    return await connect_websocket_url(nursery, address, subprotocols=["ctid.v1.json"])
