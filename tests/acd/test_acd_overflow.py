"""Overflow rules, caller priority, blacklists, and calls entering by route or transfer."""

from __future__ import annotations

from typing import Any

import trio
from acdkit import Notices, acd_centre, agent, call_in, centre, log_on, queue, snapshot

from ctid.calls.notices import CallArrived, CallEnded, Notice
from ctid.facts import QueueWaitObserved

CALLER = "+15550001"


async def test_timeout_overflows_to_another_queue(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [
                queue(
                    "sales",
                    max_wait=60.0,
                    overflow=[{"when": "timeout", "action": "queue", "target": "support"}],
                ),
                queue("support"),
            ],
            "agents": [agent("2001", "sales"), agent("2002", "support")],
        }
    )
    async with acd_centre(config) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices)
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "sales"}})
        await log_on(admin, "2001", "1001", ready=False)
        await log_on(admin, "2002", "1002")
        call_id = await call_in(admin, CALLER, "sales")
        queued = await admin.event("QueuedEvent")
        assert queued["queue"] == "sales"
        t0 = trio.current_time()
        diverted = await admin.event("DivertedEvent")
        assert diverted["newDestination"] == "support"
        assert diverted["cause"] == "overflow"
        assert trio.current_time() == t0 + 60
        await trio.sleep(0.1)
        assert cc.sim.line_state("1002").value == "ringing"
        cc.sim.off_hook("1002")
        await trio.sleep(10)
        cc.sim.on_hook(CALLER)
        await trio.sleep(1)
        waits = [(w.queue, w.outcome, round(w.seconds, 3)) for w in notices.of(QueueWaitObserved)]
        assert waits == [("sales", "timeout", 60.0), ("support", "answered", 0.1)]
        (ended,) = [e for e in notices.of(CallEnded) if e.call_id == call_id]
        assert ended.facts["queue"] == "support"
        assert ended.facts["queue_outcome"] == "answered"
        assert ended.facts["agent_id"] == "2002"


async def test_timeout_while_ringing_waits_for_the_ring_to_end(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [queue("sales", max_wait=5.0)],
            "agents": [agent("2001", "sales")],
        }
    )
    async with acd_centre(config) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices)
        admin = await cc.client()
        await log_on(admin, "2001", "1001")
        await call_in(admin, CALLER, "sales")
        await trio.sleep(7)
        # max_wait passed, but the phone rings: it may still be answered.
        assert cc.sim.line_state("1001").value == "ringing"
        await trio.sleep(4)
        # Ring-no-answer at 10 s, then the timeout applies: no rule, so the caller is hung up.
        assert [(w.outcome, w.seconds) for w in notices.of(QueueWaitObserved)] == [
            ("timeout", 10.0)
        ]
        assert cc.app.model.calls == {}


async def test_full_queue_plays_a_message_and_hangs_up(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [
                queue(
                    "sales",
                    max_length=1,
                    overflow=[{"when": "full", "action": "hangup", "message": ["sound:full"]}],
                )
            ],
            "agents": [agent("2001", "sales")],
        }
    )
    async with acd_centre(config, record=True) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001", ready=False)
        await call_in(admin, CALLER, "sales")
        second = await call_in(admin, "+15550002", "sales")
        await trio.sleep(0.1)
        assert any(media == ("sound:full",) for _, media in cc.sim.played())  # type: ignore[attr-defined]
        assert second in cc.app.model.calls
        await trio.sleep(1)  # the simulator's prompts last 1 s
        assert second not in cc.app.model.calls
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert (q["waiting"], q["offeredToday"], q["overflowedToday"]) == (1, 2, 1)


async def test_all_busy_overflows_to_a_device(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [
                queue(
                    "sales",
                    overflow=[{"when": "all_busy", "action": "device", "target": "1005"}],
                )
            ],
            "agents": [agent("2001", "sales")],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001", ready=False)
        await call_in(admin, CALLER, "sales")
        await trio.sleep(1)
        assert cc.sim.line_state("1005").value == "ringing"
        cc.sim.off_hook("1005")
        await trio.sleep(0.1)
        assert cc.sim.card.hears(CALLER, "1005")


async def test_no_agents_sends_to_voicemail_also_when_the_last_agent_leaves(
    autojump_clock: Any,
) -> None:
    rule = {"when": "no_agents", "action": "voicemail", "target": "8000", "mailbox": "sales"}
    config = centre(
        {"queues": [queue("sales", overflow=[rule])], "agents": [agent("2001", "sales")]}
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "sales"}})
        await call_in(admin, CALLER, "sales")
        # The mailbox travels in the call's data, then the call goes to voicemail.
        mailbox = {"ctid.queue": "sales", "ctid.mailbox": "sales"}
        await admin.event("CallInformationEvent", userData=mailbox)
        diverted = await admin.event("DivertedEvent")
        assert diverted["newDestination"] == "8000"
        # With an agent logged on, calls wait; when it logs off, they go to voicemail.
        await log_on(admin, "2001", "1001", ready=False)
        second = await call_in(admin, "+15550002", "sales")
        await trio.sleep(30)
        assert cc.app.model.calls[second].owner == "sales"
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "loggedOff"})
        diverted = await admin.event("DivertedEvent")
        assert diverted["newDestination"] == "8000"


