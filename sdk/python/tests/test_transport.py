"""The WebSocket shell against a scripted wsproto server over in-memory streams.

Every message test runs with the server's bytes delivered whole, one byte at a
time, and glued to the bytes that follow (STYLE §3.2).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from ctid_client import ConnectionClosed, ProtocolError
from ctid_client._transport import WebSocket, open_websocket, parse_url
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.events import (
    Event as WsEvent,
)

from .streams import MemoryByteStream, memory_byte_stream_pair

ENDPOINT = parse_url("ws://ctid.test:8765/v1")


class ScriptedServer:
    """The server end: a wsproto server connection the test drives by hand."""

    def __init__(self, stream: MemoryByteStream, chunking: str) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.SERVER)
        self.chunking = chunking
        self.held = b""

    async def write(self, data: bytes) -> None:
        if self.chunking == "bytewise":
            for i in range(len(data)):
                await self.stream.send(data[i : i + 1])
        elif self.chunking == "glued":
            # Hold bytes back and send them with the next write, or at flush().
            self.held += data
        else:
            await self.stream.send(data)

    async def flush(self) -> None:
        if self.held:
            await self.stream.send(self.held)
            self.held = b""

    async def send(self, event: WsEvent) -> None:
        await self.write(self.ws.send(event))

    async def next_event(self) -> Any:
        while True:
            for event in self.ws.events():
                return event
            self.ws.receive_data(await self.stream.receive())

    async def accept(self, subprotocol: str | None = "ctid.v1.json") -> Request:
        request = await self.next_event()
        assert isinstance(request, Request)
        assert request.target == "/v1"
        assert request.host == "ctid.test:8765"
        await self.stream.send(self.ws.send(AcceptConnection(subprotocol=subprotocol)))
        return request


@pytest.fixture(params=["whole", "bytewise", "glued"])
def chunking(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@asynccontextmanager
async def connect(chunking: str, **options: Any) -> AsyncIterator[tuple[WebSocket, ScriptedServer]]:
    async with pair() as (client_end, server):
        server.chunking = chunking
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.accept)
            socket = await open_websocket(client_end, ENDPOINT, "ctid.v1.json", **options)
        yield socket, server


@asynccontextmanager
async def pair() -> AsyncIterator[tuple[MemoryByteStream, ScriptedServer]]:
    client_end, server_end = memory_byte_stream_pair()
    try:
        yield client_end, ScriptedServer(server_end, "whole")
    finally:
        await client_end.aclose()
        await server_end.aclose()


async def test_messages_whole_and_fragmented(chunking: str) -> None:
    with anyio.fail_after(5):
        async with connect(chunking) as (socket, server):
            await server.send(TextMessage(data='{"a":', message_finished=False))
            await server.send(TextMessage(data="1}", message_finished=True))
            await server.send(BytesMessage(data=b"\x81\xa1a\x01"))
            await server.flush()
            assert await socket.receive() == '{"a":1}'
            assert await socket.receive() == b"\x81\xa1a\x01"
            await socket.send("hello")
            event = await server.next_event()
            assert isinstance(event, TextMessage)
            assert event.data == "hello"


async def test_pings_are_answered_while_reading(chunking: str) -> None:
    with anyio.fail_after(5):
        async with connect(chunking) as (socket, server):
            await server.send(Ping(payload=b"ctid"))
            await server.send(TextMessage(data="after"))
            await server.flush()
            assert await socket.receive() == "after"
            pong = await server.next_event()
            assert isinstance(pong, Pong)
            assert pong.payload == b"ctid"


async def test_server_close_code_and_reason(chunking: str) -> None:
    with anyio.fail_after(5):
        async with connect(chunking) as (socket, server):
            await server.send(CloseConnection(code=4001, reason="session resumed elsewhere"))
            await server.flush()
            with pytest.raises(ConnectionClosed) as caught:
                await socket.receive()
            assert (caught.value.code, caught.value.reason) == (4001, "session resumed elsewhere")
            answer = await server.next_event()
            assert isinstance(answer, CloseConnection)
            with pytest.raises(ConnectionClosed):
                await socket.send("too late")


async def test_end_of_stream_is_an_abnormal_close() -> None:
    with anyio.fail_after(5):
        async with connect("whole") as (socket, server):
            await server.stream.aclose()
            with pytest.raises(ConnectionClosed) as caught:
                await socket.receive()
            assert caught.value.code == 1006


async def test_oversized_message_closes_with_1009() -> None:
    with anyio.fail_after(5):
        async with connect("whole", max_message_size=10) as (socket, server):
            await server.send(TextMessage(data="x" * 11))
            with pytest.raises(ConnectionClosed) as caught:
                await socket.receive()
            assert caught.value.code == 1009


async def test_client_close_handshake() -> None:
    with anyio.fail_after(5):
        async with connect("whole") as (socket, server):
            await socket.close(1000, "bye")
            close = await server.next_event()
            assert isinstance(close, CloseConnection)
            assert close.code == 1000
            await server.send(close.response())
            with pytest.raises(ConnectionClosed) as caught:
                await socket.receive()
            assert caught.value.code == 1000


async def test_a_different_subprotocol_is_refused() -> None:
    async with pair() as (client_end, server):
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(server.accept, None)
                with pytest.raises(ProtocolError, match="chose subprotocol"):
                    await open_websocket(client_end, ENDPOINT, "ctid.v1.msgpack")


async def test_a_refused_upgrade_says_why() -> None:
    async def refuse(server: ScriptedServer) -> None:
        await server.next_event()
        body = b"unsupported subprotocol"
        headers = [(b"content-length", str(len(body)).encode())]
        await server.stream.send(
            server.ws.send(RejectConnection(status_code=400, headers=headers, has_body=True))
        )
        await server.stream.send(server.ws.send(RejectData(data=body)))

    async with pair() as (client_end, server):
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(refuse, server)
                with pytest.raises(ProtocolError, match=r"HTTP 400.*unsupported"):
                    await open_websocket(client_end, ENDPOINT, "ctid.v1.json")


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "target", "header"),
    [
        ("ws://127.0.0.1:8765/v1", "127.0.0.1", 8765, False, "/v1", "127.0.0.1:8765"),
        ("wss://ctid.example/v1?x=1", "ctid.example", 443, True, "/v1?x=1", "ctid.example"),
        ("ws://[::1]:9/v1", "::1", 9, False, "/v1", "[::1]:9"),
        ("ws://h", "h", 80, False, "/", "h"),
    ],
)
def test_parse_url(url: str, host: str, port: int, tls: bool, target: str, header: str) -> None:
    endpoint = parse_url(url)
    assert (endpoint.host, endpoint.port, endpoint.tls) == (host, port, tls)
    assert (endpoint.target, endpoint.host_header) == (target, header)


@pytest.mark.parametrize("url", ["http://h/v1", "ws:///v1", "h:1"])
def test_parse_url_refuses_what_is_not_a_websocket_url(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|host"):
        parse_url(url)
