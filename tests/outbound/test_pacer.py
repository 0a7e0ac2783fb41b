"""The predictive pacing model with numbers (``ctid.outbound.pacer``, sans-IO)."""

from __future__ import annotations

import math

import pytest

from ctid.outbound import pacer as pc
from ctid.outbound.pacer import AgentView, DayTally, Pacer, Ringing, Samples, Survival


def test_samples_keep_the_most_recent_window_sorted() -> None:
    s = Samples(window=3)
    assert len(s) == 0 and s.mean() == 0.0 and s.longer(5) == 1.0
    for v in (10.0, 30.0, 20.0):
        s.add(v)
    assert len(s) == 3 and s.mean() == 20.0
    assert s.longer(10.0) == pytest.approx(2 / 3)  # strictly longer
    assert s.longer(9.9) == 1.0 and s.longer(30.0) == 0.0
    s.add(40.0)  # 10 leaves
    assert len(s) == 3 and s.mean() == 30.0 and s.total == 90.0
    assert s.longer(19.0) == 1.0 and s.longer(20.0) == pytest.approx(2 / 3)
    s.add(20.0)  # 30 leaves (the oldest), one of the equal 20s stays
    assert s.mean() == pytest.approx(80 / 3) and s.longer(20.0) == pytest.approx(1 / 3)


def test_day_tally_rolls_on_a_new_date_only() -> None:
    t = DayTally()
    t.roll("2027-01-18")
    t.dialled, t.persons, t.machines, t.connected, t.abandoned = 50, 20, 5, 19, 1
    assert t.abandon_rate == 0.05
    t.roll("2027-01-18")
    assert (t.dialled, t.persons, t.abandoned) == (50, 20, 1)
    t.roll("2027-01-19")
    assert (t.day, t.dialled, t.persons, t.machines, t.connected, t.abandoned) == (
        "2027-01-19",
        0,
        0,
        0,
        0,
        0,
    )
    assert t.abandon_rate == 0.0


def tally(persons: int, abandoned: int) -> DayTally:
    return DayTally(day="d", persons=persons, abandoned=abandoned)


def test_guard_band_aims_at_two_thirds_then_tightens_to_the_maximum() -> None:
    assert pc.TARGET == 2 / 3
    assert pc.allowed_rate(0.03, tally(0, 0)) == pytest.approx(0.02)
    assert pc.allowed_rate(0.03, tally(100, 1)) == pytest.approx(0.02)  # 1 % <= 2 %
    assert pc.allowed_rate(0.03, tally(100, 2)) == pytest.approx(0.02)  # at the aim
    # 2.5 %: half way from the aim (2 %) to the maximum (3 %): half the aim.
    assert pc.allowed_rate(0.03, tally(200, 5)) == pytest.approx(0.01)
    assert pc.allowed_rate(0.03, tally(1000, 28)) == pytest.approx(0.02 * 0.2)
    assert pc.allowed_rate(0.03, tally(100, 3)) == 0.0
    assert pc.allowed_rate(0.03, tally(100, 9)) == 0.0
    assert pc.allowed_rate(0.0, tally(0, 0)) == 0.0
    assert pc.allowed_rate(0.6, tally(10, 0)) == pytest.approx(0.4)  # never above TARGET x max


def test_slack_is_what_the_day_can_still_abandon_at_the_maximum() -> None:
    assert pc.slack(0.03, tally(0, 0)) == 0.0
    assert pc.slack(0.03, tally(100, 1)) == pytest.approx(2.0)
    assert pc.slack(0.03, tally(100, 3)) == pytest.approx(0.0, abs=1e-12)
    assert pc.slack(0.03, tally(100, 5)) == pytest.approx(-2.0)
    assert pc.slack(0.05, tally(1000, 10)) == pytest.approx(40.0)


def test_expected_overflow_of_a_normal() -> None:
    assert pc.expected_overflow(2.0, 0.0) == 2.0
    assert pc.expected_overflow(-2.0, 0.0) == 0.0
    assert pc.expected_overflow(0.0, 1.0) == pytest.approx(1 / math.sqrt(2 * math.pi))
    # E[max(0, N(1, 1))] = phi(1) + Phi(1)
    assert pc.expected_overflow(1.0, 1.0) == pytest.approx(0.241971 + 0.841345, abs=1e-6)
    assert pc.expected_overflow(-1.0, 4.0) == pytest.approx(2 * 0.3520653 - 1 * 0.3085375, abs=1e-6)


