"""Hostile input (issue 10): each finding, and the containment boundary of a connection.

Every test here failed on the code before the fix: most of them stopped the
whole daemon (the ``call_centre`` nursery raised), the others emitted invalid
JSON or answered -32603 with a logged traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import msgpack
import pytest
import trio
import trio.testing
from trio_websocket import open_websocket_url
from wsproto.events import CloseConnection

from ctid.api import codec as codec_module
from ctid.bus import Published
from ctid.testing import CallCentre, call_centre, sim_config
from ctid.testing.client import RpcTestClient
from ctid.testing.harness import ADMIN_TOKEN

from .conftest import raw_client

AGENT_TOKEN = "agent-token-0123456789"
AGENTS = {
    "auth": {"tokens": [{"role": "agent", "name": "a1", "token": AGENT_TOKEN, "devices": ["1001"]}]}
}


def strict_json(text: str | bytes) -> Any:
    """Parse as a strict JSON parser would: NaN, Infinity and lone surrogates are errors."""

    def refuse(name: str) -> NoReturn:
        raise ValueError(f"{name} is not JSON")

    if isinstance(text, str):
        text.encode("utf-8")  # raises on a lone surrogate
    return json.loads(text, parse_constant=refuse)


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert bad == [], [r.getMessage() for r in bad]


@pytest.fixture
async def tcp() -> AsyncIterator[CallCentre]:
    with trio.fail_after(20):  # real sockets and the real clock: a hang must fail
        async with call_centre(sim_config(AGENTS)) as centre:
            yield centre


def url(cc: CallCentre) -> str:
    host, port = cc.app.addresses[0]
    return f"ws://{host}:{port}/v1"


async def still_serving(cc: CallCentre, client: RpcTestClient) -> None:
    """The daemon, the other session and the call model still work."""
    assert await client.call("session.ping") is not None
    snapshot = await client.call("SnapshotDevice", {"snapshotObject": "1002"})
    assert snapshot is not None


# ------------------------------------------------------------------ findings


async def test_deep_nesting_before_login_is_refused_over_tcp(
    tcp: CallCentre, caplog: pytest.LogCaptureFixture
) -> None:
    other = await tcp.client()
    deep = "[" * 1000 + "]" * 1000  # 2 KB: used to raise RecursionError and end the daemon
    async with open_websocket_url(url(tcp)) as ws:
        await ws.send_message(deep)
        reply = strict_json(await ws.get_message())
        assert reply == {
            "jsonrpc": "2.0",
            "id": None,
            "error": {
                "code": -32700,
                "message": "parse error: nested deeper than 64 levels",
                "data": {"limit": 64},
            },
        }
        # The same connection goes on: a login works.
        await ws.send_message(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "session.login",
                    "params": {"token": ADMIN_TOKEN},
                }
            )
        )
        assert strict_json(await ws.get_message())["result"]["role"] == "admin"
    await still_serving(tcp, other)
    no_errors_logged(caplog)


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"correlatorData": "\ud800"}, "params.correlatorData"),
        ({"userData": {"k": "x\udfff"}}, "params.userData.k"),
        ({"userData": {"\ud800": "v"}}, "params.userData.\\ud800"),
    ],
)
async def test_lone_surrogates_in_make_call_from_an_agent(
    tcp: CallCentre, caplog: pytest.LogCaptureFixture, params: dict[str, Any], path: str
) -> None:
    other = await tcp.client()
    agent = await tcp.client(token=AGENT_TOKEN)
    reply = await agent.request(
        "MakeCall",
        {"callingDevice": "1001", "calledDirectoryNumber": "1002", **params},
    )
    error = reply["error"]
    assert error["code"] == -32602
    assert error["data"]["path"] == path
    assert error["data"]["problem"].startswith("not valid Unicode: lone surrogate U+D")
    assert error["message"] == f"invalid params: {path}: {error['data']['problem']}"
    assert tcp.app.model.calls == {}  # nothing was started
    await still_serving(tcp, other)
    assert await agent.call("session.ping") is not None
    no_errors_logged(caplog)


async def test_lone_surrogates_in_other_methods_are_invalid_params(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with call_centre() as cc:
        client = await cc.client()
        for method, params, path in [
            ("SnapshotDevice", {"snapshotObject": "10\ud80001"}, "params.snapshotObject"),
            ("MonitorStart", {"monitorObject": {"deviceObject": "\udc00"}}, None),
            ("session.ping", {"x\ud800": 1}, None),
        ]:
            reply = await client.request(method, params)
            assert reply["error"]["code"] == -32602, (method, reply)
            if path is not None:
                assert reply["error"]["data"]["path"] == path
        no_errors_logged(caplog)


async def test_huge_integer_for_a_float_parameter(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with call_centre() as cc:
        client = await cc.client()
        other = await cc.client()
        await client.send_raw(
            '{"jsonrpc":"2.0","id":7,"method":"recording.search","params":{"minDuration":'
            + "9" * 400
            + "}}"
        )
        reply = await client.wait_for(lambda: client.replies.pop(7, None))
        assert reply["error"] == {
            "code": -32602,
            "message": "invalid params: params.minDuration: integer out of range: "
            "must be within -9007199254740991..9007199254740991",
            "data": {
                "path": "params.minDuration",
                "problem": "integer out of range: must be within "
                "-9007199254740991..9007199254740991",
            },
        }
        await still_serving(cc, other)
        no_errors_logged(caplog)


async def test_request_ids(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        raw = await raw_client(cc, ["ctid.v1.json"])
        invalid_id = {
            "code": -32600,
            "message": "id must be a string, an integer within "
            "-9007199254740991..9007199254740991, or null",
        }
        # 1e999 used to come back as "id": Infinity, which is not JSON.
        await raw.send('{"jsonrpc":"2.0","id":1e999,"method":"session.ping"}')
        reply = strict_json(await raw.receive())
        assert reply["id"] is None and reply["error"]["code"] == -32700
        assert "out of range" in reply["error"]["message"]
        for bad_id in ("1.5", "9007199254740992", "-9007199254740992", "true", '"\\ud800"'):
            await raw.send('{"jsonrpc":"2.0","id":' + bad_id + ',"method":"session.ping"}')
            assert strict_json(await raw.receive()) == {
                "jsonrpc": "2.0",
                "id": None,
                "error": invalid_id,
            }, bad_id
        for good_id in (9007199254740991, -9007199254740991, "x", None):
            await raw.send_json({"jsonrpc": "2.0", "id": good_id, "method": "session.ping"})
            reply = strict_json(await raw.receive())
            assert reply["id"] == good_id
            assert reply["error"]["code"] == -32001  # login required: the id was accepted


async def test_bad_method_and_member_names(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        raw = await raw_client(cc, ["ctid.v1.json"])
        await raw.send('{"jsonrpc":"2.0","id":1,"method":"a\\ud800"}')
        reply = strict_json(await raw.receive())
        assert reply["id"] == 1 and reply["error"]["code"] == -32600
        assert reply["error"]["message"].startswith("method: not valid Unicode")
        await raw.send('{"jsonrpc":"2.0","id":2,"method":"session.ping","\\udc00":1}')
        reply = strict_json(await raw.receive())
        assert reply["id"] == 2 and reply["error"]["code"] == -32600
        assert reply["error"]["message"].startswith("member name: not valid Unicode")


# -------------------------------------------------------------------- limits


async def test_depth_limit_json_and_msgpack(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        for subprotocol in ("ctid.v1.json", "ctid.v1.msgpack"):
            raw = await raw_client(cc, [subprotocol])
            binary = subprotocol.endswith("msgpack")

            def frame(depth: int, binary: bool = binary) -> str | bytes:
                nested: Any = 1
                for _ in range(depth - 1):
                    nested = [nested]
                message = {"jsonrpc": "2.0", "id": 1, "method": "x", "params": {"a": nested}}
                return msgpack.packb(message) if binary else json.dumps(message)

            def decode(data: str | bytes) -> Any:
                return msgpack.unpackb(data) if isinstance(data, bytes) else strict_json(data)

            # The request object is level 1, params level 2, then depth - 1 lists.
            await raw.send(frame(63))
            got = decode(await raw.receive())
            assert got["error"]["code"] == -32601, (subprotocol, got)  # decoded, then looked up
            await raw.send(frame(64))
            assert decode(await raw.receive())["error"] == {
                "code": -32700,
                "message": "parse error: nested deeper than 64 levels",
                "data": {"limit": 64},
            }


async def test_msgpack_types_refused(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        raw = await raw_client(cc, ["ctid.v1.msgpack"])
        cases: list[tuple[bytes, str]] = [
            (msgpack.packb({"jsonrpc": "2.0", "id": 1, "method": "x", "params": {1: 2}}), "keys"),
            (
                msgpack.packb({"jsonrpc": "2.0", "id": 1, "method": msgpack.ExtType(5, b"ab")}),
                "ext",
            ),
            (msgpack.packb({"jsonrpc": "2.0", "id": float("nan"), "method": "x"}), "NaN"),
            (msgpack.packb({"jsonrpc": "2.0", "id": b"x", "method": "x"}), "bytes"),
            (msgpack.packb([[[]]] * 3)[:-1], "truncated"),
        ]
        for data, what in cases:
            await raw.send(data)
            reply = msgpack.unpackb(await raw.receive())
            assert reply["id"] is None and reply["error"]["code"] == -32700, (what, reply)


async def test_string_and_user_data_limits(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        client = await cc.client()
        call = {"callingDevice": "1001", "calledDirectoryNumber": "1002"}
        cases: list[tuple[dict[str, Any], str, str]] = [
            (
                {"correlatorData": "x" * 16385},
                "params.correlatorData",
                "string longer than 16384 characters (16385)",
            ),
            (
                {"userData": {f"k{i}": i for i in range(65)}},
                "params.userData",
                "more than 64 keys (65)",
            ),
            (
                {"userData": {"a": "é" * 4096, "b": ""}},
                "params.userData",
                "larger than 8192 bytes (8194 bytes of keys, values)",
            ),
            ({"userData": {"a": 2**60}}, "params.userData.a", "integer out of range"),
        ]
        for extra, path, problem in cases:
            reply = await client.request("MakeCall", {**call, **extra})
            assert reply["error"]["code"] == -32602
            assert reply["error"]["data"]["path"] == path
            assert reply["error"]["data"]["problem"].startswith(problem)
        assert cc.app.model.calls == {}


# ---------------------------------------------------------------- containment


async def test_crashing_decoder_closes_only_that_client(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = codec_module.JsonCodec.decode

    def decode(self: codec_module.JsonCodec, data: str | bytes) -> Any:
        if "boom" in str(data):
            raise RuntimeError("a bug in the decoder")
        return real(self, data)

    monkeypatch.setattr(codec_module.JsonCodec, "decode", decode)
    async with call_centre() as cc:
        other = await cc.client()
        raw = await raw_client(cc, ["ctid.v1.json"])
        await raw.send('"boom"')
        close = await raw.wait_closed()
        assert close is not None and (close.code, close.reason) == (1011, "internal error")
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        message = errors[0].getMessage()
        assert message.startswith("internal error on connection memory (processor, method -)")
        await still_serving(cc, other)


async def test_crash_outside_a_handler_closes_only_that_client(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with call_centre() as cc:
        other = await cc.client()
        victim = await cc.client()

        def observer(method: str, outcome: str, seconds: float) -> None:
            if method == "session.ping" and outcome == "ok":
                raise RuntimeError("a bug after the handler")

        cc.app.api.request_observers.append(observer)
        await victim.send_raw(json.dumps({"jsonrpc": "2.0", "id": 5, "method": "session.ping"}))
        await victim.wait_for(lambda: victim.closed)
        assert victim.closed is not None
        assert (victim.closed.reason.code, victim.closed.reason.reason) == (1011, "internal error")
        cc.app.api.request_observers.remove(observer)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert [r.getMessage().split(";")[0] for r in errors] == [
            "internal error on connection memory (processor, method session.ping)"
        ]
        await still_serving(cc, other)


async def test_crashing_handler_answers_only_that_client(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with call_centre() as cc:
        spec = cc.app.api.registry.methods["session.ping"]

        async def broken(ctx: Any, params: Any) -> NoReturn:
            raise KeyError("a bug in the handler")

        monkeypatch.setitem(
            cc.app.api.registry.methods,
            "session.ping",
            type(spec)(**{**_fields(spec), "handler": broken}),
        )
        other = await cc.client()
        victim = await cc.client()
        reply = await victim.request("session.ping")
        assert reply["error"] == {"code": -32603, "message": "internal error in session.ping"}
        monkeypatch.setitem(cc.app.api.registry.methods, "session.ping", spec)
        await still_serving(cc, other)
        await still_serving(cc, victim)


def _fields(spec: Any) -> dict[str, Any]:
    import attrs

    return attrs.asdict(spec, recurse=False)


async def test_crashing_event_encoder_closes_only_that_client(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = codec_module.MsgpackCodec.encode_event

    def encode_event(self: codec_module.MsgpackCodec, event: Published, *args: Any) -> bytes:
        if event.name == "test.Boom":
            raise RuntimeError("a bug in the encoder")
        return real(self, event, *args)

    monkeypatch.setattr(codec_module.MsgpackCodec, "encode_event", encode_event)
    async with call_centre() as cc:
        healthy = await cc.client()
        victim = await cc.client(msgpack=True)
        cc.app.bus.publish(Published(name="test.Boom", params={}, timestamp="t", broadcast=True))
        await victim.wait_for(lambda: victim.closed)
        assert victim.closed is not None
        assert (victim.closed.reason.code, victim.closed.reason.reason) == (1011, "internal error")
        assert (await healthy.event("test.Boom"))["timestamp"] == "t"
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "(writer, method -)" in errors[0].getMessage()
        await still_serving(cc, healthy)


async def test_unencodable_event_is_logged_once_and_delivered_scrubbed(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with call_centre() as cc:
        sessions = [await cc.client(), await cc.client(), await cc.client(msgpack=True)]
        cc.app.bus.publish(
            Published(
                name="test.Odd",
                params={"name": "a\ud800b", "n": float("nan"), "big": 2**70},
                timestamp="t",
                broadcast=True,
            )
        )
        for client in sessions:
            params = await client.event("test.Odd")
            assert (params["name"], params["n"], params["big"]) == (
                "a\ufffdb",
                None,
                str(2**70),
            )
            assert params["timestamp"] == "t" and params["monitorCrossRefID"] is None
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert errors[0].getMessage().startswith("event test.Odd could not be encoded as ")
        for client in sessions:
            await still_serving(cc, client)


async def test_ping_after_our_close_frame(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzz campaign: a ping that arrives after the server's close frame
    made wsproto refuse the pong, and the exception left the connection's reader."""
    async with call_centre() as cc:
        other = await cc.client()
        raw = await raw_client(cc, ["ctid.v1.json"])
        for i in range(3):
            await raw.send_json(
                {"jsonrpc": "2.0", "id": i, "method": "session.login", "params": {"token": "no"}}
            )
        close = await raw.wait_closed()
        assert close is not None and close.code == 4004
        # A masked ping frame (all-zero key), sent as a client that has not yet
        # read the close frame would.
        await raw.stream.send_all(bytes((0x89, 0x84)) + b"\0\0\0\0" + b"ping")
        await cc.settle()
        autojump_clock.jump(5)
        await cc.settle()
        assert cc.app.server.connections == {other_connection(cc)}
        no_errors_logged(caplog)
        await still_serving(cc, other)


