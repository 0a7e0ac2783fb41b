"""A queue as the ACD runs it: its waiting calls, its agents, its figures today, its EWT.

The waiting calls are kept in a ``SortedIndex`` by (priority, arrival order):
the head is the next call to serve, and a caller's position is its rank.
Callback requests stay in the same index, keeping their place.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Final

import attrs

from ..facts import QueueFigures
from .agent import Agent, Entry
from .agent_states import AgentState
from .config import QueueConfig
from .entry_states import EntryState
from .index import SortedIndex
from .strategies import Strategy

__all__ = ["Entry", "QueueDay", "QueueRuntime"]

#: How many recent handle times (talk + after-call work) the estimated wait uses.
RECENT_HANDLE_TIMES: Final = 50
_IN_QUEUE: Final = (EntryState.WAITING, EntryState.OFFERED)


@attrs.define(eq=False)
class QueueDay:
    """A queue's counts today (reset at local midnight)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    #: Answered within the service-level threshold.
    answered_in_time: int = 0
    callbacks_requested: int = 0
    callbacks_answered: int = 0


class QueueRuntime:
    """One queue's live state."""

    def __init__(self, config: QueueConfig, strategy: Strategy) -> None:
        self.config = config
        self.strategy = strategy
        self.waiting: SortedIndex[Entry] = SortedIndex()
        #: Every entry of the queue that is not over (waiting, offered, callbacks), by id.
        self.entries: dict[str, Entry] = {}
        #: Agents serving it now (logged on to it, in schedule), by id.
        self.members: dict[str, Agent] = {}
        #: Those agents by state.
        self.counts: Counter[AgentState] = Counter()
        self.today = QueueDay()
        self.handle_times: deque[float] = deque(maxlen=RECENT_HANDLE_TIMES)
        #: The last all-busy value published (None: never).
        self.all_busy_sent: bool | None = None

    @property
    def name(self) -> str:
        return self.config.name

    def add_waiting(self, entry: Entry) -> None:
        self.waiting.add(entry.entry_id, (-entry.priority, entry.seq), entry)

    def position(self, entry: Entry) -> int:
        """1 for the next call to be served."""
        return self.waiting.rank(entry.entry_id) + 1

    def callers_waiting(self) -> list[Entry]:
        return [e for e in self.waiting if e.state is EntryState.WAITING]

    @property
    def serving(self) -> int:
        """Agents logged on to the queue and not in notReady."""
        return len(self.members) - self.counts[AgentState.NOT_READY]

    @property
    def ready(self) -> int:
        return self.counts[AgentState.READY]

    @property
    def all_busy(self) -> bool:
        """Agents are logged on, and none of them is ready."""
        return bool(self.members) and self.counts[AgentState.READY] == 0

    def average_handle_time(self) -> float:
        if not self.handle_times:
            return self.config.default_handle_time
        return sum(self.handle_times) / len(self.handle_times)

    def estimated_wait(self, position: int) -> float | None:
        """Seconds a caller at ``position`` (1 = next) can expect to wait; None if unknown.

        Every ``AHT / serving`` seconds one of the serving agents frees up, on
        average, so a caller with ``position - ready`` calls to go before an
        agent is left for it waits that many intervals (M/M/c's mean-field
        estimate; ``AHT`` is the mean of recent handle times).
        """
        ahead = position - self.ready
        if ahead <= 0:
            return 0.0
        serving = self.serving
        if serving <= 0:
            return None
        return ahead * self.average_handle_time() / serving

    def service_level(self, now: float) -> float:
        """Today's calls answered within the threshold, of those whose fate is known.

        A call still waiting (or ringing) that may yet be answered in time is
        left out; one that has already waited longer than the threshold counts
        as a miss. At the end of the day this is answered-in-time / offered.
        """
        threshold = self.config.service_level_seconds
        open_in_time = sum(
            1
            for e in self.entries.values()
            if e.state in _IN_QUEUE and now - e.entered_at <= threshold
        )
        decided = self.today.offered - open_in_time
        return self.today.answered_in_time / decided if decided > 0 else 1.0

    def figures(self, now: float) -> QueueFigures:
        waiting = self.callers_waiting()
        longest = max((now - e.entered_at for e in waiting), default=0.0)
        offered = self.today.offered
        ewt = self.estimated_wait(len(waiting) + 1)
        return QueueFigures(
            queue=self.name,
            waiting=len(waiting),
            longest_wait=longest,
            agents_by_state={s.value: n for s, n in self.counts.items() if n},
            offered_today=offered,
            answered_today=self.today.answered,
            abandoned_today=self.today.abandoned,
            service_level_today=self.service_level(now),
            estimated_wait=float("inf") if ewt is None else ewt,
        )