def learned(person: int = 20, machine: int = 0, no_answer: int = 20, other: int = 0) -> Pacer:
    """A pacer that has seen ``person`` answers after 5 s and 10 cycles of 100 s."""
    p = Pacer()
    for _ in range(person):
        p.person(5.0)
    for outcome, n in (("machine", machine), ("noAnswer", no_answer), ("busy", other)):
        for _ in range(n):
            p.ended(outcome)
    for _ in range(pc.MIN_CYCLES):
        p.cycles.add(100.0)
    # A long day with nobody abandoned: the day's budget (slack 300) binds nowhere.
    p.tally = tally(10_000, 0)
    return p


def test_counts_go_to_the_day_and_to_the_whole_run() -> None:
    p = Pacer()
    p.observe([AgentView(agent_id="a", ready=True)])  # nobody was busy: no cycle
    assert len(p.cycles) == 0
    for _ in range(2):
        p.dialled()
        p.person(3.0)
        p.ended("machine")
        p.ended("noAnswer")
        p.ended("busy")
        p.connected()
        p.abandoned()
    p.dialled()
    assert p.outcomes == {"person": 2, "machine": 2, "noAnswer": 2, "other": 2}
    for t in (p.tally, p.total):
        assert (t.dialled, t.persons, t.machines, t.connected, t.abandoned) == (3, 2, 2, 2, 2)
    p.tally.roll("next day")
    assert p.tally.dialled == 0 and p.total.dialled == 3
    assert len(p.ring) == 2 and p.ring.mean() == 3.0


def test_shares_and_the_chance_that_a_ringing_call_is_a_person() -> None:
    assert Pacer().shares() == (1.0, 0.0, 0.0)
    p = learned(person=20, machine=10, no_answer=10)
    assert p.shares() == (0.5, 0.25, 0.25)
    # Not answered at 0 s: p S / ((p + m) S + n) with S = 1.
    assert p.still_person(0.0) == pytest.approx(0.5 / 1.0)
    # Every person answers at 5 s: a call ringing 5 s or more is no person.
    assert p.still_person(5.0) == 0.0
    q = learned(person=20, no_answer=20)
    q.ring.add(15.0)  # one ring time of 15 s: S(10) = 1/21 (the shares stay 0.5 / 0.5)
    s = 1 / 21
    assert q.still_person(10.0) == pytest.approx(0.5 * s / (0.5 * s + 0.5))
    none = Pacer()
    none.ended("busy")
    assert none.still_person(0.0) == 0.0  # nothing answers: no division by zero


def test_chance_that_a_busy_agent_frees_up() -> None:
    p = Pacer()
    for v in (10.0, 20.0, 30.0, 40.0):
        p.cycles.add(v)
    # Busy 15 s: still busy in 3 of 4 cycles; 2 of them last past 25 s.
    assert p.frees(15.0, 10.0) == pytest.approx(1 - (2 / 4) / (3 / 4))
    assert p.frees(0.0, 5.0) == 0.0
    assert p.frees(35.0, 10.0) == 1.0
    assert p.frees(50.0, 1.0) == 0.0  # past every cycle seen: nothing known, not counted
    assert p.frees(40.0, 1.0) == 0.0  # as long as the longest: no cycle is longer
    assert p.frees(39.0, 1.0) == 1.0  # the 40 s cycle ends within 1 s


def test_cycles_are_learned_when_a_busy_agent_is_ready_again() -> None:
    p = Pacer()
    p.observe([AgentView(agent_id="a", ready=False, busy_seconds=40.0)])
    p.observe([AgentView(agent_id="a", ready=False, busy_seconds=95.0)])
    assert len(p.cycles) == 0
    p.observe([AgentView(agent_id="a", ready=True)])
    assert len(p.cycles) == 1 and p.cycles.mean() == 95.0
    p.observe([AgentView(agent_id="a", ready=True)])  # still ready: no new cycle
    assert len(p.cycles) == 1
    # An agent that goes not ready (or away) after a call gives no cycle.
    p.observe([AgentView(agent_id="b", ready=False, busy_seconds=10.0)])
    p.observe([AgentView(agent_id="b", ready=False)])
    p.observe([AgentView(agent_id="b", ready=True)])
    assert len(p.cycles) == 1


def busy(n: int, seconds: float = 99.0) -> list[AgentView]:
    return [AgentView(agent_id=f"b{i}", ready=False, busy_seconds=seconds) for i in range(n)]


def ready(n: int) -> list[AgentView]:
    return [AgentView(agent_id=f"r{i}", ready=True) for i in range(n)]


