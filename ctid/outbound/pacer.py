"""Predictive pacing: how many calls to dial now, learned as the campaign runs. Sans-IO.

The model (docs/outbound.md, "Predictive pacing", says what it follows):

* **What a dial brings.** Of the calls dialled, a share ``p`` is answered by a
  person, ``m`` by a machine, ``n`` rings until the campaign gives up; the rest
  end at once (busy, failed). A person answers after a ring time drawn from the
  learned ring times. A call that has rung ``e`` seconds without an answer is
  still a person with probability ``p S(e) / ((p + m) S(e) + n)``, ``S`` the share
  of person answers that take longer than ``e`` (Bayes over the outcomes).
* **What the agents bring.** An agent busy with a campaign call (talking,
  wrapping up) frees up after a handle cycle drawn from the learned cycles
  (connection to ready again). One that has been busy ``e`` seconds is free
  within the horizon ``h`` (the mean ring time of a person answer, plus the 2 s a
  person may wait for an agent) with
  probability ``P(C <= e + h | C > e)``, ``P`` the Kaplan-Meier estimate from the
  cycles that ended and, censored, those of the agents still busy (early in a day
  the cycles that ended are the short ones); an agent busy past every ended cycle
  is not counted.
* **The decision.** Answers ``X`` (the calls ringing, and ``d`` new ones) and
  agents ``Y`` (free now, and busy ones freed within ``h``) are sums of
  independent Bernoulli trials; their difference is taken as normal. The dialler
  dials the largest ``d`` whose expected overflow ``E[max(0, X - Y)]`` (persons no
  agent takes: abandoned calls) stays within ``allowed * E[X]``.
* **The guard band.** ``allowed`` is ``TARGET`` (2/3) of the campaign's maximum
  while the day's abandon rate (abandoned / answered by a person) is at or under
  that share, then shrinks linearly to nothing as the day's rate reaches the
  maximum. At or above it, or whenever the model has seen too little
  (``MIN_PERSONS`` answers, ``MIN_CYCLES`` handle cycles), the campaign dials one
  call per free agent (progressive), which abandons nobody whose agent stays ready.
* **The day's budget.** The day can still take ``max x persons - abandoned``
  abandoned calls (its *slack*) and stay at or under the maximum; the ``X``
  persons in flight add ``max x X`` to it. The dialler dials ahead only while the
  overflow stays within that budget but for a ``BUDGET_RISK`` chance (one-sided
  normal quantile ``BUDGET_Z``): so the day's running rate passes the maximum only
  by that chance, and early in a day (a slack under one call) it dials ahead by
  little or not at all.
"""

from __future__ import annotations

import bisect
import math
import operator
from collections import deque
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Final, NamedTuple

import attrs

__all__ = [
    "MIN_CYCLES",
    "MIN_PERSONS",
    "TARGET",
    "AgentView",
    "DayTally",
    "Pacer",
    "Ringing",
    "Samples",
    "Survival",
    "allowed_rate",
    "expected_overflow",
    "slack",
]

#: Person answers seen before the model is trusted (until then: one call per free agent).
MIN_PERSONS: Final = 20
#: Agent handle cycles seen before the model is trusted.
MIN_CYCLES: Final = 10
#: Share of the campaign's maximum abandon rate the pacing aims at (the guard band).
TARGET: Final = 2 / 3
#: One-sided normal quantile of the day's budget: the overflow of the calls in flight
#: passes what the day can still absorb with a chance of ``BUDGET_RISK`` (5 %) at most.
BUDGET_Z: Final = 1.645
BUDGET_RISK: Final = 0.05
#: Samples kept per learned distribution (the most recent).
WINDOW: Final = 500
#: Below this share of the maximum the pacing stops predicting.
CUTOFF: Final = 0.05
#: Most new calls one round may add (a round is a second).
MAX_BURST: Final = 500
#: Seconds an answered person may wait for an agent (``abandon.ABANDON_SECONDS``).
GRACE: Final = 2.0


