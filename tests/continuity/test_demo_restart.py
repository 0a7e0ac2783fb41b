"""``ctid demo`` started again on its state directory: the agents it restores go on working."""

from __future__ import annotations

from pathlib import Path

import attrs
import trio

from ctid.acd.desk import queue_snapshot
from ctid.app import App
from ctid.blocking import inline
from ctid.cli import demo_config
from ctid.demo_command import add_demo
from ctid.ids import IdFactory
from ctid.testing.harness import ANCHOR_WALL


def _app(state_dir: Path) -> App:
    config = demo_config(None)
    sections = dict(config.sections)
    sections["ivr"] = {**sections["ivr"], "tts": "silent"}
    config = attrs.evolve(
        config, server=attrs.evolve(config.server, state_dir=str(state_dir)), sections=sections
    )
    app = App(
        config,
        blocking=inline,
        admin_token="demo-admin-token-0123456789",
        ids=IdFactory("d"),
        anchor_wall=ANCHOR_WALL + trio.current_time(),
        serve_api=False,
    )
    add_demo(app, traffic=True, seed=1)
    return app


def _answered(app: App) -> int:
    assert app.acd is not None
    engine = app.acd.engine
    return sum(queue_snapshot(engine, q)["answeredToday"] for q in engine.queues.values())


async def test_the_demo_started_again_works_with_its_restored_agents(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    first = _app(tmp_path)
    async with trio.open_nursery() as nursery:
        await nursery.start(first.run)
        await trio.sleep(1800)
        assert first.acd is not None
        calls_before = sum(a.day.calls for a in first.acd.engine.agents.values())
        assert calls_before > 10
        await first.api.services["livestate"].flush()
        nursery.cancel_scope.cancel()
    second = _app(tmp_path)
    async with trio.open_nursery() as nursery:
        await nursery.start(second.run)
        assert second.acd is not None
        engine = second.acd.engine
        assert {a.agent_id: a.device for a in engine.agents.values()} == {
            f"{2000 + n}": f"{1000 + n}" for n in range(1, 11)
        }
        # Today's figures came back; the restored agents answer the new run's callers.
        assert sum(a.day.calls for a in engine.agents.values()) >= calls_before
        await trio.sleep(1800)
        assert _answered(second) > 10
        assert sum(a.day.calls for a in engine.agents.values()) > calls_before + 10
        nursery.cancel_scope.cancel()
