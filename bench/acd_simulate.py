"""``ctid simulate`` of an 8-hour day: 100 agents, about 10,000 calls (target: under 30 s).

Prints the summary, the wall time and the process CPU time (on a shared
machine the CPU time is the steadier figure).
"""

from __future__ import annotations

import json
import time

from ctid.simulate.run import run_simulation, single_queue


def main(*, quick: bool = False) -> None:
    hours = 1.0 if quick else 8.0
    scenario = single_queue(
        agents=100, calls_per_hour=1250, aht=270, hours=hours, strategy="longest-idle", seed=1
    )
    cpu = time.process_time()
    result = run_simulation(scenario)
    cpu = time.process_time() - cpu
    print(f"ctid simulate: {hours:g} h, 100 agents, 1250 calls/h, AHT 270 s, longest-idle")
    print(json.dumps(result.summary.to_json()))
    print(f"wall {result.summary.wall_seconds:.1f} s, CPU {cpu:.1f} s\n")
