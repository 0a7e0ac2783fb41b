"""The election state machine on its own: answers and times in, role changes out."""

from __future__ import annotations

import pytest

from ctid.cluster.election import (
    ActiveSeen,
    BecameActive,
    Election,
    LeaseView,
    Role,
    SteppedDown,
)

URL_A = "ws://10.0.0.1:8765/v1"
URL_B = "ws://10.0.0.2:8765/v1"


def mine(term: int = 1) -> LeaseView:
    return LeaseView(holder="a", advertise_url=URL_A, term=term)


def theirs(term: int = 1) -> LeaseView:
    return LeaseView(holder="b", advertise_url=URL_B, term=term)


def test_a_granted_lease_makes_the_node_active_and_sets_its_renewal_times() -> None:
    e = Election(node="a", lease=15.0, now=100.0)
    assert e.role is Role.STANDBY
    assert e.next_attempt == 100.0
    assert e.deadline is None
    assert e.attempt_timeout(100.0) == 1.0
    assert e.on_result(sent_at=100.0, view=mine(), now=100.5) == [BecameActive(term=1)]
    assert e.role is Role.ACTIVE
    assert e.term == 1
    assert e.active_url == URL_A
    # Renew every second (lease/3 at most) from the moment the request was sent;
    # give up at lease/2.
    assert e.next_attempt == 101.0
    assert e.deadline == 107.5
    assert e.attempt_timeout(105.0) == 2.5


def test_renewals_move_the_deadline_and_report_nothing() -> None:
    e = Election(node="a", lease=15.0, now=0.0)
    e.on_result(sent_at=0.0, view=mine(), now=0.0)
    assert e.on_result(sent_at=5.0, view=mine(), now=5.2) == []
    assert (e.next_attempt, e.deadline) == (6.0, 12.5)


def test_an_active_node_without_renewal_steps_down_at_half_the_lease() -> None:
    e = Election(node="a", lease=15.0, now=0.0)
    e.on_result(sent_at=0.0, view=mine(), now=0.0)
    # The renewal at 5 fails: retry after a tenth of the lease.
    assert e.on_result(sent_at=5.0, view=None, now=5.0) == []
    assert e.next_attempt == 6.5
    assert e.on_time(7.4999) == []
    assert e.role is Role.ACTIVE
    changes = e.on_time(7.5)
    assert changes == [
        SteppedDown(reason="lease not renewed for 7.5 seconds (database unreachable?)")
    ]
    assert e.role is Role.STOPPED
    assert e.deadline is None
    assert e.active_url == ""
    # Stopped for good: a late grant changes nothing.
    assert e.on_result(sent_at=7.0, view=mine(), now=8.0) == []
    assert e.on_time(100.0) == []
    assert e.role is Role.STOPPED


def test_a_grant_that_arrives_after_the_deadline_does_not_save_the_node() -> None:
    e = Election(node="a", lease=15.0, now=0.0)
    e.on_result(sent_at=0.0, view=mine(), now=0.0)
    changes = e.on_result(sent_at=5.0, view=mine(), now=7.6)
    assert changes == [
        SteppedDown(reason="lease not renewed for 7.5 seconds (database unreachable?)")
    ]
    assert e.role is Role.STOPPED


def test_a_standby_does_not_take_a_grant_that_took_half_the_lease_to_arrive() -> None:
    e = Election(node="a", lease=15.0, now=0.0)
    assert e.on_result(sent_at=0.0, view=mine(), now=7.5) == []
    assert e.role is Role.STANDBY
    assert e.next_attempt == 9.0  # retried soon: it is still ours if nobody took it
    assert e.on_result(sent_at=9.0, view=mine(), now=9.1) == [BecameActive(term=1)]
    assert e.deadline == 16.5


def test_a_standby_learns_where_the_active_node_is_and_keeps_trying() -> None:
    e = Election(node="a", lease=15.0, now=0.0)
    assert e.on_result(sent_at=0.0, view=theirs(), now=0.1) == [ActiveSeen(url=URL_B)]
    assert e.role is Role.STANDBY
    assert e.active_url == URL_B
    assert e.next_attempt == 1.0
    assert e.on_result(sent_at=5.0, view=theirs(), now=5.1) == []  # no news
    assert e.on_time(1000.0) == []  # a standby has no deadline
    # b died; the database gives a the lease once b's has run out.
    assert e.on_result(sent_at=10.0, view=mine(term=2), now=10.1) == [BecameActive(term=2)]
    assert e.active_url == URL_A


def test_a_failed_attempt_of_a_standby_is_retried_after_a_tenth_of_the_lease() -> None:
    e = Election(node="a", lease=15.0, now=0.0)
    assert e.on_result(sent_at=0.0, view=None, now=5.0) == []
    assert e.next_attempt == 6.5
    assert e.role is Role.STANDBY


