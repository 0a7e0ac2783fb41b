"""What a simulation did, read from the notices the ACD emits (as records and metrics read them).

* Each call's wait and outcome: ``QueueWaitObserved``.
* Queue length: +1 when a call reaches a queue (``CallArrived``), -1 when it
  stops waiting.
* Occupancy: each agent's time handling calls (reserved, busy, after-call
  work) over its time handling or ready, from ``AgentStateChanged``, within
  the simulated hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from typing import Any, Final

import attrs

from ..calls.notices import CallArrived, Notice
from ..facts import AgentStateChanged, QueueWaitObserved

__all__ = ["CallRecord", "Collector", "Sample", "Summary"]

#: Agent states that count as handling calls, and as available, for occupancy.
HANDLING: Final = frozenset({"reserved", "busy", "workingAfterCall"})
AVAILABLE: Final = frozenset({"ready"})


@attrs.frozen(kw_only=True)
class Summary:
    """The result of ``ctid simulate`` (``--json`` prints exactly these keys)."""

    offered: int
    answered: int
    abandoned: int
    #: Fraction of offered calls answered within the service-level threshold.
    service_level: float
    #: Average speed of answer: mean wait of answered calls.
    asa_seconds: float
    abandon_rate: float
    occupancy: float
    max_queue_length: int
    wall_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "service_level": round(self.service_level, 4),
            "asa_seconds": round(self.asa_seconds, 2),
            "abandon_rate": round(self.abandon_rate, 4),
            "occupancy": round(self.occupancy, 4),
            "max_queue_length": self.max_queue_length,
            "wall_seconds": round(self.wall_seconds, 2),
        }


@attrs.frozen(kw_only=True)
class CallRecord:
    queue: str
    #: Trio time it reached the queue.
    arrived: float
    waited: float
    outcome: str


@attrs.frozen(kw_only=True)
class Sample:
    """The centre at one moment, for the chart."""

    at: float
    waiting: int
    agents: dict[str, int]


class Collector:
    """A notice sink that keeps what the summary needs."""

    def __init__(
        self, *, points: Collection[str], start: float, end: float, now: Callable[[], float]
    ) -> None:
        self.points = frozenset(points)
        self.now = now
        self.start = start
        self.end = end
        self.records: list[CallRecord] = []
        self.arrived = 0
        self.waiting = 0
        self.max_waiting = 0
        #: agent -> (state, since)
        self._agents: dict[str, tuple[str, float]] = {}
        self.time_in: dict[str, float] = {}
        self.samples: list[Sample] = []

    def __call__(self, notice: Notice) -> None:
        if isinstance(notice, CallArrived):
            if notice.route_point in self.points:
                self.arrived += 1
                self.waiting += 1
                self.max_waiting = max(self.max_waiting, self.waiting)
        elif isinstance(notice, QueueWaitObserved):
            self.waiting -= 1
            # The call reached the queue ``seconds`` ago (the notice comes as it leaves).
            self.records.append(
                CallRecord(
                    queue=notice.queue,
                    arrived=self.now() - notice.seconds,
                    waited=notice.seconds,
                    outcome=notice.outcome,
                )
            )
        elif isinstance(notice, AgentStateChanged):
            self._account(notice.agent_id, notice.at)
            self._agents[notice.agent_id] = (notice.new_state, notice.at)

    def _account(self, agent: str, until: float) -> None:
        found = self._agents.get(agent)
        if found is None:
            return
        state, since = found
        begin, finish = max(since, self.start), min(until, self.end)
        if finish > begin:
            self.time_in[state] = self.time_in.get(state, 0.0) + (finish - begin)

    def sample(self, now: float) -> None:
        counts: Counter[str] = Counter(state for state, _ in self._agents.values())
        self.samples.append(Sample(at=now, waiting=self.waiting, agents=dict(counts)))

    def summary(self, *, threshold: float, wall_seconds: float) -> Summary:
        for agent in list(self._agents):
            self._account(agent, self.end)
            state, _ = self._agents[agent]
            self._agents[agent] = (state, self.end)
        offered = self.arrived
        answered = [r for r in self.records if r.outcome == "answered"]
        abandoned = sum(1 for r in self.records if r.outcome == "abandoned")
        in_time = sum(1 for r in answered if r.waited <= threshold)
        handling = sum(self.time_in.get(s, 0.0) for s in HANDLING)
        available = sum(self.time_in.get(s, 0.0) for s in AVAILABLE)
        return Summary(
            offered=offered,
            answered=len(answered),
            abandoned=abandoned,
            service_level=in_time / offered if offered else 0.0,
            asa_seconds=sum(r.waited for r in answered) / len(answered) if answered else 0.0,
            abandon_rate=abandoned / offered if offered else 0.0,
            occupancy=handling / (handling + available) if handling + available else 0.0,
            max_queue_length=self.max_waiting,
            wall_seconds=wall_seconds,
        )