def test_until_the_model_is_trusted_it_dials_one_call_per_free_agent() -> None:
    p = Pacer()
    for _ in range(pc.MIN_PERSONS - 1):
        p.person(5.0)
    for _ in range(pc.MIN_CYCLES):
        p.cycles.add(100.0)
    assert not p.trusted
    kw = {"max_rate": 0.03, "max_ratio": 3.0}
    assert p.to_dial(agents=ready(4) + busy(3), ringing=[Ringing(seconds=1)], waiting=1, **kw) == 2
    assert p.to_dial(agents=ready(1), ringing=[Ringing(seconds=1)] * 3, waiting=0, **kw) == 0
    p.person(5.0)
    assert p.trusted
    q = learned()
    q.cycles = Samples()
    for _ in range(pc.MIN_CYCLES - 1):
        q.cycles.add(100.0)
    assert not q.trusted


def test_predictive_dials_the_most_calls_whose_overflow_fits_the_allowance() -> None:
    # Ten agents, each certain to be free within the horizon (busy 99 s of 100 s
    # cycles); half the dials are persons. Each new call: X ~ Bernoulli(0.5), Y = 10.
    # E[max(0, X - 10)] <= 0.02 E[X] holds for d = 15 (0.091 <= 0.15), not 16
    # (0.167 > 0.16).
    p = learned()
    kw = {"agents": busy(10), "ringing": [], "waiting": 0, "max_ratio": 3.0}
    assert p.to_dial(max_rate=0.03, **kw) == 15
    # A day at a third of the maximum is under the aim (2 %): the same.
    p.tally = tally(300, 3)
    assert p.to_dial(max_rate=0.03, **kw) == 15
    # A day at 2.5 %: allowance 0.01; d = 14 fits (0.043 <= 0.07), 15 does not.
    p.tally = tally(200, 5)
    assert p.to_dial(max_rate=0.03, **kw) == 14
    # At the maximum the pacing stops predicting: one call per free agent (none).
    p.tally = tally(100, 3)
    assert p.to_dial(max_rate=0.03, **kw) == 0
    p.tally = tally(100, 0)
    # Lines are capped at max_ratio x expected agents, less the calls in progress.
    assert p.to_dial(max_rate=0.03, **{**kw, "max_ratio": 1.2}) == 12
    assert p.to_dial(max_rate=0.03, **{**kw, "ringing": [Ringing(seconds=0)] * 4}) < 15
    capped = {**kw, "max_ratio": 1.0, "ringing": [Ringing(seconds=0)] * 10}
    assert p.to_dial(max_rate=0.03, **capped) == 0


def test_the_days_budget_holds_back_what_the_allowance_would_dial() -> None:
    # Ten agents certain to be free, p0 = 0.5, a new day (no person yet, slack 0): the
    # allowance alone dials 15, the budget 14: d = 14 gives X ~ Bin(14, 0.5),
    # 7 - 10 + 1.645 x 1.871 = 0.078 <= 0 + 0.03 x 7; d = 15: 0.686 > 0.225.
    p = learned()
    kw = {"agents": busy(10), "ringing": [], "waiting": 0, "max_ratio": 3.0}
    p.tally = tally(0, 0)
    assert p.to_dial(max_rate=0.03, **kw) == 14
    # 20 persons, none abandoned: slack 0.6, d = 15 fits (0.686 <= 0.825).
    p.tally = tally(20, 0)
    assert p.to_dial(max_rate=0.03, **kw) == 15
    # Persons in flight count against the budget: 6 waiting, slack 0. d = 4 gives
    # X = 6 + Bin(4, 0.5): 8 - 10 + 1.645 x 1 = -0.355 <= 0.03 x 8; d = 5:
    # 8.5 - 10 + 1.645 x 1.118 = 0.339 > 0.255. The allowance alone dials 6 (d = 6:
    # overflow 0.143 <= 0.02 x 9; d = 7: 0.315 > 0.19), and so does a slack of 2.
    p.tally = tally(0, 0)
    assert p.to_dial(max_rate=0.03, **{**kw, "waiting": 6}) == 4
    p.tally = tally(100, 1)
    assert p.to_dial(max_rate=0.03, **{**kw, "waiting": 6}) == 6
    p.tally = tally(10_000, 0)
    assert p.to_dial(max_rate=0.03, **{**kw, "waiting": 6}) == 6
    # Over the maximum the slack is negative and the allowance nothing: progressive.
    p.tally = tally(100, 4)
    assert p.to_dial(agents=ready(3) + busy(7), ringing=[], waiting=0, **KW) == 3


