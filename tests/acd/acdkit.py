"""Shared set-up of the ACD tests: a call centre with queues, agents and credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import trio

from ctid.calls.notices import Notice
from ctid.config import Config
from ctid.switch_drivers import base as sw
from ctid.switch_drivers.simulator.driver import SimulatorDriver, config_from_section
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config

AGENT_TOKEN = "agent-2001-token-0123456789"
AGENT2_TOKEN = "agent-2002-token-0123456789"
SUPERVISOR_TOKEN = "supervisor-sales-0123456789"
SUPPORT_SUPERVISOR_TOKEN = "supervisor-support-0123456"

CREDENTIALS = [
    {"role": "agent", "name": "alice", "token": AGENT_TOKEN, "agent_id": "2001"},
    {"role": "agent", "name": "bob", "token": AGENT2_TOKEN, "agent_id": "2002"},
    {
        "role": "supervisor",
        "name": "sue",
        "token": SUPERVISOR_TOKEN,
        "queues": ["sales"],
        "devices": ["1009", "1010"],
    },
    {"role": "supervisor", "name": "sam", "token": SUPPORT_SUPERVISOR_TOKEN, "queues": ["support"]},
]


def queue(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "ring_timeout": 10.0, **extra}


def agent(agent_id: str, *queues: str, **extra: Any) -> dict[str, Any]:
    return {"id": agent_id, "skills": [{"queue": q} for q in queues], **extra}


def centre(acd: Mapping[str, Any], **switch: Any) -> Config:
    """A call centre with ``[acd]`` = ``acd`` on ten phones 1001-1010 and four trunks."""
    # A fixed seed: the strategy ``random`` draws the same agents on every run.
    overrides: dict[str, Any] = {"acd": {"seed": 1, **acd}, "auth": {"tokens": CREDENTIALS}}
    if switch:
        overrides["switch"] = {"simulator": switch}
    return sim_config(overrides)


async def log_on(client: RpcTestClient, agent_id: str, device: str, *, ready: bool = True) -> None:
    await client.call(
        "SetAgentState",
        {"device": device, "requestedAgentState": "loggedOn", "agentID": agent_id},
    )
    if ready:
        await client.call(
            "SetAgentState",
            {"device": device, "requestedAgentState": "ready", "agentID": agent_id},
        )


class Notices:
    """Collects the notices ctid's services receive (what records and metrics read)."""

    def __init__(self) -> None:
        self.items: list[Notice] = []

    def __call__(self, notice: Notice) -> None:
        self.items.append(notice)

    def of(self, kind: type) -> list[Any]:
        return [n for n in self.items if isinstance(n, kind)]


#: Mock seconds after which a test that waits for something that never comes fails.
DEADLINE = 48 * 3600.0


class RecordingSimulator(SimulatorDriver):
    """The simulator, keeping every switch command it carried out (to check prompts, music)."""

    def __init__(self, config: Config) -> None:
        section = dict(config.driver_section)
        sim_cfg, sounds = config_from_section(section)
        super().__init__(sim_cfg, sounds_dir=sounds)
        self.commands: list[tuple[float, sw.SwitchCommand]] = []

    async def execute(self, command: sw.SwitchCommand) -> None:
        self.commands.append((trio.current_time(), command))
        await super().execute(command)

    def played(self) -> list[tuple[float, tuple[str, ...]]]:
        return [(t, c.media) for t, c in self.commands if isinstance(c, sw.Play)]


@asynccontextmanager
async def acd_centre(config: Config, *, record: bool = False) -> AsyncIterator[CallCentre]:
    """``call_centre`` with a deadline, optionally on a ``RecordingSimulator``."""
    driver = RecordingSimulator(config) if record else None
    with trio.fail_after(DEADLINE):
        async with call_centre(config, driver=driver) as cc:
            yield cc


async def call_in(client: RpcTestClient, caller: str, number: str) -> str:
    """An outside caller dials ``number``; returns the call id."""
    reply = await client.call("sim.incomingCall", {"callingNumber": caller, "calledNumber": number})
    return reply["callID"]  # type: ignore[no-any-return]


async def snapshot(client: RpcTestClient, agent_id: str) -> dict[str, Any]:
    return await client.call("agent.snapshot", {"agentID": agent_id})  # type: ignore[no-any-return]
