"""An offer (CallControl.offer) to a phone that is busy: it is refused without ringing."""

from __future__ import annotations

from typing import Any

import trio

from ctid.calls.notices import CallArrived, Notice
from ctid.testing import call_centre


async def test_offer_to_a_busy_phone(autojump_clock: Any) -> None:
    async with call_centre() as cc:
        app = cc.app
        app.directory.add_route_point("7000", "test")
        arrived: list[str] = []

        def on_notice(notice: Notice) -> None:
            if isinstance(notice, CallArrived):
                app.control.take(notice.call_id, notice.route_point)
                app.control.queue(notice.call_id, notice.route_point)
                arrived.append(notice.call_id)

        app.calls.notice_sinks.append(on_notice)
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
        cc.sim.off_hook("1002")  # the phone is busy dialling
        cc.sim.incoming_call("+15550300", "7000")
        await trio.sleep(1)
        (call_id,) = arrived
        app.control.offer(call_id, "1002", timeout=10)
        app.calls.sync()
        cleared = await client.event("ConnectionClearedEvent")
        assert cleared["droppedConnection"] == {"callID": call_id, "deviceID": "1002"}
        assert cleared["cause"] == "busy"
        # The call stays with its owner, who may offer it elsewhere.
        assert "1002" not in app.model.calls[call_id].connections
        assert app.model.calls[call_id].owner == "7000"
