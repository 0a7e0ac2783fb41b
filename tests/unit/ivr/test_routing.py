"""Inbound routing rules, pure: patterns, windows, holidays, blacklist, overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from ctid.ivr.routing import (
    Destination,
    Override,
    RoutingTable,
    Rule,
    compile_pattern,
    destination_from,
    parse_date_ranges,
    parse_days,
    parse_hours,
)

FRI_10 = dt.datetime(2027, 1, 15, 10, 0)  # a Friday


def rule(name: str, **kw: object) -> Rule:
    return Rule(name=name, destination=Destination(kind="device", target=name), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "number", "match"),
    [
        ("4008001234", "4008001234", True),
        ("400800*", "4008001234", True),
        ("400800*", "4018001234", False),
        ("+86??????????", "+8613800138000", False),
        ("+86???????????", "+8613800138000", True),
        ("re:1[3-9]\\d{9}", "13800138000", True),
        ("re:1[3-9]\\d{9}", "12800138000", False),
    ],
)
def test_patterns(pattern: str, number: str, match: bool) -> None:
    assert (compile_pattern(pattern).fullmatch(number) is not None) is match


def test_first_matching_rule_wins_and_disabled_rules_are_skipped() -> None:
    table = RoutingTable(
        rules=(
            rule("off", enabled=False),
            rule("vip", ani=(compile_pattern("+86138*"),)),
            rule("all"),
        )
    )
    assert table.decide(dnis="400", ani="+8613800000000", now=FRI_10).reason == "rule vip"  # type: ignore[union-attr]
    assert table.decide(dnis="400", ani="+8613900000000", now=FRI_10).reason == "rule all"  # type: ignore[union-attr]
    assert RoutingTable().decide(dnis="400", ani="1", now=FRI_10) is None


def test_blacklist_before_overrides_and_rules() -> None:
    table = RoutingTable(
        rules=(rule("all"),),
        overrides=(Override(name="closed", destination=Destination(kind="message", target="x")),),
        blacklist=(compile_pattern("+1555*"),),
    )
    decision = table.decide(dnis="400", ani="+15551234", now=FRI_10, active=["closed"])
    assert decision is not None
    assert decision.destination is None
    assert table.decide(dnis="400", ani="+8613", now=FRI_10, active=["closed"]).reason == (  # type: ignore[union-attr]
        "override closed"
    )


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (dt.datetime(2027, 1, 15, 8, 59), False),
        (dt.datetime(2027, 1, 15, 9, 0), True),
        (dt.datetime(2027, 1, 15, 17, 59), True),
        (dt.datetime(2027, 1, 15, 18, 0), False),
        (dt.datetime(2027, 1, 16, 10, 0), False),  # Saturday
    ],
)
def test_hours_and_days_and_outside_hours(when: dt.datetime, inside: bool) -> None:
    window = {
        "days": parse_days(["mon", "Tuesday", "wed", "thu", "fri"]),
        "hours": (parse_hours("09:00-18:00"),),
    }
    assert rule("open", **window).matches("400", "1", when, False) is inside
    assert rule("closed", outside_hours=True, **window).matches("400", "1", when, False) is (
        not inside
    )


def test_holidays() -> None:
    days = parse_date_ranges(["2027-01-01", "# new year", "2027-02-06..2027-02-08"])
    assert days == {
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 6),
        dt.date(2027, 2, 7),
        dt.date(2027, 2, 8),
    }
    table = RoutingTable(rules=(rule("holiday", holidays="only"), rule("normal")), holidays=days)
    assert table.decide(dnis="4", ani="1", now=dt.datetime(2027, 2, 7, 10)).reason == (  # type: ignore[union-attr]
        "rule holiday"
    )
    assert table.decide(dnis="4", ani="1", now=FRI_10).reason == "rule normal"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("bad", "fn"),
    [
        ("9-17", parse_hours),
        ("09:00-09:00", parse_hours),
        (["funday"], parse_days),
        (["2027-13-01"], parse_date_ranges),
        (["2027-02-08..2027-02-01"], parse_date_ranges),
    ],
)
def test_bad_values(bad: object, fn: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        fn(bad)  # type: ignore[operator]


def test_destinations() -> None:
    assert destination_from({"queue": "sales"}) == Destination(kind="queue", target="sales")
    for bad in ({}, {"queue": "a", "flow": "b"}, {"voicemail": "sales"}, {"pizza": "x"}):
        with pytest.raises(ValueError):  # noqa: PT011
            destination_from(bad)


def test_router_with_an_empty_table_sends_calls_as_dialled_without_reading_the_time() -> None:
    """``InboundRouter`` answers "as dialled" for an empty table without the local time
    (a time-zone conversion per call, issue 14); a table with anything in it is asked."""
    from ctid.calls.model import Call
    from ctid.ivr.inbound import InboundRouter
    from ctid.ivr.service import REJECT_POINT

    class Places:
        def queue_number(self, name: str) -> str | None:
            return None

        def agent_device(self, agent_id: str) -> str | None:
            return None

    reads: list[dt.datetime] = []

    def local_now() -> dt.datetime:
        reads.append(FRI_10)
        return FRI_10

    router = InboundRouter(
        table=RoutingTable(),
        queues=Places(),  # type: ignore[arg-type]
        agents=Places(),  # type: ignore[arg-type]
        local_now=local_now,
        state_file=None,
    )
    call = Call(
        call_id="c1",
        bridge_id="c1-b",
        calling_device="+8613800000000",
        called_device="400",
        direction="inbound",
        created_at=0.0,
    )
    assert router(call) is None
    assert reads == []
    assert call.facts == {}
    for table in (
        RoutingTable(rules=(rule("sales", dnis=(compile_pattern("400"),)),)),
        RoutingTable(overrides=(Override(name="x", destination=rule("1").destination),)),
        RoutingTable(blacklist=(compile_pattern("+86138*"),)),
    ):
        router.table = table
        reads.clear()
        answer = router(call)
        expected = {"rules": "sales", "overrides": None, "blacklist": REJECT_POINT}
        kind = next(k for k in ("rules", "overrides", "blacklist") if getattr(table, k))
        assert answer == expected[kind]
        assert reads == [FRI_10]
