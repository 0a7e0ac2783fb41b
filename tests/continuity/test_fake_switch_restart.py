"""Calls, records and agents across a kill and a restart on the fake Asterisk and FreeSWITCH.

The fake switch runs in the test's nursery and outlives the daemons, as a real
switch does; leaving a daemon's block is a ``kill -9`` (no graceful stop).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trio

from ctid.records import db
from ctid.records.schema import call_legs, calls
from ctid.testing import CallCentre, call_centre
from ctid.testing.ari_schema import AriSchema
from ctid.testing.conformance import SwitchHarness, asterisk, freeswitch
from ctid.testing.conformance.asterisk import FakeAsteriskHarness
from ctid.testing.conformance.freeswitch import FakeFreeSwitchHarness
from ctid.testing.conformance.run import conformance_config
from ctid.testing.harness import ANCHOR_WALL

from .restart import DEADLINE, EventTap, set_state, store_of, watcher

API_DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "ari" / "api-docs"
CALLER = "+15550001"
OTHER = "+15550002"
QUEUE = "8001"


@functools.cache
def _schema() -> AriSchema:
    return AriSchema.load(API_DOCS)


HARNESSES: dict[str, Callable[..., SwitchHarness]] = {
    "asterisk": lambda **kw: FakeAsteriskHarness(_schema(), **kw),
    "freeswitch": lambda **kw: FakeFreeSwitchHarness(**kw),
}


def _config(harness: SwitchHarness, state: Path, **queue: Any) -> Any:
    return conformance_config(
        harness.build_driver(),
        {
            "server": {"state_dir": str(state)},
            # The dead run's last sign of life is at most a heartbeat before its end.
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1.0},
            "acd": {
                "queues": [
                    {"name": "sales", "number": QUEUE, "ring_timeout": 30.0, **queue},
                ],
                "agents": [{"id": a, "skills": [{"queue": "sales"}]} for a in ("2001", "2002")],
            },
        },
    )


@asynccontextmanager
async def _daemon(harness: SwitchHarness, config: Any) -> AsyncIterator[CallCentre]:
    async with call_centre(
        config, driver=harness.build_driver(), anchor_wall=ANCHOR_WALL + trio.current_time()
    ) as cc:
        yield cc


async def _down(cc: CallCentre) -> None:
    """Everything the daemon knows is in the database (what a kill -9 then keeps)."""
    await store_of(cc).flush()
    await cc.app.api.services["records"].wait_committed()


def _rows(state: Path, table: sa.Table) -> list[Any]:
    engine = db.make_engine(db.sqlite_url(state / "ctid.db"))
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(table)).all())
    finally:
        engine.dispose()


@pytest.mark.parametrize("switch", sorted(HARNESSES))
async def test_records_of_calls_across_a_restart(
    switch: str, tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call answered before the kill and cleared after it is ONE record with its real
    answer and talk time; a call whose channels all ended while ctid was down is closed
    as answered (its real answer time, its end at the dead run's last sign of life),
    its monitors are told, and nothing of either is left in the live state."""
    tap = EventTap(monkeypatch)
    harness = HARNESSES[switch]()
    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            await harness.start(nursery)
            config = _config(harness, tmp_path)
            t0 = trio.current_time()
            async with _daemon(harness, config) as cc:
                admin = await watcher(cc)
                for device in ("1001", "1002"):
                    await admin.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
                await harness.incoming_call(CALLER, "1001")
                kept = await admin.event("DeliveredEvent", alertingDevice="1001")
                await harness.incoming_call(OTHER, "1002")
                gone = await admin.event("DeliveredEvent", alertingDevice="1002")
                await trio.sleep(4)
                await harness.answer("1001")
                await harness.answer("1002")
                established = {(await admin.event("EstablishedEvent"))["answeringDevice"]}
                established.add((await admin.event("EstablishedEvent"))["answeringDevice"])
                assert established == {"1001", "1002"}
                answered = trio.current_time()
                await trio.sleep(20)
                await _down(cc)
                killed = trio.current_time()
            kept_id = kept["connection"]["callID"]
            gone_id = gone["connection"]["callID"]
            # While ctid is down, the second call ends: both its channels go.
            await trio.sleep(5)
            await harness.hang_up(OTHER)
            await harness.hang_up("1002")
            await trio.sleep(5)
            tap.events.clear()
            async with _daemon(harness, config) as cc:
                admin = await watcher(cc)
                await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
                await trio.sleep(30)
                await harness.hang_up(CALLER)
                await admin.event("CallClearedEvent", clearedCall=kept_id)
                await _down(cc)
                assert store_of(cc).statistics().pending == 0
                restarted = cc
            ended = trio.current_time()
            # The call that ended meanwhile: its parties cleared and the call, at start.
            cleared = [
                (e.name, e.params.get("droppedConnection") or e.params.get("clearedCall"))
                for e in tap.events
                if e.name in ("ConnectionClearedEvent", "CallClearedEvent")
            ]
            assert sorted(cleared[:3], key=str) == sorted(
                [
                    ("ConnectionClearedEvent", {"callID": gone_id, "deviceID": OTHER}),
                    ("ConnectionClearedEvent", {"callID": gone_id, "deviceID": "1002"}),
                    ("CallClearedEvent", gone_id),
                ],
                key=str,
            )
            assert restarted.app.model.calls == {}
            nursery.cancel_scope.cancel()
    wall = ANCHOR_WALL
    by_id = {r.call_id: r for r in _rows(tmp_path, calls)}
    assert set(by_id) == {kept_id, gone_id}
    row = by_id[kept_id]
    assert (row.state, row.disposition, row.end_cause) == ("closed", "answered", "normalClearing")
    assert (row.caller, row.answered_by) == (CALLER, "1001")
    assert row.answered_at.timestamp() == pytest.approx(wall + answered, abs=0.6)
    assert row.ended_at.timestamp() == pytest.approx(wall + ended, abs=0.6)
    assert row.talk_seconds == pytest.approx(ended - answered, abs=0.6)
    assert row.started_at.timestamp() == pytest.approx(wall + t0, abs=0.6)
    row = by_id[gone_id]
    assert (row.state, row.disposition, row.end_cause) == ("closed", "answered", "normalClearing")
    assert (row.caller, row.answered_by) == (OTHER, "1002")
    assert row.answered_at.timestamp() == pytest.approx(wall + answered, abs=0.6)
    # Best known end: the last sign of life of the killed run (its last heartbeat).
    # (at most one heartbeat, 1 s here, before the kill)
    assert wall + killed - 1.01 <= row.ended_at.timestamp() <= wall + killed
    assert row.talk_seconds == pytest.approx(row.ended_at.timestamp() - row.answered_at.timestamp())
    legs = [leg for leg in _rows(tmp_path, call_legs) if leg.call_id == gone_id]
    assert sorted(leg.device for leg in legs) == sorted([OTHER, "1002"])
    assert [leg.ended_at for leg in legs] == [row.ended_at] * 2
    # Nothing of either call is left in the live state.
    async with trio.open_nursery() as nursery:
        await harness.start(nursery)
        async with _daemon(harness, _config(harness, tmp_path)) as cc:
            for kind in ("call", "leg", "record"):
                assert store_of(cc).load(kind) == {}, kind
        nursery.cancel_scope.cancel()


