"""A call that goes on across a kill and a restart is one call record, closed normally."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import trio

from ctid.records import db
from ctid.records.schema import call_legs, calls, recordings
from ctid.switch_drivers.simulator.driver import SimulatorDriver, config_from_section
from ctid.testing.harness import ANCHOR_WALL

from .restart import acd_config, daemon, store_of

CALLER = "+15550001"


def rows(state: Path, table: sa.Table) -> list[sa.Row[object]]:
    engine = db.make_engine(db.sqlite_url(state / "ctid.db"))
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(table)).all())
    finally:
        engine.dispose()


async def test_a_call_answered_before_the_kill_is_one_record_closed_at_its_end(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    config = acd_config(tmp_path)
    sim_cfg, sounds = config_from_section(dict(config.driver_section))
    sim = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    t0 = trio.current_time()
    async with daemon(config, driver=sim) as cc:
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        reply = await client.call(
            "sim.incomingCall", {"callingNumber": CALLER, "calledNumber": "1001"}
        )
        call_id = reply["callID"]
        await client.event("DeliveredEvent", alertingDevice="1001")
        await trio.sleep(4)
        cc.sim.off_hook("1001")
        await client.event("EstablishedEvent", answeringDevice="1001")
        await trio.sleep(20)
        await store_of(cc).flush()
        await cc.app.api.services["records"].wait_committed()
    opened = rows(tmp_path, calls)
    assert [(r.call_id, r.state) for r in opened] == [(call_id, "open")]
    await trio.sleep(10)
    async with daemon(config, driver=sim) as cc:
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        await trio.sleep(30)
        cc.sim.on_hook(CALLER)
        await client.event("ConnectionClearedEvent")
        await cc.app.api.services["records"].wait_committed()
        await store_of(cc).flush()
        assert store_of(cc).statistics().pending == 0
    [row] = rows(tmp_path, calls)
    wall = ANCHOR_WALL + t0
    assert row.call_id == call_id
    assert row.state == "closed"
    assert row.disposition == "answered"
    assert row.end_cause == "normalClearing"
    assert (row.caller, row.called, row.answered_by) == (CALLER, "1001", "1001")
    assert row.started_at.timestamp() == pytest.approx(wall)
    assert row.answered_at.timestamp() == pytest.approx(wall + 4)
    assert row.ended_at.timestamp() == pytest.approx(wall + 64)
    assert row.talk_seconds == pytest.approx(60.0)
    assert row.hold_seconds == 0.0
    legs = sorted(rows(tmp_path, call_legs), key=lambda r: r.seq)
    assert [(leg.call_id, leg.device) for leg in legs] == [(call_id, CALLER), (call_id, "1001")]
    assert legs[1].answered_at.timestamp() == pytest.approx(wall + 4)
    assert [leg.joined_at.timestamp() for leg in legs] == pytest.approx([wall, wall])
    assert [leg.ended_at.timestamp() for leg in legs] == pytest.approx([wall + 64, wall + 64])
    # Nothing of the call is left in the live state.
    async with daemon(config, driver=sim) as cc:
        assert store_of(cc).load("record") == {}


async def test_a_recording_in_progress_goes_on_and_is_finished_after_the_restart(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    config = acd_config(tmp_path)
    sim_cfg, sounds = config_from_section(dict(config.driver_section))
    sim = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    t0 = trio.current_time()
    async with daemon(config, driver=sim) as cc:
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        reply = await client.call(
            "sim.incomingCall", {"callingNumber": CALLER, "calledNumber": "1001"}
        )
        call_id = reply["callID"]
        await client.event("DeliveredEvent", alertingDevice="1001")
        cc.sim.off_hook("1001")
        await client.event("EstablishedEvent", answeringDevice="1001")
        await trio.sleep(10)
        started = await client.call("recording.start", {"callID": call_id, "tags": ["vip"]})
        rid = started["recordingID"]
        await trio.sleep(5)
        await store_of(cc).flush()
        await cc.app.api.services["records"].wait_committed()
    await trio.sleep(10)
    async with daemon(config, driver=sim) as cc:
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        recording = cc.app.api.services["recording"]
        assert list(recording.active) == [rid]
        await trio.sleep(15)
        cc.sim.on_hook(CALLER)
        await client.event("ConnectionClearedEvent")
        await recording.wait_idle()
        await cc.app.api.services["records"].wait_committed()
        await store_of(cc).flush()
        assert list(store_of(cc).load("recording")) == [rid]
    wall = ANCHOR_WALL + t0
    [rec] = rows(tmp_path, recordings)
    assert (rec.recording_id, rec.call_id, rec.state, rec.detail) == (rid, call_id, "done", "")
    assert rec.started_at.timestamp() == pytest.approx(wall + 10)
    assert rec.ended_at.timestamp() == pytest.approx(wall + 40)
    assert rec.duration == pytest.approx(30.0)
    assert rec.size_bytes > 0
    assert rec.sha256 is not None and len(rec.sha256) == 64
    assert list(rec.tags) == ["vip"]
    [row] = rows(tmp_path, calls)
    assert (row.call_id, row.state, row.disposition) == (call_id, "closed", "answered")
    assert list(row.recording_ids) == [rid]
    # Nothing of the recording is left in the live state.
    async with daemon(config, driver=sim) as cc:
        assert store_of(cc).load("recording") == {}
