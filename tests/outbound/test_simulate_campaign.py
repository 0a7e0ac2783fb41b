"""``ctid simulate --campaign``: the real dialler, ACD and simulator on MockClock, and the
pacing property at a small size (the abandon rate stays at or under the maximum)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from ctid.cli import main
from ctid.outbound.report import COLUMNS, CampaignReportRequest, campaign_report
from ctid.outbound.report import load as report_load
from ctid.records import db
from ctid.records.schema import calls, campaign_records
from ctid.simulate.campaign import CAMPAIGN, QUEUE, CampaignScenario, run_campaign
from ctid.simulate.run import START_WALL

KEYS = {
    "dialled",
    "answered",
    "machines",
    "connected",
    "abandoned",
    "abandon_rate",
    "agent_occupancy",
    "contacts_per_agent_hour",
    "wall_seconds",
}


def flags(dialer: str, *, agents: int = 3, hours: float = 0.25, seed: int = 4) -> list[str]:
    return [
        "simulate",
        "--campaign",
        "--dialer",
        dialer,
        "--agents",
        str(agents),
        "--answer-rate",
        "0.4",
        "--machine-rate",
        "0.25",
        "--ring-seconds",
        "20",
        "--aht",
        "90",
        "--wrap-up",
        "10",
        "--hours",
        str(hours),
        "--max-abandon",
        "0.03",
        "--seed",
        str(seed),
    ]


def test_json_has_exactly_the_keys_and_they_add_up(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    chart = tmp_path / "day.svg"
    assert main([*flags("progressive"), "--json", "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one object
    first = json.loads(out)
    assert set(first) == KEYS
    # Every person who answered was connected or abandoned; machines apart.
    assert first["answered"] == first["connected"] + first["abandoned"]
    assert first["dialled"] >= first["answered"] + first["machines"]
    assert first["answered"] > 0 and first["machines"] > 0
    # A share 0.4 answers, 0.25 of them machines: persons are about 0.3 of the dials.
    assert 0.15 < first["answered"] / first["dialled"] < 0.45
    assert first["abandon_rate"] == round(first["abandoned"] / first["answered"], 4)
    assert first["contacts_per_agent_hour"] == round(first["connected"] / (3 * 0.25), 2)
    assert 0 < first["agent_occupancy"] <= 1
    assert first["wall_seconds"] > 0
    # Progressive dialling keeps an agent for every call: nobody is abandoned.
    assert first["abandoned"] == 0
    svg = chart.read_text()
    assert svg.startswith("<svg") and "abandon rate" in svg and "polyline" in svg
    # The same seed is the same day, to the last digit (all database work runs in the
    # trio thread, so the mock clock never jumps during it).
    assert main([*flags("progressive"), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    exact = KEYS - {"wall_seconds"}
    assert {k: again[k] for k in exact} == {k: first[k] for k in exact}


def test_a_predictive_day_is_exactly_repeatable(capsys: pytest.CaptureFixture[str]) -> None:
    days = []
    for _ in range(2):
        assert main([*flags("predictive", agents=4), "--json"]) == 0
        day = json.loads(capsys.readouterr().out)
        del day["wall_seconds"]
        days.append(day)
    assert days[0] == days[1]
    assert days[0]["dialled"] > 0 and days[0]["connected"] > 0


def test_summary_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(flags("predictive", hours=0.1)) == 0
    out = capsys.readouterr().out
    assert out.startswith("predictive dialling, 3 agents, 0.1 h, answer rate 0.4")
    for line in ("dialled", "answered by a person", "abandon rate", "contacts per agent hour"):
        assert line in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--dialer", "agentless"], "invalid choice"),
        (["--answer-rate", "1.5"], "--answer-rate must be a fraction from 0 to 1, not 1.5"),
        (["--max-abandon", "-0.1"], "--max-abandon must be a fraction from 0 to 1"),
        (["--ring-seconds", "2"], "--ring-seconds must be from 5 to 300"),
        (["--strategy", "linear"], "--strategy does not go with --campaign"),
    ],
)
def test_mistakes_are_refused(
    capsys: pytest.CaptureFixture[str], change: list[str], message: str
) -> None:
    args = flags("predictive") + change
    try:
        code = main(args)
    except SystemExit as exc:  # argparse refuses a choice itself
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_missing_flags_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--campaign", "--agents", "3", "--aht", "60", "--hours", "1"]) == 2
    err = capsys.readouterr().err
    assert "--campaign needs --dialer, --answer-rate, --machine-rate, --ring-seconds" in err
    assert "--max-abandon" in err


@pytest.mark.parametrize(("seed", "answer_rate"), [(1, 0.25), (2, 0.45)])
def test_predictive_pacing_keeps_the_abandon_rate_under_the_maximum(
    seed: int, answer_rate: float
) -> None:
    """The pacing property at a small size: an hour of predictive dialling for 6 agents."""
    result = run_campaign(
        CampaignScenario(
            dialer="predictive",
            agents=6,
            answer_rate=answer_rate,
            machine_rate=0.2,
            ring_seconds=25,
            aht=120,
            wrap_up=10,
            hours=1,
            max_abandon=0.03,
            seed=seed,
        )
    )
    assert result.answered > 60
    assert result.abandon_rate <= 0.03
    assert result.answered == result.connected + result.abandoned
    # The day's budget: minute by minute, the running rate stays at or under the
    # maximum once the day could take one abandon (34 persons at 3 %). A pacer that
    # ignores its limit abandons 5.1 % (seed 1) and 23 % (seed 2) of this hour.
    minutes = [s for s in result.samples if s.persons >= 34]
    assert len(minutes) > 20
    assert all(s.abandoned <= 0.03 * s.persons for s in minutes)
    # It did dial ahead of the free agents: more calls than a 1:1 dialler could place.
    assert result.dialled > result.answered + result.machines


def test_the_call_records_of_a_simulated_day_give_the_summary(tmp_path: Path) -> None:
    """Every attempt is in the call records with its campaign and record (the writes are
    batched in a simulated day): ``report.campaign`` over the day's database gives the
    summary's figures."""
    database = tmp_path / "day.db"
    result = run_campaign(
        CampaignScenario(
            dialer="predictive",
            agents=6,
            answer_rate=0.4,
            machine_rate=0.2,
            ring_seconds=25,
            aht=120,
            wrap_up=10,
            hours=0.5,
            max_abandon=0.03,
            seed=3,
        ),
        keep_database=database,
    )
    engine = db.make_engine(db.sqlite_url(database))
    try:
        request = CampaignReportRequest(
            campaign=CAMPAIGN,
            queue=QUEUE,
            start=dt.datetime.fromtimestamp(START_WALL, dt.UTC),
            end=dt.datetime.fromtimestamp(START_WALL + 86400, dt.UTC),
        )
        data = report_load(engine, request, request.end)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(calls.c.campaign, calls.c.campaign_record, calls.c.state)
            ).all()
            attempts_of = dict(
                conn.execute(sa.select(campaign_records.c.id, campaign_records.c.attempts)).all()
            )
            statuses: dict[str, int] = dict(
                conn.execute(
                    sa.select(campaign_records.c.status, sa.func.count()).group_by(
                        campaign_records.c.status
                    )
                ).all()
            )
    finally:
        engine.dispose()
    report = dict(zip(COLUMNS, campaign_report(data, request).rows[0], strict=True))
    assert result.dialled > 50 and result.connected > 10
    assert report["attempts"] == result.dialled
    assert report["answered"] == result.answered
    assert report["contacts"] == result.connected
    assert report["abandoned"] == result.abandoned
    assert report["outcomes"].get("machine", 0) == result.machines
    # Each call record is closed, of the campaign, with its own record.
    assert len(rows) == result.dialled
    assert {(c, s) for c, _, s in rows} == {(CAMPAIGN, "closed")}
    dialled_records = {r for _, r, _ in rows}
    assert len(dialled_records) == result.dialled
    # Each dialled record was written back (none left ``dialling``): counted as an
    # attempt, unless its call ended after the campaign stopped at the end of the day
    # (a stopped campaign's attempt gives the record back as it was: the calls still up
    # at the last minute, at most).
    assert "dialling" not in statuses
    given_back = [r for r in dialled_records if attempts_of[r] == 0]
    assert report["recordsAttempted"] == result.dialled - len(given_back)
    assert len(given_back) <= result.samples[-1].lines
    assert sum(n for s, n in statuses.items() if s != "new") == report["recordsAttempted"]