class Samples:
    """The most recent ``WINDOW`` values of a duration, kept sorted for quantiles."""

    def __init__(self, window: int = WINDOW) -> None:
        self._order: deque[float] = deque()
        self._sorted: list[float] = []
        self._window = window
        self.total = 0.0
        #: ``groups()``, kept until the next ``add`` (a pacing round reads it many times
        #: for each cycle that ends).
        self._groups: tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]] | None = None

    def __len__(self) -> int:
        return len(self._sorted)

    def add(self, value: float) -> None:
        self._order.append(value)
        bisect.insort(self._sorted, value)
        self.total += value
        self._groups = None
        if len(self._order) > self._window:
            old = self._order.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]
            self.total -= old

    def groups(self) -> tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]]:
        """The distinct values ascending, how many samples have each, and how many are at
        or above each (``Survival.estimate``'s events, worked out once per ``add``)."""
        if self._groups is None:
            self._groups = _groups(self._sorted)
        return self._groups

    def values(self) -> list[float]:
        """The samples, oldest first (adding them again rebuilds this window)."""
        return list(self._order)

    def mean(self) -> float:
        return self.total / len(self._sorted) if self._sorted else 0.0

    def longer(self, value: float) -> float:
        """Share of the samples greater than ``value`` (1.0 with no samples)."""
        if not self._sorted:
            return 1.0
        return (len(self._sorted) - bisect.bisect_right(self._sorted, value)) / len(self._sorted)


@attrs.frozen(kw_only=True)
class Survival:
    """Kaplan-Meier estimate of the share of handle cycles longer than a duration, from
    cycles that ended (events) and cycles still going (censored at their length so far).

    Kaplan, E. L. and Meier, P. (1958), "Nonparametric estimation from incomplete
    observations", JASA 53(282). A cycle censored at ``c`` is at risk at every time
    up to and including ``c`` (a censoring tied with an event is taken as after it).
    """

    #: The distinct lengths of ended cycles, ascending.
    times: tuple[float, ...]
    #: The estimate just after each of ``times``.
    shares: tuple[float, ...]

    @classmethod
    def estimate(cls, ended: Iterable[float], going: Iterable[float]) -> Survival:
        return cls.of_groups(_groups(sorted(ended)), going)

    @classmethod
    def of_groups(
        cls,
        groups: tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]],
        going: Iterable[float],
    ) -> Survival:
        """``estimate`` from the ended cycles' ``Samples.groups()``."""
        times, counts, not_before = groups
        censored = sorted(going)
        c = len(censored)
        # At risk at t: the ended cycles not shorter than t, and the going ones (censored
        # at t or later). The product runs in the same order as a loop's ``share *= f``:
        # the same floats to the last bit (a pacing round's decision must not move).
        # The censored below t (``bisect_left(censored, t)``) counted by walking both
        # ascending lists at once: a pacing round does this for every distinct cycle.
        censored.append(math.inf)
        factors = []
        below = 0
        for t, d, r in zip(times, counts, not_before, strict=True):
            while censored[below] < t:
                below += 1
            factors.append(1.0 - d / (r + (c - below)))
        return cls(times=times, shares=tuple(accumulate(factors, operator.mul)))

    def at(self, seconds: float) -> float:
        """The estimated share of cycles longer than ``seconds`` (1.0 before any ended)."""
        k = bisect.bisect_right(self.times, seconds)
        return self.shares[k - 1] if k else 1.0


def _groups(ordered: list[float]) -> tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]]:
    """``Samples.groups()`` of the ascending ``ordered``."""
    times: list[float] = []
    counts: list[int] = []
    not_before: list[int] = []
    n = len(ordered)
    i = 0
    while i < n:
        t = ordered[i]
        j = bisect.bisect_right(ordered, t, i)
        times.append(t)
        counts.append(j - i)
        not_before.append(n - i)
        i = j
    return tuple(times), tuple(counts), tuple(not_before)


class Ringing(NamedTuple):
    """A call dialled and not answered yet: how long it has rung.

    A tuple, as ``AgentView``: a round builds one per call ringing."""

    seconds: float


class AgentView(NamedTuple):
    """An agent of the campaign's queue as the pacer sees it.

    A tuple, not an attrs class: a pacing round builds one per agent of the queue (100
    a round, a round a second and more), and attrs' frozen ``__init__`` was most of the
    cost of building them."""

    agent_id: str
    #: Ready for a call now.
    ready: bool
    #: Seconds since its current campaign call was connected (None: not on one).
    busy_seconds: float | None = None


