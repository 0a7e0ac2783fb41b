"""From the call model to the bus: CSTA events become published notifications.

Also keeps call monitors in step with calls: a monitor on a call that is
merged into another (transfer, conference) follows it, and a monitor on a call
that ends gets a final MonitorEndedEvent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from .bus import EventBus, Published
from .calls.directory import Directory
from .calls.events import (
    CallClearedEvent,
    ConferencedEvent,
    DeliveredEvent,
    MonitorEndedEvent,
    TransferredEvent,
)
from .calls.model import Emitted
from .calls.values import DeviceType, EventCause
from .clock import WallClock

__all__ = ["CstaPublisher"]


class CstaPublisher:
    """An event sink for ``CallService``: publishes each CSTA event on the bus."""

    def __init__(self, bus: EventBus, clock: WallClock) -> None:
        self.bus = bus
        self.clock = clock
        #: Caller information of an outside number (``ctid.callerinfo``), and the
        #: directory that says which numbers are outside; None: off.
        self.caller_info: Callable[[str], Mapping[str, Any] | None] | None = None
        self.directory: Directory | None = None

    def _with_caller_info(self, event: DeliveredEvent) -> DeliveredEvent:
        """The screen pop: an outside caller ringing a phone carries where it is from."""
        if self.caller_info is None or self.directory is None:
            return event
        classify = self.directory.classify
        if classify(event.alerting_device) is not DeviceType.EXTENSION:
            return event
        if classify(event.calling_device) is not DeviceType.EXTERNAL:
            return event
        info = self.caller_info(event.calling_device)
        return event if info is None else attrs.evolve(event, caller_info=info)

    def wants(
        self, *, devices: Iterable[str] = (), calls: Iterable[str] = (), topics: Iterable[str] = ()
    ) -> bool:
        """Whether an event for these would reach anyone (``EventBus.wants``): ask before
        building one whose params cost something (snapshots, figures)."""
        return self.bus.wants(devices=devices, calls=calls, topics=topics)

    def __call__(self, emitted: Emitted) -> None:
        event = emitted.event
        calls = emitted.calls
        if isinstance(event, TransferredEvent | ConferencedEvent) and event.secondary_old_call:
            calls = (*calls, event.secondary_old_call)
        bus = self.bus
        if bus.wants(devices=emitted.devices, calls=calls, broadcast=emitted.broadcast):
            if isinstance(event, DeliveredEvent):
                event = self._with_caller_info(event)
            bus.publish(
                Published(
                    name=event.name,
                    params=event.to_params(),
                    timestamp=self.clock.iso(emitted.at),
                    calls=calls,
                    devices=emitted.devices,
                    local_states=emitted.local_states,
                    broadcast=emitted.broadcast,
                )
            )
        else:
            # Nobody to tell: skip the params, the timestamp and the caller lookup.
            bus.unheard()
        if isinstance(event, TransferredEvent | ConferencedEvent) and event.secondary_old_call:
            self.bus.move_call_monitors(event.secondary_old_call, event.primary_old_call)
        elif isinstance(event, CallClearedEvent):
            ended = self.bus.end_call_monitors(event.cleared_call)
            if ended:
                notice = Published(
                    name=MonitorEndedEvent.name,
                    params=MonitorEndedEvent(cause=EventCause.NORMAL_CLEARING).to_params(),
                    timestamp=self.clock.iso(emitted.at),
                )
                for monitor in ended:
                    monitor.log.push(notice, monitor)
                    self.bus.delivered += 1

    def publish(
        self,
        name: str,
        params: dict[str, Any],
        *,
        devices: Iterable[str] = (),
        calls: Iterable[str] = (),
        topics: Iterable[str] = (),
        local_states: Mapping[str, str] | None = None,
    ) -> None:
        """Publish an event that is not a call-model event (agent, queue, IVR, recording).

        It reaches monitors of ``devices`` and ``calls`` and topic monitors of
        ``topics`` (e.g. ``queue:sales``, ``agent:2001``), stamped with the
        daemon's clock like every other event.
        """
        calls, devices, topics = tuple(calls), tuple(devices), tuple(topics)
        if not self.bus.wants(devices=devices, calls=calls, topics=topics):
            self.bus.unheard()
            return
        self.bus.publish(
            Published(
                name=name,
                params=params,
                timestamp=self.clock.iso(),
                calls=calls,
                devices=devices,
                local_states=local_states,
            ),
            topics,
        )
