"""Generated traffic for ``ctid demo``: outside callers ring in, staff answer and talk.

The traffic drives the simulator exactly as an admin would (phones off-hook
and on-hook, outside callers dialling and hanging up), reacting to the CSTA
events the call model emits. Randomness comes from a seeded generator and
time from trio, so a demo run is reproducible on MockClock.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from functools import partial

import attrs
import trio

from ..calls.events import CallClearedEvent, DeliveredEvent, EstablishedEvent, FailedEvent
from ..calls.model import Emitted
from ..calls.service import CallService
from ..switch_drivers.simulator.core import SimError
from ..switch_drivers.simulator.driver import SimulatorDriver
from ..timers import TimerQueue

__all__ = ["Traffic", "TrafficProfile"]

log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class TrafficProfile:
    #: Mean seconds between outside calls (Poisson arrivals).
    mean_interarrival: float = 20.0
    #: Numbers outside callers dial.
    called_numbers: tuple[str, ...] = ()
    #: Seconds a phone rings before its user answers (uniform range).
    answer_delay: tuple[float, float] = (2.0, 8.0)
    #: Mean seconds of conversation (exponential).
    mean_talk: float = 90.0
    #: Seconds an outside caller waits for an answer before hanging up (uniform).
    patience: tuple[float, float] = (30.0, 90.0)
    #: Share of calls that are internal calls between extensions.
    internal_share: float = 0.15
    #: Keys an outside caller answered by an IVR presses (one, at random), after
    #: a few seconds of listening.
    ivr_keys: tuple[str, ...] = ("1", "2")
    #: Outside calls that arrive first, a few seconds apart (uniform range), so the
    #: first minute of a demo shows a working centre; then ``mean_interarrival``.
    warm_up_calls: int = 6
    warm_up_gap: tuple[float, float] = (2.0, 6.0)


class Traffic:
    """Simulated people: outside callers, and staff at the extensions."""

    def __init__(
        self,
        *,
        sim: SimulatorDriver,
        calls: CallService,
        timers: TimerQueue,
        profile: TrafficProfile,
        extensions: Sequence[str],
        seed: int | None = None,
    ) -> None:
        self.sim = sim
        self.calls = calls
        self.timers = timers
        self.profile = profile
        self.extensions = list(extensions)
        self.rng = random.Random(seed)
        self._callers = 0
        #: Devices some other component drives (e.g. logged-on ACD agents): left alone here.
        self.managed: set[str] = set()
        calls.event_sinks.append(self._on_event)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        for _ in range(self.profile.warm_up_calls):
            await trio.sleep(self.rng.uniform(*self.profile.warm_up_gap))
            self._new_call(outside=True)
        while True:
            await trio.sleep(self.rng.expovariate(1.0 / self.profile.mean_interarrival))
            self._new_call()

    def _quietly(self, action: Callable[[], object]) -> None:
        try:
            action()
        except SimError as exc:
            # The person was too late (the call ended, the line changed): like life.
            log.debug("demo action failed: %s", exc)

    def _new_call(self, *, outside: bool = False) -> None:
        profile = self.profile
        idle = [
            e
            for e in self.extensions
            if e not in self.managed and self.sim.line_state(e).value == "idle"
        ]
        if idle and not outside and self.rng.random() < profile.internal_share:
            caller = self.rng.choice(idle)
            others = [e for e in self.extensions if e != caller]
            callee = self.rng.choice(others)
            self._quietly(lambda: self.sim.off_hook(caller))
            self.timers.call_later(
                1.0, lambda: self._quietly(lambda: self.sim.press_digits(caller, callee))
            )
            return
        targets = profile.called_numbers or tuple(self.extensions)
        self._callers += 1
        number = f"+1555{self.rng.randrange(1000000, 9999999)}"
        try:
            self.sim.incoming_call(number, self.rng.choice(targets))
        except SimError as exc:
            log.info("demo caller could not get a line: %s", exc)
            return
        patience = self.rng.uniform(*profile.patience)
        self.timers.call_later(patience, lambda: self._give_up(number))

    def _give_up(self, number: str) -> None:
        line = self.sim.card.trunks.on_call(number)
        if line is None:
            return
        if line.state.value == "ringing" or self._waiting_at_route_point(line.channel_id):
            self._quietly(lambda: self.sim.on_hook(number))

    def _waiting_at_route_point(self, channel_id: str | None) -> bool:
        """The caller's call is still held by a route point (waiting in a queue, in an IVR)."""
        leg = self.calls.model.legs.get(channel_id or "")
        return leg is not None and any(c.call.owner is not None for c in leg.connections)

    def _on_event(self, emitted: Emitted) -> None:
        event = emitted.event
        if isinstance(event, DeliveredEvent):
            device = event.alerting_device
            if device in self.extensions and device not in self.managed:
                delay = self.rng.uniform(*self.profile.answer_delay)
                self.timers.call_later(delay, lambda: self._answer(device))
        elif isinstance(event, EstablishedEvent):
            device = event.answering_device
            talk = self.rng.expovariate(1.0 / self.profile.mean_talk)
            caller = event.calling_device
            if (
                device.startswith("ivr:")
                and caller not in self.extensions
                and self.profile.ivr_keys
            ):
                key = self.rng.choice(self.profile.ivr_keys)
                self.timers.call_later(
                    self.rng.uniform(2.0, 6.0),
                    lambda: self._quietly(lambda: self.sim.press_digits(caller, key)),
                )
            elif device in self.extensions and device not in self.managed:
                self.timers.call_later(talk, lambda: self._hang_up(device))
            elif caller in self.extensions and caller not in self.managed:
                self.timers.call_later(talk, lambda: self._hang_up(caller))
        elif isinstance(event, FailedEvent):
            # Busy or no answer: the caller hears busy tone and puts the handset down.
            caller = event.calling_device
            if caller in self.extensions and caller not in self.managed:
                self.timers.call_later(2.0, partial(self._hang_up, caller))
        elif isinstance(event, CallClearedEvent):
            # Whoever is left holding a dead line puts the handset down.
            for device in emitted.devices:
                if device in self.extensions and device not in self.managed:
                    self.timers.call_later(1.5, partial(self._hang_up, device))

    def _answer(self, device: str) -> None:
        if self.sim.line_state(device).value == "ringing":
            self._quietly(lambda: self.sim.off_hook(device))

    def _hang_up(self, device: str) -> None:
        if self.sim.card.lines[device].off_hook:
            self._quietly(lambda: self.sim.on_hook(device))