def other_connection(cc: CallCentre) -> Any:
    (only,) = cc.app.server.connections
    return only


async def test_close_frame_while_a_request_runs_and_events_wait(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by the fuzz campaign: a client's close frame while its request was still
    running and events were waiting made the writer spin without yielding, which froze
    the whole daemon (every session)."""
    async with call_centre() as cc:
        release = trio.Event()
        spec = cc.app.api.registry.methods["session.ping"]

        async def slow(ctx: Any, params: Any) -> dict[str, Any]:
            await release.wait()
            return {}

        other = await cc.client()
        monkeypatch.setitem(
            cc.app.api.registry.methods,
            "session.ping",
            type(spec)(**{**_fields(spec), "handler": slow}),
        )
        raw = await raw_client(cc, ["ctid.v1.json"])
        await raw.send_json(
            {"jsonrpc": "2.0", "id": 1, "method": "session.login", "params": {"token": ADMIN_TOKEN}}
        )
        assert "result" in strict_json(await raw.receive())
        await raw.send_json({"jsonrpc": "2.0", "id": 2, "method": "session.ping"})
        await cc.settle()
        await raw.stream.send_all(raw.ws.send(CloseConnection(code=1000, reason="bye")))
        await cc.settle()
        cc.app.bus.publish(Published(name="test.Pending", params={}, timestamp="t", broadcast=True))
        await cc.settle()  # never returned before the fix: the writer spun
        monkeypatch.setitem(cc.app.api.registry.methods, "session.ping", spec)
        assert await other.call("SnapshotDevice", {"snapshotObject": "1002"}) is not None
        release.set()
        messages = []
        while True:
            try:
                messages.append(strict_json(await raw.receive()))
            except EOFError:
                break
        assert messages == [{"jsonrpc": "2.0", "id": 2, "result": {}}]
        assert raw.closed is not None and raw.closed.code == 1000
        no_errors_logged(caplog)


async def test_report_with_an_overlong_time_zone(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    """Found by the fuzz campaign: a time zone name longer than a file name may be gave
    -32603 with a traceback (OSError from zoneinfo) instead of -32602."""
    config = sim_config({"records": {"enabled": True}, "server": {"state_dir": str(tmp_path)}})
    async with call_centre(config) as cc:
        client = await cc.client()
        reply = await client.request(
            "report.queueWaits",
            {"from": "2027-01-15", "to": "2027-01-16", "timezone": "x" * 300},
        )
        assert reply["error"] == {
            "code": -32602,
            "message": "timezone: unknown time zone " + repr("x" * 64),
        }
        no_errors_logged(caplog)
