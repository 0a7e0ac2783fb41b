"""The pacer's decision on its exact boundaries (issue 12; docs/testing.md, the pacer's
mutants): states where two sides of a comparison are equal to the last bit, built so
that no variance blurs them, and the model with no ring times.

With persons only (no machine, no unanswered call) the chance that a fresh dial reaches a
person is exactly 1, so a dial adds no variance; with handle cycles all of one length an
agent busy for less than that length is certain to be free within the horizon. The
pacer's normal approximation then degenerates to exact counts
(``expected_overflow`` at variance 0 is ``max(0, mean)``) and a tie can be made exactly.
"""

from __future__ import annotations

import math

from ctid.outbound.pacer import (
    BUDGET_Z,
    CUTOFF,
    TARGET,
    AgentView,
    DayTally,
    Pacer,
    Samples,
    allowed_rate,
    expected_overflow,
    slack,
)


def persons_only(ring_seconds: float = 3.0, cycle: float = 10.0) -> Pacer:
    """A trusted model: 20 persons answered after ``ring_seconds`` each (no machine, no
    unanswered call) and 10 handle cycles of ``cycle`` seconds each."""
    pacer = Pacer()
    for _ in range(20):
        pacer.person(ring_seconds)
    for _ in range(10):
        pacer.cycles.add(cycle)
    assert pacer.trusted
    assert pacer.still_person(0.0) == 1.0
    return pacer


def test_the_overflow_bound_holds_at_equality() -> None:
    """``expected_overflow(...) > allowed x mean`` refuses a dial count only past the
    bound: at equality the count is dialled."""
    pacer = persons_only()
    max_rate = 0.25
    allowed = allowed_rate(max_rate, pacer.tally)
    assert allowed == max_rate * TARGET  # a clean day: the aim itself
    ready = [AgentView(agent_id=f"a{i}", ready=True) for i in range(5)]
    # 6 persons for 5 agents: one overflows, exactly allowed x 6 = 1.
    assert expected_overflow(6 - 5, 0.0) == allowed * 6 == 1.0
    assert expected_overflow(7 - 5, 0.0) > allowed * 7
    dial = pacer.to_dial(agents=ready, ringing=[], waiting=0, max_rate=max_rate, max_ratio=3.0)
    assert dial == 6


def test_the_cutoff_is_exclusive() -> None:
    """Pacing stops (progressive) only when the allowed rate is under ``CUTOFF`` of the
    maximum: at exactly ``CUTOFF`` it still paces."""
    pacer = persons_only()
    max_rate = 0.825
    # 1287 abandoned of 1600 persons: the allowance is down to exactly 5 % of the maximum.
    pacer.tally = DayTally(persons=1600, abandoned=1287)
    assert allowed_rate(max_rate, pacer.tally) == max_rate * CUTOFF
    # Three agents busy 5 s of cycles that all last 10 s: each is free within the
    # horizon (ring 3 s + 2 s of grace) for certain; nobody is ready now.
    busy = [AgentView(agent_id=f"a{i}", ready=False, busy_seconds=5.0) for i in range(3)]
    dial = pacer.to_dial(agents=busy, ringing=[], waiting=0, max_rate=max_rate, max_ratio=3.0)
    assert dial == 3  # one per agent about to be free; progressive would dial none
    # Just under the cutoff: progressive.
    pacer.tally = DayTally(persons=1600, abandoned=1288)
    assert allowed_rate(max_rate, pacer.tally) < max_rate * CUTOFF
    assert pacer.to_dial(agents=busy, ringing=[], waiting=0, max_rate=max_rate, max_ratio=3.0) == 0


def test_calls_ringing_with_no_ring_times_known() -> None:
    """A model with outcomes but no ring times yet (a restored model without them): a
    ringing call's chance of a person is the share of persons, in the round's loop as
    in ``still_person``."""
    pacer = Pacer()
    pacer.outcomes = {"person": 6, "machine": 2, "noAnswer": 2, "other": 0}
    assert len(pacer.ring) == 0
    assert pacer.still_person(4.0) == 0.6
    assert pacer._still_persons([0.0, 4.0, 40.0]) == [0.6, 0.6, 0.6]
    # A trusted model (what a round uses) with its ring times gone.
    trusted = persons_only()
    trusted.outcomes = {"person": 60, "machine": 20, "noAnswer": 20, "other": 0}
    trusted.ring = Samples()
    assert trusted.trusted and len(trusted.ring) == 0
    assert trusted._still_persons([1.0, 2.0, 3.0]) == [0.6] * 3


def test_the_day_budget_holds_at_equality() -> None:
    """The day's budget refuses a dial count only past it: at equality it is dialled.

    Four agents busy 5 s of cycles half 10 s and half 100 s long are each free within
    the horizon (5 s) with chance exactly 0.5: the agents to come have variance exactly
    1, so the budget's normal bound is ``X - Y + BUDGET_Z`` to the last bit."""
    pacer = persons_only()
    pacer.cycles = Samples()
    for length in [10.0] * 5 + [100.0] * 5:
        pacer.cycles.add(length)
    max_rate = 0.047
    pacer.tally = DayTally(persons=32, abandoned=1)
    ready = [AgentView(agent_id=f"r{i}", ready=True) for i in range(2)]
    busy = [AgentView(agent_id=f"b{i}", ready=False, busy_seconds=5.0) for i in range(4)]
    y_mean, variance = 2 + 4 * 0.5, 4 * 0.25
    # Three dials: 3 persons for 2 agents and 2 more to come, over the budget by nothing.
    budget = slack(max_rate, pacer.tally)
    assert 3.0 - y_mean + BUDGET_Z * math.sqrt(variance) == budget + max_rate * 3.0
    allowed = allowed_rate(max_rate, pacer.tally)
    assert expected_overflow(3.0 - y_mean, variance) <= allowed * 3.0
    assert 4.0 - y_mean + BUDGET_Z * math.sqrt(variance) > budget + max_rate * 4.0
    dial = pacer.to_dial(
        agents=ready + busy, ringing=[], waiting=0, max_rate=max_rate, max_ratio=3.0
    )
    assert dial == 3  # progressive would dial 2
