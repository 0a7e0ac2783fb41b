"""The card's outside-line index answers exactly what a scan of the lines answers.

``SimSwitch`` finds the first idle outside line and the line an outside number is
on through ``Trunks`` (issue 14: a scan of hundreds of lines per call was a tenth
of a simulated call's cost). A seeded run of random calls in, calls out (on any
line or a named one), hang-ups by either side and timeouts checks, after every
step, both answers against the plain scans of the lines.
"""

from __future__ import annotations

import random

import pytest

from ctid.switch_drivers import base as sw
from ctid.switch_drivers.simulator.config import SimulatorConfig
from ctid.switch_drivers.simulator.core import LineState, SimError, SimSwitch
from ctid.switch_drivers.simulator.objects import Line

NUMBERS = [f"55500{n:02d}" for n in range(12)]


def scan_first_idle(sim: SimSwitch, name: str | None = None) -> Line | None:
    return next(
        (
            ln
            for ln in sim.trunk_lines
            if ln.state is LineState.IDLE and (name is None or ln.name == name)
        ),
        None,
    )


def scan_on_call(sim: SimSwitch, number: str) -> Line | None:
    return next(
        (ln for ln in sim.trunk_lines if ln.party == number and ln.channel_id is not None), None
    )


def check(sim: SimSwitch) -> None:
    assert sim.trunks.first_idle() is scan_first_idle(sim)
    for line in sim.trunk_lines:
        assert sim.trunks.first_idle(line.name) is scan_first_idle(sim, line.name)
    assert sim.trunks.first_idle("1001") is None  # an extension is no outside line
    for number in NUMBERS:
        assert sim.trunks.on_call(number) is scan_on_call(sim, number)


@pytest.mark.parametrize("seed", range(8))
def test_index_answers_what_the_scans_answer(seed: int) -> None:
    rng = random.Random(seed)
    sim = SimSwitch(
        SimulatorConfig(extensions=("1001", "1002"), trunks=6, default_sound_seconds=1.0)
    )
    now = 0.0
    made = 0
    refused: dict[str, int] = {}
    same_number_twice = 0
    for _ in range(600):
        now += rng.choice((0.0, 0.0, 0.5, 3.0))
        action = rng.random()
        number = rng.choice(NUMBERS)
        if action < 0.35:
            trunk = rng.choice([None, None, f"{sim.config.trunk_group}/{rng.randint(1, 6)}"])
            try:
                sim.incoming_call(number, "1001", now, trunk=trunk)
            except SimError as exc:
                reason = "full" if "all outside lines" in str(exc) else "on a call"
                reason = "line busy" if trunk is not None and "outside line" in str(exc) else reason
                refused[reason] = refused.get(reason, 0) + 1
        elif action < 0.6:
            made += 1
            # ctid may dial a number already on a call: two lines then carry it.
            same_number_twice += scan_on_call(sim, number) is not None
            trunk = rng.choice([None, None, f"{sim.config.trunk_group}/{rng.randint(1, 6)}"])
            sim.execute(
                sw.Originate(
                    kind=sw.EndpointKind.EXTERNAL,
                    device=number,
                    caller_number="1001",
                    channel_id=f"out-{made}",
                    trunk=trunk,
                ),
                now,
            )
        elif action < 0.8:
            line = scan_on_call(sim, number)
            if line is not None:
                sim.on_hook(number, now)
        elif action < 0.9 and sim.channels:
            channel = rng.choice(sorted(sim.channels))
            sim.execute(sw.Hangup(channel_id=channel), now)
        else:
            while sim.next_deadline() <= now:
                sim.advance(sim.next_deadline())
        sim.events.clear()
        check(sim)
    # The run went where the index could go wrong: every line busy, a named line
    # busy, a caller already on a call, one number on two lines.
    assert set(refused) == {"full", "line busy", "on a call"}
    assert same_number_twice > 0
