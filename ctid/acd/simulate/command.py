"""``ctid simulate``: a day of a call centre in seconds, with the real ACD on MockClock.

    ctid simulate --agents 100 --calls-per-hour 1250 --aht 270 --hours 8 \\
        --strategy longest-idle [--patience 120|inf] [--wrap-up 10] \\
        [--service-level-seconds 20] [--seed 1] [--json] [--chart day.svg]

or, for several queues and agents' skills, ``--config FILE`` with an ``[acd]``
table and a ``[simulate]`` table (``hours``, ``service_level_seconds``, ``seed``
and ``[[simulate.traffic]]`` entries: ``queue``, ``calls_per_hour``, ``aht``,
``patience``).

Prints a summary (``--json``: exactly the summary object on stdout). A
progress bar is drawn on stderr when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from pathlib import Path
from typing import Any, TextIO

import attrs

from ...config import ConfigError
from ...structure import StructureError, structure
from ..strategies import STRATEGIES
from .chart import write_svg
from .people import Traffic
from .run import Scenario, SimulationResult, run_simulation, single_queue

__all__ = ["register", "run", "setup"]


def _patience(value: str) -> float:
    if value.lower() in ("inf", "infinite", "none"):
        return math.inf
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected seconds or "inf", got {value!r}') from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return seconds


def _positive(kind: type[float] | type[int]) -> Any:
    def parse(value: str) -> float | int:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
        if number < 0:
            raise argparse.ArgumentTypeError("must not be negative")
        return number

    return parse


def setup(parser: argparse.ArgumentParser) -> None:
    parser.description = "a call centre on the real ACD in compressed time"
    parser.add_argument("--agents", type=_positive(int), help="agents serving the queue")
    parser.add_argument("--calls-per-hour", type=_positive(float), help="Poisson arrival rate")
    parser.add_argument("--aht", type=_positive(float), help="mean talk time (seconds)")
    parser.add_argument(
        "--patience", type=_patience, default=math.inf, help='mean patience (seconds) or "inf"'
    )
    parser.add_argument("--wrap-up", type=_positive(float), default=0.0, help="seconds")
    parser.add_argument("--hours", type=_positive(float), help="simulated hours")
    parser.add_argument("--strategy", choices=sorted(STRATEGIES), help="routing strategy")
    parser.add_argument("--service-level-seconds", type=_positive(float), default=None)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 1)")
    parser.add_argument("--json", action="store_true", help="print only the summary as JSON")
    parser.add_argument("--config", type=Path, help="a TOML file with [acd] and [simulate]")
    parser.add_argument("--chart", type=Path, help="write an SVG chart of the run here")


@attrs.frozen(kw_only=True)
class _TrafficSection:
    queue: str
    calls_per_hour: float
    aht: float
    patience: float | str = "inf"


@attrs.frozen(kw_only=True)
class _SimulateSection:
    hours: float = 8.0
    service_level_seconds: float = 20.0
    seed: int = 1
    traffic: list[_TrafficSection] = attrs.field(factory=list)


def _from_file(path: Path, args: argparse.Namespace) -> Scenario:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, f"not valid TOML: {exc}") from None
    try:
        section = structure(_SimulateSection, data.get("simulate", {}), "simulate")
    except StructureError as exc:
        raise ConfigError(str(path), exc.path, exc.problem) from None
    traffic: list[Traffic] = []
    for i, t in enumerate(section.traffic):
        try:
            patience = _patience(str(t.patience))
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(str(path), f"simulate.traffic[{i}].patience", str(exc)) from None
        traffic.append(
            Traffic(queue=t.queue, calls_per_hour=t.calls_per_hour, aht=t.aht, patience=patience)
        )
    acd = dict(data.get("acd", {}))
    names = {q.get("name") for q in acd.get("queues", [])}
    for i, wanted in enumerate(traffic):
        if wanted.queue not in names:
            raise ConfigError(
                str(path), f"simulate.traffic[{i}].queue", f'no queue "{wanted.queue}"'
            )
    # Agents log on at the simulator's phones, whatever devices the file allows.
    acd["agents"] = [{k: v for k, v in a.items() if k != "devices"} for a in acd.get("agents", [])]
    return Scenario(
        acd=acd,
        traffic=tuple(traffic),
        hours=args.hours if args.hours is not None else section.hours,
        service_level_seconds=args.service_level_seconds or section.service_level_seconds,
        seed=args.seed if args.seed is not None else section.seed,
    )


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    if args.config is not None:
        return _from_file(args.config, args)
    missing = [
        flag
        for flag, value in (
            ("--agents", args.agents),
            ("--calls-per-hour", args.calls_per_hour),
            ("--aht", args.aht),
            ("--hours", args.hours),
            ("--strategy", args.strategy),
        )
        if value is None
    ]
    if missing:
        raise ConfigError("<command line>", None, f"missing {', '.join(missing)} (or --config)")
    return single_queue(
        agents=args.agents,
        calls_per_hour=args.calls_per_hour,
        aht=args.aht,
        hours=args.hours,
        strategy=args.strategy,
        patience=args.patience,
        wrap_up=args.wrap_up,
        service_level_seconds=args.service_level_seconds or 20.0,
        seed=args.seed if args.seed is not None else 1,
    )


class ProgressBar:
    """A one-line bar redrawn on a terminal."""

    WIDTH = 40

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, fraction: float, calls: int) -> None:
        done = int(fraction * self.WIDTH)
        bar = "#" * done + "." * (self.WIDTH - done)
        self.stream.write(f"\r[{bar}] {fraction:4.0%}  {calls} calls")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _report(result: SimulationResult, scenario: Scenario, out: TextIO) -> None:
    s = result.summary
    lines = [
        f"simulated {scenario.hours:g} h in {s.wall_seconds:.1f} s",
        f"  offered          {s.offered}",
        f"  answered         {s.answered}",
        f"  abandoned        {s.abandoned}  ({s.abandon_rate:.1%})",
        f"  service level    {s.service_level:.1%} within {scenario.service_level_seconds:g} s",
        f"  ASA              {s.asa_seconds:.1f} s",
        f"  occupancy        {s.occupancy:.1%}",
        f"  max queue length {s.max_queue_length}",
    ]
    if result.blocked:
        lines.append(f"  ({result.blocked} calls found every outside line busy)")
    out.write("\n".join(lines) + "\n")


def run(args: argparse.Namespace) -> int:
    try:
        scenario = scenario_from_args(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        result = run_simulation(scenario, progress=bar)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    if args.chart is not None:
        write_svg(result, args.chart)
    if args.json:
        print(json.dumps(result.summary.to_json()))
    else:
        _report(result, scenario, sys.stdout)
    return 0


def register(commands: dict[str, Any]) -> None:
    commands["simulate"] = (setup, run)