def _acd_config(harness: SwitchHarness, state: Path) -> Any:
    return _config(harness, state, callback_digit="1", wrap_up=60.0)


async def _agent(admin: Any, agent_id: str, device: str) -> None:
    await set_state(admin, agent_id, device, "loggedOn")
    await set_state(admin, agent_id, device, "ready")


@pytest.mark.parametrize("switch", sorted(HARNESSES))
async def test_the_acd_across_a_restart(
    switch: str, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """An agent busy on a queue call, an agent in after-call work with its deadline, a
    queued caller who asked for a callback, a caller waiting behind it, and the queue's
    figures for today all come back as they were."""
    harness = HARNESSES[switch]()
    callers = ("+15550011", "+15550012", "+15550013", "+15550014")
    busy_caller, acw_caller, callback_caller, waiting_caller = callers
    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            await harness.start(nursery)
            config = _acd_config(harness, tmp_path)
            async with _daemon(harness, config) as cc:
                admin = await watcher(cc)
                await _agent(admin, "2001", "1001")
                await trio.sleep(1)
                await _agent(admin, "2002", "1002")
                # 2001 (idle the longest) takes the first caller and talks.
                await harness.incoming_call(busy_caller, QUEUE)
                offer = await admin.event("agent.reserved", agentID="2001")
                busy_call = offer["callID"]
                await trio.sleep(2)
                await harness.answer("1001")
                await admin.event("AgentBusyEvent", agentID="2001")
                # 2002 takes the second, who hangs up after 20 s: 2002 in after-call work.
                await harness.incoming_call(acw_caller, QUEUE)
                await admin.event("agent.reserved", agentID="2002")
                await trio.sleep(2)
                await harness.answer("1002")
                await admin.event("AgentBusyEvent", agentID="2002")
                await trio.sleep(20)
                await harness.hang_up(acw_caller)
                await admin.event("AgentWorkingAfterCallEvent", agentID="2002")
                acw_started = trio.current_time()
                # Nobody is free: the third caller waits, then asks to be called back.
                await harness.incoming_call(callback_caller, QUEUE)
                await trio.sleep(5)
                await harness.press_digits(callback_caller, "1")
                await trio.sleep(3)
                await harness.incoming_call(waiting_caller, QUEUE)
                await trio.sleep(5)
                before = {
                    a: await admin.call("agent.snapshot", {"agentID": a}) for a in ("2001", "2002")
                }
                queue_before = await admin.call("queue.snapshot", {"queue": "sales"})
                assert [c["state"] for c in queue_before["calls"]] == ["callback", "waiting"]
                figures_before = cc.app.api.services["acd"].queue_figures()
                await _down(cc)
            await trio.sleep(10)
            async with _daemon(harness, config) as cc:
                admin = await watcher(cc)
                after = {
                    a: await admin.call("agent.snapshot", {"agentID": a}) for a in ("2001", "2002")
                }
                for agent_id in ("2001", "2002"):
                    old, new = dict(before[agent_id]), dict(after[agent_id])
                    old.pop("today"), new.pop("today")
                    assert new == old, agent_id
                assert after["2001"]["agentState"] == "busy"
                assert after["2001"]["callID"] == busy_call
                assert after["2002"]["agentState"] == "workingAfterCall"
                queue_after = await admin.call("queue.snapshot", {"queue": "sales"})
                assert [
                    (c["callID"], c["callingDevice"], c["state"], c["position"])
                    for c in queue_after["calls"]
                ] == [
                    (c["callID"], c["callingDevice"], c["state"], c["position"])
                    for c in queue_before["calls"]
                ]
                assert [c["waitSeconds"] for c in queue_after["calls"]] == pytest.approx(
                    [c["waitSeconds"] + 10.0 for c in queue_before["calls"]]
                )
                [old_figures] = figures_before
                [new_figures] = cc.app.api.services["acd"].queue_figures()
                for name in ("offered_today", "answered_today", "abandoned_today"):
                    assert getattr(new_figures, name) == getattr(old_figures, name), name
                assert new_figures.offered_today == 4
                assert new_figures.answered_today == 2
                # 2002's after-call work ends at its deadline (60 s after it began).
                ready = await admin.event("AgentReadyEvent", agentID="2002")
                assert ready["cause"] == "wrapUpEnded"
                assert trio.current_time() - acw_started == pytest.approx(60.0, abs=0.1)
                # The callback is served first: 2002's phone is prompted for it.
                prompted = await admin.event("agent.reserved", agentID="2002")
                assert prompted["callID"] != queue_before["calls"][1]["callID"]
                # 2001's call goes on on its old callID and ends normally.
                await harness.hang_up(busy_caller)
                acw = await admin.event("AgentWorkingAfterCallEvent", agentID="2001")
                assert acw["agentID"] == "2001"
            nursery.cancel_scope.cancel()


@pytest.mark.parametrize("switch", sorted(HARNESSES))
async def test_an_agent_whose_phone_is_gone_is_logged_off_with_the_reason(
    switch: str, tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tap = EventTap(monkeypatch)
    harness = HARNESSES[switch]()
    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            await harness.start(nursery)
            async with _daemon(harness, _acd_config(harness, tmp_path)) as cc:
                admin = await watcher(cc)
                await _agent(admin, "2001", "1001")
                await _agent(admin, "2002", "1004")
                await _down(cc)
            nursery.cancel_scope.cancel()
    tap.events.clear()
    # Phone 1004 was removed from the switch (and from ctid's list of its phones)
    # while ctid was down.
    section = asterisk.ASTERISK_SECTION if switch == "asterisk" else freeswitch.FREESWITCH_SECTION
    monkeypatch.setitem(section, "extensions", "1001-1003")
    smaller = HARNESSES[switch](extensions=("1001", "1002", "1003"))
    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            await smaller.start(nursery)
            async with _daemon(smaller, _acd_config(smaller, tmp_path)) as cc:
                admin = await watcher(cc)
                kept = await admin.call("agent.snapshot", {"agentID": "2001"})
                gone = await admin.call("agent.snapshot", {"agentID": "2002"})
                assert (kept["agentState"], kept["agentDevice"]) == ("ready", "1001")
                assert (gone["agentState"], gone["agentDevice"]) == ("loggedOff", None)
            nursery.cancel_scope.cancel()
    events = tap.named("AgentLoggedOffEvent")
    assert [(e["agentID"], e["oldState"], e["newState"], e["cause"]) for e in events] == [
        ("2002", "ready", "loggedOff", "deviceRemoved")
    ]