@attrs.define
class DayTally:
    """The day's counts of one campaign (a new local date starts from zero)."""

    day: str = ""
    dialled: int = 0
    persons: int = 0
    machines: int = 0
    connected: int = 0
    abandoned: int = 0

    def roll(self, day: str) -> None:
        if day != self.day:
            self.day = day
            self.dialled = self.persons = self.machines = self.connected = self.abandoned = 0

    @property
    def abandon_rate(self) -> float:
        """Abandoned / answered by a person (0 before the first person)."""
        return self.abandoned / self.persons if self.persons else 0.0


def allowed_rate(max_rate: float, tally: DayTally) -> float:
    """The abandon rate the next dials may risk: ``TARGET x max`` while the day's rate
    is at or under it, then down linearly to 0 as the day's rate reaches the maximum."""
    if max_rate <= 0:
        return 0.0
    aim = max_rate * TARGET
    headroom = (max_rate - tally.abandon_rate) / (max_rate - aim)
    return aim * min(1.0, max(0.0, headroom))


def slack(max_rate: float, tally: DayTally) -> float:
    """Abandoned calls the day can still take at the maximum rate: ``max x persons -
    abandoned`` (negative once the day is over the maximum)."""
    return max_rate * tally.persons - tally.abandoned


def _frees(survival: Survival, busy: list[float], horizon: float) -> list[float]:
    """``Pacer.frees`` of each of ``busy`` (one agent's a pacing round's inner loop)."""
    times = survival.times
    # ``survival.at`` with no branch: the share before every cycle (1.0) put in front.
    shares = (1.0, *survival.shares)
    right = bisect.bisect_right
    # An agent past every cycle seen (none alive) is not counted: see ``Pacer.frees``.
    return [
        0.0
        if (alive := shares[right(times, b)]) <= 0
        else 1.0 - shares[right(times, b + horizon)] / alive
        for b in busy
    ]


def _phi(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _big_phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2)))


def expected_overflow(mean: float, variance: float) -> float:
    """``E[max(0, D)]`` for a normal ``D`` (exact at variance 0)."""
    if variance <= 1e-12:
        return max(0.0, mean)
    sd = math.sqrt(variance)
    z = mean / sd
    return sd * _phi(z) + mean * _big_phi(z)


