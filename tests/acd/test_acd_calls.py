"""Calls in queues: RONA, pending states, wrap-up, auto-answer, abandons, ring-all."""

from __future__ import annotations

from typing import Any

import trio
from acdkit import Notices, acd_centre, agent, call_in, centre, log_on, queue, snapshot

from ctid.calls.notices import CallEnded
from ctid.facts import QueueWaitObserved

CALLER = "+15550001"


def two_agents(**queue_extra: Any) -> Any:
    return centre(
        {
            "queues": [queue("sales", **queue_extra)],
            "agents": [agent("2001", "sales"), agent("2002", "sales")],
        }
    )


async def test_ring_no_answer_requeues_at_the_head_and_marks_the_agent(autojump_clock: Any) -> None:
    async with acd_centre(two_agents()) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"agentObject": "*"}})
        t0 = trio.current_time()
        await log_on(admin, "2001", "1001")
        await trio.sleep(1)
        await log_on(admin, "2002", "1002")
        call_id = await call_in(admin, CALLER, "sales")
        first = await admin.event("agent.reserved")
        assert first["agentID"] == "2001"
        # Nobody answers 1001 for the queue's 10 s ring timeout.
        rona = await admin.event("AgentNotReadyEvent", agentID="2001")
        assert rona["reasonCode"] == "RONA"
        assert rona["cause"] == "rona"
        assert rona["since"] == cc.app.clock.iso(t0 + 11)
        assert rona["today"]["ringNoAnswer"] == 1
        second = await admin.event("agent.reserved", agentID="2002")
        assert second["callID"] == call_id
        assert second["since"] == cc.app.clock.iso(t0 + 11)
        cc.sim.off_hook("1002")
        await admin.event("AgentBusyEvent", agentID="2002")
        assert cc.sim.card.hears(CALLER, "1002")
        assert (await snapshot(admin, "2001"))["agentState"] == "notReady"


async def test_pending_not_ready_applies_when_the_call_ends(autojump_clock: Any) -> None:
    async with acd_centre(two_agents(wrap_up=30.0)) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001")
        await call_in(admin, CALLER, "sales")
        await trio.sleep(1)
        cc.sim.off_hook("1001")
        await trio.sleep(1)
        reply = await admin.call(
            "SetAgentState",
            {"device": "1001", "requestedAgentState": "notReady", "reasonCode": "lunch"},
        )
        assert reply["agentState"] == "busy"
        assert reply["pendingAgentState"] == "notReady"
        assert reply["pendingReasonCode"] == "lunch"
        snap = await snapshot(admin, "2001")
        assert (snap["agentState"], snap["pendingAgentState"]) == ("busy", "notReady")
        await trio.sleep(20)
        t_end = trio.current_time()
        cc.sim.on_hook("1001")
        await trio.sleep(1)
        snap = await snapshot(admin, "2001")
        # Straight to notReady (lunch) without the queue's 30 s of wrap-up.
        assert (snap["agentState"], snap["reasonCode"]) == ("notReady", "lunch")
        assert snap["pendingAgentState"] is None
        assert snap["since"] == cc.app.clock.iso(t_end)


