"""The event bus: routes CSTA events to monitors, numbers them per session, keeps them for replay.

Each session has one ``EventLog``: a deque of deliveries numbered 1, 2, 3, ...
with no gaps. The log is at the same time the session's outgoing queue (the
socket writer's cursor ``sent`` marks what has gone out) and its replay window
(what a client resuming after a lost socket gets again). Keeping one structure
for both means a delivery costs one tuple append per monitor, and nothing is
copied when a client falls behind.

Limits (``BusLimits``):

* ``replay_events`` / ``replay_seconds``: a delivery stays replayable while it
  is among the last ``replay_events`` of its session and younger than
  ``replay_seconds``. Deliveries not yet written to the socket are never
  dropped for age.
* ``max_pending``: when more deliveries than this wait for a session's socket,
  the session is *overflowed*: its connection is closed with a clear reason and
  the client resumes from its last seq. A slow client therefore never slows
  the daemon or other clients, and never grows memory without bound.

The bus is synchronous and does no I/O: a log calls its ``listener`` (the
attached socket's wake-up) when it has something new to write.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs
import trio

__all__ = ["BusLimits", "EventBus", "EventLog", "Monitor", "MonitorKind", "Published", "ReplayGap"]

DEFAULT_REPLAY_EVENTS: Final = 10_000
DEFAULT_REPLAY_SECONDS: Final = 300.0
DEFAULT_MAX_PENDING: Final = 5_000


@attrs.frozen(kw_only=True)
class BusLimits:
    replay_events: int = DEFAULT_REPLAY_EVENTS
    replay_seconds: float = DEFAULT_REPLAY_SECONDS
    max_pending: int = DEFAULT_MAX_PENDING


class Published:
    """One event as it leaves the call model: built once, delivered to many sessions.

    ``encodings`` caches per-codec pre-encoded parts, so the work that is the
    same for every session is done once per event, not once per delivery.
    """

    __slots__ = (
        "broadcast",
        "calls",
        "devices",
        "encodings",
        "local_states",
        "name",
        "params",
        "timestamp",
    )

    def __init__(
        self,
        *,
        name: str,
        params: dict[str, Any],
        timestamp: str,
        calls: tuple[str, ...] = (),
        devices: tuple[str, ...] = (),
        local_states: Mapping[str, str] | None = None,
        broadcast: bool = False,
    ) -> None:
        self.name = name
        self.params = params
        self.timestamp = timestamp
        self.calls = calls
        self.devices = devices
        self.local_states = local_states or {}
        self.broadcast = broadcast
        self.encodings: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<Published {self.name} calls={self.calls} devices={self.devices}>"


class MonitorKind(enum.Enum):
    DEVICE = "device"
    CALL = "call"
    #: ctid extension: a named topic such as ``queue:sales`` or ``agent:2001``.
    TOPIC = "topic"


@attrs.define(eq=False)
class Monitor:
    cross_ref_id: str
    kind: MonitorKind
    target: str
    log: EventLog


class ReplayGap(Exception):
    """A resume asked for deliveries that have left the replay window."""

    def __init__(self, last_seq: int, oldest: int) -> None:
        super().__init__(
            f"events after seq {last_seq} are no longer kept (oldest kept is {oldest}); "
            "take snapshots again"
        )
        self.last_seq = last_seq
        self.oldest = oldest


#: One delivery in a session's log: (seq, event, monitor or None, trio time).
Delivery = tuple[int, Published, "Monitor | None", float]


class EventLog:
    """One session's numbered deliveries: its socket queue and its replay window."""

    def __init__(self, session_id: str, limits: BusLimits) -> None:
        self.session_id = session_id
        self.limits = limits
        self.entries: deque[Delivery] = deque()
        self.seq = 0
        #: The last seq handed to the socket writer.
        self.sent = 0
        self.overflowed = False
        #: Deliveries lost before they were written (the window moved past them).
        self.dropped = 0
        self.monitors: dict[str, Monitor] = {}
        #: Called after every push (the attached socket's writer wake-up), if any.
        self.listener: Callable[[], None] | None = None

    @property
    def pending(self) -> int:
        return self.seq - self.sent

    @property
    def oldest(self) -> int:
        """The lowest seq still kept (``seq + 1`` when nothing is kept)."""
        return self.entries[0][0] if self.entries else self.seq + 1

    def push(self, event: Published, monitor: Monitor | None) -> None:
        now = trio.current_time()
        self.seq += 1
        entries = self.entries
        entries.append((self.seq, event, monitor, now))
        limit = self.limits.replay_events
        horizon = now - self.limits.replay_seconds
        while entries and (
            len(entries) > limit or (entries[0][3] < horizon and entries[0][0] <= self.sent)
        ):
            if entries.popleft()[0] > self.sent:
                # Never written to the socket and now out of the replay window:
                # this session has lost it (it will get a ReplayGap on resume).
                self.dropped += 1
        if self.seq - self.sent > self.limits.max_pending:
            self.overflowed = True
        if self.listener is not None:
            self.listener()

    def take_pending(self, limit: int = 256) -> list[Delivery]:
        """Up to ``limit`` deliveries not yet written, in order; advances ``sent``."""
        if self.sent >= self.seq:
            return []
        start = self.sent + 1 - self.oldest
        if start < 0:
            # Unsent deliveries fell out of the window: the writer must stop and
            # the client resume (it will get a ReplayGap and snapshot again).
            self.overflowed = True
            return []
        out = []
        for i in range(start, min(start + limit, len(self.entries))):
            out.append(self.entries[i])
        if out:
            self.sent = out[-1][0]
        return out

    def rewind(self, last_seq: int) -> None:
        """Make everything after ``last_seq`` pending again (a resume); raises ``ReplayGap``."""
        if last_seq > self.seq or last_seq < 0:
            raise ValueError(f"lastSeq {last_seq} is outside 0..{self.seq}")
        if last_seq + 1 < self.oldest:
            raise ReplayGap(last_seq, self.oldest)
        self.sent = last_seq
        self.overflowed = False
        if self.listener is not None:
            self.listener()


