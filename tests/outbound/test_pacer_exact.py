"""The pacer's faster inner loops decide exactly as the plain ones did.

``Pacer.to_dial`` runs at every pacing round; its Kaplan-Meier product, the
agents' ``frees`` and the calls' ``still_person`` are written without a method
call per element (``ctid/outbound/pacer.py``). A simulated day must not change
by it, so the figures must be the same floats to the last bit: these tests run
the reference loops (the code as it was) beside them on random models.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from ctid.outbound.pacer import (
    BUDGET_Z,
    CUTOFF,
    GRACE,
    MAX_BURST,
    AgentView,
    Pacer,
    Ringing,
    Samples,
    Survival,
    _frees,
    allowed_rate,
    expected_overflow,
    slack,
)


def reference_estimate(ended: Iterable[float], going: Iterable[float]) -> Survival:
    events = sorted(ended)
    censored = sorted(going)
    times: list[float] = []
    shares: list[float] = []
    share = 1.0
    i = 0
    while i < len(events):
        t = events[i]
        j = bisect.bisect_right(events, t, i)
        at_risk = (len(events) - i) + (len(censored) - bisect.bisect_left(censored, t))
        share *= 1.0 - (j - i) / at_risk
        times.append(t)
        shares.append(share)
        i = j
    return Survival(times=tuple(times), shares=tuple(shares))


def reference_to_dial(
    pacer: Pacer,
    *,
    agents: Sequence[AgentView],
    ringing: Sequence[Ringing],
    waiting: int,
    max_rate: float,
    max_ratio: float,
) -> int:
    free = sum(1 for a in agents if a.ready)
    progressive = max(0, free - len(ringing) - waiting)
    allowed = allowed_rate(max_rate, pacer.tally)
    if not pacer.trusted or allowed < max_rate * CUTOFF:
        return progressive
    horizon = pacer.ring.mean() + GRACE
    p0 = pacer.still_person(0.0)
    busy = [a.busy_seconds for a in agents if a.busy_seconds is not None]
    survival = reference_estimate(pacer.cycles.values(), busy)
    coming = [pacer.frees(b, horizon, survival) for b in busy]
    y_mean = free + sum(coming)
    y_var = sum(f * (1 - f) for f in coming)
    ring_p = [pacer.still_person(r.seconds) for r in ringing]
    x_mean = waiting + sum(ring_p)
    x_var = sum(q * (1 - q) for q in ring_p)
    lines = len(ringing) + waiting
    cap = math.floor(max_ratio * max(y_mean, 1.0)) - lines
    if cap <= 0 or p0 <= 0:
        return progressive
    budget = slack(max_rate, pacer.tally)

    def fits(d: int) -> bool:
        mean = x_mean + d * p0
        variance = x_var + d * p0 * (1 - p0) + y_var
        if expected_overflow(mean - y_mean, variance) > allowed * mean:
            return False
        return mean - y_mean + BUDGET_Z * math.sqrt(variance) <= budget + max_rate * mean

    low, high = 0, min(cap, MAX_BURST)
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return max(low, progressive)


# Few distinct values (whole and half seconds): ties, as real cycles have.
durations = st.lists(st.integers(min_value=1, max_value=120).map(lambda n: n / 2), max_size=60)


@settings(max_examples=300, deadline=None)
@given(ended=durations, going=durations)
def test_the_estimate_is_the_plain_loops_to_the_bit(ended: list[float], going: list[float]) -> None:
    expected = reference_estimate(ended, going)
    assert Survival.estimate(ended, going) == expected
    samples = Samples(window=1000)
    for value in ended:
        samples.add(value)
    assert Survival.of_groups(samples.groups(), going) == expected


def test_groups_follow_the_window() -> None:
    samples = Samples(window=3)
    for value in (5.0, 1.0, 5.0):
        samples.add(value)
    assert samples.groups() == ((1.0, 5.0), (1, 2), (3, 2))
    samples.add(2.0)  # the first 5.0 leaves the window
    assert samples.groups() == ((1.0, 2.0, 5.0), (1, 1, 1), (3, 2, 1))


def _model(rng: random.Random) -> Pacer:
    pacer = Pacer()
    for _ in range(rng.randrange(0, 700)):
        pacer.cycles.add(round(rng.expovariate(1 / 120), rng.choice([0, 1, 3])))
    for _ in range(rng.randrange(0, 200)):
        pacer.person(round(rng.uniform(2, 15), rng.choice([0, 2])))
    for _ in range(rng.randrange(0, 300)):
        pacer.ended(rng.choice(["machine", "noAnswer", "busy", "failed"]))
    pacer.tally.abandoned = rng.randrange(0, 8)
    return pacer


def test_to_dial_is_the_plain_loops_to_the_bit() -> None:
    rng = random.Random(12)
    decided = set()
    for _ in range(400):
        pacer = _model(rng)
        n = rng.randrange(1, 120)
        agents = [
            AgentView(
                agent_id=f"a{i}",
                ready=(ready := rng.random() < 0.2),
                busy_seconds=None if ready or rng.random() < 0.1 else rng.uniform(0, 600),
            )
            for i in range(n)
        ]
        ringing = [Ringing(seconds=rng.uniform(0, 30)) for _ in range(rng.randrange(0, 60))]
        kwargs = {
            "agents": agents,
            "ringing": ringing,
            "waiting": rng.randrange(0, 3),
            "max_rate": rng.choice([0.03, 0.05, 0.0]),
            "max_ratio": rng.choice([2.0, 3.0]),
        }
        expected = reference_to_dial(pacer, **kwargs)  # type: ignore[arg-type]
        assert pacer.to_dial(**kwargs) == expected  # type: ignore[arg-type]
        # The fast loops' inputs, compared at the figures (not only the decision).
        busy = [a.busy_seconds for a in agents if a.busy_seconds is not None]
        horizon = pacer.ring.mean() + GRACE
        survival = reference_estimate(pacer.cycles.values(), busy)
        assert Survival.of_groups(pacer.cycles.groups(), busy) == survival
        assert _frees(survival, busy, horizon) == [pacer.frees(b, horizon, survival) for b in busy]
        seconds = [r.seconds for r in ringing]
        assert pacer._still_persons(seconds) == [pacer.still_person(s) for s in seconds]
        decided.add(expected)
    assert len(decided) > 10  # the models were varied enough to decide many ways
