"""The life of an ACD call on the simulator, through the public API, with exact times."""

from __future__ import annotations

from typing import Any

import trio
from acdkit import Notices, agent, centre, log_on, queue

from ctid.calls.notices import CallEnded
from ctid.facts import AgentStateChanged, QueueWaitObserved
from ctid.testing import call_centre

CALLER = "+15550001"


async def test_a_call_is_queued_offered_answered_and_wrapped_up(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [queue("sales", number="5001", wrap_up=5.0)],
            "agents": [agent("2001", "sales"), agent("2002", "sales")],
        }
    )
    async with call_centre(config) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices)
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        await admin.call("MonitorStart", {"monitorObject": {"queueObject": "sales"}})
        start = trio.current_time()
        await log_on(admin, "2001", "1001")
        await trio.sleep(1)
        await log_on(admin, "2002", "1002")
        await trio.sleep(1)

        call_id = (
            await admin.call("sim.incomingCall", {"callingNumber": CALLER, "calledNumber": "5001"})
        )["callID"]
        # The longest idle agent (ready first) gets it, with the call's data (screen pop).
        reserved = await admin.event("agent.reserved", agentID="2001")
        assert reserved["oldState"] == "ready"
        assert reserved["callID"] == call_id
        delivered = await admin.event("DeliveredEvent", alertingDevice="1001")
        assert delivered["userData"] == {"ctid.queue": "sales"}
        assert delivered["callingDevice"] == CALLER
        assert cc.sim.card.hears_music(CALLER)

        await trio.sleep(3)
        cc.sim.off_hook("1001")
        busy = await admin.event("AgentBusyEvent", agentID="2001")
        assert busy["since"] == cc.app.clock.iso(start + 5)
        assert cc.sim.card.hears(CALLER, "1001")
        assert cc.sim.card.hears("1001", CALLER)
        assert not cc.sim.card.hears_music(CALLER)

        await trio.sleep(60)
        cc.sim.on_hook("1001")
        acw = await admin.event("AgentWorkingAfterCallEvent", agentID="2001")
        assert acw["since"] == cc.app.clock.iso(start + 65)
        ready = await admin.event("AgentReadyEvent", agentID="2001")
        assert ready["since"] == cc.app.clock.iso(start + 70)
        assert ready["cause"] == "wrapUpEnded"
        assert ready["today"]["calls"] == 1
        assert ready["today"]["talkTime"] == 60.0
        assert ready["today"]["acwTime"] == 5.0

        ended = notices.of(CallEnded)[-1]
        assert ended.facts["queue"] == "sales"
        assert ended.facts["queue_outcome"] == "answered"
        assert ended.facts["agent_id"] == "2001"
        assert ended.facts["agent_device"] == "1001"
        assert ended.facts["queue_left_at"] - ended.facts["queue_entered_at"] == 3.0
        waits = notices.of(QueueWaitObserved)
        assert [(w.queue, w.outcome, w.seconds) for w in waits] == [("sales", "answered", 3.0)]
        states = [(n.agent_id, n.new_state) for n in notices.of(AgentStateChanged)]
        assert states[-4:] == [
            ("2001", "reserved"),
            ("2001", "busy"),
            ("2001", "workingAfterCall"),
            ("2001", "ready"),
        ]
        snap = await admin.call("queue.snapshot", {"queue": "sales"})
        assert snap["offeredToday"] == 1
        assert snap["answeredToday"] == 1
        assert snap["serviceLevelToday"] == 1.0
        assert snap["agents"] == {"ready": ["2001", "2002"]}