def test_calls_ringing_and_persons_waiting_take_agents_first() -> None:
    p = learned()
    kw = {"agents": busy(10), "max_rate": 0.03, "max_ratio": 3.0}
    # Four persons already wait: four agents are theirs. X = 4 + d/2: d = 9 fits
    # (0.125 <= 0.02 x 8.5), d = 10 does not (0.253 > 0.18).
    assert p.to_dial(ringing=[], waiting=4, **kw) == 9
    # Calls that rang past every person's answer time bring nobody.
    assert p.to_dial(ringing=[Ringing(seconds=6.0)] * 5, waiting=0, **kw) == 15


def test_ready_agents_count_at_once_and_the_floor_is_progressive() -> None:
    p = learned()
    kw = {"ringing": [], "waiting": 0, "max_rate": 0.03, "max_ratio": 3.0}
    assert p.to_dial(agents=ready(10), **kw) == 15
    # Agents far from the end of a 100 s cycle are unlikely to free up soon.
    assert p.to_dial(agents=busy(10, seconds=10.0), **kw) == 0
    # With nothing that fits, the free agents still get one call each.
    p.tally = tally(100, 3)
    assert p.to_dial(agents=ready(3) + busy(2), **kw) == 3
    p.tally = tally(100, 0)
    nobody = Pacer()
    for _ in range(pc.MIN_PERSONS):
        nobody.ring.add(5.0)
        nobody.outcomes["machine"] += 1
    for _ in range(pc.MIN_CYCLES):
        nobody.cycles.add(100.0)
    nobody.outcomes["person"] = pc.MIN_PERSONS
    assert nobody.trusted
    assert nobody.to_dial(agents=ready(2), **kw) >= 2


KW = {"max_rate": 0.03, "max_ratio": 3.0}


def test_the_horizon_is_the_ring_time_and_the_2_seconds_a_person_may_wait() -> None:
    p = learned()  # persons answer at 5 s; cycles last 100 s
    # Busy 94 s: free within 5 + 2 = 7 s (at 100 s), not within 5 - 2.
    assert p.to_dial(agents=busy(10, seconds=94.0), ringing=[], waiting=0, **KW) == 15
    assert p.to_dial(agents=busy(10, seconds=92.0), ringing=[], waiting=0, **KW) == 0


def test_a_new_call_is_judged_at_0_seconds_of_ringing() -> None:
    p = learned()
    p.ring = Samples()
    for _ in range(pc.MIN_PERSONS):
        p.ring.add(1.0)  # every person answers after 1 s: none is left after 1 s
    assert p.still_person(0.0) == 0.5 and p.still_person(1.0) == 0.0
    assert p.to_dial(agents=busy(10), ringing=[], waiting=0, **KW) == 15


def test_no_person_ever_answers_a_new_call_no_dialling_ahead() -> None:
    p = learned()
    p.ring = Samples()
    for _ in range(pc.MIN_PERSONS):
        p.ring.add(0.0)  # S(0) = 0: a call not answered yet is never a person
    assert p.still_person(0.0) == 0.0
    assert p.to_dial(agents=busy(10), ringing=[], waiting=0, **KW) == 0
    assert p.to_dial(agents=ready(2) + busy(8), ringing=[], waiting=0, **KW) == 2


def test_ringing_calls_exact() -> None:
    p = learned()
    # Four calls ringing 0 s: each a person with 0.5. X = 2 + d/2, var 1 + d/4, Y = 10.
    assert p.to_dial(agents=busy(10), ringing=[Ringing(seconds=0)] * 4, waiting=0, **KW) == 11
    # With two persons waiting too, and lines capped at 10 per 10 agents: 10 - 6 = 4.
    capped = {"max_rate": 0.03, "max_ratio": 1.0}
    assert p.to_dial(agents=busy(10), ringing=[Ringing(seconds=0)] * 4, waiting=2, **capped) == 4
    # 29 calls past every answer time bring nobody; the cap leaves one line: it is dialled.
    old = [Ringing(seconds=6.0)] * 29
    assert p.to_dial(agents=busy(10), ringing=old, waiting=0, **KW) == 1


def test_few_agents_cap_the_lines_at_the_ratio_of_one_agent() -> None:
    p = learned()
    # One ready agent, p0 = 0.5: E[max(0, X - 1)] <= 0.02 E[X] allows no extra call,
    # so the free agent gets its one call; the cap is 3 lines (3 x max(1, 1)).
    assert p.to_dial(agents=ready(1), ringing=[], waiting=0, **KW) == 1
    none = busy(1, seconds=10.0)  # a busy agent far from free: Y ~ 0, cap 3 x 1
    assert p.to_dial(agents=none, ringing=[], waiting=0, **KW) == 0


