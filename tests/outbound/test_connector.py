"""``abandon.Connector`` on its own: answered calls against a recorded port and a clock."""

from __future__ import annotations

from typing import Any

import attrs

from ctid.outbound.abandon import ABANDON_SECONDS, AMD_SECONDS, OUTCOME_FACT, Connector
from ctid.outbound.campaign_config import CampaignSpec
from ctid.outbound.pacer import Pacer


@attrs.define
class Port:
    free: int = 0
    log: list[tuple[Any, ...]] = attrs.field(factory=list)
    #: Calls the ACD has offered to an agent.
    offers: set[str] = attrs.field(factory=set)

    def to_queue(self, call_id: str, number: str, priority: int) -> None:
        self.log.append(("queue", call_id, number, priority))

    def play(self, call_id: str, media: list[str]) -> str:
        self.log.append(("play", call_id, tuple(media)))
        return f"pb-{call_id}"

    def hang_up(self, call_id: str) -> None:
        self.log.append(("hangup", call_id))

    def set_fact(self, call_id: str, key: str, value: Any) -> None:
        self.log.append(("fact", call_id, key, value))

    def free_agents(self, queue: str) -> int:
        return self.free if queue == "sales" else 0

    def offered(self, call_id: str) -> bool:
        return call_id in self.offers

    def queue_number(self, queue: str) -> str | None:
        return "8001" if queue == "sales" else None


class Clock:
    t = 100.0

    def __call__(self) -> float:
        return self.t


def setup() -> tuple[Connector, Port, Clock, Pacer]:
    port, clock, pacer = Port(), Clock(), Pacer()
    connector = Connector(port, {"c": pacer}, clock)
    return connector, port, clock, pacer


SPEC = CampaignSpec(name="c", queue="sales", priority=5)


def test_a_person_with_a_ready_agent_is_handed_at_once_ahead_of_inbound() -> None:
    c, port, _clock, pacer = setup()
    port.free = 1
    c.on_answer("k1", SPEC, dialled_at=90.0)
    assert port.log == [("fact", "k1", OUTCOME_FACT, "answered"), ("queue", "k1", "8001", 1005)]
    assert c.promised == {"k1": "sales"} and c.waiting == {}
    assert (pacer.total.persons, pacer.total.connected, len(pacer.ring)) == (1, 1, 1)
    assert pacer.ring.mean() == 10.0
    # The agent is promised: a second person finds no capacity until it is offered.
    c.on_answer("k2", SPEC, dialled_at=95.0)
    assert c.capacity("sales") == 0 and "k2" in c.waiting
    c.on_offered("k1")
    port.free = 1
    c.check()
    assert port.log[-1] == ("queue", "k2", "8001", 1005)


def test_an_agent_reserved_for_a_handed_call_is_not_counted_twice() -> None:
    # The lab's FreeSWITCH: two calls answered together, both "unknown" 4 s later. The
    # first is handed and the ACD reserves agent A for it (A is no longer ready) before
    # A's phone rings; B is ready. The second person is handed to B at once.
    c, port, clock, _pacer = setup()
    port.free = 2
    c.on_answer("k1", SPEC, dialled_at=90.0)
    port.free, port.offers = 1, {"k1"}  # the ACD offered k1: A reserved, not ringing yet
    clock.t = 100.04
    c.on_answer("k2", SPEC, dialled_at=90.0)
    assert port.log[-1] == ("queue", "k2", "8001", 1005)
    assert c.waiting == {} and c.promised == {"k1": "sales", "k2": "sales"}
    # Before the offer, a promised call still holds its agent.
    port.free = 1
    c.on_answer("k3", SPEC, dialled_at=90.0)
    assert c.capacity("sales") == 0 and "k3" in c.waiting


def test_no_agent_in_2_seconds_abandons_with_the_message_then_hangs_up() -> None:
    c, port, clock, pacer = setup()
    spec = attrs.evolve(SPEC, abandon_message="sound:sorry")
    c.on_answer("k1", spec, dialled_at=90.0)
    assert c.next_deadline() == 100.0 + ABANDON_SECONDS
    assert c.needing("c") == 1 and c.needing("other") == 0
    clock.t = 101.99
    c.check()
    assert port.log == []
    clock.t = 102.0
    c.check()
    assert port.log == [
        ("fact", "k1", OUTCOME_FACT, "abandoned"),
        ("play", "k1", ("sound:sorry",)),
    ]
    assert (pacer.total.persons, pacer.total.abandoned, pacer.total.connected) == (1, 1, 0)
    assert c.needing("c") == 0
    c.on_playback_done("pb-other")
    assert port.log[-1][0] == "play"
    c.on_playback_done("pb-k1")
    assert port.log[-1] == ("hangup", "k1")
    ended = c.on_ended("k1")
    assert ended is not None and ended.outcome == "abandoned" and c.answered == {}


def test_without_a_message_the_abandoned_call_is_hung_up_at_once() -> None:
    c, port, clock, _ = setup()
    c.on_answer("k1", SPEC, dialled_at=99.0)
    clock.t = 102.5
    c.check()
    assert port.log == [("fact", "k1", OUTCOME_FACT, "abandoned"), ("hangup", "k1")]


def test_amd_machine_human_and_a_switch_that_says_nothing() -> None:
    c, port, clock, pacer = setup()
    spec = attrs.evolve(SPEC, amd=True)
    port.free = 1
    c.on_answer("m", spec, dialled_at=95.0)
    c.on_answer("h", spec, dialled_at=95.0)
    c.on_answer("u", spec, dialled_at=95.0)
    assert port.log == [] and c.needing("c") == 3
    assert c.next_deadline() == 100.0 + AMD_SECONDS
    c.on_classified("m", "machine")
    assert port.log == [("fact", "m", OUTCOME_FACT, "machine"), ("hangup", "m")]
    assert c.needing("c") == 2
    clock.t = 101.5
    c.on_classified("h", "human")
    assert port.log[-1] == ("queue", "h", "8001", 1005)
    assert pacer.ring.mean() == 6.5  # dial to the person: 101.5 - 95
    c.on_classified("h", "machine")  # too late: decided already
    assert port.log[-1] == ("queue", "h", "8001", 1005)
    # No verdict for "u": at 5 s it is taken as a person (unknown), who waits from then.
    clock.t = 104.99
    c.check()
    assert "u" in c.detecting
    clock.t = 105.0
    c.check()
    assert "u" not in c.detecting and c.waiting == {"u": 107.0}  # the agent is promised
    assert c.next_deadline() == 107.0
    clock.t = 107.0
    c.check()
    assert port.log[-1] == ("hangup", "u")
    assert (pacer.total.persons, pacer.total.abandoned) == (2, 1)


def test_unknown_verdict_counts_as_a_person_and_ending_clears_everything() -> None:
    c, port, _clock, pacer = setup()
    spec = attrs.evolve(SPEC, amd=True)
    c.on_answer("u", spec, dialled_at=99.0)
    c.on_classified("u", "unknown")
    assert c.waiting == {"u": 102.0} and pacer.total.persons == 1
    c.on_ended("u")
    assert c.waiting == {} and c.detecting == {} and c.answered == {} and c.promised == {}
    assert c.on_ended("u") is None
    c.on_classified("u", "human")  # a verdict for a call that is gone: nothing
    assert port.log == []
