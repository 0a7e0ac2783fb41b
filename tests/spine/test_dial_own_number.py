"""A phone that dials its own number hears busy tone; the daemon carries on."""

from __future__ import annotations

from typing import Any

import trio

from ctid.testing import call_centre


async def test_dialling_ones_own_number(autojump_clock: Any) -> None:
    async with call_centre() as cc:
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1003"}})
        cc.sim.off_hook("1003")
        cc.sim.press_digits("1003", "1003")
        failed = await client.event("FailedEvent")
        assert failed["failingDevice"] == "1003"
        assert failed["cause"] == "busy"
        # Still off-hook with busy tone, until the handset goes down.
        (conn,) = cc.app.model.device_connections("1003")
        cc.sim.on_hook("1003")
        await client.event("CallClearedEvent", clearedCall=conn.call.call_id)
        assert cc.app.model.calls == {}
        # And the daemon still works.
        cc.sim.off_hook("1003")
        cc.sim.press_digits("1003", "1004")
        await trio.sleep(1)
        assert cc.sim.line_state("1004").value == "ringing"
