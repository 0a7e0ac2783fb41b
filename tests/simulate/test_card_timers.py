"""The simulated card's deadlines served by the daemon's ``TimerQueue`` (campaign days).

``ctid simulate --campaign`` has the timer task advance the card at its deadlines (a
callee's ring, answer and greeting, AMD's verdict, a machine hanging up) while the
simulator's pump task sleeps without a deadline (``SimulatorDriver.serve_timers``),
so those deadlines cost no wake-up of the pump nor a cancel scope each. The events
come at the same instants, in the same order, as when the pump task serves them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import trio

from ctid.simulate.campaign import CampaignScenario, run_campaign
from ctid.simulate.clock import JumpingClock
from ctid.switch_drivers import base as sw
from ctid.switch_drivers.amd import AmdResult, AnsweredBy
from ctid.switch_drivers.simulator.driver import SimulatorDriver
from ctid.timers import TimerQueue

from .steps import Steps

PUMP = "ctid.switch_drivers.simulator.driver.SimulatorDriver.run"
EXECUTOR = "ctid.calls.service.CallService._execute_loop"
LOOP = "ctid.calls.service.CallService._event_loop"


def dial(number: str, **kw: Any) -> sw.Originate:
    return sw.Originate(
        channel_id="c", kind=sw.EndpointKind.EXTERNAL, device=number, caller_number="0170", **kw
    )


def machine_call(
    *, by_timers: bool, call: bool = True
) -> tuple[list[tuple[float, sw.SwitchEvent]], Steps, int]:
    """A call to an answering machine with AMD on: every event with when it arrived."""
    steps = Steps()
    seen: list[tuple[float, sw.SwitchEvent]] = []
    left: list[int] = []

    async def main() -> None:
        timers = TimerQueue()
        driver = SimulatorDriver()
        send, receive = trio.open_memory_channel[sw.SwitchEvent](100)
        async with trio.open_nursery() as nursery:
            await nursery.start(timers.run)
            clock.serve(timers)
            await nursery.start(driver.run, send)
            if by_timers:
                driver.serve_timers(timers)
            await trio.sleep(1.0)
            # The link coming up (three events, sent before the driver started).
            for _ in range(3):
                receive.receive_nowait()
            if call:
                await driver.execute(dial("5550263", detect_machines=True, timeout=30.0))
            with trio.move_on_after(100.0):
                async for event in receive:
                    seen.append((trio.current_time() - 1.0, event))
            left.append(len(timers))
            nursery.cancel_scope.cancel()

    clock = JumpingClock()
    trio.run(main, clock=clock, instruments=[steps])
    return seen, steps, left[0]


def test_the_timer_task_advances_the_card_at_the_same_instants() -> None:
    by_pump, pump_steps, _ = machine_call(by_timers=False)
    by_timers, steps, armed = machine_call(by_timers=True)
    # Alerting after the dial delay, answered 2 s later, the verdict 1.5 s into the
    # greeting, the machine hanging up after its greeting and message
    # (tests/unit/test_simulator_machines.py: the card on its own).
    expected = [
        (0.0, sw.ChannelCreated),
        (0.5, sw.ChannelAlerting),
        (2.5, sw.ChannelAnswered),
        (4.0, AmdResult),
        (28.5, sw.ChannelHungUp),
    ]
    assert [(t, type(e)) for t, e in by_timers] == expected
    assert by_timers == by_pump
    assert [e.result for _, e in by_timers if isinstance(e, AmdResult)] == [AnsweredBy.MACHINE]
    # On the timer queue the pump task takes the steps it takes with no call at all
    # (its start, serve_timers): none for the call's four deadlines, where, served by
    # its own cancel scope, it wakes for each.
    _, idle, _ = machine_call(by_timers=True, call=False)
    _, idle_pump, _ = machine_call(by_timers=False, call=False)
    assert steps.steps[PUMP] == idle.steps[PUMP]
    assert pump_steps.steps[PUMP] >= idle_pump.steps[PUMP] + 4
    # Nothing left armed once the call is over: one card timer at a time, cancelled
    # when the card's next deadline moves.
    assert armed == 0


def test_a_deadline_moved_earlier_rearms_the_one_card_timer() -> None:
    """A command that brings the card's next deadline forward (hanging up a ringing
    call) re-arms the timer; the old one is cancelled and never runs."""

    async def main() -> None:
        timers = TimerQueue()
        driver = SimulatorDriver()
        send, _receive = trio.open_memory_channel[sw.SwitchEvent](100)
        async with trio.open_nursery() as nursery:
            await nursery.start(timers.run)
            clock.serve(timers)
            await nursery.start(driver.run, send)
            driver.serve_timers(timers)
            await trio.sleep(0.1)
            await driver.execute(dial("5550263", timeout=30.0))
            assert len(timers) == 1
            assert timers.next_deadline() == driver.card.next_deadline() == 0.6
            await trio.sleep(0.2)  # before the alerting
            await driver.execute(sw.Hangup(channel_id="c"))
            assert len(timers) == (1 if driver.card.next_deadline() < float("inf") else 0)
            await trio.sleep(60.0)
            assert len(timers) == 0
            assert driver.card.pending_timers() == 0
            assert "c" not in driver.card.channels
            nursery.cancel_scope.cancel()

    clock = JumpingClock()
    trio.run(main, clock=clock)


def run_day(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], Steps, Any]:
    steps = Steps()
    clocks: list[Any] = []
    real_run = trio.run

    def run_counting(*args: Any, **kwargs: Any) -> Any:
        clocks.append(kwargs["clock"])
        return real_run(*args, instruments=[steps], **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(trio, "run", run_counting)
        result = run_campaign(
            CampaignScenario(
                dialer="predictive",
                agents=10,
                answer_rate=0.4,
                machine_rate=0.2,
                ring_seconds=25,
                aht=60,
                wrap_up=10,
                hours=0.1,
                max_abandon=0.03,
                seed=3,
            )
        )
    figures = result.to_json()
    figures.pop("wall_seconds")
    return figures, steps, clocks[0]


def test_the_campaign_day_wakes_neither_the_pump_nor_the_executor_per_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures, steps, clock = run_day(monkeypatch)
    assert isinstance(clock, JumpingClock)
    assert figures["dialled"] > 50
    assert figures["answered"] > 20 and figures["machines"] > 0
    dialled = figures["dialled"]
    # Every call has card deadlines (alerting, an answer or a ring timing out) and
    # commands (the dial, the hang-up): neither wakes its task for them now.
    assert steps.steps[PUMP] < 10 < dialled
    # The same day again, in this process.
    again, steps_again, _ = run_day(monkeypatch)
    assert json.dumps(again, sort_keys=True) == json.dumps(figures, sort_keys=True)
    assert steps_again.steps == steps.steps

    # The card's deadlines served by the pump task's scope, every command by the
    # executor task (the campaign day before): both woken for every call.
    monkeypatch.setattr(SimulatorDriver, "serve_timers", lambda self, timers: None)
    monkeypatch.setattr(SimulatorDriver, "execute_now", lambda self, command: False)
    before, steps_before, _ = run_day(monkeypatch)
    assert steps_before.steps[PUMP] > before["dialled"] / 2
    assert steps_before.steps[EXECUTOR] > before["dialled"]
    assert steps.steps[EXECUTOR] < steps_before.steps[EXECUTOR] / 2
    # The switch events the card's deadlines cause are folded in the timer task's turn.
    assert steps.steps[LOOP] < steps_before.steps[LOOP]
    assert steps.passes < steps_before.passes
