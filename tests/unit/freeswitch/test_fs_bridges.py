"""The bridge planner: ctid's bridge commands to FreeSWITCH api commands."""

from __future__ import annotations

import pytest

from ctid.switch_drivers.base import (
    BridgeAdd,
    BridgeDestroy,
    BridgeDestroyed,
    BridgeJoined,
    BridgeLeft,
    BridgeRemove,
    CommandRejected,
    MediaTarget,
    RejectReason,
    StartMusic,
    StopMusic,
)
from ctid.switch_drivers.freeswitch.bridges import BridgeBook, BridgePlan

VARS = "park_after_bridge=true;hangup_after_bridge=false"


def run(book: BridgeBook, command: object) -> BridgePlan:
    plan = book.plan(command)  # type: ignore[arg-type]
    book.commit(plan)
    return plan


def test_one_member_needs_nothing_two_are_uuid_bridged() -> None:
    book = BridgeBook()
    first = run(book, BridgeAdd(bridge_id="b1", channel_id="A"))
    assert first.commands == ()
    assert first.events == (BridgeJoined(bridge_id="b1", channel_id="A"),)
    second = run(book, BridgeAdd(bridge_id="b1", channel_id="B"))
    assert second.commands == (
        f"uuid_setvar_multi A {VARS}",
        f"uuid_setvar_multi B {VARS}",
        "uuid_bridge A B",
    )
    assert book.bridge_of("B") == "b1"


def test_channels_ctid_originated_need_no_setvar() -> None:
    book = BridgeBook()
    book.mark_prepared("A")
    book.mark_prepared("B")
    run(book, BridgeAdd(bridge_id="b1", channel_id="A"))
    assert run(book, BridgeAdd(bridge_id="b1", channel_id="B")).commands == ("uuid_bridge A B",)


def test_a_third_member_makes_a_conference_that_stays() -> None:
    book = BridgeBook(conference_profile="ctid")
    for ch in "AB":
        book.mark_prepared(ch)
        run(book, BridgeAdd(bridge_id="b1", channel_id=ch))
    plan = run(book, BridgeAdd(bridge_id="b1", channel_id="C"))
    assert plan.commands == (
        "uuid_transfer A conference:ctid-b1@ctid inline",
        "uuid_transfer B conference:ctid-b1@ctid inline",
        f"uuid_setvar_multi C {VARS}",
        "uuid_transfer C conference:ctid-b1@ctid inline",
    )
    removed = run(book, BridgeRemove(bridge_id="b1", channel_id="C"))
    assert removed.commands == ("uuid_park C",)
    assert removed.events == (BridgeLeft(bridge_id="b1", channel_id="C"),)
    back = run(book, BridgeAdd(bridge_id="b1", channel_id="C"))
    assert back.commands == ("uuid_transfer C conference:ctid-b1@ctid inline",)


def test_moving_a_channel_leaves_its_old_bridge_first() -> None:
    book = BridgeBook()
    for ch in "ABC":
        book.mark_prepared(ch)
    run(book, BridgeAdd(bridge_id="x", channel_id="A"))
    run(book, BridgeAdd(bridge_id="x", channel_id="B"))
    run(book, BridgeAdd(bridge_id="y", channel_id="C"))
    plan = run(book, BridgeAdd(bridge_id="y", channel_id="B"))
    # uuid_bridge takes B away from A; A is parked by park_after_bridge.
    assert plan.commands == ("uuid_bridge C B",)
    assert plan.events == (
        BridgeLeft(bridge_id="x", channel_id="B"),
        BridgeJoined(bridge_id="y", channel_id="B"),
    )
    assert book.get("x").members == ("A",)  # type: ignore[union-attr]
    alone = run(book, BridgeAdd(bridge_id="z", channel_id="C"))
    assert alone.commands == ("uuid_park C",)


