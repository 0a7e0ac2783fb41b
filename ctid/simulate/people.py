"""Simulated people: outside callers who ring queues and give up, and agents who answer and talk.

They drive the voice-card simulator exactly as people would (callers dial in
and hang up, phones go off-hook and on-hook) and react to the CSTA events of
the call model; the ACD sees nothing but a switch. Randomness comes from one
seeded generator and time from trio, so a run is reproducible on MockClock.
Every wait is a deadline in the daemon's one ``TimerQueue``.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Mapping, Sequence

import attrs

from ..acd.engine import AcdEngine
from ..acd.entry_states import EntryState
from ..calls.events import DeliveredEvent, EstablishedEvent
from ..calls.model import CallModel, Emitted
from ..calls.service import CallService
from ..facts import FACT_QUEUE
from ..switch_drivers.simulator.core import LineState, SimError
from ..switch_drivers.simulator.driver import SimulatorDriver
from ..timers import TimerQueue

__all__ = ["SimulatedAgents", "SimulatedCallers", "Traffic"]

log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class Traffic:
    """Calls to one queue: Poisson arrivals, exponential talk and patience times."""

    #: The queue (its name, which is also a route point).
    queue: str
    calls_per_hour: float
    #: Mean talk time in seconds.
    aht: float
    #: Mean patience in seconds before a waiting caller hangs up (inf: never).
    patience: float = math.inf


def _draw(rng: random.Random, mean: float) -> float:
    return math.inf if math.isinf(mean) else rng.expovariate(1.0 / mean)


class SimulatedCallers:
    """Outside callers ringing queues until ``until`` (trio time)."""

    def __init__(
        self,
        *,
        sim: SimulatorDriver,
        model: CallModel,
        engine: AcdEngine,
        timers: TimerQueue,
        traffic: Sequence[Traffic],
        rng: random.Random,
        until: float,
        on_call: Callable[[str], None] | None = None,
    ) -> None:
        self.sim = sim
        self.model = model
        self.engine = engine
        self.timers = timers
        self.traffic = list(traffic)
        self.rng = rng
        self.until = until
        self.on_call = on_call
        self.callers = 0
        #: Calls that found every outside line busy (they never reached the queue).
        self.blocked = 0
        self.gave_up = 0

    def start(self, now: float) -> None:
        for traffic in self.traffic:
            if traffic.calls_per_hour > 0:
                self._next(traffic, now)

    def _next(self, traffic: Traffic, now: float) -> None:
        at = now + self.rng.expovariate(traffic.calls_per_hour / 3600.0)
        if at < self.until:
            self.timers.call_at(at, lambda: self._arrive(traffic, at))

    def _arrive(self, traffic: Traffic, now: float) -> None:
        self._next(traffic, now)
        self.callers += 1
        number = f"+1{self.callers:010d}"
        try:
            channel = self.sim.incoming_call(number, traffic.queue)
        except SimError:
            self.blocked += 1
            return
        if self.on_call is not None:
            self.on_call(number)
        patience = _draw(self.rng, traffic.patience)
        if not math.isinf(patience):
            self.timers.call_at(now + patience, lambda: self._give_up(number, channel))

    def _give_up(self, number: str, channel: str) -> None:
        call_id = self.model.channel_calls.get(channel)
        entry = self.engine.entry_of_call.get(call_id) if call_id else None
        if entry is not None and entry.state in (EntryState.WAITING, EntryState.OFFERED):
            self.gave_up += 1
            try:
                self.sim.on_hook(number)
            except SimError as exc:
                log.debug("caller %s could not hang up: %s", number, exc)


class SimulatedAgents:
    """Agents at their phones: they answer offered calls, talk, and hang up."""

    def __init__(
        self,
        *,
        sim: SimulatorDriver,
        calls: CallService,
        timers: TimerQueue,
        devices: Mapping[str, bool],
        talk: Mapping[str, float],
        rng: random.Random,
        answer_delay: tuple[float, float] = (0.0, 0.0),
        default_talk: float = 180.0,
    ) -> None:
        """``devices``: the agents' phones -> whether the agent there answers by itself
        (auto-answer); ``talk``: queue -> mean talk time."""
        self.sim = sim
        self.model = calls.model
        self.timers = timers
        self.devices = dict(devices)
        self.talk = dict(talk)
        self.rng = rng
        self.answer_delay = answer_delay
        self.default_talk = default_talk
        calls.event_sinks.append(self._on_event)

    def _on_event(self, emitted: Emitted) -> None:
        event = emitted.event
        if isinstance(event, DeliveredEvent):
            device = event.alerting_device
            if self.devices.get(device) is False:
                delay = self.rng.uniform(*self.answer_delay)
                self.timers.call_later(delay, lambda: self._answer(device))
        elif isinstance(event, EstablishedEvent):
            device = event.answering_device
            if device in self.devices:
                call = self.model.calls.get(event.established_connection.call_id)
                queue = call.facts.get(FACT_QUEUE) if call is not None else None
                mean = self.talk.get(queue or "", self.default_talk)
                self.timers.call_later(_draw(self.rng, mean), lambda: self._hang_up(device))

    def _answer(self, device: str) -> None:
        if self.sim.line_state(device) is LineState.RINGING:
            self._quietly(lambda: self.sim.off_hook(device))

    def _hang_up(self, device: str) -> None:
        if self.sim.card.lines[device].off_hook:
            self._quietly(lambda: self.sim.on_hook(device))

    @staticmethod
    def _quietly(action: Callable[[], object]) -> None:
        try:
            action()
        except SimError as exc:
            # Too late (the caller left, the line changed): like life.
            log.debug("simulated agent: %s", exc)