class EventBus:
    """Routes each published event to the monitors that want it."""

    def __init__(self, limits: BusLimits | None = None) -> None:
        self.limits = limits or BusLimits()
        self.logs: dict[str, EventLog] = {}
        self._by_device: dict[str, list[Monitor]] = {}
        self._by_call: dict[str, list[Monitor]] = {}
        self._by_topic: dict[str, list[Monitor]] = {}
        self.published = 0
        self.delivered = 0
        #: Deliveries dropped by sessions that have ended (see ``dropped``).
        self._dropped_closed = 0
        #: Called with each event after delivery (metrics, tests).
        self.observers: list[Callable[[Published], None]] = []
        #: Called with each event and its topics after delivery: subscribers that
        #: take every event rather than a monitor's (the webhook outbox).
        self.taps: list[Callable[[Published, tuple[str, ...]], None]] = []
        #: Whether the taps want events now (None: whenever there is a tap). The
        #: webhooks' tap wants them only while a webhook exists: without one, events
        #: nobody else receives need not be built (``wants``).
        self.taps_wanted: Callable[[], bool] | None = None

    # ------------------------------------------------------------- sessions

    def open_log(self, session_id: str) -> EventLog:
        log = EventLog(session_id, self.limits)
        self.logs[session_id] = log
        return log

    @property
    def dropped(self) -> int:
        """Deliveries lost, in all sessions so far, before they reached the socket."""
        return self._dropped_closed + sum(log.dropped for log in self.logs.values())

    def close_log(self, log: EventLog) -> None:
        if self.logs.get(log.session_id) is log:
            self._dropped_closed += log.dropped
        for monitor in list(log.monitors.values()):
            self._unindex(monitor)
        log.monitors.clear()
        self.logs.pop(log.session_id, None)

    # ------------------------------------------------------------- monitors

    def _index(self, kind: MonitorKind) -> dict[str, list[Monitor]]:
        if kind is MonitorKind.DEVICE:
            return self._by_device
        if kind is MonitorKind.CALL:
            return self._by_call
        return self._by_topic

    def add_monitor(
        self, log: EventLog, kind: MonitorKind, target: str, cross_ref_id: str
    ) -> Monitor:
        monitor = Monitor(cross_ref_id=cross_ref_id, kind=kind, target=target, log=log)
        log.monitors[cross_ref_id] = monitor
        self._index(kind).setdefault(target, []).append(monitor)
        return monitor

    def remove_monitor(self, monitor: Monitor) -> None:
        monitor.log.monitors.pop(monitor.cross_ref_id, None)
        self._unindex(monitor)

    def _unindex(self, monitor: Monitor) -> None:
        index = self._index(monitor.kind)
        monitors = index.get(monitor.target)
        if monitors is not None and monitor in monitors:
            monitors.remove(monitor)
            if not monitors:
                del index[monitor.target]

    def monitors_of(self, kind: MonitorKind, target: str) -> tuple[Monitor, ...]:
        """The monitors on one device, call or topic now."""
        return tuple(self._index(kind).get(target, ()))

    def end_monitor(self, monitor: Monitor, last: Published) -> None:
        """Remove a monitor and deliver ``last`` (its ``MonitorEndedEvent``) to it alone."""
        self.remove_monitor(monitor)
        monitor.log.push(last, monitor)
        self.delivered += 1

    def find_monitor(self, log: EventLog, kind: MonitorKind, target: str) -> Monitor | None:
        for monitor in self._index(kind).get(target, ()):
            if monitor.log is log:
                return monitor
        return None

    # ------------------------------------------------------------ publishing

    def wants(
        self,
        *,
        devices: Iterable[str] = (),
        calls: Iterable[str] = (),
        topics: Iterable[str] = (),
        broadcast: bool = False,
    ) -> bool:
        """Whether an event for these would reach anyone now: a monitor, an observer or a tap.

        Publishers ask before building an event (its params, its timestamp, the
        caller's information), which is most of an event's cost: with nobody
        listening (``ctid simulate``, a daemon without sessions) it is skipped.
        """
        if self.observers or (self.taps and (self.taps_wanted is None or self.taps_wanted())):
            return True
        if broadcast:
            return bool(self.logs)
        by_device, by_call, by_topic = self._by_device, self._by_call, self._by_topic
        return (
            (bool(by_device) and any(by_device.get(d) for d in devices))
            or (bool(by_call) and any(by_call.get(c) for c in calls))
            or (bool(by_topic) and any(by_topic.get(t) for t in topics))
        )

    def unheard(self) -> None:
        """Count an event its publisher did not build because nobody wanted it."""
        self.published += 1

    def publish(self, event: Published, topics: Iterable[str] = ()) -> None:
        """Deliver ``event`` to every monitor of its devices, calls and ``topics``."""
        self.published += 1
        if self.taps:
            topics = tuple(topics)
        if event.broadcast:
            for log in self.logs.values():
                log.push(event, None)
                self.delivered += 1
        else:
            seen: set[int] = set()
            for index, keys in (
                (self._by_device, event.devices),
                (self._by_call, event.calls),
                (self._by_topic, topics),
            ):
                for key in keys:
                    for monitor in index.get(key, ()):
                        if id(monitor) not in seen:
                            seen.add(id(monitor))
                            monitor.log.push(event, monitor)
                            self.delivered += 1
        for observer in self.observers:
            observer(event)
        if self.taps:
            assert isinstance(topics, tuple)
            for tap in self.taps:
                tap(event, topics)

    def move_call_monitors(self, old_call: str, new_call: str) -> None:
        """Call monitors follow a call that was merged into another (transfer, conference)."""
        monitors = self._by_call.pop(old_call, [])
        for monitor in monitors:
            monitor.target = new_call
            existing = self.find_monitor(monitor.log, MonitorKind.CALL, new_call)
            if existing is None:
                self._by_call.setdefault(new_call, []).append(monitor)
            else:
                monitor.log.monitors.pop(monitor.cross_ref_id, None)

    def end_call_monitors(self, call_id: str) -> list[Monitor]:
        """The call is over: its call monitors end. Returns them (they get MonitorEndedEvent)."""
        monitors = self._by_call.pop(call_id, [])
        for monitor in monitors:
            monitor.log.monitors.pop(monitor.cross_ref_id, None)
        return monitors
