"""Takeover time of a hot-standby pair: kill -9 (and SIGTERM) the active node, again and again.

Two ``ctid run`` processes (``[cluster]``, lease ``--lease`` seconds) share a
throw-away PostgreSQL (``tests/postgres.py``) and drive one fake Asterisk
process (``python -m ctid.testing.fake_asterisk``). Each round stops the
active node and measures, on the benchmark's clock, the time until the
standby logs that it is active (the switch driver connected and every service
started: clients can log in from then on). The stopped node is then started
again, as the new standby. Compared in the same run with the naive approach:
one node and no standby, restarted at once after kill -9 (what systemd does),
timed until it serves again.

Expected: kill -9 frees the dead node's advisory lock at once, so the standby
is granted the lease at its next attempt (every min(lease/3, 1 s)) and starts
after the fence (1.5 attempt periods) plus the start of the active part;
SIGTERM gives the lease back, so only the next attempt plus the start.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import tempfile
from pathlib import Path

import trio

from tests.conformance.test_switch_process import FakeSwitchProcess, _config
from tests.postgres import PostgresServer
from tests.records.daemon import Daemon

ADVERTISED = {"a": "ws://node-a.invalid:8765/v1", "b": "ws://node-b.invalid:8765/v1"}


def _node(base: Path, name: str, switch: FakeSwitchProcess, database: str, lease: float) -> Path:
    path = _config(base / f"{name}.toml", base / f"state-{name}", "asterisk", switch.listen)
    cluster = (
        f'\n[cluster]\nnode_name = "{name}"\nadvertise_url = "{ADVERTISED[name]}"\n'
        f"lease_seconds = {lease}\n"
        if name in ADVERTISED
        else ""
    )
    path.write_text(path.read_text() + f'\n[records]\ndatabase = "{database}"\n' + cluster)
    return path


async def _pair_rounds(
    base: Path, switch: FakeSwitchProcess, database: str, lease: float, rounds: int, sig: int
) -> list[float]:
    configs = {name: _node(base, name, switch, database, lease) for name in ADVERTISED}
    times = []
    async with trio.open_nursery() as nursery:
        active = Daemon(configs["a"])
        await active.start(nursery)
        await active.wait_line("node 'a' is active")
        standby = Daemon(configs["b"])
        await standby.start(nursery)
        names = {active: "a", standby: "b"}
        for _ in range(rounds):
            a, s = names[active], names[standby]
            await standby.wait_line(f"the active node is {ADVERTISED[a]}")
            start = trio.current_time()
            assert active.process is not None
            active.process.send_signal(sig)
            await standby.wait_line(f"node '{s}' is active")
            times.append(trio.current_time() - start)
            await active.process.wait()
            restarted = Daemon(configs[a])
            await restarted.start(nursery)
            names[restarted] = a
            active, standby = standby, restarted
        for daemon in (active, standby):
            await daemon.kill()
        nursery.cancel_scope.cancel()
    return times


async def _single_rounds(
    base: Path, switch: FakeSwitchProcess, database: str, rounds: int
) -> list[float]:
    config = _node(base, "single", switch, database, 0)
    times = []
    async with trio.open_nursery() as nursery:
        daemon = Daemon(config)
        await daemon.start(nursery)
        for _ in range(rounds):
            start = trio.current_time()
            await daemon.kill()
            daemon = Daemon(config)
            await daemon.start(nursery)  # returns once it serves
            times.append(trio.current_time() - start)
        await daemon.kill()
        nursery.cancel_scope.cancel()
    return times


def _line(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{label:<34} n={len(times):>3}  p50 {statistics.median(times):6.2f} s  "
        f"p99 {p99:6.2f} s  max {max(times):6.2f} s"
    )


async def _main(rounds: int, lease: float) -> None:
    postgres = PostgresServer()
    postgres.init()
    postgres.start()
    switch = FakeSwitchProcess(
        "asterisk", "--password", "fake-ari-password", "--extensions", "1001-1006"
    )
    await switch.start()
    try:
        with tempfile.TemporaryDirectory(prefix="ctid-bench-failover-") as tmp:
            base = Path(tmp)
            results = []
            for label, sig in (
                ("pair, kill -9 the active node", signal.SIGKILL),
                ("pair, SIGTERM the active node", signal.SIGTERM),
            ):
                database = postgres.url(postgres.create_database())
                sub = base / label.split()[2]
                sub.mkdir()
                results.append(
                    _line(label, await _pair_rounds(sub, switch, database, lease, rounds, sig))
                )
            database = postgres.url(postgres.create_database())
            single = base / "single"
            single.mkdir()
            results.append(
                _line(
                    "one node, kill -9 and restart",
                    await _single_rounds(single, switch, database, rounds),
                )
            )
    finally:
        await switch.stop()
        postgres.destroy()
    print(
        f"lease {lease:g} s: kill -9 bound = lock freed + poll (min(lease/3, 1 s)) + fence "
        "(1.5 polls) + start; SIGTERM = poll + start"
    )
    for line in results:
        print(line)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench failover")
    parser.add_argument("--rounds", type=int, default=10, help="takeovers per kind (default 10)")
    parser.add_argument(
        "--lease", type=float, default=15.0, help="lease_seconds (default 15, ctid's default)"
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds (a smoke run)")
    args = parser.parse_args(argv)
    trio.run(_main, 3 if args.quick else args.rounds, args.lease)
