"""Running a simulation: the whole daemon, built for the scenario, in a fresh ``trio.run``
on a clock that jumps to the next deadline whenever every task waits (``JumpingClock``,
what ``MockClock(autojump_threshold=0)`` does in fewer scheduler passes), so hours
pass in seconds.

Agents log on at their phones through the ACD's own request path (as
SetAgentState does), simulated callers ring the queues until the simulated
hours are over, then the centre drains (no new calls, at most
``DRAIN_SECONDS``) so the last callers' waits count.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs
import trio

from ..acd.config import acd_config
from ..acd.desk import set_agent_state
from ..app import App
from ..config import config_from_dict
from ..ids import IdFactory
from ..switch_drivers.simulator.driver import SimulatorDriver
from .clock import JumpingClock
from .people import SimulatedAgents, SimulatedCallers, Traffic
from .stats import CallRecord, Collector, Sample, Summary

__all__ = ["Scenario", "SimulationResult", "on_jumping_clock", "run_simulation", "single_queue"]

#: Simulations start at 08:00 UTC on Monday 2027-01-18 (schedules see a weekday morning).
START_WALL: Final = dt.datetime(2027, 1, 18, 8, 0, tzinfo=dt.UTC).timestamp()
#: Longest the centre may drain after the last arrival.
DRAIN_SECONDS: Final = 2 * 3600.0
#: Seconds between samples (for the chart and the progress bar).
SAMPLE_SECONDS: Final = 60.0
#: The simulator takes at most this many outside lines.
MAX_TRUNKS: Final = 1000
FIRST_EXTENSION: Final = 100000


@attrs.frozen(kw_only=True)
class Scenario:
    """What to simulate: the ``[acd]`` table, the traffic to each queue, for how long."""

    acd: Mapping[str, Any]
    traffic: tuple[Traffic, ...]
    hours: float
    service_level_seconds: float = 20.0
    seed: int = 1
    #: Seconds an agent who does not answer by itself lets the phone ring (uniform range).
    answer_delay: tuple[float, float] = (2.0, 6.0)


def single_queue(
    *,
    agents: int,
    calls_per_hour: float,
    aht: float,
    hours: float,
    strategy: str,
    patience: float = math.inf,
    wrap_up: float = 0.0,
    service_level_seconds: float = 20.0,
    seed: int = 1,
) -> Scenario:
    """One queue, ``agents`` identical agents who answer at once (``ctid simulate``'s flags)."""
    acd = {
        "queues": [
            {
                "name": "queue",
                "strategy": strategy,
                "wrap_up": wrap_up,
                "service_level_seconds": service_level_seconds,
                "default_handle_time": aht + wrap_up,
            }
        ],
        "agents": [
            {
                "id": f"{1000 + i}" if agents < 9000 else f"a{i}",
                "auto_answer": True,
                "skills": [{"queue": "queue"}],
            }
            for i in range(agents)
        ],
    }
    traffic = Traffic(queue="queue", calls_per_hour=calls_per_hour, aht=aht, patience=patience)
    return Scenario(
        acd=acd,
        traffic=(traffic,),
        hours=hours,
        service_level_seconds=service_level_seconds,
        seed=seed,
    )


@attrs.frozen(kw_only=True)
class SimulationResult:
    summary: Summary
    calls: tuple[CallRecord, ...]
    samples: tuple[Sample, ...]
    #: Calls that found every outside line busy.
    blocked: int
    #: Trio time the simulated hours began (records' times are relative to it).
    start: float


Progress = Callable[[float, int], None]


def run_simulation(scenario: Scenario, *, progress: Progress | None = None) -> SimulationResult:
    """Run ``scenario``; ``progress(fraction done, calls so far)`` is called every minute."""
    acd = dict(scenario.acd)
    acd["seed"] = scenario.seed
    checked = acd_config(acd, "<simulate>")  # a bad scenario fails here, before anything runs
    agents = checked.agents
    extensions = [str(FIRST_EXTENSION + i) for i in range(len(agents))]
    config = config_from_dict(
        {
            "server": {"listen": "127.0.0.1:0"},
            "api": {"ping_interval": 0},
            # A simulation reads its figures from the ACD's notices: no database of
            # simulated calls is left behind in the current directory.
            "records": {"enabled": False},
            # Nobody sees a screen pop: no caller lookups (nor their data to load).
            "numbers": {"caller_info": False},
            "switch": {
                "driver": "simulator",
                "simulator": {
                    "extensions": extensions or [],
                    "trunks": min(MAX_TRUNKS, max(100, 4 * len(agents))),
                },
            },
            "acd": acd,
        },
        "<simulate>",
    )
    out: dict[str, Any] = {}
    clock = JumpingClock()

    async def main() -> None:
        app = App(config, ids=IdFactory("s"), anchor_wall=START_WALL, serve_api=False)
        async with trio.open_nursery() as nursery:
            await nursery.start(app.run)
            # The daemon's timers (callers, agents, the ACD's) woken by the clock; the
            # switch's events they cause folded in the same turn.
            clock.serve(app.timers)
            app.timers.wrap_due = app.calls.fold_after
            # What the call model, the ACD and the simulator read as trio's time, read
            # from the clock itself: the same float, one call instead of trio's three.
            _read_clock_directly(app, clock)
            await _simulate(app, scenario, extensions, out, progress)
            nursery.cancel_scope.cancel()

    began = time.perf_counter()
    trio.run(main, clock=clock)
    wall = time.perf_counter() - began
    collector: Collector = out["collector"]
    return SimulationResult(
        summary=collector.summary(threshold=scenario.service_level_seconds, wall_seconds=wall),
        calls=tuple(collector.records),
        samples=tuple(collector.samples),
        blocked=out["blocked"],
        start=collector.start,
    )


def on_jumping_clock(app: App, clock: JumpingClock, *, card_timers: bool = False) -> None:
    """What a simulated day changes in a started ``app`` running on ``clock`` (both days,
    ``ctid simulate`` and ``--campaign``): the clock wakes the timer task
    (``JumpingClock.serve``), the switch events the timers cause are folded in the
    timer task's turn (``CallService.fold_after``), and the call model, the ACD and the
    simulator read the clock directly. ``card_timers``: the timer task advances the
    simulated card at its deadlines too (``SimulatorDriver.serve_timers``; the campaign
    day, whose callees ring, answer and greet on the card's timers)."""
    clock.serve(app.timers)
    app.timers.wrap_due = app.calls.fold_after
    _read_clock_directly(app, clock)
    if card_timers and isinstance(app.driver, SimulatorDriver):
        app.driver.serve_timers(app.timers)


def _read_clock_directly(app: App, clock: JumpingClock) -> None:
    app.model.now = clock.current_time
    if app.acd is not None:
        app.acd.engine.now = clock.current_time
    if isinstance(app.driver, SimulatorDriver):
        app.driver.now = clock.current_time


async def _simulate(
    app: App,
    scenario: Scenario,
    extensions: Sequence[str],
    out: dict[str, Any],
    progress: Progress | None,
) -> None:
    acd = app.acd
    assert acd is not None
    assert isinstance(app.driver, SimulatorDriver)
    engine = acd.engine
    # Commands carried out in the call service's turn, their events folded in the same one.
    app.driver.commands_at_once = True
    rng = random.Random(scenario.seed)
    start = trio.current_time()
    end = start + scenario.hours * 3600.0
    points = {p for q in engine.queues.values() for p in q.config.points}
    collector = Collector(points=points, start=start, end=end, now=app.model.now)
    # A simulation serves no /metrics: its events and notices need feed no counters.
    metrics = app.api.services.get("metrics")
    if metrics is not None:
        app.calls.notice_sinks.remove(metrics.on_notice)
        app.calls.event_sinks.remove(metrics.on_event)
    app.calls.notice_sinks.append(collector)
    out["collector"] = collector
    for agent, device in zip(engine.agents.values(), extensions, strict=True):
        for requested in ("loggedOn", "ready"):
            await acd.request(
                set_agent_state,
                engine,
                agent,
                device=device,
                requested=requested,
                check_password=False,
                cause="simulation",
            )
    talk = {t.queue: t.aht for t in scenario.traffic}
    SimulatedAgents(
        sim=app.driver,
        calls=app.calls,
        timers=app.timers,
        devices={
            device: agent.config.auto_answer
            for agent, device in zip(engine.agents.values(), extensions, strict=True)
        },
        talk=talk,
        rng=random.Random(rng.random()),
        answer_delay=scenario.answer_delay,
    )
    callers = SimulatedCallers(
        sim=app.driver,
        model=app.model,
        engine=engine,
        timers=app.timers,
        traffic=scenario.traffic,
        rng=random.Random(rng.random()),
        until=end,
    )
    callers.start(start)
    now = start
    while now < end or (app.model.calls and now < end + DRAIN_SECONDS):
        now += SAMPLE_SECONDS
        await trio.sleep_until(now)
        collector.sample(now)
        if progress is not None:
            progress(min(1.0, (now - start) / (end - start)), callers.callers)
    out["blocked"] = callers.blocked
