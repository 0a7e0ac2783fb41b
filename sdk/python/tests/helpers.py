"""Small helpers shared by the client tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import anyio
import anyio.abc
import anyio.lowlevel
import anyio.to_thread
from ctid_client import (
    Client,
    ConnectionClosed,
    Endpoint,
    Event,
    EventStream,
    ReconnectPolicy,
    SessionRestarted,
    TcpConnector,
)

from .server import ADMIN_TOKEN, ServerThread

#: Reconnect at once: the tests over real sockets must not sleep on the real clock.
AT_ONCE: Final = ReconnectPolicy(initial=0, maximum=0, jitter=0)
#: A safety net against a hung test, never a wait for something to happen (wide: a loaded
#: 2-core machine once took over 20 s for one test against a real server).
DEADLINE: Final = 60.0


def client(server: ServerThread, **options: Any) -> Client:
    options.setdefault("token", ADMIN_TOKEN)
    options.setdefault("reconnect", AT_ONCE)
    return Client(server.url, **options)


async def next_event(stream: EventStream, name: str) -> Event:
    """The next event called ``name`` in ``stream`` (others are skipped)."""
    async for item in stream:
        if isinstance(item, Event) and item.name == name:
            return item
    raise AssertionError(f"the stream ended before a {name}")


async def take_until(stream: EventStream, name: str) -> list[Event | SessionRestarted]:
    """Everything from ``stream`` up to and including the next event called ``name``."""
    out: list[Event | SessionRestarted] = []
    async for item in stream:
        out.append(item)
        if isinstance(item, Event) and item.name == name:
            return out
    raise AssertionError(f"the stream ended before a {name}: {out}")


T = TypeVar("T")


async def retry_on_loss(request: Callable[[], Awaitable[T]]) -> T:
    """``await request()``, again while it fails because its connection was lost.

    Right after the server cuts a socket, the client may not have noticed yet:
    a request sent then fails with ``ConnectionClosed`` (its outcome is
    unknown), and an application retries it if it is safe to, as here.
    """
    while True:
        try:
            return await request()
        except ConnectionClosed as exc:
            if exc.fatal:
                raise
            await anyio.lowlevel.checkpoint()


async def on_server(fn: Callable[..., T], *args: Any) -> T:
    """Run one of ``ServerThread``'s blocking helpers from async code, off the event loop."""
    return await anyio.to_thread.run_sync(fn, *args)


class GatedConnector:
    """Connects over TCP; awaits ``before()`` before the first reconnection only.

    The test decides what happens on the server while the client is cut off.
    ``before()`` runs once: on a loaded machine a reconnection can take more
    than one try (a handshake that timed out), and what happened while the
    client was away must not happen twice (a second MakeCall finds the phone
    busy with the first).
    """

    def __init__(self, before: Callable[[], Awaitable[None]]) -> None:
        self.before = before
        self.attempts = 0

    async def __call__(self, endpoint: Endpoint) -> anyio.abc.ByteStream:
        self.attempts += 1
        if self.attempts == 2:
            await self.before()
        return await TcpConnector()(endpoint)