def test_an_active_node_that_finds_another_holder_steps_down_at_once() -> None:
    e = Election(node="a", lease=15.0, now=0.0)
    e.on_result(sent_at=0.0, view=mine(), now=0.0)
    assert e.on_result(sent_at=5.0, view=theirs(term=2), now=5.0) == [
        SteppedDown(reason="node 'b' holds the lease")
    ]
    assert e.role is Role.STOPPED


def test_the_active_node_stops_before_anyone_else_may_take_over() -> None:
    """Whatever the timing of answers, the node is stopped by the time its last
    granted lease (counted from when it was sent) expires for the others."""
    lease = 9.0
    e = Election(node="a", lease=lease, now=0.0)
    last_grant_sent = 0.0
    e.on_result(sent_at=0.0, view=mine(), now=0.3)
    now = 0.0
    for sent, ok, delay in [(3.0, True, 0.1), (6.0, True, 4.4), (7.5, False, 1.0)]:
        now = sent + delay
        e.on_result(sent_at=sent, view=mine() if ok else None, now=now)
        if ok and delay < lease / 2:
            last_grant_sent = sent
    e.on_time(last_grant_sent + lease / 2)
    assert e.role is Role.STOPPED


def test_an_early_grant_waits_out_the_fence_before_the_node_becomes_active() -> None:
    """The holder's session ended (its lock is free) before its lease ran out: the
    standby holds the lease at once but starts only 1.5 renewal periods later, when a
    holder whose session the server ended has learnt it at its next renewal."""
    e = Election(node="a", lease=15.0, now=0.0)
    assert e.on_result(sent_at=0.0, view=theirs(), now=0.1) == [ActiveSeen(url=URL_B)]
    early = LeaseView(holder="a", advertise_url=URL_A, term=2, early=True)
    assert e.fence == 1.5
    assert e.on_result(sent_at=1.0, view=early, now=1.1) == []
    assert e.role is Role.STANDBY
    assert e.next_attempt == 2.0
    assert e.on_result(sent_at=2.0, view=mine(term=2), now=2.1) == []  # 1 s < fence
    assert e.on_result(sent_at=3.0, view=mine(term=2), now=3.1) == [BecameActive(term=2)]
    assert (e.role, e.deadline) == (Role.ACTIVE, 10.5)


def test_the_fence_counts_from_the_early_grant_s_answer_not_its_request() -> None:
    """A loaded server ran the request late: the old holder's session may have
    ended just before it ran, long after it was sent. The fence counts from the
    answer, so the old holder has had its renewal period to learn it first."""
    e = Election(node="a", lease=15.0, now=0.0)
    early = LeaseView(holder="a", advertise_url=URL_A, term=2, early=True)
    assert e.on_result(sent_at=1.0, view=early, now=1.9) == []
    assert e.next_attempt == 2.0
    # 2.0 - 1.0 would be past the fence; 2.0 - 1.9 is not, nor is 3.0 - 1.9.
    assert e.on_result(sent_at=2.0, view=mine(term=2), now=2.05) == []
    assert e.on_result(sent_at=3.0, view=mine(term=2), now=3.05) == []
    assert e.role is Role.STANDBY
    assert e.on_result(sent_at=4.0, view=mine(term=2), now=4.05) == [BecameActive(term=2)]


def test_a_failed_attempt_does_not_cut_the_fence_short() -> None:
    """After an early grant the row is the standby's, so later grants are not early:
    the fence still counts from the first one."""
    e = Election(node="a", lease=3.0, now=0.0)
    early = LeaseView(holder="a", advertise_url=URL_A, term=2, early=True)
    e.on_result(sent_at=0.0, view=early, now=0.1)
    assert e.on_result(sent_at=1.0, view=None, now=1.1) == []
    assert e.next_attempt == pytest.approx(1.4)  # a tenth of the lease
    assert e.on_result(sent_at=1.4, view=mine(term=2), now=1.45) == []
    assert e.role is Role.STANDBY
    assert e.on_result(sent_at=2.4, view=mine(term=2), now=2.5) == [BecameActive(term=2)]


def test_an_active_node_whose_lease_session_ended_stops_at_once() -> None:
    e = Election(node="a", lease=15.0, now=0.0)
    e.on_result(sent_at=0.0, view=mine(), now=0.0)
    assert e.on_lock_lost() == [
        SteppedDown(reason="its database session (and advisory lock) ended")
    ]
    assert e.role is Role.STOPPED
    standby = Election(node="b", lease=15.0, now=0.0)
    assert standby.on_lock_lost() == []
    assert standby.role is Role.STANDBY


def test_a_lease_must_be_positive() -> None:
    with pytest.raises(ValueError, match="more than 0"):
        Election(node="a", lease=0.0, now=0.0)
