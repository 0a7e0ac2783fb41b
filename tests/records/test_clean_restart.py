"""Clean restarts of the real daemon: the spool replays nothing the database already has.

Before the committed position was kept, every start replayed the whole current
spool segment and said "spool holds N record(s) not yet known to be in the
database", N growing with every restart.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import trio

from .daemon import Daemon
from .test_kill import call_rows, place_calls, write_config

pytestmark = pytest.mark.slow


async def test_clean_restarts_say_nothing_about_the_spool(tmp_path: Path) -> None:
    config = write_config(tmp_path / "ctid.toml", tmp_path / "state")
    url = f"sqlite:///{tmp_path / 'state' / 'ctid.db'}"
    async with trio.open_nursery() as nursery:
        for run in range(3):
            daemon = Daemon(config)
            await daemon.start(nursery)
            client = await daemon.client(nursery)
            if run == 0:
                done, talking, ringing = await place_calls(client)
                # The calls left talking and ringing end too: nothing is in progress
                # at the stop, so nothing is legitimately left for the next start.
                for device, call_id in (("5550002", talking), ("5550003", ringing)):
                    await client.call("sim.onHook", {"device": device})
                    await client.event("CallClearedEvent", clearedCall=call_id)
            await client.call("records.flush", {"timeout": 10.0})
            assert await daemon.kill(signal.SIGTERM) == 0
            await daemon.close()
            spool_lines = [line for line in daemon.lines if "spool holds" in line]
            assert spool_lines == [], (run, spool_lines)
        nursery.cancel_scope.cancel()
    assert call_rows(url)[done].disposition == "answered"
