"""Callbacks for one agent booked before a restart are offered on time after it
(issue 12, ``ctid/outbound/callbook.py``): the new process's ``CallbackBook`` reads the
campaign's callbacks at its first round, not ``REREAD_SECONDS`` later. A takeover runs
the same start (``tests/cluster/test_campaign_takeover.py``): the new active node's
dialler is a new one.

Kill -9 and restart on the simulator, SQLite and the real PostgreSQL, MockClock.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import trio

from ctid.calls.keep import KIND_CALL
from ctid.outbound.callbook import REREAD_SECONDS
from ctid.outbound.preview import CALLBACKS_EVERY
from ctid.switch_drivers.simulator.driver import SimulatorDriver, config_from_section
from ctid.testing import CallCentre, RpcTestClient, sim_config

from ..campaigns import campaign, campaign_sections, dialler_of, standings
from .restart import daemon, set_state, store_of

ALICE: Final = "callback-restart-agent-alice-01234"
# 5550101 answers at 2 s; ...486 is busy: its retry 600 s later keeps the campaign running.
LIST: Final = "phone\n5550101\n5550486\n"
#: How late a due callback may be offered: one look-up interval and a round.
LATE: Final = dt.timedelta(seconds=CALLBACKS_EVERY + 1)


def config(tmp_path: Path, url: str) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            **campaign_sections(url, campaign(name="renewals"), fsync=False),
            "auth": {
                "tokens": [{"role": "agent", "name": "alice", "token": ALICE, "agent_id": "2001"}]
            },
        }
    )


async def start(cc: CallCentre) -> RpcTestClient:
    admin = await cc.client()
    await admin.call(
        "campaign.importList",
        {"campaign": "renewals", "list": "l", "numberColumn": "phone", "csv": LIST},
    )
    await set_state(admin, "2001", "1001", "loggedOn")
    await set_state(admin, "2001", "1001", "ready")
    await admin.call("campaign.setState", {"name": "renewals", "state": "running"})
    return admin


def iso(at: dt.datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def book_during_call(cc: CallCentre) -> dt.datetime:
    """Start the campaign, let 5550101 answer (at 2 s) and talk with 2001, then Alice
    books record 1 for herself 40 s ahead while the call is up; returns when it is due."""
    await start(cc)
    await trio.sleep(5.0)
    alice = await cc.client(token=ALICE)
    due = dialler_of(cc.app).utcnow().replace(microsecond=0) + dt.timedelta(seconds=40)
    await alice.call("campaign.scheduleCallback", {"record": 1, "at": iso(due), "agentOnly": True})
    return due


def assert_booked_for_alice(database_url: str) -> None:
    """Record 1 is a callback for 2001 after one answered attempt."""
    assert standings(database_url, "callback_agent")["5550101"] == (
        "callback",
        1,
        "answered",
        "2001",
    )


async def offered_on_time(cc: CallCentre, due: dt.datetime) -> None:
    """Alice is shown record 1 as her callback, at ``due`` and at most ``LATE`` after."""
    dialler = dialler_of(cc.app)
    # The new process knows nothing of the booking: it reads at the campaign's first round.
    await trio.sleep(0.5)
    assert dialler.callbacks.reads >= 1
    assert dialler.callbacks.soonest("renewals") == due
    alice = await cc.client(token=ALICE)
    await alice.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
    shown = await alice.event("campaign.preview")
    offered = dialler.utcnow()
    assert (shown["record"], shown["callback"], shown["agentID"]) == (1, True, "2001")
    assert shown["number"] == "5550101"
    assert due <= offered <= due + LATE


async def test_a_callback_booked_before_a_restart_is_offered_on_time(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    database_url = empty_database_url
    cfg = config(tmp_path, database_url)
    async with daemon(cfg) as cc:
        await start(cc)
        await trio.sleep(5.0)  # 5550101 answered at 2 s and talks with 2001
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(1.0)
        alice = await cc.client(token=ALICE)
        dialler = dialler_of(cc.app)
        due = dialler.utcnow().replace(microsecond=0) + dt.timedelta(seconds=30)
        await alice.call(
            "campaign.scheduleCallback", {"record": 1, "at": iso(due), "agentOnly": True}
        )
        assert_booked_for_alice(database_url)
        await store_of(cc).flush()
    # kill -9; down 10 s: the callback is due 20 s or so after the restart, well within
    # REREAD_SECONDS of it.
    await trio.sleep(10.0)
    assert REREAD_SECONDS > 30
    async with daemon(cfg) as cc:
        await offered_on_time(cc, due)


async def test_a_callback_booked_during_a_call_kept_across_a_restart(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    """The booking is kept with the attempt (live state); the call goes on across the
    restart (one simulator for both daemons), and when it ends the record is written
    ``callback`` for the agent and the new process's book knows it at once."""
    database_url = empty_database_url
    cfg = config(tmp_path, database_url)
    sim_cfg, sounds = config_from_section(dict(cfg.driver_section))
    sim = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    async with daemon(cfg, driver=sim) as cc:
        due = await book_during_call(cc)
        # Written when the attempt ends: the record is still being dialled.
        assert standings(database_url)["5550101"] == ("dialling", 0, None)
        await cc.settle()
        await store_of(cc).flush()
    # kill -9; down 10 s; the agent hangs up after the restart.
    await trio.sleep(10.0)
    async with daemon(cfg, driver=sim) as cc:
        await trio.sleep(0.5)
        assert standings(database_url)["5550101"] == ("dialling", 0, None)
        cc.sim.on_hook("1001")
        await cc.settle()
        await trio.sleep(1.0)
        assert dialler_of(cc.app).callbacks.soonest("renewals") == due
        assert_booked_for_alice(database_url)
        await offered_on_time(cc, due)


async def test_a_callback_booked_during_a_call_that_ended_while_ctid_was_down(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    """A new simulator for the second daemon: the call is gone from the switch. The call
    comes back from the live state, is cleared once every service has it back, and the
    attempt's end writes the kept booking: ``callback`` for the agent, on time."""
    database_url = empty_database_url
    cfg = config(tmp_path, database_url)
    async with daemon(cfg) as cc:
        due = await book_during_call(cc)
        assert standings(database_url)["5550101"] == ("dialling", 0, None)
        await cc.settle()
        await store_of(cc).flush()
    await trio.sleep(10.0)
    async with daemon(cfg) as cc:
        await trio.sleep(0.5)
        assert_booked_for_alice(database_url)
        assert dialler_of(cc.app).callbacks.soonest("renewals") == due
        await offered_on_time(cc, due)


async def test_a_callback_kept_with_an_attempt_whose_call_is_not_back(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    """The attempt's row (with its booking) reached the live state, its call's row did
    not (the kill fell between the two): the call never comes back to end, so the
    restart writes the booking itself, the attempt counted, and the callback is offered
    on time (before, the recovery counted a failed attempt and the booking was lost)."""
    database_url = empty_database_url
    cfg = config(tmp_path, database_url)
    async with daemon(cfg) as cc:
        due = await book_during_call(cc)
        [call_id] = dialler_of(cc.app).attempts
        await cc.settle()
        live = store_of(cc)
        await live.flush()
        live.delete(KIND_CALL, call_id)
        await live.flush()
    await trio.sleep(10.0)
    async with daemon(cfg) as cc:
        await trio.sleep(0.5)
        assert call_id not in cc.app.model.calls
        assert_booked_for_alice(database_url)
        await offered_on_time(cc, due)