def test_destroy_parks_everyone_and_reports_the_end() -> None:
    book = BridgeBook()
    for ch in "AB":
        book.mark_prepared(ch)
        run(book, BridgeAdd(bridge_id="b1", channel_id=ch))
    plan = run(book, BridgeDestroy(bridge_id="b1"))
    assert plan.commands == ("uuid_park A", "uuid_park B")
    assert plan.events == (
        BridgeLeft(bridge_id="b1", channel_id="A"),
        BridgeLeft(bridge_id="b1", channel_id="B"),
        BridgeDestroyed(bridge_id="b1"),
    )
    assert book.get("b1") is None


def test_music_into_bridges() -> None:
    book = BridgeBook()
    book.mark_prepared("A")
    book.mark_prepared("B")
    run(book, BridgeAdd(bridge_id="hold", channel_id="A"))
    plan = run(book, StartMusic(target=MediaTarget.bridge("hold"), music_class="moh"))
    assert plan.commands == ("uuid_broadcast A local_stream://moh aleg",)
    # A second member turns a bridge with music into a conference that plays it.
    plan = run(book, BridgeAdd(bridge_id="hold", channel_id="B"))
    assert plan.commands == (
        "uuid_break A all",
        "uuid_transfer A conference:ctid-hold@default inline",
        "uuid_transfer B conference:ctid-hold@default inline",
    )
    assert plan.after_conference == (("ctid-hold", "conference ctid-hold play local_stream://moh"),)
    assert run(book, StopMusic(target=MediaTarget.bridge("hold"))).commands == (
        "conference ctid-hold stop all",
    )
    assert run(book, StartMusic(target=MediaTarget.channel("Z"))).commands == (
        "uuid_broadcast Z local_stream://default aleg",
    )


def test_a_plan_changes_nothing_until_committed() -> None:
    book = BridgeBook()
    book.plan(BridgeAdd(bridge_id="b1", channel_id="A"))
    assert book.get("b1") is None
    assert book.bridge_of("A") is None


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (BridgeRemove(bridge_id="nope", channel_id="A"), RejectReason.NO_SUCH_BRIDGE),
        (BridgeRemove(bridge_id="b1", channel_id="Z"), RejectReason.NO_SUCH_CHANNEL),
        (BridgeDestroy(bridge_id="nope"), RejectReason.NO_SUCH_BRIDGE),
        (BridgeAdd(bridge_id="bad id", channel_id="A"), RejectReason.NO_SUCH_BRIDGE),
        (StopMusic(target=MediaTarget.bridge("b1")), RejectReason.INVALID_STATE),
    ],
)
def test_refusals(command: object, reason: RejectReason) -> None:
    book = BridgeBook()
    run(book, BridgeAdd(bridge_id="b1", channel_id="A"))
    with pytest.raises(CommandRejected) as info:
        book.plan(command)  # type: ignore[arg-type]
    assert info.value.reason is reason


def test_a_hangup_takes_the_channel_out() -> None:
    book = BridgeBook()
    run(book, BridgeAdd(bridge_id="b1", channel_id="A"))
    assert book.channel_gone("A") == [BridgeLeft(bridge_id="b1", channel_id="A")]
    assert book.channel_gone("A") == []
    assert book.get("b1").members == ()  # type: ignore[union-attr]


def test_a_channel_gone_while_a_plan_runs_stays_forgotten() -> None:
    """The driver plans, sends the plan's commands (awaiting), then commits; a hang-up
    folded in meanwhile must not be undone by the commit (the book kept the channel
    as prepared for ever: seen after a restart in the conformance suite)."""
    book = BridgeBook()
    run(book, BridgeAdd(bridge_id="b1", channel_id="A"))
    plan = book.plan(BridgeAdd(bridge_id="b1", channel_id="B"))
    assert plan.prepared == {"A", "B"}
    book.channel_gone("B")
    book.commit(plan)
    assert book.held_objects() == {"bridges": 1, "prepared channels": 1}
    assert book.get("b1").members == ("A",)  # type: ignore[union-attr]
    assert book.plan(BridgeAdd(bridge_id="b2", channel_id="C")).prepared == {"A"}
