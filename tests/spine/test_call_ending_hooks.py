"""CallModel.ending_hooks: a service writes its last facts before CallEnded is built."""

from __future__ import annotations

from typing import Any

import trio

from ctid.calls.model import Call
from ctid.calls.notices import CallArrived, CallEnded, Notice
from ctid.testing import call_centre


async def test_owner_writes_facts_when_the_caller_hangs_up(autojump_clock: Any) -> None:
    async with call_centre() as cc:
        app = cc.app
        app.directory.add_route_point("7000", "test")
        ended: list[CallEnded] = []

        def on_notice(notice: Notice) -> None:
            if isinstance(notice, CallArrived):
                app.control.take(notice.call_id, notice.route_point)
                app.control.queue(notice.call_id, notice.route_point)
                app.control.answer_caller(notice.call_id)
            elif isinstance(notice, CallEnded):
                ended.append(notice)

        def on_ending(call: Call) -> None:
            # Only the service knows why its call ended (here: the caller gave up).
            if call.owner == "7000":
                call.facts["outcome"] = "abandoned"

        app.calls.notice_sinks.append(on_notice)
        app.model.ending_hooks.append(on_ending)
        cc.sim.incoming_call("+15550001", "7000")
        await trio.sleep(5)
        assert ended == []
        cc.sim.on_hook("+15550001")
        await trio.sleep(1)
        assert len(ended) == 1
        assert ended[0].facts == {"outcome": "abandoned"}
