"""Kept simulated days: the exact result of ``ctid simulate`` for fixed scenarios and seeds.

The speed work on the call path (issue 14) must not change what a simulation
does: the same seed gives the same day, call by call. Each scenario here was
run before that work and its fingerprint kept in ``tests/fixtures/simulate/days.json``
(the summary without the wall time, the blocked calls, and a digest of every
call's queue, arrival, wait and outcome and of every minute's sample, floats
written exactly). ``test_simulate_identical.py`` runs them again and compares.

Regenerate (only when a change of behaviour is meant, and say so in the commit):

    .venv/bin/python -m tests.simulate.simulate_days --write
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import attrs

from ctid.simulate.people import Traffic
from ctid.simulate.run import Scenario, SimulationResult, run_simulation, single_queue

FIXTURE: Final = Path(__file__).parent.parent / "fixtures" / "simulate" / "days.json"


def _answering_after(scenario: Scenario, low: float, high: float) -> Scenario:
    """Every agent answers after ``low`` to ``high`` s (what ``--answer-delay`` does)."""
    acd = dict(scenario.acd)
    acd["agents"] = [{**a, "auto_answer": False} for a in acd["agents"]]
    return attrs.evolve(scenario, acd=acd, answer_delay=(low, high))


def _two_queues() -> Scenario:
    acd: dict[str, Any] = {
        "queues": [
            {
                "name": "sales",
                "strategy": "skill-level",
                "announce_interval": 30.0,
                "max_wait": 240.0,
                "overflow": [{"when": "timeout", "action": "queue", "target": "support"}],
            },
            {"name": "support", "strategy": "fewest-calls", "wrap_up": 10.0, "ring_timeout": 8},
        ],
        "agents": [
            {
                "id": "2001-2006",
                "auto_answer": True,
                "skills": [{"queue": "sales", "level": 5}, {"queue": "support", "penalty": 1}],
            },
            {"id": "2007-2010", "skills": [{"queue": "support"}]},
        ],
    }
    return Scenario(
        acd=acd,
        traffic=(
            Traffic(queue="sales", calls_per_hour=90, aht=150, patience=400),
            Traffic(queue="support", calls_per_hour=60, aht=240, patience=300),
        ),
        hours=2,
        seed=5,
        # Support's agents ring 8 s before the call is taken back (RONA) and
        # answer after 3 to 12 s: some calls are answered, some go round again.
        answer_delay=(3.0, 12.0),
    )


#: name -> (scenario, too slow for every test run)
SCENARIOS: Final[dict[str, tuple[Callable[[], Scenario], bool]]] = {
    "issue14-day": (
        lambda: single_queue(
            agents=100, calls_per_hour=1250, aht=270, hours=8, strategy="longest-idle"
        ),
        True,
    ),
    "longest-idle-seed2": (
        lambda: single_queue(
            agents=30, calls_per_hour=380, aht=270, hours=2, strategy="longest-idle", seed=2
        ),
        False,
    ),
    "round-robin-abandon-wrapup": (
        lambda: single_queue(
            agents=12,
            calls_per_hour=170,
            aht=240,
            hours=2,
            strategy="round-robin",
            patience=90,
            wrap_up=10,
            seed=3,
        ),
        False,
    ),
    "fewest-calls-answer-delay": (
        lambda: _answering_after(
            single_queue(
                agents=15, calls_per_hour=180, aht=240, hours=2, strategy="fewest-calls", seed=4
            ),
            2.0,
            6.0,
        ),
        False,
    ),
    "ring-all-answer-delay-abandon": (
        lambda: _answering_after(
            single_queue(
                agents=6,
                calls_per_hour=80,
                aht=200,
                hours=2,
                strategy="ring-all",
                patience=60,
                seed=6,
            ),
            1.0,
            4.0,
        ),
        False,
    ),
    "random-least-talk": (
        lambda: single_queue(
            agents=10, calls_per_hour=120, aht=250, hours=2, strategy="random", seed=7
        ),
        False,
    ),
    "least-talk-time": (
        lambda: single_queue(
            agents=10,
            calls_per_hour=120,
            aht=250,
            hours=2,
            strategy="least-talk-time",
            patience=200,
            seed=8,
        ),
        False,
    ),
    "two-queues-skills-overflow-rona": (_two_queues, False),
}


def _exact(value: float) -> str:
    return float(value).hex()


def fingerprint(result: SimulationResult) -> dict[str, Any]:
    """What must not change: the summary, and a digest of every call and every sample."""
    summary = result.summary.to_json()
    del summary["wall_seconds"]
    calls = hashlib.sha256()
    for c in result.calls:
        arrived = _exact(c.arrived - result.start)
        calls.update(f"{c.queue}|{arrived}|{_exact(c.waited)}|{c.outcome}\n".encode())
    samples = hashlib.sha256()
    for s in result.samples:
        agents = ",".join(f"{k}={v}" for k, v in sorted(s.agents.items()))
        samples.update(f"{_exact(s.at - result.start)}|{s.waiting}|{agents}\n".encode())
    return {
        "summary": summary,
        "blocked": result.blocked,
        "calls": len(result.calls),
        "calls_sha256": calls.hexdigest(),
        "samples": len(result.samples),
        "samples_sha256": samples.hexdigest(),
    }


def run(name: str) -> dict[str, Any]:
    build, _ = SCENARIOS[name]
    return fingerprint(run_simulation(build()))


def kept() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the fixture anew")
    parser.add_argument("names", nargs="*", help="scenarios (default: all)")
    args = parser.parse_args()
    names = args.names or list(SCENARIOS)
    found = {name: run(name) for name in names}
    if args.write:
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        print(f"wrote {FIXTURE}")
        return
    expected = kept()
    bad = [n for n in names if found[n] != expected.get(n)]
    for name in names:
        print(f"{name}: {'DIFFERENT' if name in bad else 'same'}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