class Pacer:
    """One campaign's learned model and its decision; see the module docstring."""

    def __init__(self) -> None:
        #: Dial to person-answer seconds.
        self.ring = Samples()
        #: Connection to agent-ready-again seconds.
        self.cycles = Samples()
        self.outcomes = {"person": 0, "machine": 0, "noAnswer": 0, "other": 0}
        self.tally = DayTally()
        #: The same counts since the campaign started (never rolled).
        self.total = DayTally()
        #: Agents on a campaign call: agent id -> seconds busy when last seen, for cycles.
        self._busy: dict[str, float] = {}

    # ------------------------------------------------------------- learning

    def dialled(self) -> None:
        self.tally.dialled += 1
        self.total.dialled += 1

    def person(self, ring_seconds: float) -> None:
        """A person answered after ``ring_seconds`` (counted for the day's rate)."""
        self.ring.add(ring_seconds)
        self.outcomes["person"] += 1
        self.tally.persons += 1
        self.total.persons += 1

    def ended(self, outcome: str) -> None:
        """An attempt that no person answered ended (``machine``, ``noAnswer``, ...)."""
        if outcome == "machine":
            self.outcomes["machine"] += 1
            self.tally.machines += 1
            self.total.machines += 1
        elif outcome == "noAnswer":
            self.outcomes["noAnswer"] += 1
        else:
            self.outcomes["other"] += 1

    def connected(self) -> None:
        self.tally.connected += 1
        self.total.connected += 1

    def abandoned(self) -> None:
        self.tally.abandoned += 1
        self.total.abandoned += 1

    def observe(self, agents: Iterable[AgentView]) -> None:
        """The agents now: an agent ready again after a campaign call ends a cycle."""
        seen: dict[str, float] = {}
        for agent in agents:
            if agent.busy_seconds is not None:
                seen[agent.agent_id] = agent.busy_seconds
            elif agent.ready and agent.agent_id in self._busy:
                self.cycles.add(self._busy[agent.agent_id])
        self._busy = seen

    # ------------------------------------------------------------- deciding

    @property
    def trusted(self) -> bool:
        return self.outcomes["person"] >= MIN_PERSONS and len(self.cycles) >= MIN_CYCLES

    def shares(self) -> tuple[float, float, float]:
        """``(p, m, n)``: person, machine and no-answer shares of ended dials."""
        total = sum(self.outcomes.values())
        if total == 0:
            return (1.0, 0.0, 0.0)
        o = self.outcomes
        return (o["person"] / total, o["machine"] / total, o["noAnswer"] / total)

    def still_person(self, seconds: float) -> float:
        """Probability that a call ringing for ``seconds`` is answered by a person."""
        p, m, n = self.shares()
        s = self.ring.longer(seconds)
        denominator = (p + m) * s + n
        return p * s / denominator if denominator > 0 else 0.0

    def _still_persons(self, seconds: list[float]) -> list[float]:
        """``still_person`` of each of ``seconds`` (the shares worked out once)."""
        p, m, n = self.shares()
        ring = self.ring._sorted
        size = len(ring)
        right = bisect.bisect_right
        out = []
        for e in seconds:
            s = (size - right(ring, e)) / size if size else 1.0
            denominator = (p + m) * s + n
            out.append(p * s / denominator if denominator > 0 else 0.0)
        return out

    def frees(self, busy_seconds: float, horizon: float, survival: Survival | None = None) -> float:
        """Probability that an agent busy for ``busy_seconds`` is ready within ``horizon``,
        from ``survival`` (default: the cycles seen, nothing censored)."""
        if survival is None:
            survival = Survival.estimate(self.cycles.values(), ())
        alive = survival.at(busy_seconds)
        if alive <= 0:
            # Busy longer than every cycle seen: the cycles say nothing about this agent.
            # Taking it as due any moment made a 100-agent campaign dial for agents still
            # talking (7.9 % abandoned in its first 15 minutes). Not counted: the agent
            # gets a call when it is ready, at worst one round later.
            return 0.0
        return 1.0 - survival.at(busy_seconds + horizon) / alive

    def to_dial(
        self,
        *,
        agents: Sequence[AgentView],
        ringing: Sequence[Ringing],
        waiting: int,
        max_rate: float,
        max_ratio: float,
    ) -> int:
        """New calls to dial now.

        ``agents`` are the queue's agents (ready ones count at once), ``ringing``
        the campaign's calls not answered yet, ``waiting`` its persons who answered
        and wait for an agent (each needs one).
        """
        free = sum(1 for a in agents if a.ready)
        progressive = max(0, free - len(ringing) - waiting)
        allowed = allowed_rate(max_rate, self.tally)
        if not self.trusted or allowed < max_rate * CUTOFF:
            return progressive
        # A person may wait GRACE seconds for an agent (the 2-second rule) before abandoning.
        horizon = self.ring.mean() + GRACE
        p0 = self.still_person(0.0)
        busy = [a.busy_seconds for a in agents if a.busy_seconds is not None]
        # The agents still busy are cycles not ended yet (censored): without them the
        # cycles seen early in a day are the short ones only, and agents look due sooner
        # than they are.
        survival = Survival.of_groups(self.cycles.groups(), busy)
        coming = _frees(survival, busy, horizon)
        y_mean = free + sum(coming)
        y_var = sum([f * (1 - f) for f in coming])
        ring_p = self._still_persons([r.seconds for r in ringing])
        x_mean = waiting + sum(ring_p)
        x_var = sum([q * (1 - q) for q in ring_p])
        lines = len(ringing) + waiting
        cap = math.floor(max_ratio * max(y_mean, 1.0)) - lines
        if cap <= 0 or p0 <= 0:
            return progressive

        budget = slack(max_rate, self.tally)

        def fits(d: int) -> bool:
            mean = x_mean + d * p0
            variance = x_var + d * p0 * (1 - p0) + y_var
            if expected_overflow(mean - y_mean, variance) > allowed * mean:
                return False
            # The day's budget: the persons now in flight end the day over the maximum
            # only if more than ``budget + max x X`` of them find no agent; allow that
            # with a BUDGET_RISK chance at most (X at its mean, X - Y normal).
            return mean - y_mean + BUDGET_Z * math.sqrt(variance) <= budget + max_rate * mean

        # The overflow share grows with d: the largest d that fits, by bisection. Dialling
        # none adds no risk (what is in flight already is not undone).
        low, high = 0, min(cap, MAX_BURST)
        while low < high:
            mid = (low + high + 1) // 2
            if fits(mid):
                low = mid
            else:
                high = mid - 1
        return max(low, progressive)