def test_agents_that_may_or_may_not_free_up_add_variance() -> None:
    p = learned()
    p.cycles = Samples()
    for v in (95.0, 100.0, 105.0, 110.0) * 3:
        p.cycles.add(v)
    # Busy 99 s, horizon 7 s: each agent free with 1 - P(C > 106 | C > 99) = 1 - (1/4)/(3/4).
    assert p.frees(99.0, 7.0) == pytest.approx(2 / 3)
    assert p.to_dial(agents=busy(12), ringing=[], waiting=0, **KW) == 10


def test_one_agent_caps_the_lines_at_max_ratio() -> None:
    # One person in ten dials and a lax maximum: the pacing would dial more than three
    # calls for the one ready agent, and max_ratio (3 lines per agent) stops it.
    p = learned(person=20, no_answer=180)
    assert p.still_person(0.0) == pytest.approx(0.1)
    assert p.to_dial(agents=ready(1), ringing=[], waiting=0, max_rate=1.0, max_ratio=3.0) == 3
    assert p.to_dial(agents=ready(1), ringing=[], waiting=0, max_rate=1.0, max_ratio=6.0) == 6


def test_a_tiny_variance_is_a_normal_not_a_certainty() -> None:
    assert pc.expected_overflow(0.0, 1e-12) == 0.0
    assert pc.expected_overflow(0.0, 1e-10) == pytest.approx(1e-5 / math.sqrt(2 * math.pi))


def test_agents_busy_past_every_learned_cycle_are_not_counted_as_freeing() -> None:
    # Early in a 100-agent day the first cycles to end are the short ones (here 10 of
    # 100 s) while 90 agents are still on calls of 300 s. Counting those 90 as due any
    # moment dialled for agents who were talking (7.9 % abandoned in a real run).
    p = learned()
    agents = busy(90, seconds=300.0) + ready(10)
    assert p.to_dial(agents=agents, ringing=[], waiting=0, **KW) == 10 + 5
    # The same 90 agents 94 s into cycles the model knows do count (as in the horizon test).
    known = busy(90, seconds=94.0) + ready(10)
    assert p.to_dial(agents=known, ringing=[], waiting=0, **KW) > 100


def test_kaplan_meier_with_cycles_still_going() -> None:
    # Ended 3, 5, 5, 8, 10; still going at 4, 6, 9, 12 (by hand: 8/9, x 5/7, x 3/4, x 1/2).
    s = Survival.estimate([10.0, 5.0, 3.0, 8.0, 5.0], [12.0, 4.0, 9.0, 6.0])
    assert s.times == (3.0, 5.0, 8.0, 10.0)
    assert s.shares == pytest.approx(
        (8 / 9, 8 / 9 * 5 / 7, 8 / 9 * 5 / 7 * 3 / 4, 8 / 9 * 5 / 7 * 3 / 8)
    )
    assert s.at(2.9) == 1.0 and s.at(3.0) == pytest.approx(8 / 9)
    assert s.at(4.99) == pytest.approx(8 / 9) and s.at(100.0) == pytest.approx(s.shares[-1])
    # A cycle still going at the time of an event is at risk then (tie: censored after).
    tie = Survival.estimate([5.0], [5.0])
    assert tie.shares == (0.5,)
    assert Survival.estimate([], [7.0]).at(100.0) == 1.0  # nothing ended: nothing known
    assert Survival.estimate([4.0, 4.0], []).shares == (0.0,)


def test_agents_still_busy_hold_back_the_estimate_of_when_others_free_up() -> None:
    # Ten cycles of 100 s ended, ten agents 94 s into a call: alone, each is free within
    # the 7 s horizon (the cycles say so). With 90 more agents 300 s into theirs, 100
    # cycles were at risk at 100 s and 10 ended: each of the ten frees with 0.1 only.
    p = learned()
    alone = busy(10, seconds=94.0) + ready(10)
    assert p.to_dial(agents=alone, ringing=[], waiting=0, **KW) == 35
    long_calls = [AgentView(agent_id=f"l{i}", ready=False, busy_seconds=300.0) for i in range(90)]
    assert p.to_dial(agents=alone + long_calls, ringing=[], waiting=0, **KW) == 17
    survival = Survival.estimate(p.cycles.values(), [94.0] * 10 + [300.0] * 90)
    assert p.frees(94.0, 7.0, survival) == pytest.approx(0.1)
    assert p.frees(94.0, 7.0) == 1.0  # the cycles alone
