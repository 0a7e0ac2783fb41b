"""``ctid demo`` ships a working ACD: queues sales and support, agents 2001-2010 at 1001-1010."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import trio

from ctid.acd.desk import queue_snapshot
from ctid.app import App
from ctid.blocking import inline
from ctid.cli import demo_config
from ctid.demo_command import add_demo
from ctid.ids import IdFactory
from ctid.testing.harness import ANCHOR_WALL


def _app(*, traffic: bool, state_dir: Path) -> App:
    config = demo_config(None)
    # The demo's records and prompts go to a temporary directory, not the working
    # one; prompts are silent (espeak-ng has tests of its own).
    sections = dict(config.sections)
    sections["ivr"] = {**sections["ivr"], "tts": "silent"}
    config = attrs.evolve(
        config,
        server=attrs.evolve(config.server, state_dir=str(state_dir)),
        sections=sections,
    )
    app = App(
        config,
        blocking=inline,  # database writes inline: MockClock must not jump meanwhile
        admin_token="demo-admin-token-0123456789",
        ids=IdFactory("d"),
        anchor_wall=ANCHOR_WALL,
        serve_api=False,  # the demo's own port is not for tests
    )
    add_demo(app, traffic=traffic, seed=1)
    return app


async def test_with_traffic_agents_log_on_and_work_by_themselves(
    autojump_clock: Any, tmp_path: Path
) -> None:
    app = _app(traffic=True, state_dir=tmp_path)
    async with trio.open_nursery() as nursery:
        await nursery.start(app.run)
        acd = app.acd
        assert acd is not None
        engine = acd.engine
        assert sorted(engine.queues) == ["sales", "support"]
        assert {a.agent_id: a.device for a in engine.agents.values()} == {
            f"{2000 + n}": f"{1000 + n}" for n in range(1, 11)
        }
        await trio.sleep(3600)
        answered = {
            name: queue_snapshot(engine, queue)["answeredToday"]
            for name, queue in engine.queues.items()
        }
        # About 180 callers an hour ring the two queues; agents answer them.
        assert answered["sales"] > 20
        assert answered["support"] > 20
        assert sum(a.day.calls for a in engine.agents.values()) == sum(answered.values())
        nursery.cancel_scope.cancel()


async def test_without_traffic_agents_wait_logged_off(autojump_clock: Any, tmp_path: Path) -> None:
    app = _app(traffic=False, state_dir=tmp_path)
    async with trio.open_nursery() as nursery:
        await nursery.start(app.run)
        await trio.sleep(600)
        assert app.acd is not None
        assert {a.state.value for a in app.acd.engine.agents.values()} == {"loggedOff"}
        assert app.model.calls == {}
        nursery.cancel_scope.cancel()
