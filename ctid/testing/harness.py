"""An in-process call centre for tests: the real daemon on the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import h11
import trio
import trio.testing
from trio_websocket import wrap_client_stream

from ..api.codec import JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL
from ..app import App
from ..blocking import Blocking, inline
from ..calls.invariants import problems
from ..calls.keep import LiveRows
from ..config import Config, config_from_dict
from ..ids import IdFactory
from ..switch_drivers.simulator.driver import SimulatorDriver
from .client import RpcTestClient

__all__ = ["ADMIN_TOKEN", "ANCHOR_WALL", "CallCentre", "call_centre", "merge_config", "sim_config"]

ADMIN_TOKEN: Final = "test-admin-token-0123456789"
#: Timestamps in tests start at 2027-01-15T08:00:00Z.
ANCHOR_WALL: Final = 1_800_000_000.0 - 1_800_000_000.0 % 86400 + 8 * 3600


def sim_config(overrides: Mapping[str, Any] | None = None) -> Config:
    """The simulator with ten extensions and four outside lines, plus ``overrides`` (merged).

    Call records are off (no database, nothing written to disk) unless the
    overrides turn them on with ``{"records": {"enabled": True}}`` and a
    ``server.state_dir``.
    """
    data: dict[str, Any] = {
        "server": {"listen": "127.0.0.1:0"},
        "api": {"ping_interval": 0},
        "switch": {"driver": "simulator", "simulator": {"extensions": "1001-1010", "trunks": 4}},
        "records": {"enabled": False},
    }
    merge_config(data, dict(overrides or {}))
    return config_from_dict(data, "<test>")


def merge_config(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Merge configuration tables: ``extra``'s tables into ``into``'s, key by key."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            merge_config(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


class CallCentre:
    """A running ``App`` and ways to reach it."""

    def __init__(self, app: App, nursery: trio.Nursery) -> None:
        self.app = app
        self.nursery = nursery

    @property
    def sim(self) -> SimulatorDriver:
        assert isinstance(self.app.driver, SimulatorDriver)
        return self.app.driver

    async def client(
        self,
        *,
        msgpack: bool = False,
        token: str | None = ADMIN_TOKEN,
        subprotocols: list[str] | None = None,
    ) -> RpcTestClient:
        """A client over memory streams (no real sockets: safe on MockClock), logged in."""
        client_stream, server_stream = trio.testing.memory_stream_pair()
        self.nursery.start_soon(self.app.server.handle_stream, server_stream)
        if subprotocols is None:
            subprotocols = [MSGPACK_SUBPROTOCOL if msgpack else JSON_SUBPROTOCOL]
        ws = await wrap_client_stream(
            self.nursery,
            client_stream,  # type: ignore[arg-type]
            "ctid.test",
            "/v1",
            subprotocols=subprotocols,
        )
        client = RpcTestClient(ws, msgpack_mode=msgpack)
        await self.nursery.start(client.run)
        if token is not None:
            await client.login(token)
        return client

    async def http(
        self,
        target: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> tuple[int, dict[str, str], bytes]:
        """One plain HTTP request to the API port's routes, over memory streams.

        Returns (status, headers with lower-case names, body).
        """
        client_stream, server_stream = trio.testing.memory_stream_pair()
        self.nursery.start_soon(self.app.server.handle_stream, server_stream)
        conn = h11.Connection(h11.CLIENT)
        sent = [("host", "ctid.test"), *(headers or {}).items()]
        if body:
            sent.append(("content-length", str(len(body))))
        data = conn.send(h11.Request(method=method, target=target, headers=sent)) or b""
        if body:
            data += conn.send(h11.Data(data=body)) or b""
        data += conn.send(h11.EndOfMessage()) or b""
        await client_stream.send_all(data)
        status = 0
        got: dict[str, str] = {}
        received = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(bytes(await client_stream.receive_some(1 << 16)))
            elif isinstance(event, h11.Response):
                status = event.status_code
                got = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                received += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
        await client_stream.aclose()
        return status, got, bytes(received)

    async def settle(self) -> None:
        """Let every task run until all are blocked (nothing left to do now)."""
        await trio.testing.wait_all_tasks_blocked()


@asynccontextmanager
async def call_centre(
    config: Config | None = None,
    *,
    driver: Any = None,
    anchor_wall: float = ANCHOR_WALL,
    admin_token: str = ADMIN_TOKEN,
    blocking: Blocking = inline,
    ids: IdFactory | None = None,
    call_store: LiveRows | None = None,
) -> AsyncIterator[CallCentre]:
    """Run a daemon for the body of the ``async with``; it stops at the end.

    Blocking work (database, files) runs ``inline`` by default, so MockClock
    cannot jump while it runs (see ``ctid.blocking``); pass
    ``blocking=in_thread`` to run it in worker threads as the daemon does.
    ``ids`` gives a restarted daemon ids of its own (the default prefix is ``t``).
    """
    app = App(
        config or sim_config(),
        driver=driver,
        admin_token=admin_token,
        ids=ids or IdFactory("t", deterministic=True),
        anchor_wall=anchor_wall,
        blocking=blocking,
    )
    if isinstance(app.driver, SimulatorDriver):
        app.driver.blocking = blocking
    app.call_store = call_store
    async with trio.open_nursery() as nursery:
        await nursery.start(app.run)
        yield CallCentre(app, nursery)
        # Whatever the test did, the model's indexes must still agree.
        found = problems(app.model)
        if found:
            raise AssertionError("call model inconsistent: " + "; ".join(found))
        nursery.cancel_scope.cancel()
