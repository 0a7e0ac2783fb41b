"""A caller in an IVR menu across a kill and a restart is released cleanly, with a record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import trio

from ctid.records import db
from ctid.records.schema import calls
from ctid.switch_drivers.simulator.driver import SimulatorDriver, config_from_section
from ctid.testing import sim_config
from ctid.testing.harness import ANCHOR_WALL

from .restart import EventTap, daemon, store_of

CALLER = "+15550001"
FRONT = "4008001234"
FLOW = {
    "start": "menu",
    "nodes": {
        "menu": {
            "type": "menu",
            "prompt": {"tts": "Sales 1, support 2."},
            "choices": {"1": "bye"},
            "on_failure": "bye",
        },
        "bye": {"type": "hangup"},
    },
}


async def test_a_caller_in_a_menu_is_released_with_an_event_and_a_record(
    tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.json").write_text(json.dumps(FLOW), encoding="utf-8")
    config = sim_config(
        {
            "server": {"state_dir": str(tmp_path / "state")},
            "records": {"enabled": True, "fsync": False},
            "ivr": {"flows_dir": str(flows), "tts": "silent"},
            "routing": {
                "rules": [{"name": "front", "dnis": [FRONT], "destination": {"flow": "main"}}]
            },
        }
    )
    sim_cfg, sounds = config_from_section(dict(config.driver_section))
    sim = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    tap = EventTap(monkeypatch)
    t0 = trio.current_time()
    async with daemon(config, driver=sim) as cc:
        client = await cc.client()
        reply = await client.call(
            "sim.incomingCall", {"callingNumber": CALLER, "calledNumber": FRONT}
        )
        call_id = reply["callID"]
        await trio.sleep(2)
        assert cc.app.api.services["ivr"].active.keys() == {call_id}
        await store_of(cc).flush()
        await cc.app.api.services["records"].wait_committed()
    await trio.sleep(5)
    tap.events.clear()
    async with daemon(config, driver=sim) as cc:
        restarted = trio.current_time()
        await trio.sleep(1)
        assert cc.app.model.calls == {}
        assert cc.app.api.services["ivr"].active == {}
        await cc.app.api.services["records"].wait_committed()
        await store_of(cc).flush()
    events = len(tap.events)
    async with daemon(config, driver=sim) as cc:
        for kind in ("call", "leg", "record"):
            assert store_of(cc).load(kind) == {}, kind
    cleared = [
        (e.name, e.params.get("droppedConnection") or e.params.get("clearedCall"))
        for e in tap.events[:events]
        if e.name in ("ConnectionClearedEvent", "CallClearedEvent")
    ]
    assert sorted(cleared[:2], key=str) == [
        ("ConnectionClearedEvent", {"callID": call_id, "deviceID": CALLER}),
        ("ConnectionClearedEvent", {"callID": call_id, "deviceID": "ivr:main"}),
    ]
    assert cleared[2:] == [("CallClearedEvent", call_id)]
    engine = db.make_engine(db.sqlite_url(tmp_path / "state" / "ctid.db"))
    try:
        with engine.connect() as conn:
            [row] = conn.execute(sa.select(calls)).all()
    finally:
        engine.dispose()
    assert (row.call_id, row.state, row.ivr_flow, row.ivr_exit) == (
        call_id,
        "closed",
        "main",
        "error",
    )
    assert row.disposition != "interrupted"
    assert row.started_at.timestamp() == pytest.approx(ANCHOR_WALL + t0)
    assert row.ivr_left_at.timestamp() == pytest.approx(ANCHOR_WALL + restarted, abs=0.5)
    assert row.ended_at.timestamp() == pytest.approx(ANCHOR_WALL + restarted, abs=0.5)
