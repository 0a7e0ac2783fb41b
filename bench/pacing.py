"""Predictive pacing on ``ctid simulate --campaign`` (issue 12's targets).

    python -m bench pacing grid [--agents 5,20,100] [--answer-rates 0.15,0.3,0.45,0.6]
        [--aht 60,300,600] [--seeds 1,2] [--hours 8]
    python -m bench pacing uplift [--agents 20] [--answer-rates 0.2,0.4] [--aht 120]
        [--seeds 1] [--hours 8]
    python -m bench pacing wall [--agents 100] [--hours 8]

``grid``: predictive days; each line is one run's JSON with its parameters and
``ok`` (abandon_rate <= max). ``uplift``: predictive against progressive on the
same list and seed (the ratio of contacts_per_agent_hour; target >= 1.25 with 20
or more agents and answer rates up to 0.4). ``wall``: the wall and CPU time of one
predictive day (target: 8 hours of 100 agents in under 60 s on 2 cores). Every
run: machine rate 0.2, ring 25 s, wrap-up 10 s, max abandon 0.03, AMD on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from ctid.simulate.campaign import CampaignScenario, run_campaign

MAX_ABANDON = 0.03


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x]


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def _run(dialer: str, agents: int, answer_rate: float, aht: float, hours: float, seed: int):
    scenario = CampaignScenario(
        dialer=dialer,
        agents=agents,
        answer_rate=answer_rate,
        machine_rate=0.2,
        ring_seconds=25,
        aht=aht,
        wrap_up=10,
        hours=hours,
        max_abandon=MAX_ABANDON,
        seed=seed,
    )
    cpu = time.process_time()
    result = run_campaign(scenario)
    return result, time.process_time() - cpu


def _line(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def _uplift(agents: int, rate: float, aht: float, hours: float, seed: int) -> None:
    runs = {d: _run(d, agents, rate, aht, hours, seed) for d in ("progressive", "predictive")}
    base = runs["progressive"][0].contacts_per_agent_hour
    _line(
        agents=agents,
        answer_rate=rate,
        aht=aht,
        seed=seed,
        hours=hours,
        progressive=dict(
            runs["progressive"][0].to_json(), cpu_seconds=round(runs["progressive"][1], 1)
        ),
        predictive=dict(
            runs["predictive"][0].to_json(), cpu_seconds=round(runs["predictive"][1], 1)
        ),
        ratio=round(runs["predictive"][0].contacts_per_agent_hour / base, 3) if base else None,
        load=round(os.getloadavg()[0], 2),
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench pacing")
    parser.add_argument("what", choices=("grid", "uplift", "wall"))
    parser.add_argument("--agents", type=_ints, default=None)
    parser.add_argument("--answer-rates", type=_floats, default=None)
    parser.add_argument("--aht", type=_floats, default=None)
    parser.add_argument("--seeds", type=_ints, default=[1])
    parser.add_argument("--hours", type=float, default=8.0)
    args = parser.parse_args(argv)
    if args.what == "grid":
        failures = 0
        for agents in args.agents or [5, 20, 100]:
            for rate in args.answer_rates or [0.15, 0.3, 0.45, 0.6]:
                for aht in args.aht or [60.0, 300.0, 600.0]:
                    for seed in args.seeds:
                        result, cpu = _run("predictive", agents, rate, aht, args.hours, seed)
                        ok = result.abandon_rate <= MAX_ABANDON
                        failures += not ok
                        _line(
                            agents=agents,
                            answer_rate=rate,
                            aht=aht,
                            seed=seed,
                            hours=args.hours,
                            ok=ok,
                            cpu_seconds=round(cpu, 1),
                            load=round(os.getloadavg()[0], 2),
                            **result.to_json(),
                        )
        _line(failures=failures)
    elif args.what == "uplift":
        for agents in args.agents or [20]:
            for rate in args.answer_rates or [0.2, 0.4]:
                for aht in args.aht or [120.0]:
                    for seed in args.seeds:
                        _uplift(agents, rate, aht, args.hours, seed)
    else:
        for agents in args.agents or [100]:
            result, cpu = _run("predictive", agents, 0.3, 300.0, args.hours, 1)
            _line(
                agents=agents,
                hours=args.hours,
                answer_rate=0.3,
                aht=300.0,
                cpu_seconds=round(cpu, 1),
                **result.to_json(),
            )


if __name__ == "__main__":
    main(sys.argv[1:])
