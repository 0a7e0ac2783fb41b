"""Answering machines on the simulated card and its answering-machine detection (AMD)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ctid.structure import StructureError
from ctid.switch_drivers import base as sw
from ctid.switch_drivers.amd import AmdResult, AnsweredBy, from_asterisk
from ctid.switch_drivers.simulator.config import Callees, OutsideBehaviour, SimulatorConfig
from ctid.switch_drivers.simulator.core import SimSwitch
from ctid.switch_drivers.simulator.driver import config_from_section


def card(**kw: Any) -> SimSwitch:
    return SimSwitch(SimulatorConfig(extensions=("1001",), trunks=4, **kw))


def timeline(sim: SimSwitch, until: float) -> list[tuple[float, sw.SwitchEvent]]:
    """Every event up to ``until`` with the time it came."""
    out = [(0.0, e) for e in sim.events]
    sim.events.clear()
    while sim.next_deadline() <= until:
        now = sim.next_deadline()
        sim.advance(now)
        out.extend((now, e) for e in sim.events)
        sim.events.clear()
    return out


def dial(number: str, **kw: Any) -> sw.Originate:
    return sw.Originate(
        channel_id="c", kind=sw.EndpointKind.EXTERNAL, device=number, caller_number="0170", **kw
    )


def test_machine_detected_after_the_greeting_limit_then_hangs_up_by_itself() -> None:
    sim = card()
    sim.execute(dial("5550263", detect_machines=True, timeout=30.0), 0.0)
    seen = [(t, e) for t, e in timeline(sim, 100.0) if not isinstance(e, sw.ChannelCreated)]
    # Alerting after the dial delay (0.5 s), answered 2 s later, the verdict 1.5 s into
    # the 6 s greeting, and the machine hangs up after its greeting and 20 s of message.
    assert seen == [
        (0.5, sw.ChannelAlerting(channel_id="c")),
        (2.5, sw.ChannelAnswered(channel_id="c")),
        (4.0, AmdResult(channel_id="c", result=AnsweredBy.MACHINE)),
        (28.5, sw.ChannelHungUp(channel_id="c", cause=sw.HangupCause.NORMAL)),
    ]
    assert sim.pending_timers() == 0


def test_person_detected_after_hello_and_silence() -> None:
    sim = card()
    sim.execute(dial("5550101", detect_machines=True), 0.0)
    seen = [(t, e) for t, e in timeline(sim, 100.0) if isinstance(e, AmdResult)]
    # "Hello?" lasts 0.8 s by default, then 0.8 s of silence ends it.
    assert seen == [(pytest.approx(4.1), AmdResult(channel_id="c", result=AnsweredBy.HUMAN))]
    assert sim.channels["c"].answered  # a person stays on the line


def test_no_verdict_without_detection_and_none_after_the_caller_hangs_up() -> None:
    sim = card()
    sim.execute(dial("5550263"), 0.0)
    assert not any(isinstance(e, AmdResult) for _, e in timeline(sim, 100.0))
    sim = card()
    sim.execute(dial("5550263", detect_machines=True), 0.0)
    timeline(sim, 3.0)  # answered at 2.5 s
    sim.execute(sw.Hangup(channel_id="c"), 3.0)
    assert [e for _, e in timeline(sim, 100.0) if isinstance(e, AmdResult)] == []
    assert sim.pending_timers() == 0


def test_a_short_machine_greeting_passes_for_a_person_as_on_a_real_switch() -> None:
    crowd = Callees(pattern=r"555.*", machine_share=1.0, greeting_seconds=(1.0, 1.0))
    sim = card(callees=(crowd,))
    sim.execute(dial("5550101", detect_machines=True), 0.0)
    verdicts = [(t, e) for t, e in timeline(sim, 60.0) if isinstance(e, AmdResult)]
    assert len(verdicts) == 1
    assert verdicts[0][1].result is AnsweredBy.HUMAN


def test_callees_draw_shares_and_ranges_per_call() -> None:
    crowd = Callees(
        pattern=r".*",
        answer_share=0.4,
        machine_share=0.25,
        answer_after=(3.0, 9.0),
        greeting_seconds=(4.0, 12.0),
        message_seconds=10.0,
    )
    rng = random.Random(7)
    rules = [crowd.draw(rng) for _ in range(4000)]
    answers = [r for r in rules if r.behaviour is OutsideBehaviour.ANSWER]
    machines = [r for r in answers if r.machine]
    assert 0.37 < len(answers) / len(rules) < 0.43
    assert 0.21 < len(machines) / len(answers) < 0.29
    assert all(r.behaviour is OutsideBehaviour.NO_ANSWER for r in rules if r not in answers)
    assert all(3.0 <= r.answer_after <= 9.0 for r in answers)
    assert all(4.0 <= r.greeting_seconds <= 12.0 for r in machines)
    assert all(r.hangup_after == r.greeting_seconds + 10.0 for r in machines)
    people = [r for r in answers if not r.machine]
    assert all(0.4 <= r.greeting_seconds <= 1.2 and r.hangup_after is None for r in people)
    # The same seed draws the same day.
    again = random.Random(7)
    assert [crowd.draw(again) for _ in range(4000)] == rules


def test_callees_on_the_card_use_its_seed_and_leave_fixed_rules_alone() -> None:
    crowd = Callees(pattern=r"9.*", answer_share=0.5)
    config = SimulatorConfig(callees=(crowd,), callee_seed=3)
    a, b = SimSwitch(config), SimSwitch(config)
    draws_a = [config.behaviour_for("900", a.callee_rng).behaviour for _ in range(50)]
    draws_b = [config.behaviour_for("900", b.callee_rng).behaviour for _ in range(50)]
    assert draws_a == draws_b
    assert {OutsideBehaviour.ANSWER, OutsideBehaviour.NO_ANSWER} == set(draws_a)
    assert config.behaviour_for("5550486", a.callee_rng).behaviour is OutsideBehaviour.BUSY


def test_callees_from_the_config_file() -> None:
    config, _ = config_from_section(
        {
            "callees": [
                {
                    "pattern": "555.*",
                    "answer_share": 0.3,
                    "machine_share": 0.2,
                    "answer_after": [2, 8],
                    "greeting_seconds": [5, 9],
                }
            ],
            "callee_seed": 11,
            "outside": [{"pattern": ".*", "machine": True, "greeting_seconds": 4.0}],
        }
    )
    assert config.callees == (
        Callees(
            pattern="555.*",
            answer_share=0.3,
            machine_share=0.2,
            answer_after=(2.0, 8.0),
            greeting_seconds=(5.0, 9.0),
        ),
    )
    assert config.callee_seed == 11
    assert config.outside[0].machine and config.outside[0].greeting_seconds == 4.0


@pytest.mark.parametrize(
    ("entry", "path", "problem"),
    [
        ({"pattern": ".*", "answer_share": 1.5}, "answer_share", "a fraction from 0 to 1"),
        ({"pattern": ".*", "machine_share": -0.1}, "machine_share", "a fraction from 0 to 1"),
        ({"pattern": ".*", "answer_after": [5, 2]}, "answer_after", "low <= high"),
        ({"pattern": ".*", "greeting_seconds": [1]}, "greeting_seconds", "low <= high"),
        ({"pattern": "("}, "pattern", "bad pattern"),
    ],
)
def test_bad_callees_are_refused_by_key(entry: dict[str, Any], path: str, problem: str) -> None:
    with pytest.raises(StructureError) as caught:
        config_from_section({"callees": [entry]})
    assert caught.value.path == f"switch.simulator.callees[0].{path}"
    assert problem in caught.value.problem


def test_asterisk_amdstatus() -> None:
    assert from_asterisk("HUMAN") is AnsweredBy.HUMAN
    assert from_asterisk("MACHINE") is AnsweredBy.MACHINE
    assert from_asterisk("NOTSURE") is AnsweredBy.UNKNOWN
    assert from_asterisk("HANGUP") is AnsweredBy.UNKNOWN
