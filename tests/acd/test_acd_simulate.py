"""``ctid simulate``: the real ACD on MockClock, against queueing theory, and its command line."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest

from ctid.cli import main
from ctid.simulate.erlang import erlang_c
from ctid.simulate.run import SimulationResult, run_simulation, single_queue
from ctid.simulate.stats import CallRecord

SUMMARY_KEYS = {
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa_seconds",
    "abandon_rate",
    "occupancy",
    "max_queue_length",
    "wall_seconds",
    "theory",
}


def test_erlang_c_by_hand() -> None:
    # 2 agents, 1 Erlang: C = (1/2 * 2) / (1 + 1 + 1) = 1/3.
    e = erlang_c(2, 3600 / 60, 60)
    assert e.traffic == 1.0
    assert e.wait_probability == pytest.approx(1 / 3)
    assert e.asa == pytest.approx(20.0)
    assert e.service_level(60) == pytest.approx(1 - math.exp(-1) / 3)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(2, 120, 60)


def _batches(
    result: SimulationResult, warm_up: float, size: float, count: int
) -> list[list[CallRecord]]:
    start = result.start + warm_up
    return [
        [c for c in result.calls if start + b * size <= c.arrived < start + (b + 1) * size]
        for b in range(count)
    ]


@pytest.mark.slow
def test_without_abandonment_it_agrees_with_erlang_c() -> None:
    """10 agents, 140 calls/h of 180 s (7 Erlangs, 70 % load), service level at 20 s.

    The centre starts empty, so the first 30 minutes are dropped; the next 30
    hours (about 4,200 calls) are cut into 30 one-hour batches, long against
    the queue's memory at this load, and the standard error of each figure is
    that of the batch means (calls in a queue are not independent, so a
    per-call binomial error would be far too small). Measured when this test
    was written: with seeds 1-6 every figure fell within 1.9 standard errors
    of Erlang C; with agents freed 30 s late (as a wrap-up the engine forgot
    to end would do) the service level fell 4.3 to 6.5 standard errors below
    it. We allow 4. Occupancy must follow the load: 4,200 Poisson arrivals
    and exponential talk times each vary the work by about 1.5 %; we allow 4
    standard deviations of the two together.
    """
    agents, rate, aht, threshold = 10, 140.0, 180.0, 20.0
    theory = erlang_c(agents, rate, aht)
    result = run_simulation(
        single_queue(
            agents=agents,
            calls_per_hour=rate,
            aht=aht,
            hours=30.5,
            strategy="longest-idle",
            service_level_seconds=threshold,
            seed=1,
        )
    )
    summary = result.summary
    assert summary.abandoned == 0
    assert summary.answered == summary.offered
    batches = _batches(result, warm_up=1800, size=3600, count=30)
    assert sum(len(b) for b in batches) > 4000

    def mean_and_error(figure: Callable[[list[CallRecord]], float]) -> tuple[float, float]:
        values = [figure(b) for b in batches]
        calls = [c for b in batches for c in b]
        return figure(calls), statistics.stdev(values) / math.sqrt(len(values))

    sl, sl_se = mean_and_error(lambda cs: sum(c.waited <= threshold for c in cs) / len(cs))
    waited, waited_se = mean_and_error(lambda cs: sum(c.waited > 0 for c in cs) / len(cs))
    asa, asa_se = mean_and_error(lambda cs: sum(c.waited for c in cs) / len(cs))
    assert abs(sl - theory.service_level(threshold)) <= 4 * sl_se
    assert abs(waited - theory.wait_probability) <= 4 * waited_se
    assert abs(asa - theory.asa) <= 4 * asa_se
    assert summary.occupancy == pytest.approx(theory.occupancy, rel=4 * math.hypot(0.015, 0.015))


def test_patience_makes_callers_abandon() -> None:
    result = run_simulation(
        single_queue(
            agents=3, calls_per_hour=120, aht=180, hours=1, strategy="random", patience=30, seed=3
        )
    )
    s = result.summary
    assert s.abandoned > 0
    assert s.answered + s.abandoned == s.offered
    assert s.abandon_rate == pytest.approx(s.abandoned / s.offered)
    assert all(c.waited <= 30 * 20 for c in result.calls)


def test_the_same_seed_gives_the_same_day() -> None:
    def day() -> dict[str, object]:
        r = run_simulation(
            single_queue(
                agents=4, calls_per_hour=60, aht=200, hours=1, strategy="ring-all", wrap_up=15
            )
        )
        return {k: v for k, v in r.summary.to_json().items() if k != "wall_seconds"}

    assert day() == day()


def test_command_line_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = tmp_path / "day.svg"
    code = main(
        [
            "simulate",
            "--agents",
            "5",
            "--calls-per-hour",
            "80",
            "--aht",
            "150",
            "--hours",
            "1",
            "--strategy",
            "fewest-calls",
            "--patience",
            "inf",
            "--wrap-up",
            "5",
            "--service-level-seconds",
            "15",
            "--seed",
            "7",
            "--json",
            "--chart",
            str(chart),
        ]
    )
    assert code == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert set(summary) == SUMMARY_KEYS
    assert summary["theory"]["model"] == "erlang-c"
    assert summary["offered"] > 0
    assert err == ""  # no progress bar without a terminal
    svg = chart.read_text()
    assert svg.startswith("<svg")
    assert "polyline" in svg


def test_command_line_summary_and_mistakes(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--agents", "2", "--calls-per-hour", "20", "--aht", "60", "--hours", "0.5"]
    assert main([*args, "--strategy", "linear"]) == 0
    out, _ = capsys.readouterr()
    assert "service level" in out
    assert "offered" in out
    assert main(args) == 2
    assert "missing --strategy" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args, "--strategy", "fastest"])
    assert "invalid choice" in capsys.readouterr().err


def test_a_config_file_with_two_queues_and_skills(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "centre.toml"
    config.write_text(
        """
[acd]
[[acd.queues]]
name = "sales"
strategy = "skill-level"
[[acd.queues]]
name = "support"
wrap_up = 10.0

[[acd.agents]]
id = "2001-2003"
auto_answer = true
skills = [{ queue = "sales", level = 5 }, { queue = "support", penalty = 1 }]
[[acd.agents]]
id = "2004-2005"
skills = [{ queue = "support" }]

[simulate]
hours = 1
seed = 5
[[simulate.traffic]]
queue = "sales"
calls_per_hour = 40
aht = 120
[[simulate.traffic]]
queue = "support"
calls_per_hour = 30
aht = 240
patience = 300
"""
    )
    assert main(["simulate", "--config", str(config), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["offered"] > 40
    assert summary["answered"] + summary["abandoned"] <= summary["offered"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[acd]\n[[simulate.traffic]]\nqueue = "nope"\ncalls_per_hour = 1\naht = 1\n')
    assert main(["simulate", "--config", str(bad)]) == 2
    assert 'simulate.traffic[0].queue: no queue "nope"' in capsys.readouterr().err
