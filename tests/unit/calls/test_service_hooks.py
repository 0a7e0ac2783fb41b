"""The call model's hooks for services: inbound routing, last facts, recording the caller."""

from __future__ import annotations

from typing import Any

import trio

from ctid.calls.model import Call
from ctid.calls.notices import CallArrived, CallEnded, Notice, RecordingDone
from ctid.switch_drivers import base as sw
from ctid.testing import call_centre


async def test_inbound_router_picks_the_destination(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        seen: list[str] = []

        def router(call: Call) -> str | None:
            seen.append(call.called_device)
            return "1002" if call.called_device == "4008001234" else None

        cc.app.model.inbound_router = router
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
        cc.sim.incoming_call("+15550001111", "4008001234")
        delivered = await client.event("DeliveredEvent", alertingDevice="1002")
        assert delivered["calledDevice"] == "4008001234"
        assert seen == ["4008001234"]


async def test_ending_hooks_stamp_facts_before_the_call_ended_notice(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        ended: list[CallEnded] = []
        cc.app.model.ending_hooks.append(lambda call: call.facts.setdefault("stamp", call.call_id))
        cc.app.calls.notice_sinks.append(
            lambda n: ended.append(n) if isinstance(n, CallEnded) else None
        )
        cc.sim.off_hook("1001")
        cc.sim.press_digits("1001", "1002")
        await cc.settle()
        cc.sim.on_hook("1001")
        await cc.settle()
        assert len(ended) == 1
        assert ended[0].facts["stamp"] == ended[0].call_id


async def test_record_the_caller_at_a_route_point(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        app = cc.app
        app.directory.add_route_point("7000", "test")
        notices: list[Notice] = []
        started: dict[str, Any] = {}

        def sink(notice: Notice) -> None:
            notices.append(notice)
            if isinstance(notice, CallArrived) and notice.route_point == "7000":
                app.control.take(notice.call_id, "7000")
                app.control.connect(notice.call_id, "7000")
                started["rec"] = app.control.record(notice.call_id, "/tmp/x/message")
                started["at"] = trio.current_time()

        app.calls.notice_sinks.append(sink)
        cc.sim.incoming_call("+15550001111", "7000")
        await cc.settle()
        await trio.sleep(7.5)
        app.control.stop_recording(started["rec"])
        app.calls.sync()
        await cc.settle()
        done = [n for n in notices if isinstance(n, RecordingDone)]
        assert len(done) == 1
        assert done[0].recording_id == started["rec"]
        assert done[0].path == "/tmp/x/message.wav"
        assert done[0].duration == 7.5


async def test_a_point_can_refuse_or_pass_on_a_call_it_took_without_answering(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        app = cc.app
        app.directory.add_route_point("7000", "test")
        app.directory.add_route_point("7001", "test")
        ended: list[CallEnded] = []

        def sink(notice: Notice) -> None:
            if isinstance(notice, CallEnded):
                ended.append(notice)
            if isinstance(notice, CallArrived) and notice.route_point == "7000":
                app.control.take(notice.call_id, "7000")
                app.control.hang_up(notice.call_id, sw.HangupCause.REJECTED)
            if isinstance(notice, CallArrived) and notice.route_point == "7001":
                app.control.take(notice.call_id, "7001")
                app.control.route(notice.call_id, "1002")

        app.calls.notice_sinks.append(sink)
        client = await cc.client()
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
        cc.sim.incoming_call("+15550001111", "7000")
        await cc.settle()
        assert [e.answered_at for e in ended] == [None]
        assert cc.sim.line_state("T/1").value == "idle"
        cc.sim.incoming_call("+15550002222", "7001")
        delivered = await client.event("DeliveredEvent", alertingDevice="1002")
        assert delivered["lastRedirectionDevice"] == "7001"
