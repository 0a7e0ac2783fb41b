"""Helpers of the restart tests: a daemon on a state directory, killed and started again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio

from ctid import app as app_module
from ctid.bus import EventBus, Published
from ctid.config import Config
from ctid.livestate.store import LiveStore
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ANCHOR_WALL

#: Mock seconds after which a test that waits for something that never comes fails.
DEADLINE = 3600.0
AGENT_IDS = ("2001", "2002", "2003", "2004", "2005")


def acd_config(
    state_dir: Path, *, extensions: str = "1001-1010", database: str = "", **queue_extra: Any
) -> Config:
    """The simulator with an ACD, records and live state in ``state_dir`` (or ``database``)."""
    return sim_config(
        {
            "server": {"state_dir": str(state_dir)},
            "records": {"enabled": True, "fsync": False, "database": database},
            "switch": {"simulator": {"extensions": extensions}},
            "acd": {
                "seed": 1,
                "queues": [
                    {"name": "sales", "number": "800", "ring_timeout": 10.0, **queue_extra},
                    {"name": "support", "ring_timeout": 10.0},
                ],
                "agents": [
                    {"id": a, "skills": [{"queue": "sales"}, {"queue": "support"}]}
                    for a in AGENT_IDS
                ],
            },
        }
    )


class EventTap:
    """Every event the daemons publish, from before their services start (restores too)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[Published] = []
        tap = self

        class TappedBus(EventBus):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.observers.append(tap.events.append)

        monkeypatch.setattr(app_module, "EventBus", TappedBus)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e.params for e in self.events if e.name == name]


@asynccontextmanager
async def daemon(config: Config, *, driver: Any = None) -> AsyncIterator[CallCentre]:
    """A daemon whose wall clock goes on from the previous one's (one trio clock for both).

    Leaving the block cancels it without its graceful stop: no final flush, as a
    ``kill -9``.
    """
    with trio.fail_after(DEADLINE):
        async with call_centre(
            config, driver=driver, anchor_wall=ANCHOR_WALL + trio.current_time()
        ) as cc:
            yield cc


def store_of(cc: CallCentre) -> LiveStore:
    store = cc.app.api.services["livestate"]
    assert isinstance(store, LiveStore)
    return store


async def set_state(
    client: RpcTestClient, agent_id: str, device: str, state: str, **extra: Any
) -> dict[str, Any]:
    params = {"agentID": agent_id, "device": device, "requestedAgentState": state, **extra}
    return await client.call("SetAgentState", params)  # type: ignore[no-any-return]


async def snapshots(client: RpcTestClient) -> dict[str, dict[str, Any]]:
    return {a: await client.call("agent.snapshot", {"agentID": a}) for a in AGENT_IDS}


async def watcher(cc: CallCentre) -> RpcTestClient:
    """An admin client monitoring every agent."""
    client = await cc.client()
    await client.call("MonitorStart", {"monitorObject": {"agentObject": "*"}})
    return client
