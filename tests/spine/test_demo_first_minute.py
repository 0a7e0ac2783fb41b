"""``ctid demo``'s first minute shows a working centre: callers reach agents at once.

The built-in demo configuration and its traffic, on MockClock, as ``ctid demo``
builds them; the count is of calls the ACD's agents answered.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
import trio
import trio.testing

from ctid.acd.desk import queue_snapshot
from ctid.app import App
from ctid.blocking import inline
from ctid.cli import demo_config
from ctid.demo_command import add_demo
from ctid.ids import IdFactory
from ctid.testing.harness import ANCHOR_WALL

pytestmark = pytest.mark.slow


def _demo(state_dir: Path, seed: int) -> App:
    config = demo_config(None)
    sections = dict(config.sections)
    sections["ivr"] = {**sections["ivr"], "tts": "silent"}  # espeak-ng is tested elsewhere
    config = attrs.evolve(
        config, server=attrs.evolve(config.server, state_dir=str(state_dir)), sections=sections
    )
    app = App(
        config,
        blocking=inline,
        admin_token="demo-first-minute-token-0123456789",
        ids=IdFactory("f"),
        anchor_wall=ANCHOR_WALL,
        serve_api=False,
    )
    add_demo(app, traffic=True, seed=seed)
    return app


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
async def test_agents_answer_calls_in_the_first_minute(
    autojump_clock: trio.testing.MockClock, tmp_path: Path, seed: int
) -> None:
    app = _demo(tmp_path, seed)
    async with trio.open_nursery() as nursery:
        await nursery.start(app.run)
        start = trio.current_time()
        await trio.sleep_until(start + 60)
        acd = app.acd
        assert acd is not None
        answered = sum(
            queue_snapshot(acd.engine, queue)["answeredToday"]
            for queue in acd.engine.queues.values()
        )
        # Six callers arrive 2-6 s apart and nearly all are with an agent within the
        # minute (before the warm-up, one call at a mean of 20 s: 0 to 5 of them).
        assert answered >= 5, answered
        nursery.cancel_scope.cancel()
