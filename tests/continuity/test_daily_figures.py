"""Figures of the day across a kill -9 and a restart: kept the same day, 0 on a new day.

A lab run saw a queue's "offered today" back at 0 after a restart: every live daily
figure is checked here (``queue.snapshot``'s, which the wallboard and the metrics
read too, and the agents' ``today``), on SQLite and the real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trio

from ctid.testing import CallCentre, RpcTestClient

from .restart import acd_config, daemon, set_state, store_of, watcher

FIGURES = ("offeredToday", "answeredToday", "abandonedToday", "serviceLevelToday")


async def busy_day(cc: CallCentre, admin: RpcTestClient) -> None:
    """Two callers answered by 2001, one abandoned while queued."""
    await set_state(admin, "2001", "1001", "loggedOn")
    await set_state(admin, "2001", "1001", "ready")
    for caller in ("+15550001", "+15550002"):
        await admin.call("sim.incomingCall", {"callingNumber": caller, "calledNumber": "800"})
        await admin.event("agent.reserved", agentID="2001")
        cc.sim.off_hook("1001")
        await admin.event("AgentBusyEvent", agentID="2001")
        await trio.sleep(30)
        cc.sim.on_hook("1001")
        await admin.event("AgentReadyEvent", agentID="2001")
    await set_state(admin, "2001", "1001", "notReady")
    await admin.call("sim.incomingCall", {"callingNumber": "+15550003", "calledNumber": "800"})
    await trio.sleep(20)
    cc.sim.on_hook("+15550003")
    await cc.settle()


async def figures(cc: CallCentre, admin: RpcTestClient) -> dict[str, Any]:
    snapshot = await admin.call("queue.snapshot", {"queue": "sales"})
    # What the metrics' ``ctid_queue_calls_today`` and the wallboard read too.
    [sales] = [f for f in cc.app.api.services["acd"].queue_figures() if f.queue == "sales"]
    metrics = (sales.offered_today, sales.answered_today, sales.abandoned_today)
    agent = await admin.call("agent.snapshot", {"agentID": "2001"})
    return {
        "queue": {key: snapshot[key] for key in FIGURES},
        "metrics": metrics,
        "calls": agent["today"]["calls"],
        "talkTime": agent["today"]["talkTime"],
    }


async def test_a_restart_the_same_day_keeps_the_day_s_figures(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    config = acd_config(tmp_path, database=empty_database_url)
    async with daemon(config) as cc:
        admin = await watcher(cc)
        await busy_day(cc, admin)
        before = await figures(cc, admin)
        assert before["queue"] == {
            "offeredToday": 3,
            "answeredToday": 2,
            "abandonedToday": 1,
            "serviceLevelToday": 0.6667,
        }
        assert before["metrics"] == (3, 2, 1)
        assert (before["calls"], before["talkTime"]) == (2, 60.0)
        await store_of(cc).flush()
    await trio.sleep(60)  # kill -9, down a minute
    async with daemon(config) as cc:
        admin = await watcher(cc)
        assert await figures(cc, admin) == before
        # And they go on counting from there.
        await admin.call("sim.incomingCall", {"callingNumber": "+15550004", "calledNumber": "800"})
        await cc.settle()
        after = await admin.call("queue.snapshot", {"queue": "sales"})
        assert after["offeredToday"] == 4


async def test_the_first_start_on_a_new_day_starts_the_figures_at_0(
    tmp_path: Path, empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    config = acd_config(tmp_path, database=empty_database_url)
    async with daemon(config) as cc:
        admin = await watcher(cc)
        await busy_day(cc, admin)
        await store_of(cc).flush()
    # Tests start at 08:00 UTC: 17 h later it is the next day, 01:00 or so.
    await trio.sleep(17 * 3600)
    async with daemon(config) as cc:
        admin = await watcher(cc)
        now = await figures(cc, admin)
        assert now["queue"] == {
            "offeredToday": 0,
            "answeredToday": 0,
            "abandonedToday": 0,
            "serviceLevelToday": 1.0,
        }
        assert now["metrics"] == (0, 0, 0)
        assert (now["calls"], now["talkTime"]) == (0, 0.0)
