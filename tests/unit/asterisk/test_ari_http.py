"""The ARI HTTP client: real HTTP/1.1 bytes over memory streams, on the mock clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import trio
import trio.testing

from ctid.switch_drivers.asterisk import rest
from ctid.switch_drivers.asterisk.http import (
    ConnectFailed,
    ConnectionLost,
    HttpClient,
    ProtocolFailure,
    RequestTimedOut,
    ResponseTooLarge,
    basic_auth,
    build_request,
)
from ctid.testing.ari_schema import AriSchema
from ctid.testing.fake_asterisk import FakeAsterisk

Script = Callable[[trio.abc.Stream], Awaitable[None]]

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"


class Server:
    """Hands out streams whose far end runs ``script``; counts connections."""

    def __init__(self, nursery: trio.Nursery, script: Script) -> None:
        self.nursery = nursery
        self.script = script
        self.opened = 0
        self.open_now = 0
        self.most_open = 0

    async def open_stream(self, host: str, port: int) -> trio.abc.Stream:
        await trio.lowlevel.checkpoint()
        self.opened += 1
        client, server = trio.testing.memory_stream_pair()
        self.nursery.start_soon(self._run, server)
        return client

    async def _run(self, stream: trio.abc.Stream) -> None:
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            await self.script(stream)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass  # the client closed the connection
        finally:
            self.open_now -= 1
            await trio.aclose_forcefully(stream)


async def read_head(stream: trio.abc.Stream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive_some()
        if not chunk:
            return data
        data += chunk
    return data


def client(
    open_stream: Callable[[str, int], Awaitable[trio.abc.Stream]], **kw: object
) -> HttpClient:
    return HttpClient(
        open_stream=open_stream,
        host="pbx",
        port=8088,
        user="ctid",
        password="secret",
        **kw,  # type: ignore[arg-type]
    )


def test_request_bytes() -> None:
    head, body = build_request(
        rest.originate_with_id("c 1", endpoint="PJSIP/1001", app="ctid", variables={"A": "b"}),
        host="pbx:8088",
        authorization=basic_auth("ctid", "secret"),
    )
    assert head.method == b"POST"
    assert head.target == b"/ari/channels/c%201?endpoint=PJSIP%2F1001&app=ctid"
    headers = dict(head.headers)
    assert headers[b"authorization"] == b"Basic Y3RpZDpzZWNyZXQ="
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == b"23"
    assert body == b'{"variables":{"A":"b"}}'


async def test_keep_alive_and_stale_connections(
    ari_schema: AriSchema, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    fake = FakeAsterisk(schema=ari_schema)
    await nursery.start(fake.run)
    opened = 0

    async def counting(host: str, port: int) -> trio.abc.Stream:
        nonlocal opened
        opened += 1
        return await fake.open_stream(host, port)

    http = client(counting)
    for _ in range(3):
        assert (await http.request(rest.list_channels())).json() == []
    assert opened == 1
    # The server dropped the idle connection: the next request quietly uses a new one.
    await fake.drop_connections()
    assert (await http.request(rest.asterisk_ping())).json()["ping"] == "pong"
    assert opened == 2
    bad = await http.request(rest.answer("nobody"))
    assert (bad.status, bad.json()) == (404, {"message": "Channel not found"})
    wrong = await client(fake.open_stream, timeout=5.0).request(rest.list_channels())
    assert wrong.status == 200
    await http.aclose()
    with pytest.raises(ConnectFailed):
        await http.request(rest.list_channels())


async def test_answers_in_pieces_and_chunked(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    async def script(stream: trio.abc.Stream) -> None:
        await read_head(stream)
        for byte in OK:  # one byte at a time
            await stream.send_all(bytes([byte]))
        await read_head(stream)
        await stream.send_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n'
        )
        await read_head(stream)

    server = Server(nursery, script)
    http = client(server.open_stream)
    assert (await http.request(rest.list_channels())).json() == []
    assert (await http.request(rest.list_bridges())).json() == {"a": 1}
    assert server.opened == 1


async def test_answer_too_large(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    connections = 0

    async def script(stream: trio.abc.Stream) -> None:
        nonlocal connections
        connections += 1
        await read_head(stream)
        if connections == 1:
            await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100)
        else:
            # Without a length the limit is checked as the body arrives.
            await stream.send_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"40\r\n" + b"y" * 64 + b"\r\n"
            await stream.send_all(chunk * 2)
        await trio.sleep_forever()

    http = client(Server(nursery, script).open_stream, max_response_size=99)
    for _ in range(2):
        with pytest.raises(ResponseTooLarge):
            await http.request(rest.list_channels())
    assert connections == 2  # a connection left mid-answer is never reused


async def test_no_answer_times_out_exactly(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    async def silent(stream: trio.abc.Stream) -> None:
        await read_head(stream)
        await trio.sleep_forever()

    http = client(Server(nursery, silent).open_stream, timeout=7.5)
    start = trio.current_time()
    with pytest.raises(RequestTimedOut):
        await http.request(rest.list_channels())
    assert trio.current_time() - start == 7.5


async def test_broken_answers(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    async def garbage(stream: trio.abc.Stream) -> None:
        await read_head(stream)
        await stream.send_all(b"SIP/2.0 200 OK\r\n\r\n")

    with pytest.raises(ProtocolFailure):
        await client(Server(nursery, garbage).open_stream).request(rest.list_channels())

    async def half(stream: trio.abc.Stream) -> None:
        await read_head(stream)
        await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[1,")

    with pytest.raises(ConnectionLost):
        await client(Server(nursery, half).open_stream).request(rest.list_channels())

    async def hang_up(stream: trio.abc.Stream) -> None:
        await read_head(stream)

    # A fresh connection that closes without answering is not retried.
    server = Server(nursery, hang_up)
    with pytest.raises(ConnectionLost):
        await client(server.open_stream).request(rest.list_channels())
    assert server.opened == 1


async def test_unreachable(autojump_clock: trio.testing.MockClock) -> None:
    async def refuse(host: str, port: int) -> trio.abc.Stream:
        raise ConnectionRefusedError("refused")

    with pytest.raises(ConnectFailed, match="pbx:8088"):
        await client(refuse).request(rest.list_channels())


async def test_connections_are_bounded(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    async def slow(stream: trio.abc.Stream) -> None:
        while await read_head(stream):
            await trio.sleep(1)
            await stream.send_all(OK)

    server = Server(nursery, slow)
    http = client(server.open_stream, max_connections=2)
    start = trio.current_time()
    async with trio.open_nursery() as inner:
        for _ in range(6):
            inner.start_soon(http.request, rest.list_channels())
    assert server.most_open == 2
    assert server.opened == 2
    assert trio.current_time() - start == 3  # six one-second answers, two at a time
