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
from ctid.testing.conformance import SwitchHarness
from ctid.testing.conformance.asterisk import FakeAsteriskHarness
from ctid.testing.conformance.freeswitch import FakeFreeSwitchHarness
from ctid.testing.conformance.run import conformance_config
from ctid.testing.harness import ANCHOR_WALL

from .restart import DEADLINE, EventTap, store_of, watcher

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
