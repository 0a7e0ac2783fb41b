"""Schedules, callbacks in queue, announcements with position and EWT, wallboard events."""

from __future__ import annotations

from typing import Any

import trio
from acdkit import Notices, acd_centre, agent, call_in, centre, log_on, queue, snapshot

from ctid.calls.notices import CallEnded
from ctid.facts import QueueWaitObserved

CALLER = "+15550001"


async def test_a_membership_follows_its_schedule(autojump_clock: Any) -> None:
    # Tests start at 08:00 UTC on Friday 2027-01-15; the support shift ends at 09:00.
    config = centre(
        {
            "schedules": {"early": {"days": ["fri"], "hours": ["08:00-09:00"]}},
            "queues": [queue("sales"), queue("support")],
            "agents": [
                {
                    "id": "2001",
                    "skills": [{"queue": "sales"}, {"queue": "support", "schedule": "early"}],
                }
            ],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        t0 = trio.current_time()
        await log_on(admin, "2001", "1001")
        active = {q["queue"]: q["active"] for q in (await snapshot(admin, "2001"))["queues"]}
        assert active == {"sales": True, "support": True}
        await trio.sleep_until(t0 + 3600)
        active = {q["queue"]: q["active"] for q in (await snapshot(admin, "2001"))["queues"]}
        assert active == {"sales": True, "support": False}
        await call_in(admin, CALLER, "support")
        await trio.sleep(5)
        assert cc.sim.line_state("1001").value == "idle"
        q = await admin.call("queue.snapshot", {"queue": "support"})
        assert (q["waiting"], q["agents"]) == (1, {})
        await call_in(admin, "+15550002", "sales")
        await trio.sleep(1)
        assert cc.sim.line_state("1001").value == "ringing"


async def test_schedule_start_brings_a_waiting_call_to_the_agent(autojump_clock: Any) -> None:
    config = centre(
        {
            "schedules": {"late": {"days": ["fri"], "hours": ["08:30-17:00"]}},
            "queues": [queue("support")],
            "agents": [{"id": "2001", "skills": [{"queue": "support", "schedule": "late"}]}],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        t0 = trio.current_time()
        await log_on(admin, "2001", "1001")
        await call_in(admin, CALLER, "support")
        await trio.sleep_until(t0 + 1799)
        assert cc.sim.line_state("1001").value == "idle"
        await trio.sleep_until(t0 + 1800.5)
        assert cc.sim.line_state("1001").value == "ringing"


async def test_callback_keeps_its_place_and_reaches_the_customer(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [queue("sales", callback_digit="1", wrap_up=10.0)],
            "agents": [agent("2001", "sales", auto_answer=True)],
        }
    )
    async with acd_centre(config, record=True) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices)
        admin = await cc.client()
        await log_on(admin, "2001", "1001", ready=False)
        first = await call_in(admin, CALLER, "sales")
        await trio.sleep(5)
        second = await call_in(admin, "+15550002", "sales")
        await trio.sleep(5)
        cc.sim.press_digits(CALLER, "1")
        await trio.sleep(2)
        # Thanked and let go; the entry keeps its place ahead of the second caller.
        assert first not in cc.app.model.calls
        assert ("sound:queue-callback-confirmed",) in [m for _, m in cc.sim.played()]  # type: ignore[attr-defined]
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert [(c["callID"], c["state"], c["position"]) for c in q["calls"]] == [
            (first, "callback", 1),
            (second, "waiting", 2),
        ]
        assert q["waiting"] == 1
        assert q["callbacks"] == 1
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        await trio.sleep(0.1)
        snap = await snapshot(admin, "2001")
        assert snap["agentState"] == "busy"  # its phone answered the prompt by itself
        callback_call = snap["callID"]
        assert callback_call not in (first, second)
        await trio.sleep(3)  # the customer's phone rings, and it answers after 2 s
        assert cc.sim.card.hears(CALLER, "1001")
        assert cc.app.model.calls[callback_call].user_data["ctid.callbackFor"] == first
        await trio.sleep(60)
        cc.sim.on_hook(CALLER)
        await trio.sleep(10.5)
        # After its wrap-up, the agent takes the second caller.
        assert (await snapshot(admin, "2001"))["callID"] == second
        waits = [(w.call_id, w.outcome) for w in notices.of(QueueWaitObserved)]
        assert waits[:2] == [(first, "callback"), (second, "answered")]
        facts = {e.call_id: e.facts for e in notices.of(CallEnded)}
        assert facts[first]["queue_outcome"] == "callback"
        assert facts[callback_call]["queue_outcome"] == "answered"
        assert facts[callback_call]["agent_id"] == "2001"


async def test_a_callback_that_cannot_reach_the_customer_is_retried_then_dropped(
    autojump_clock: Any,
) -> None:
    busy_number = "+15550486"  # the simulator's outside numbers ending in 486 are busy
    config = centre(
        {
            "queues": [
                queue("sales", callback_digit="*", callback_attempts=2, callback_retry=60.0)
            ],
            "agents": [agent("2001", "sales", auto_answer=True)],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001", ready=False)
        await call_in(admin, busy_number, "sales")
        await trio.sleep(1)
        cc.sim.press_digits(busy_number, "*")
        await trio.sleep(2)
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        await trio.sleep(2)
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        # The first attempt found the line busy; the agent is free again; a retry waits.
        assert [c["state"] for c in q["calls"]] == ["callback"]
        assert (await snapshot(admin, "2001"))["agentState"] == "ready"
        await trio.sleep(60)
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert q["calls"] == []
        assert (await snapshot(admin, "2001"))["agentState"] == "ready"


async def test_announcements_say_position_and_wait(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [
                queue(
                    "sales",
                    greeting=["sound:welcome"],
                    announce_interval=30.0,
                    default_handle_time=300.0,
                    callback_digit="1",
                )
            ],
            "agents": [agent("2001", "sales"), agent("2002", "sales")],
        }
    )
    async with acd_centre(config, record=True) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001", ready=False)
        await log_on(admin, "2002", "1002", ready=False)
        for device in ("1001", "1002"):
            await admin.call(
                "SetAgentState", {"device": device, "requestedAgentState": "workingAfterCall"}
            )
        t0 = trio.current_time()
        await call_in(admin, "+15550010", "sales")
        await call_in(admin, CALLER, "sales")
        await trio.sleep(1.5)
        assert cc.sim.card.hears_music(CALLER)  # after the 1 s greeting
        await trio.sleep(30.5)
        played = [(round(t - t0, 3), m) for t, m in cc.sim.played()]  # type: ignore[attr-defined]
        # Second in line; two agents serving, 300 s per call: (2 - 0) * 300 / 2 = 300 s = 5 min.
        assert (
            31.0,
            (
                "sound:queue-youarenumber",
                "number:2",
                "sound:queue-estimated-wait",
                "number:5",
                "sound:minutes",
                "sound:queue-callback-press",
                "digits:1",
            ),
        ) in played
        assert played[0] == (0.0, ("sound:welcome",))
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert q["estimatedWait"] == 450.0  # a third caller: (3 - 0) * 300 / 2


async def test_wallboard_events_are_throttled_and_all_busy_is_signalled(
    autojump_clock: Any,
) -> None:
    config = centre(
        {
            "wallboard_interval": 2.0,
            "queues": [queue("sales")],
            "agents": [agent("2001", "sales")],
        }
    )
    async with acd_centre(config) as cc:
        board = await cc.client()
        await board.call("MonitorStart", {"monitorObject": {"queueObject": "sales"}})
        admin = await cc.client()
        t0 = trio.current_time()
        await log_on(admin, "2001", "1001")
        for n in range(4):
            await call_in(admin, f"+1555000{n}", "sales")
            await trio.sleep(0.1)
        await trio.sleep(5)
        figures = [e for e in board.events if e["method"] == "queue.figures"]
        times = [e["params"]["timestamp"] for e in figures]
        # One at once, then at most one per 2 s however many changes there were.
        assert times == [cc.app.clock.iso(t0), cc.app.clock.iso(t0 + 2)]
        assert figures[-1]["params"]["waiting"] == 3
        busy = [e["params"]["allBusy"] for e in board.events if e["method"] == "queue.allBusy"]
        # No agent (busy), one ready agent (not busy), then it took a call (busy).
        assert busy == [True, False, True]


async def test_live_service_level_leaves_out_calls_that_may_still_make_it(
    autojump_clock: Any,
) -> None:
    config = centre({"queues": [queue("sales")], "agents": [agent("2001", "sales")]})
    async with acd_centre(config) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001", ready=False)

        async def level() -> float:
            figures = await admin.call("queue.snapshot", {"queue": "sales"})
            return figures["serviceLevelToday"]  # type: ignore[no-any-return]

        await call_in(admin, CALLER, "sales")
        await trio.sleep(10)
        assert await level() == 1.0  # waiting 10 s of 20: it may still be answered in time
        await trio.sleep(15)
        assert await level() == 0.0  # 25 s: missed, whatever happens next
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        await trio.sleep(1)
        cc.sim.off_hook("1001")
        await trio.sleep(1)
        await call_in(admin, "+15550002", "sales")  # rings nobody: 2001 is busy
        await trio.sleep(5)
        # One answered late, one still in time: 0 of 1 decided.
        assert await level() == 0.0
        assert (await admin.call("queue.snapshot", {"queue": "sales"}))["answeredToday"] == 1