async def test_pending_log_off_and_a_cancelled_pending_state(autojump_clock: Any) -> None:
    async with acd_centre(two_agents()) as cc:
        admin = await cc.client()
        watcher = await cc.client()  # a supervisor's wallboard
        await watcher.call("MonitorStart", {"monitorObject": {"agentObject": "*"}})
        await log_on(admin, "2001", "1001")
        await log_on(admin, "2002", "1002")
        await call_in(admin, CALLER, "sales")
        await call_in(admin, "+15550002", "sales")
        await trio.sleep(1)
        cc.sim.off_hook("1001")
        cc.sim.off_hook("1002")
        await trio.sleep(1)
        for device, state in (("1001", "loggedOff"), ("1002", "workingAfterCall")):
            reply = await admin.call(
                "SetAgentState", {"device": device, "requestedAgentState": state}
            )
            assert reply["pendingAgentState"] == state
        # The wallboard hears of each pending state at once, not when the call ends.
        for agent_id, state in (("2001", "loggedOff"), ("2002", "workingAfterCall")):
            event = await watcher.event("agent.pending", agentID=agent_id)
            assert (event["agentState"], event["oldState"], event["newState"]) == (
                "busy",
                "busy",
                "busy",
            )
            # An admin asked on the agents' behalf: "forced".
            assert (event["pendingAgentState"], event["cause"]) == (state, "forced")
        # 2002 changes its mind: ready cancels the pending state.
        reply = await admin.call(
            "SetAgentState", {"device": "1002", "requestedAgentState": "ready"}
        )
        assert reply["pendingAgentState"] is None
        cancelled = await watcher.event("agent.pending", agentID="2002")
        assert cancelled["pendingAgentState"] is None
        # Asking again for what is already pending says nothing new.
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "loggedOff"})
        await cc.settle()
        pendings = [e for e in watcher.events if e["method"] == "agent.pending"]
        assert len(pendings) == 3
        cc.sim.on_hook("1001")
        cc.sim.on_hook("1002")
        await trio.sleep(1)
        assert (await snapshot(admin, "2001"))["agentState"] == "loggedOff"
        assert (await snapshot(admin, "2001"))["agentDevice"] is None
        assert (await snapshot(admin, "2002"))["agentState"] == "ready"


