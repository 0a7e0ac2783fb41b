"""Queue figures for wallboards: ``queue.figures`` (throttled) and ``queue.allBusy``.

The engine *touches* a queue whenever something that shows on a wallboard
changes (a call arrives, an agent changes state...). At the end of each step
the wallboard sends ``queue.figures`` for a touched queue at once if the last
one went out at least ``wallboard_interval`` seconds ago, else it sets one
timer for when that interval is up; touches in between are folded into that
one send. A busy queue therefore costs its clients one event per interval,
and a quiet one shows each change at once. ``queue.allBusy`` is sent as soon
as it flips, being a signal rather than a figure.

The events reach monitors of the queue's route points (``deviceObject``), the
``queue:<name>`` topic (``queueObject``) and the ``queues`` topic. While nobody
watches a queue there (no monitor, no webhook tap: ``engine.heard``), its figures
are neither built nor timed; the first change once someone watches goes out at once.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

from .agent import Cancellable

if TYPE_CHECKING:
    from .core import AcdCore
    from .queue import QueueRuntime

__all__ = ["Wallboard", "figures_params"]


def figures_params(engine: AcdCore, queue: QueueRuntime) -> dict[str, Any]:
    """A queue's figures as sent in ``queue.figures`` (and part of ``queue.snapshot``)."""
    f = queue.figures(engine.now())
    return {
        "queue": queue.name,
        "waiting": f.waiting,
        "callbacks": sum(1 for e in queue.waiting if e.state.value == "callback"),
        "longestWait": round(f.longest_wait, 3),
        "agentsByState": dict(f.agents_by_state),
        "offeredToday": f.offered_today,
        "answeredToday": f.answered_today,
        "abandonedToday": f.abandoned_today,
        "overflowedToday": queue.today.overflowed,
        "callbacksRequestedToday": queue.today.callbacks_requested,
        "serviceLevelToday": round(f.service_level_today, 4),
        "estimatedWait": None if math.isinf(f.estimated_wait) else round(f.estimated_wait, 1),
        "allBusy": queue.all_busy,
    }


class Wallboard:
    def __init__(self, engine: AcdCore) -> None:
        self.engine = engine
        self._dirty: dict[str, QueueRuntime] = {}
        self._last_sent: dict[str, float] = {}
        self._timers: dict[str, Cancellable] = {}
        #: Events sent, for tests and statistics.
        self.sent = 0

    def touch(self, queue: QueueRuntime) -> None:
        self._dirty[queue.name] = queue

    def flush(self) -> None:
        if not self._dirty:
            return
        engine = self.engine
        now = engine.now()
        interval = engine.config.wallboard_interval
        dirty, self._dirty = self._dirty, {}
        for name, queue in dirty.items():
            all_busy = queue.all_busy
            if all_busy != queue.all_busy_sent:
                queue.all_busy_sent = all_busy
                self._publish(queue, "queue.allBusy", {"queue": name, "allBusy": all_busy})
            if name in self._timers:
                continue
            if not self._heard(queue):
                # Nobody watches the queue: no figures to build, no timer to serve. The
                # first change after someone starts watching is sent at once.
                continue
            due = self._last_sent.get(name, -math.inf) + interval
            if now >= due:
                self._send(queue)
            else:
                self._timers[name] = engine.scheduler.call_at(
                    due, functools.partial(self._due, queue)
                )

    def _due(self, queue: QueueRuntime) -> None:
        self._timers.pop(queue.name, None)
        self._send(queue)

    def _heard(self, queue: QueueRuntime) -> bool:
        return self.engine.heard(devices=queue.config.points, topics=_topics(queue))

    def _send(self, queue: QueueRuntime) -> None:
        if not self._heard(queue):
            return  # the last watcher left while the send waited for its interval
        self._last_sent[queue.name] = self.engine.now()
        self._publish(queue, "queue.figures", figures_params(self.engine, queue))

    def _publish(self, queue: QueueRuntime, name: str, params: dict[str, Any]) -> None:
        self.sent += 1
        self.engine.publish(name, params, devices=queue.config.points, topics=_topics(queue))


def _topics(queue: QueueRuntime) -> tuple[str, ...]:
    return (f"queue:{queue.name}", "queues")
