"""``ctid simulate``: a day of a call centre in seconds, with the real ACD on MockClock.

    ctid simulate --agents 100 --calls-per-hour 1250 --aht 270 --hours 8 \\
        --strategy longest-idle [--patience 120|inf] [--wrap-up 10] \\
        [--answer-delay 2:6] [--service-level-seconds 20] [--seed 1] [--json] \\
        [--chart day.svg]

or, for several queues and agents' skills, ``--config FILE`` with an ``[acd]``
table and a ``[simulate]`` table (``hours``, ``service_level_seconds``, ``seed``
and ``[[simulate.traffic]]`` entries: ``queue``, ``calls_per_hour``, ``aht``,
``patience``).

Prints a summary (``--json``: exactly the summary object on stdout) with, for one
queue given by flags, what queueing theory predicts for the same parameters
(``theory.py``). A progress bar is drawn on stderr when stderr is a terminal.

    ctid simulate --solve-agents --target-service-level 0.8 --calls-per-hour 1250 \\
        --aht 270 --hours 8 --strategy longest-idle [--seeds 3] [--chart sl.svg]

finds the smallest number of agents whose simulated service level, averaged over
the seeds, meets the target (``solve.py``).
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

from ..acd.strategies import STRATEGIES
from ..config import ConfigError
from ..structure import StructureError, structure
from . import campaign_command
from .chart import write_svg
from .people import Traffic
from .run import Scenario, SimulationResult, run_simulation, single_queue
from .solve import solve_agents, write_solve_svg
from .theory import Prediction, predict

__all__ = ["run", "setup"]


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


def _answer_delay(value: str) -> tuple[float, float]:
    low, sep, high = value.partition(":")
    try:
        lo = float(low)
        hi = float(high) if sep else lo
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW[:HIGH] seconds, got {value!r}") from None
    if lo < 0 or hi < lo or math.isinf(hi):
        raise argparse.ArgumentTypeError("expected 0 <= LOW <= HIGH, finite seconds")
    return lo, hi


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction, got {value!r}") from None
    if not 0 < number < 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1 (e.g. 0.8)")
    return number


#: Said after the options a run needs unless ``--config`` gives the scenario.
NEEDED = " (required without --config)"


def setup(parser: argparse.ArgumentParser) -> None:
    parser.description = "a call centre on the real ACD in compressed time"
    parser.formatter_class = argparse.ArgumentDefaultsHelpFormatter
    parser.add_argument(
        "--agents",
        type=_positive(int),
        help="agents serving the queue" + NEEDED + " (not with --solve-agents)",
    )
    parser.add_argument(
        "--calls-per-hour", type=_positive(float), help="Poisson arrival rate" + NEEDED
    )
    parser.add_argument("--aht", type=_positive(float), help="mean talk time, seconds" + NEEDED)
    parser.add_argument(
        "--patience", type=_patience, default=math.inf, help='mean patience, seconds, or "inf"'
    )
    parser.add_argument("--wrap-up", type=_positive(float), default=0.0, help="seconds")
    parser.add_argument(
        "--answer-delay",
        type=_answer_delay,
        default=None,
        metavar="LOW[:HIGH]",
        help="seconds an agent's phone rings before the agent answers, uniform between LOW "
        "and HIGH; 0: agents answer at once (auto-answer). Unset: agents given by flags "
        "answer at once, agents of a --config file as their auto_answer says (others after "
        "2 to 6 s)",
    )
    parser.add_argument("--hours", type=_positive(float), help="simulated hours" + NEEDED)
    parser.add_argument("--strategy", choices=sorted(STRATEGIES), help="routing strategy" + NEEDED)
    parser.add_argument(
        "--service-level-seconds",
        type=_positive(float),
        default=None,
        help="service level threshold, seconds (default 20, or the [simulate] table's)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 1)")
    parser.add_argument("--json", action="store_true", help="print only the summary as JSON")
    parser.add_argument("--config", type=Path, help="a TOML file with [acd] and [simulate]")
    parser.add_argument(
        "--chart",
        type=Path,
        help="write an SVG chart here: the day of the run, or with --solve-agents the "
        "service level against agents",
    )
    parser.add_argument(
        "--solve-agents",
        action="store_true",
        help="find the fewest agents whose simulated service level meets "
        "--target-service-level (no --agents, no --config)",
    )
    parser.add_argument(
        "--target-service-level",
        type=_fraction,
        default=None,
        help="with --solve-agents: the fraction of calls to answer within "
        "--service-level-seconds (required with --solve-agents)",
    )
    parser.add_argument(
        "--seeds",
        type=_positive(int),
        default=3,
        help="with --solve-agents: seeds simulated for each number of agents (1, 2, ...)",
    )
    campaign_command.add_flags(parser)


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


def _with_answer_delay(scenario: Scenario, delay: tuple[float, float] | None) -> Scenario:
    """Every agent of the scenario answers after ``delay`` (at once for 0)."""
    if delay is None:
        return scenario
    acd = dict(scenario.acd)
    at_once = delay == (0.0, 0.0)
    acd["agents"] = [{**a, "auto_answer": at_once} for a in acd.get("agents", [])]
    return attrs.evolve(scenario, acd=acd, answer_delay=delay)


def _missing(args: argparse.Namespace, flags: tuple[str, ...], hint: str = "") -> None:
    """``ConfigError`` naming every one of ``flags`` not given."""
    missing = [f for f in flags if getattr(args, f[2:].replace("-", "_")) is None]
    if missing:
        raise ConfigError("<command line>", None, f"missing {', '.join(missing)}{hint}")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    if args.config is not None:
        return _with_answer_delay(_from_file(args.config, args), args.answer_delay)
    flags = ("--agents", "--calls-per-hour", "--aht", "--hours", "--strategy")
    _missing(args, flags, " (or --config)")
    return _with_answer_delay(
        single_queue(
            agents=args.agents,
            calls_per_hour=args.calls_per_hour,
            aht=args.aht,
            hours=args.hours,
            strategy=args.strategy,
            patience=args.patience,
            wrap_up=args.wrap_up,
            service_level_seconds=args.service_level_seconds or 20.0,
            seed=args.seed if args.seed is not None else 1,
        ),
        args.answer_delay,
    )


def theory_of(args: argparse.Namespace, agents: int) -> Prediction:
    """What queueing theory says of the single queue the flags describe."""
    return predict(
        agents=agents,
        calls_per_hour=args.calls_per_hour,
        aht=args.aht,
        wrap_up=args.wrap_up,
        patience=args.patience,
        answer_delay=args.answer_delay or (0.0, 0.0),
        threshold=args.service_level_seconds or 20.0,
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


def describe_answer_delay(scenario: Scenario) -> str:
    """How the scenario's agents answer, in words (the summary's line)."""
    agents = scenario.acd.get("agents", [])
    at_once = sum(1 for a in agents if a.get("auto_answer", False))
    lo, hi = scenario.answer_delay
    ring = f"{lo:g} s" if lo == hi else f"{lo:g} to {hi:g} s"
    if at_once == len(agents):
        return "at once (auto-answer)"
    if at_once == 0:
        return f"after {ring}"
    return f"after {ring} ({at_once} of {len(agents)} agents at once)"


def _report(
    result: SimulationResult, scenario: Scenario, theory: Prediction | None, out: TextIO
) -> None:
    s = result.summary
    threshold = scenario.service_level_seconds
    rows = [
        ("service level", f"{s.service_level:.1%}", "service_level", "{:.1%}"),
        ("ASA", f"{s.asa_seconds:.1f} s", "asa_seconds", "{:.1f} s"),
        ("occupancy", f"{s.occupancy:.1%}", "occupancy", "{:.1%}"),
        ("abandoned", f"{s.abandon_rate:.1%}", "abandon_rate", "{:.1%}"),
    ]
    lines = [
        f"simulated {scenario.hours:g} h in {s.wall_seconds:.1f} s",
        f"  answer delay           {describe_answer_delay(scenario)}",
        f"  offered                {s.offered}",
        f"  answered               {s.answered}",
        f"  abandoned              {s.abandoned}",
        f"  max queue length       {s.max_queue_length}",
        f"  {'':22} {'simulated':>10} {'theory':>10}"
        + (f"  ({theory.model})" if theory is not None else ""),
    ]
    for label, simulated, key, fmt in rows:
        name = f"{label} ({threshold:g} s)" if key == "service_level" else label
        other = fmt.format(getattr(theory, key)) if theory is not None else "-"
        lines.append(f"  {name:22} {simulated:>10} {other:>10}")
    if result.blocked:
        lines.append(f"  ({result.blocked} calls found every outside line busy)")
    out.write("\n".join(lines) + "\n")


def _solve(args: argparse.Namespace) -> int:
    try:
        if args.config is not None or args.agents is not None:
            raise ConfigError(
                "<command line>",
                None,
                "--solve-agents finds --agents; give neither it nor --config",
            )
        _missing(
            args,
            ("--calls-per-hour", "--aht", "--hours", "--strategy", "--target-service-level"),
        )
        answer = solve_agents(
            lambda agents, seed: attrs.evolve(
                scenario_from_args(attrs_namespace(args, agents=agents)), seed=seed
            ),
            theory=lambda agents: theory_of(args, agents),
            target=args.target_service_level,
            seeds=range(1, args.seeds + 1),
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.chart is not None:
        write_solve_svg(answer, args.chart)
    if args.json:
        print(json.dumps(answer.to_json()))
        return 0
    print(
        f"{answer.agents} agents meet a service level of {answer.target:.0%} within "
        f"{args.service_level_seconds or 20.0:g} s (Erlang's answer: {answer.erlang_agents})"
    )
    for agents, runs in answer.by_agents():
        levels = "  ".join(f"seed {r.seed}: {r.service_level:.1%}" for r in runs)
        mean = sum(r.service_level for r in runs) / len(runs)
        print(f"  {agents:4d} agents  mean {mean:.1%}   {levels}")
    return 0


def attrs_namespace(args: argparse.Namespace, **changes: Any) -> argparse.Namespace:
    """A copy of ``args`` with ``changes``."""
    return argparse.Namespace(**{**vars(args), **changes})


def run(args: argparse.Namespace) -> int:
    if args.campaign:
        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
        try:
            return campaign_command.run(args, bar)
        finally:
            if bar is not None:
                bar.close()
    if args.solve_agents:
        return _solve(args)
    try:
        if args.target_service_level is not None:
            raise ConfigError(
                "<command line>", None, "--target-service-level goes with --solve-agents"
            )
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
    theory = None
    if args.config is None:
        try:
            theory = theory_of(args, args.agents)
        except ValueError:
            theory = None  # no agents: nothing to predict
    if args.json:
        print(json.dumps({**result.summary.to_json(), "theory": theory and theory.to_json()}))
    else:
        _report(result, scenario, theory, sys.stdout)
    return 0