async def test_overflow_to_an_ivr_number(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [
                queue("sales", overflow=[{"when": "no_agents", "action": "ivr", "target": "7000"}])
            ]
        }
    )
    async with acd_centre(config) as cc:
        cc.app.directory.add_route_point("7000", "ivr")
        arrived: list[CallArrived] = []

        def ivr(notice: Notice) -> None:
            if isinstance(notice, CallArrived) and notice.route_point == "7000":
                arrived.append(notice)

        cc.app.calls.notice_sinks.append(ivr)
        admin = await cc.client()
        call_id = await call_in(admin, CALLER, "sales")
        await trio.sleep(0.1)
        assert [a.call_id for a in arrived] == [call_id]


async def test_vip_and_call_data_priority_are_served_first(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [queue("sales", vip_numbers=["+15550999"])],
            "agents": [agent("2001", "sales")],
        }
    )
    async with acd_centre(config) as cc:
        cc.app.directory.add_route_point("7000", "ivr")

        def ivr(notice: Notice) -> None:
            # An IVR that learnt the caller is a gold customer, then sends it to sales.
            if isinstance(notice, CallArrived) and notice.route_point == "7000":
                control = cc.app.control
                control.take(notice.call_id, "7000")
                control.connect(notice.call_id, "7000")
                control.update_data(notice.call_id, {"priority": 5})
                control.route(notice.call_id, "sales")

        cc.app.calls.notice_sinks.append(ivr)
        admin = await cc.client()
        await log_on(admin, "2001", "1001", ready=False)
        plain = await call_in(admin, "+15550001", "sales")
        await trio.sleep(1)
        gold = await call_in(admin, "+15550002", "7000")
        await trio.sleep(1)
        vip = await call_in(admin, "+15550999", "sales")
        await trio.sleep(1)
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert [(c["callID"], c["priority"], c["position"]) for c in q["calls"]] == [
            (vip, 10, 1),
            (gold, 5, 2),
            (plain, 0, 3),
        ]
        served = []
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        for _ in range(3):
            await trio.sleep(1)
            served.append((await snapshot(admin, "2001"))["callID"])
            cc.sim.off_hook("1001")
            await trio.sleep(1)
            cc.sim.on_hook("1001")
        assert served == [vip, gold, plain]


async def test_blacklisted_callers_are_refused_or_sent_elsewhere(autojump_clock: Any) -> None:
    config = centre(
        {
            "queues": [
                queue("sales", blacklist=["+15550666"]),
                queue(
                    "support",
                    blacklist=["+15550666"],
                    blacklist_action={"action": "device", "target": "1010"},
                ),
            ],
            "agents": [agent("2001", "sales", "support")],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001")
        await call_in(admin, "+15550666", "sales")
        await trio.sleep(0.1)
        assert cc.app.model.calls == {}
        assert cc.sim.line_state("1001").value == "idle"
        await call_in(admin, "+15550666", "support")
        await trio.sleep(0.1)
        assert cc.sim.line_state("1010").value == "ringing"
        assert cc.sim.line_state("1001").value == "idle"


async def test_a_transfer_into_a_queue(autojump_clock: Any) -> None:
    config = centre({"queues": [queue("sales")], "agents": [agent("2001", "sales")]})
    async with acd_centre(config) as cc:
        admin = await cc.client()
        await log_on(admin, "2001", "1001")
        # A receptionist takes a call and sends it on to sales.
        call_id = await call_in(admin, CALLER, "1005")
        await trio.sleep(1)
        cc.sim.off_hook("1005")
        await trio.sleep(1)
        await admin.call(
            "SingleStepTransferCall",
            {"activeCall": {"callID": call_id, "deviceID": "1005"}, "transferredTo": "sales"},
        )
        await trio.sleep(1)
        assert cc.sim.line_state("1001").value == "ringing"
        cc.sim.off_hook("1001")
        await trio.sleep(0.1)
        assert cc.sim.card.hears(CALLER, "1001")
        assert (await snapshot(admin, "2001"))["callID"] == call_id


async def test_a_consultation_transfer_into_a_queue(autojump_clock: Any) -> None:
    config = centre({"queues": [queue("sales")], "agents": [agent("2001", "sales")]})
    async with acd_centre(config) as cc:
        notices = Notices()
        cc.app.calls.notice_sinks.append(notices)
        admin = await cc.client()
        await log_on(admin, "2001", "1001", ready=False)
        call_id = await call_in(admin, CALLER, "1005")
        await trio.sleep(1)
        cc.sim.off_hook("1005")
        await trio.sleep(1)
        # The receptionist consults the queue, then transfers the customer into it.
        reply = await admin.call(
            "ConsultationCall",
            {"existingCall": {"callID": call_id, "deviceID": "1005"}, "consultedDevice": "sales"},
        )
        await trio.sleep(2)
        await admin.call(
            "TransferCall",
            {
                "heldCall": {"callID": call_id, "deviceID": "1005"},
                "activeCall": reply["initiatedCall"],
            },
        )
        await trio.sleep(5)
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert [(c["callID"], c["callingDevice"], c["state"]) for c in q["calls"]] == [
            (call_id, CALLER, "waiting")
        ]
        await admin.call("SetAgentState", {"device": "1001", "requestedAgentState": "ready"})
        await trio.sleep(1)
        cc.sim.off_hook("1001")
        await trio.sleep(1)
        assert cc.sim.card.hears(CALLER, "1001")
        assert cc.sim.card.hears("1001", CALLER)
        waits = [(w.call_id, w.outcome) for w in notices.of(QueueWaitObserved)]
        assert waits == [(call_id, "answered")]
