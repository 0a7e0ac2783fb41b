"""Timing, asserted exactly on trio's MockClock: backoff, request and connect timeouts.

These tests use no real sockets (STYLE §3.10): the client reaches the real
in-process server over trio memory streams, through the client's public
``connector`` seam. The clock jumps whenever every task is blocked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio.abc
import pytest
import trio
import trio.testing
from ctid_client import (
    Client,
    ConnectionClosed,
    ConnectionState,
    Endpoint,
    ReconnectPolicy,
    RequestTimeout,
)

from ctid.testing import CallCentre, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

from .streams import TrioByteStream


def run(test: Callable[[], Awaitable[None]]) -> None:
    trio.run(test, clock=trio.testing.MockClock(autojump_threshold=0))


class MemoryConnector:
    """Connects to the in-process server over memory streams; can be told to fail."""

    def __init__(self, centre: CallCentre) -> None:
        self.centre = centre
        self.failures = 0
        self.attempts: list[float] = []
        self.streams: list[TrioByteStream] = []
        self.server_streams: list[trio.abc.Stream] = []

    async def __call__(self, endpoint: Endpoint) -> anyio.abc.ByteStream:
        self.attempts.append(trio.current_time())
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("refused (test)")
        client_side, server_side = trio.testing.memory_stream_pair()
        self.centre.nursery.start_soon(self.centre.app.server.handle_stream, server_side)
        self.server_streams.append(server_side)
        stream = TrioByteStream(client_side)
        self.streams.append(stream)
        return stream


def client(connector: MemoryConnector, **options: Any) -> Client:
    return Client("ws://ctid.test/v1", token=ADMIN_TOKEN, connector=connector, **options)


def test_backoff_waits_exactly_as_the_policy_says() -> None:
    async def main() -> None:
        async with call_centre(sim_config()) as centre:
            connector = MemoryConnector(centre)
            # jitter 0.5 with random() = 0.5: every wait is 3/4 of 0.5 s, 1 s, 2 s, 4 s, 4 s.
            policy = ReconnectPolicy(initial=0.5, maximum=4.0, jitter=0.5, random=lambda: 0.5)
            async with client(connector, reconnect=policy) as c:
                connector.failures = 4
                lost_at = trio.current_time()
                await connector.server_streams[0].aclose()
                await c.ping()  # waits for the reconnect
                waits = [t - lost_at for t in connector.attempts[1:]]
                assert waits == pytest.approx([0.375, 1.125, 2.625, 5.625, 8.625])
                stats = c.statistics()
                assert (stats.connections, stats.resumes) == (2, 1)

    run(main)


def test_giving_up_after_max_attempts() -> None:
    async def main() -> None:
        async with call_centre(sim_config()) as centre:
            connector = MemoryConnector(centre)
            policy = ReconnectPolicy(initial=1.0, jitter=0, max_attempts=2)
            async with client(connector, reconnect=policy) as c, c.events() as events:
                connector.failures = 10
                await connector.server_streams[0].aclose()
                with pytest.raises(ConnectionClosed) as caught:
                    await events.__anext__()
                assert "could not connect" in caught.value.reason
                assert c.state is ConnectionState.CLOSED
                assert len(connector.attempts) == 3  # the first connection and two tries

    run(main)


def test_request_timeout_is_exact_and_the_late_reply_is_dropped() -> None:
    async def main() -> None:
        async with call_centre(sim_config()) as centre:
            connector = MemoryConnector(centre)
            async with client(connector, request_timeout=7.0) as c:
                connector.streams[0].blackhole = True  # requests vanish on the way
                start = trio.current_time()
                with pytest.raises(RequestTimeout) as caught:
                    await c.ping()
                assert trio.current_time() - start == pytest.approx(7.0)
                assert caught.value.method == "session.ping"
                assert isinstance(caught.value, TimeoutError)
                start = trio.current_time()
                with pytest.raises(RequestTimeout):
                    await c.snapshot_device("1001", timeout=2.5)
                assert trio.current_time() - start == pytest.approx(2.5)
                assert c.statistics().pending_requests == 0
                connector.streams[0].blackhole = False

    run(main)


def test_a_request_in_flight_fails_when_its_connection_is_lost() -> None:
    async def main() -> None:
        async with call_centre(sim_config()) as centre:
            connector = MemoryConnector(centre)
            policy = ReconnectPolicy(initial=1.0, jitter=0)
            async with client(connector, reconnect=policy) as c:
                connector.streams[0].blackhole = True
                failure: list[BaseException] = []

                async def ping() -> None:
                    try:
                        await c.ping()
                    except ConnectionClosed as exc:
                        failure.append(exc)

                async with trio.open_nursery() as nursery:
                    nursery.start_soon(ping)
                    await trio.testing.wait_all_tasks_blocked()
                    await connector.server_streams[0].aclose()
                assert len(failure) == 1
                assert isinstance(failure[0], ConnectionClosed)
                assert failure[0].code == 1006
                assert isinstance(await c.ping(), str)  # and the client comes back

    run(main)


def test_connect_timeout_on_a_server_that_never_answers() -> None:
    async def main() -> None:
        async def silent(endpoint: Endpoint) -> anyio.abc.ByteStream:
            client_side, _server_side = trio.testing.memory_stream_pair()
            return TrioByteStream(client_side)

        start = trio.current_time()
        with pytest.raises(ConnectionClosed, match="could not connect"):
            async with Client(
                "ws://ctid.test/v1", token=ADMIN_TOKEN, connector=silent, connect_timeout=3.0
            ):
                raise AssertionError("connected to nothing")  # pragma: no cover
        assert trio.current_time() - start == pytest.approx(3.0)

    run(main)