async def test_timed_wrap_up_can_be_ended_early_and_manual_wrap_up_waits(
    autojump_clock: Any,
) -> None:
    config = centre(
        {
            "queues": [queue("sales", wrap_up=60.0), queue("support", wrap_up="manual")],
            "agents": [agent("2001", "sales"), agent("2002", "support")],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001")
        await log_on(admin, "2002", "1002")
        await call_in(admin, CALLER, "sales")
        await call_in(admin, "+15550002", "support")
        await trio.sleep(1)
        cc.sim.off_hook("1001")
        cc.sim.off_hook("1002")
        await trio.sleep(10)
        cc.sim.on_hook("1001")
        cc.sim.on_hook("1002")
        await trio.sleep(5)
        assert (await snapshot(admin, "2001"))["agentState"] == "workingAfterCall"
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        snap = await snapshot(admin, "2001")
        assert snap["agentState"] == "ready"
        assert snap["today"]["acwTime"] == 5.0
        await trio.sleep(3600)
        # Manual wrap-up lasts until the agent ends it.
        assert (await snapshot(admin, "2002"))["agentState"] == "workingAfterCall"
        await admin.call(
            "SetAgentState",
            {"device": "1002", "requestedAgentState": "notReady", "reasonCode": "break"},
        )
        assert (await snapshot(admin, "2002"))["agentState"] == "notReady"


async def test_auto_answer_and_auto_release(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [queue("sales", wrap_up=5.0)],
            "agents": [agent("2001", "sales", auto_answer=True)],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        await log_on(admin, "2001", "1001")
        await call_in(admin, CALLER, "sales")
        busy = await admin.event("AgentBusyEvent")
        assert busy["agentID"] == "2001"
        assert cc.sim.card.hears("1001", CALLER)
        await trio.sleep(30)
        # The caller hangs up: the agent's line is released by itself, and wrap-up starts.
        cc.sim.on_hook(CALLER)
        await trio.sleep(0.1)
        assert cc.sim.line_state("1001").value == "idle"
        assert (await snapshot(admin, "2001"))["agentState"] == "workingAfterCall"
        await trio.sleep(5)
        assert (await snapshot(admin, "2001"))["agentState"] == "ready"
        # And the next call reaches the same phone.
        await call_in(admin, "+15550002", "sales")
        await trio.sleep(0.1)
        assert cc.sim.card.hears("1001", "+15550002")


async def test_abandoned_while_waiting_and_while_ringing(autojump_clock: Any) -> None:
    async with acd_centre(two_agents()) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices)
        admin = await cc.client()
        await call_in(admin, CALLER, "sales")
        await trio.sleep(40)
        cc.sim.on_hook(CALLER)
        await trio.sleep(1)
        await log_on(admin, "2001", "1001")
        await call_in(admin, "+15550002", "sales")
        await trio.sleep(4)
        assert cc.sim.line_state("1001").value == "ringing"
        cc.sim.on_hook("+15550002")
        await trio.sleep(0.1)
        # The phone stops; the agent is ready again, with no ring-no-answer held against it.
        assert cc.sim.line_state("1001").value == "idle"
        snap = await snapshot(admin, "2001")
        assert snap["agentState"] == "ready"
        assert snap["today"]["ringNoAnswer"] == 0
        waits = [(w.outcome, w.seconds) for w in notices.of(QueueWaitObserved)]
        assert waits == [("abandoned", 40.0), ("abandoned", 4.0)]
        facts = [e.facts for e in notices.of(CallEnded)]
        assert [f["queue_outcome"] for f in facts] == ["abandoned", "abandoned"]
        assert "ringing_started_at" not in facts[0]
        assert facts[1]["ringing_started_at"] == facts[1]["queue_entered_at"]
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert (q["offeredToday"], q["abandonedToday"], q["answeredToday"]) == (2, 2, 0)


async def test_ring_all_first_to_answer_wins(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [queue("sales", strategy="ring-all")],
            "agents": [agent("2001", "sales"), agent("2002", "sales"), agent("2003", "sales")],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        for agent_id, device in (("2001", "1001"), ("2002", "1002"), ("2003", "1003")):
            await log_on(admin, agent_id, device)
        await call_in(admin, CALLER, "sales")
        await trio.sleep(2)
        assert [cc.sim.line_state(d).value for d in ("1001", "1002", "1003")] == ["ringing"] * 3
        cc.sim.off_hook("1002")
        await trio.sleep(0.1)
        assert [cc.sim.line_state(d).value for d in ("1001", "1003")] == ["idle", "idle"]
        assert cc.sim.card.hears(CALLER, "1002")
        states = {a: (await snapshot(admin, a))["agentState"] for a in ("2001", "2002", "2003")}
        assert states == {"2001": "ready", "2002": "busy", "2003": "ready"}


async def test_a_direct_call_makes_a_ready_agent_busy(autojump_clock: Any) -> None:
    async with acd_centre(two_agents()) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001")
        cc.sim.off_hook("1001")
        cc.sim.press_digits("1001", "1005")
        await trio.sleep(1)
        snap = await snapshot(admin, "2001")
        assert snap["agentState"] == "busy"
        await call_in(admin, CALLER, "sales")
        await trio.sleep(5)
        # Not offered: it waits for a free agent.
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert [c["state"] for c in q["calls"]] == ["waiting"]
        cc.sim.on_hook("1001")
        await trio.sleep(0.1)
        # Back to ready (no wrap-up after a direct call), and the waiting call comes.
        assert (await snapshot(admin, "2001"))["agentState"] == "reserved"
        assert cc.sim.line_state("1001").value == "ringing"


async def test_made_ready_during_a_call_of_its_own_it_is_busy_until_it_ends(
    autojump_clock: Any,
) -> None:
    async with acd_centre(two_agents()) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"agentObject": "2001"}})
        await log_on(admin, "2001", "1001", ready=False)
        cc.sim.off_hook("1001")
        cc.sim.press_digits("1001", "1005")
        await trio.sleep(1)
        await call_in(admin, CALLER, "sales")
        admin.take()
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        assert (await snapshot(admin, "2001"))["agentState"] == "busy"
        await trio.sleep(1)
        assert [e["_name"] for e in admin.take()] == ["AgentReadyEvent", "AgentBusyEvent"]
        await trio.sleep(5)
        # No offer was tried at the busy phone: the call still waits, never rung.
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert [(c["state"], c["offeredTo"]) for c in q["calls"]] == [("waiting", [])]
        assert (await snapshot(admin, "2001"))["today"]["ringNoAnswer"] == 0
        cc.sim.on_hook("1001")
        await trio.sleep(0.1)
        assert cc.sim.line_state("1001").value == "ringing"
