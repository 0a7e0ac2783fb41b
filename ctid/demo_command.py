"""``ctid demo``'s extras wired into a not yet started ``App``: generated traffic, and the
ACD's agents logged on and working by themselves.

A tool on the daemon, not a service: it drives the simulator with the simulated people
of ``ctid.simulate``, whose commands build the daemon too; the ``[demo]`` table itself is
``ctid.demo.setup``'s, checked like every table.
"""

from __future__ import annotations

import random
from typing import Any

from .config import ConfigError
from .demo.setup import DemoSection, demo_section
from .demo.traffic import Traffic, TrafficProfile
from .switch_drivers.simulator.driver import SimulatorDriver

__all__ = ["add_demo"]


async def _agents_at_work(app: Any, section: DemoSection, seed: int | None) -> set[str]:
    """The ACD's agents log on at the phones, one each in order, and work by themselves.

    Returns the phones they use.
    """
    acd = app.acd
    if acd is None:
        return set()
    from .acd.desk import set_agent_state
    from .simulate.people import SimulatedAgents

    engine = acd.engine
    free = [e for e in app.driver.extensions if e not in engine.by_device]
    used: dict[str, bool] = {}
    for agent in engine.agents.values():
        if agent.logged_on and agent.device is not None:
            # Logged on from the live state of an earlier run: it works on there.
            used[agent.device] = agent.config.auto_answer
            continue
        allowed = [d for d in free if not agent.config.devices or d in agent.config.devices]
        if agent.logged_on or not allowed:
            continue
        device = allowed[0]
        free.remove(device)
        for requested in ("loggedOn", "ready"):
            await acd.request(
                set_agent_state,
                engine,
                agent,
                device=device,
                requested=requested,
                check_password=False,
                cause="demo",
            )
        used[device] = agent.config.auto_answer
    SimulatedAgents(
        sim=app.driver,
        calls=app.calls,
        timers=app.timers,
        devices=used,
        talk={},
        default_talk=section.mean_talk,
        rng=random.Random(seed),
        answer_delay=(2.0, 8.0),
    )
    return set(used)


def add_demo(app: Any, *, traffic: bool, seed: int | None) -> None:
    """Add generated traffic to a not yet started ``App`` (the simulator is required).

    With traffic, the ACD's agents (if any) log on and work by themselves;
    without, they stay logged off to be driven through the API.
    """
    if not isinstance(app.driver, SimulatorDriver):
        raise ConfigError(app.config.file, "switch.driver", "ctid demo needs the simulator driver")
    section = demo_section(app.config)
    if not traffic:
        return

    async def run_traffic(*, task_status: Any) -> None:
        agent_devices = await _agents_at_work(app, section, seed)
        generator = Traffic(
            sim=app.driver,
            calls=app.calls,
            timers=app.timers,
            profile=TrafficProfile(
                mean_interarrival=section.mean_interarrival,
                called_numbers=tuple(section.called_numbers),
                mean_talk=section.mean_talk,
                internal_share=section.internal_share,
            ),
            extensions=app.driver.extensions,
            seed=seed,
        )
        # The agents' phones are driven by the simulated agents, not by the traffic.
        generator.managed.update(agent_devices)
        await generator.run(task_status=task_status)

    app.extra_services.append(run_traffic)
