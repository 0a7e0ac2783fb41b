"""``ctid.outbound.blend.Blender``: which campaign claims a blended agent before an inbound
call (the rule of docs/outbound.md, "Blending"), without the daemon."""

from __future__ import annotations

from ctid.outbound.blend import Blender
from ctid.outbound.campaign_config import CampaignSpec, Mode

SALES = frozenset({"sales"})
BOTH = frozenset({"sales", "support"})


def spec(name: str, priority: int, queue: str = "sales", mode: Mode = "preview") -> CampaignSpec:
    return CampaignSpec(name=name, queue=queue, mode=mode, priority=priority)


def test_priority_above_the_callers_and_above_zero() -> None:
    woken: list[int] = []
    blender = Blender(lambda: woken.append(1))
    blender.seen(spec("five", 5), True)
    # At equal priority, or below, the caller goes first: no claim, no wake.
    assert blender.claim("2001", SALES, 5) is None
    assert blender.claim("2001", SALES, 9) is None
    assert (blender.held, woken) == ({}, [])
    # Above: the campaign takes the agent, and its round is woken.
    assert blender.claim("2001", SALES, 4) == "five"
    assert (blender.held, woken) == ({"2001": "five"}, [1])
    assert blender.held_by("five") == ["2001"]
    # A caller of a negative priority against a campaign of priority 0: inbound first.
    blender.seen(spec("zero", 0), True)
    assert blender.work.keys() == {"five"}
    assert blender.claim("2002", frozenset({"other"}), -3) is None


def test_only_preview_campaigns_with_work_of_the_agents_queues() -> None:
    blender = Blender(lambda: None)
    blender.seen(spec("progressive", 9, mode="progressive"), True)
    blender.seen(spec("support", 9, queue="support"), True)
    blender.seen(spec("idle", 9), False)
    assert blender.claim("2001", SALES, 0) is None
    assert blender.claim("2001", BOTH, 0) == "support"
    # A round that finds nothing due any more withdraws the work.
    blender.seen(spec("support", 9, queue="support"), False)
    assert blender.claim("2002", BOTH, 0) is None


def test_the_highest_priority_then_the_name() -> None:
    blender = Blender(lambda: None)
    for name, priority in (("b", 3), ("c", 7), ("a", 7)):
        blender.seen(spec(name, priority), True)
    assert blender.claim("2001", SALES, 0) == "a"
    assert blender.claim("2002", SALES, 6) == "a"
    blender.let_go("2001")
    assert blender.held == {"2002": "a"}


def test_paused_or_stopped_campaigns_claim_nothing_until_they_run() -> None:
    blender = Blender(lambda: None)
    blender.seen(spec("five", 5), True)
    assert blender.claim("2001", SALES, 0) == "five"
    assert blender.forget("five") == ["2001"]
    assert (blender.held, blender.work) == ({}, {})
    # A round that was under way when it paused does not bring the work back.
    blender.seen(spec("five", 5), True)
    assert blender.claim("2001", SALES, 0) is None
    blender.back("five")
    blender.seen(spec("five", 5), True)
    assert blender.claim("2001", SALES, 0) == "five"


def test_a_callback_for_one_agent_claims_that_agent_only_in_every_mode() -> None:
    woken: list[int] = []
    blender = Blender(lambda: woken.append(1))
    blender.seen_callbacks(spec("calls", 5, mode="progressive"), frozenset({"2001"}))
    # Not another agent; not at equal or higher caller priority; not another queue.
    assert blender.claim("2002", SALES, 0) is None
    assert blender.claim("2001", SALES, 5) is None
    assert blender.claim("2001", frozenset({"other"}), 0) is None
    assert woken == []
    assert blender.claim("2001", SALES, 4) == "calls"
    assert (blender.held, woken) == ({"2001": "calls"}, [1])
    # Shown: no more callback due for her until the next look-up says so.
    blender.let_go("2001")
    blender.offered_callback("calls", "2001")
    assert blender.claim("2001", SALES, 0) is None
    # Priority 0: inbound first, the callback is not kept as blended work.
    blender.seen_callbacks(spec("zero", 0), frozenset({"2003"}))
    assert "zero" not in blender.callbacks
    assert blender.claim("2003", SALES, -1) is None
    # A paused campaign forgets its callbacks, and a round under way adds none back.
    blender.seen_callbacks(spec("calls", 5), frozenset({"2001"}))
    blender.forget("calls")
    blender.seen_callbacks(spec("calls", 5), frozenset({"2001"}))
    assert blender.claim("2001", SALES, 0) is None
    blender.back("calls")
    blender.seen_callbacks(spec("calls", 5), frozenset({"2001"}))
    assert blender.claim("2001", SALES, 0) == "calls"
    # A round that finds none due withdraws them.
    blender.seen_callbacks(spec("calls", 5), frozenset())
    assert blender.callbacks == {}
