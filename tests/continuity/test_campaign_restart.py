"""Campaigns across a kill -9 and a restart on the simulator: the run state, the day's
figures (the abandon rule is over the campaign's day), the pacer's learned model, and
a call in flight (``ctid/outbound/keep.py``). On SQLite and the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trio

from ctid.outbound.dialler import Dialler
from ctid.records import db
from ctid.records.schema import campaign_records
from ctid.switch_drivers.simulator.driver import SimulatorDriver, config_from_section
from ctid.testing import CallCentre

from ..campaigns import campaign, campaign_config, dialler_of, standings
from .restart import daemon, set_state, store_of

NUMBERS = ["5550101", "5550102", "5550103", "5550104"]


def config(tmp_path: Path, url: str) -> Any:
    campaign_c = campaign(mode="predictive", amd=False, abandon_message="sound:sorry")
    return campaign_config(tmp_path, url, campaign_c, fsync=False)


def pacer_state(dialler: Dialler) -> dict[str, Any]:
    pacer = dialler.pacers["c"]
    board = dialler.board.days["c"]
    return {
        "tally": pacer.tally,
        "total": pacer.total,
        "outcomes": dict(pacer.outcomes),
        "ring": pacer.ring.values(),
        "cycles": pacer.cycles.values(),
        "board": (board.day, board.dialled, board.answered, board.abandoned, board.connected),
    }


def set_status(url: str, number: str, status: str) -> None:
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                campaign_records.update()
                .where(campaign_records.c.number == number)
                .values(status=status)
            )
    finally:
        engine.dispose()


async def start(cc: CallCentre, numbers: list[str]) -> Any:
    admin = await cc.client()
    csv = "phone\n" + "".join(f"{n}\n" for n in numbers)
    await admin.call(
        "campaign.importList", {"campaign": "c", "list": "l", "numberColumn": "phone", "csv": csv}
    )
    await set_state(admin, "2001", "1001", "loggedOn")
    await set_state(admin, "2001", "1001", "ready")
    await admin.call("campaign.setState", {"name": "c", "state": "running"})
    return admin


async def test_a_running_campaign_keeps_its_day_and_model_and_runs_on(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    url = empty_database_url
    cfg = config(tmp_path, url)
    async with daemon(cfg) as cc:
        admin = await start(cc, NUMBERS)
        begun = trio.current_time()
        # The first callee answers at 2 s, reaches the agent; the agent hangs up at 10 s.
        await trio.sleep_until(begun + 10.0)
        cc.sim.on_hook("1001")
        await cc.settle()
        # The next is dialled at once; the agent goes not ready while it rings: the
        # person who answers waits 2 s for nobody and is abandoned.
        await trio.sleep(0.5)
        await set_state(admin, "2001", "1001", "notReady")
        await trio.sleep(20.0)
        await cc.settle()
        dialler = dialler_of(cc.app)
        before = pacer_state(dialler)
        assert (before["tally"].dialled, before["tally"].persons) == (2, 2)
        assert (before["tally"].connected, before["tally"].abandoned) == (1, 1)
        assert before["board"][1:] == (2, 2, 1, 1)
        assert len(before["ring"]) == 2 and len(before["cycles"]) == 1
        figures = await admin.call("campaign.get", {"name": "c"})
        assert figures["state"] == "running"
        await store_of(cc).flush()
    # kill -9; down for 30 s, the same day.
    await trio.sleep(30.0)
    async with daemon(cfg) as cc:
        dialler = dialler_of(cc.app)
        assert pacer_state(dialler) == before
        # The abandon rate the pacer judges by is still the day's: 1 of 2.
        assert dialler.pacers["c"].tally.abandon_rate == 0.5
        assert set(dialler.runs) == {"c"} and dialler.runs["c"].paused is False
        admin = await cc.client()
        # The campaign dials on as soon as its agent is ready again (restored not ready).
        snapshot = await admin.call("agent.snapshot", {"agentID": "2001"})
        assert snapshot["agentState"] == "notReady"
        await trio.sleep(5.0)
        assert dialler.board.days["c"].dialled == 2
        await set_state(admin, "2001", "1001", "ready")
        await trio.sleep(1.5)
        assert dialler.board.days["c"].dialled == 3
        assert dialler.pacers["c"].tally.dialled == 3
        assert dialler.pacers["c"].total.dialled == 3
        await trio.sleep(5.0)
        await admin.call("campaign.setState", {"name": "c", "state": "paused"})
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(1.0)
        await store_of(cc).flush()
        after_pause = pacer_state(dialler)
        assert after_pause["tally"].dialled == 3 and after_pause["tally"].connected == 2
    await trio.sleep(5.0)
    async with daemon(cfg) as cc:
        dialler = dialler_of(cc.app)
        assert dialler.runs["c"].paused is True
        assert pacer_state(dialler) == after_pause
        admin = await cc.client()
        assert (await admin.call("campaign.get", {"name": "c"}))["state"] == "paused"
        # Paused: the ready agent gets no call.
        assert (await admin.call("agent.snapshot", {"agentID": "2001"}))["agentState"] == "ready"
        await trio.sleep(10.0)
        assert dialler.board.days["c"].dialled == 3
        assert standings(url)["5550104"] == ("new", 0, None)


async def test_a_call_in_flight_goes_on_and_a_record_left_dialling_is_retried(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    """One simulator for both daemons: the call to the customer stays up meanwhile."""
    url = empty_database_url
    cfg = config(tmp_path, url)
    sim_cfg, sounds = config_from_section(dict(cfg.driver_section))
    sim = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    async with daemon(cfg, driver=sim) as cc:
        await start(cc, NUMBERS[:2])
        await trio.sleep(5.0)  # answered at 2 s, with the agent since
        await cc.settle()
        dialler = dialler_of(cc.app)
        [(call_id, attempt)] = dialler.attempts.items()
        assert (attempt.record_id, attempt.handed) == (1, True)
        assert standings(url)["5550101"] == ("dialling", 0, None)
        await store_of(cc).flush()
    # The kill fell between marking the second record and dialling it.
    set_status(url, "5550102", "dialling")
    await trio.sleep(10.0)
    async with daemon(cfg, driver=sim) as cc:
        dialler = dialler_of(cc.app)
        assert list(dialler.attempts) == [call_id]
        adopted = dialler.attempts[call_id]
        assert (adopted.campaign, adopted.record_id, adopted.handed) == ("c", 1, True)
        assert adopted.standing.status == "new"
        # The record nobody dialled is ended as a failed attempt: retried by the rules.
        status, attempts, outcome = standings(url)["5550102"]
        assert (status, attempts, outcome) == ("retry", 1, "failed")
        assert cc.app.model.calls[call_id].facts["campaign_record"] == 1
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(1.0)
        assert standings(url)["5550101"] == ("done", 1, "answered")
        assert dialler.attempts == {} or call_id not in dialler.attempts
        assert dialler.pacers["c"].tally.connected == 1


async def test_the_first_start_on_a_new_day_starts_the_campaign_s_day_at_0(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    cfg = config(tmp_path, empty_database_url)
    async with daemon(cfg) as cc:
        await start(cc, NUMBERS[:2])
        await trio.sleep(10.0)
        await admin_pause(cc)
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(1.0)
        dialler = dialler_of(cc.app)
        assert (dialler.pacers["c"].tally.dialled, dialler.pacers["c"].tally.persons) == (1, 1)
        yesterday = dialler.pacers["c"].tally.day
        await store_of(cc).flush()
    # Tests start at 08:00 UTC: 17 h later it is the next day in the campaign's zone.
    await trio.sleep(17 * 3600)
    async with daemon(cfg) as cc:
        dialler = dialler_of(cc.app)
        # Restored as stored (yesterday's), and rolled before the first decision.
        assert dialler.pacers["c"].tally.day == yesterday
        admin = await cc.client()
        await admin.call("campaign.setState", {"name": "c", "state": "running"})
        await trio.sleep(1.5)
        tally = dialler.pacers["c"].tally
        assert tally.day > yesterday
        assert (tally.dialled, tally.persons, tally.abandoned) == (1, 0, 0)
        assert dialler.pacers["c"].total.dialled == 2  # since the campaign started
        board = dialler.board.days["c"]
        assert (board.day.isoformat(), board.dialled, board.answered) == (tally.day, 1, 0)


async def admin_pause(cc: CallCentre) -> None:
    admin = await cc.client()
    await admin.call("campaign.setState", {"name": "c", "state": "paused"})
