"""An in-process call centre for tests: the real daemon on the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import trio
import trio.testing
from trio_websocket import wrap_client_stream

from ..api.codec import JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL
from ..app import App
from ..config import Config, config_from_dict
from ..ids import IdFactory
from ..switch_drivers.simulator.driver import SimulatorDriver
from .client import RpcTestClient

__all__ = ["ADMIN_TOKEN", "ANCHOR_WALL", "CallCentre", "call_centre", "merge_config", "sim_config"]

ADMIN_TOKEN: Final = "test-admin-token-0123456789"
#: Timestamps in tests start at 2027-01-15T08:00:00Z.
ANCHOR_WALL: Final = 1_800_000_000.0 - 1_800_000_000.0 % 86400 + 8 * 3600


def sim_config(overrides: Mapping[str, Any] | None = None) -> Config:
    """The simulator with ten extensions and four outside lines, plus ``overrides`` (merged)."""
    data: dict[str, Any] = {
        "server": {"listen": "127.0.0.1:0"},
        "api": {"ping_interval": 0},
        "switch": {"driver": "simulator", "simulator": {"extensions": "1001-1010", "trunks": 4}},
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
) -> AsyncIterator[CallCentre]:
    """Run a daemon for the body of the ``async with``; it stops at the end."""
    app = App(
        config or sim_config(),
        driver=driver,
        admin_token=admin_token,
        ids=IdFactory("t", deterministic=True),
        anchor_wall=anchor_wall,
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(app.run)
        yield CallCentre(app, nursery)
        nursery.cancel_scope.cancel()
