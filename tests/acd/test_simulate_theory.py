"""Queueing theory beside ``ctid simulate``: Erlang A, the answer delay, ``--solve-agents``."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from ctid.cli import main
from ctid.simulate.erlang import erlang_c
from ctid.simulate.run import run_simulation, single_queue
from ctid.simulate.theory import erlang_a_wait, predict


def test_erlang_a_with_patient_callers_is_erlang_c() -> None:
    c = erlang_c(10, 250, 120)
    a = erlang_a_wait(10, 250, 120, patience=1e9)
    assert a.wait_probability == pytest.approx(c.wait_probability, rel=1e-4)
    [within] = a.answered_within([20.0])
    assert within == pytest.approx(c.service_level(20.0), rel=1e-4)
    answered, asa = a.answered_wait()
    assert answered == pytest.approx(1.0, abs=1e-5)
    assert asa == pytest.approx(c.asa, rel=1e-3)


def test_erlang_a_answered_and_abandoned_add_up_two_ways() -> None:
    # Rate balance (θ·E[queue] = λ·P(abandon)) and the callers' own paths must agree.
    a = erlang_a_wait(8, 300, 120, patience=45)
    answered, asa = a.answered_wait()
    # 10 Erlangs at 8 agents: at least the excess fifth of the callers must give up.
    assert 0.2 < a.abandon_probability < 0.35
    assert answered == pytest.approx(1 - a.abandon_probability, rel=1e-9)
    # Long enough, everyone who is answered has been answered.
    [late] = a.answered_within([3600.0])
    assert late == pytest.approx(answered, rel=1e-6)
    early, later = a.answered_within([5.0, 20.0])
    assert sum(a.stationary[:8]) < early < later < late
    assert 0 < asa < 45


def test_one_agent_by_hand() -> None:
    # M/M/1+M, λ = μ = θ = 1/60 s: π_n ∝ 1 / n! (μ + (n-1)θ = n/60), so π_0 = 1/e.
    a = erlang_a_wait(1, 60, 60, patience=60)
    assert a.stationary[0] == pytest.approx(math.exp(-1), rel=1e-9)
    assert a.wait_probability == pytest.approx(1 - math.exp(-1), rel=1e-9)
    # E[queue] = Σ (n-1)/n!/e for n ≥ 2 = 1/e: abandoned over offered = θ·(1/e)/λ.
    assert a.abandon_probability == pytest.approx(math.exp(-1), rel=1e-9)


def test_the_answer_delay_is_service_time_for_agents_and_waiting_for_callers() -> None:
    plain = predict(agents=10, calls_per_hour=250, aht=120, threshold=20)
    ringing = predict(agents=10, calls_per_hour=250, aht=120, answer_delay=(2, 6), threshold=20)
    slower = erlang_c(10, 250, 124)
    assert plain.model == ringing.model == "erlang-c"
    assert ringing.occupancy == pytest.approx(slower.occupancy)
    assert ringing.asa_seconds == pytest.approx(slower.asa + 4.0)
    # P(wait + delay <= 20) averaged over the delay's range.
    by_hand = statistics.mean(slower.service_level(20 - (2 + 4 * i / 20)) for i in range(21))
    assert ringing.service_level == pytest.approx(by_hand)
    assert ringing.service_level < plain.service_level
    impatient = predict(agents=10, calls_per_hour=250, aht=120, patience=60, threshold=20)
    assert impatient.model == "erlang-a"
    assert impatient.abandon_rate > 0


@pytest.mark.slow
def test_with_abandonment_and_ringing_it_agrees_with_erlang_a() -> None:
    """8 agents, 200 calls/h of 120 s talk, patience 90 s, phones answered after 2-6 s.

    20 simulated hours (about 4,000 calls). Measured when this test was written,
    theory (SL 75.2 %, abandon 12.2 %, occupancy 75.7 %, ASA 10.2 s) against seeds
    1-4: SL 76.5 / 77.4 / 71.6 / 74.2 %, abandon 11.7 / 12.1 / 13.9 / 12.2 %,
    occupancy 75.7 / 73.6 / 78.4 / 75.4 %, ASA 10.3 / 9.4 / 12.0 / 11.0 s. The
    test runs seed 1. A theory that let callers give up only in the queue (not while
    the agent's phone rings) said 9.6 % abandoned: it fails here.
    """
    result = run_simulation(
        _with_delay(
            single_queue(
                agents=8,
                calls_per_hour=200,
                aht=120,
                hours=20,
                strategy="longest-idle",
                patience=90,
                seed=1,
            )
        )
    )
    theory = predict(
        agents=8, calls_per_hour=200, aht=120, patience=90, answer_delay=(2, 6), threshold=20
    )
    s = result.summary
    assert theory.model == "erlang-a"
    assert s.service_level == pytest.approx(theory.service_level, abs=0.04)
    assert s.abandon_rate == pytest.approx(theory.abandon_rate, abs=0.015)
    assert s.occupancy == pytest.approx(theory.occupancy, abs=0.03)
    assert s.asa_seconds == pytest.approx(theory.asa_seconds, abs=2.5)


def _with_delay(scenario):  # type: ignore[no-untyped-def]
    from ctid.simulate.command import _with_answer_delay

    return _with_answer_delay(scenario, (2.0, 6.0))


ARGS = ["simulate", "--calls-per-hour", "60", "--aht", "120", "--hours", "0.5"]


def test_the_summary_prints_the_answer_delay_and_theory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*ARGS, "--agents", "3", "--strategy", "linear", "--answer-delay", "2:6"]) == 0
    out = capsys.readouterr().out
    assert "answer delay           after 2 to 6 s" in out
    assert "(erlang-c)" in out
    assert main([*ARGS, "--agents", "3", "--strategy", "linear", "--answer-delay", "0"]) == 0
    assert "answer delay           at once (auto-answer)" in capsys.readouterr().out
    assert main([*ARGS, "--agents", "3", "--strategy", "linear", "--json", "--patience", "60"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["theory"]) == {
        "model",
        "service_level",
        "asa_seconds",
        "occupancy",
        "abandon_rate",
    }
    assert summary["theory"]["model"] == "erlang-a"
    expected = predict(agents=3, calls_per_hour=60, aht=120, patience=60, threshold=20)
    assert summary["theory"] == expected.to_json()


def test_help_shows_defaults_and_what_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "mean talk time, seconds (required without --config)" in text
    assert "routing strategy (required without --config)" in text
    assert "(default: 3)" in text  # --seeds
    assert "(default: inf)" in text  # --patience
    assert "(default: 0.0)" in text  # --wrap-up


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--answer-delay", "6:2"], "expected 0 <= LOW <= HIGH"),
        (["--answer-delay", "soon"], "expected LOW[:HIGH] seconds"),
        (["--target-service-level", "80"], "must be between 0 and 1"),
    ],
)
def test_bad_options_are_named(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([*ARGS, "--agents", "2", "--strategy", "linear", *extra])
    assert message in capsys.readouterr().err


def test_solve_agents_finds_the_fewest_that_meet_the_target(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    chart = tmp_path / "sl.svg"
    argv = [
        "simulate",
        "--solve-agents",
        "--target-service-level",
        "0.8",
        "--calls-per-hour",
        "120",
        "--aht",
        "120",
        "--hours",
        "1",
        "--strategy",
        "longest-idle",
        "--seeds",
        "2",
        "--json",
        "--chart",
        str(chart),
    ]
    assert main(argv) == 0
    answer = json.loads(capsys.readouterr().out)
    runs: dict[int, list[float]] = {}
    for run in answer["runs"]:
        runs.setdefault(run["agents"], []).append(run["service_level"])
    assert all(len(levels) == 2 for levels in runs.values())
    n = answer["agents"]
    assert statistics.mean(runs[n]) >= 0.8
    # The search looked at one agent fewer and saw it fall short (unless one is enough).
    assert n == 1 or statistics.mean(runs[n - 1]) < 0.8
    # Erlang's answer: the fewest agents theory says meet 80 % (4 Erlangs offered).
    erlang = answer["erlang_agents"]
    assert predict(agents=erlang, calls_per_hour=120, aht=120).service_level >= 0.8
    assert predict(agents=erlang - 1, calls_per_hour=120, aht=120).service_level < 0.8
    assert chart.read_text().count("<circle") == len(answer["runs"])
    # Wrong combinations are refused before anything runs.
    assert main(["simulate", "--solve-agents", "--agents", "3"]) == 2
    assert "--solve-agents finds --agents" in capsys.readouterr().err
    assert main([*ARGS, "--solve-agents", "--strategy", "linear"]) == 2
    assert "missing --target-service-level" in capsys.readouterr().err
