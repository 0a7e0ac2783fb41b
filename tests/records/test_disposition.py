"""Dispositions and call records from facts the ACD and IVR write (facts.py), built by hand.

The ACD and IVR are built in parallel; these tests play their part with the
exact fact keys and notices of ``ctid.facts``, through the real notice
pipeline (``CallModel.notify`` then ``CallService.sync``) where a daemon is
involved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trio

from ctid import facts as f
from ctid.calls.events import (
    CallClearedEvent,
    ConnectionClearedEvent,
    DeliveredEvent,
    DivertedEvent,
    EstablishedEvent,
    QueuedEvent,
)
from ctid.calls.notices import CallEnded
from ctid.calls.values import ConnectionID
from ctid.records.disposition import CallOutcome, Disposition, disposition
from ctid.records.schema import agent_states, calls, ivr_runs, ivr_visits, queue_waits
from ctid.records.service import RecordsService
from ctid.records.tracker import CallTracker, build_record
from ctid.testing import call_centre
from ctid.testing.harness import ANCHOR_WALL

from .test_cdr_scenarios import records_config

D = Disposition


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (CallOutcome(person_answered=True), D.ANSWERED),
        (CallOutcome(person_answered=True, transferred=True), D.TRANSFERRED),
        (CallOutcome(person_answered=True, transferred=True, conferenced=True), D.CONFERENCED),
        (CallOutcome(person_answered=False, ivr=True, ivr_exit="selfService"), D.ANSWERED),
        (CallOutcome(person_answered=False, ivr=True, ivr_exit="hangup"), D.ABANDONED_IN_IVR),
        (CallOutcome(person_answered=False, ivr=True), D.ABANDONED_IN_IVR),
        (
            CallOutcome(person_answered=False, ivr=True, queued=True, queue_outcome="abandoned"),
            D.ABANDONED_IN_QUEUE,
        ),
        (
            CallOutcome(person_answered=False, queued=True, abandoned_while_ringing=True),
            D.ABANDONED_WHILE_RINGING,
        ),
        (
            CallOutcome(person_answered=False, queued=True, ringing_fact=True),
            D.ABANDONED_WHILE_RINGING,
        ),
        (
            CallOutcome(person_answered=False, queued=True, queue_outcome="timeout"),
            D.ABANDONED_IN_QUEUE,
        ),
        (CallOutcome(person_answered=False, queued=True, agent=True), D.ANSWERED),
        (CallOutcome(person_answered=False, failure_cause="busy"), D.BUSY),
        (CallOutcome(person_answered=False, failure_cause="noAnswer"), D.NO_ANSWER),
        (CallOutcome(person_answered=False, failure_cause="destNotObtainable"), D.FAILED),
        (CallOutcome(person_answered=False, failure_cause="trunksBusy"), D.FAILED),
        (CallOutcome(person_answered=False), D.FAILED),
    ],
)
def test_disposition_rules(outcome: CallOutcome, expected: Disposition) -> None:
    assert disposition(outcome) is expected


# ---------------------------------------------------- a queue call, event by event


def _tracker() -> CallTracker:
    kinds = {"800": "routePoint", "sales": "routePoint", "1001": "extension"}
    return CallTracker(
        kind_of=lambda d: kinds.get(d, "external"),
        trunk_of=lambda c, d: "T/3" if d == "0611" else None,
    )


def _ended(facts: dict[str, Any], *, at: float, answered_at: float | None = None) -> CallEnded:
    return CallEnded(
        call_id="c1",
        calling_device="0611",
        called_device="800",
        trunk="T/3",
        direction="inbound",
        created_at=0.0,
        answered_at=answered_at,
        ended_at=at,
        cause="normalClearing",
        correlator_data=None,
        user_data={"lang": "fr"},
        devices=("0611", "800"),
        facts=facts,
    )


def _queue_call(tracker: CallTracker, *, agent_answers: bool) -> None:
    c = "c1"
    tracker.track(c, "0611")
    tracker.join(c, "0611", 0.0)
    # The IVR answers (not a person), plays a menu, hands the call to the queue.
    tracker.observe(
        EstablishedEvent(
            established_connection=ConnectionID(call_id=c, device_id="800"),
            answering_device="800",
            calling_device="0611",
            called_device="800",
        ),
        1.0,
    )
    tracker.observe(
        DivertedEvent(
            connection=ConnectionID(call_id=c, device_id="800"),
            diverting_device="800",
            new_destination="sales",
            calling_device="0611",
            called_device="800",
        ),
        20.0,
    )
    tracker.observe(
        QueuedEvent(
            queued_connection=ConnectionID(call_id=c, device_id="sales"),
            queue="sales",
            calling_device="0611",
            called_device="800",
        ),
        20.0,
    )
    tracker.observe(
        DeliveredEvent(
            connection=ConnectionID(call_id=c, device_id="1001"),
            alerting_device="1001",
            calling_device="0611",
            called_device="800",
        ),
        50.0,
    )
    if agent_answers:
        tracker.observe(
            EstablishedEvent(
                established_connection=ConnectionID(call_id=c, device_id="1001"),
                answering_device="1001",
                calling_device="0611",
                called_device="800",
            ),
            55.0,
        )
        end = 175.0
    else:
        end = 58.0
    tracker.observe(
        ConnectionClearedEvent(
            dropped_connection=ConnectionID(call_id=c, device_id="0611"),
            releasing_device="0611",
        ),
        end,
    )
    tracker.observe(CallClearedEvent(cleared_call=c), end)


QUEUE_FACTS = {
    f.FACT_IVR_FLOW: "main",
    f.FACT_IVR_ENTERED_AT: 1.0,
    f.FACT_IVR_LEFT_AT: 20.0,
    f.FACT_IVR_EXIT: "agent",
    f.FACT_QUEUE: "sales",
    f.FACT_QUEUE_ENTERED_AT: 20.0,
    f.FACT_RINGING_STARTED_AT: 50.0,
}


def test_queue_call_answered_by_an_agent() -> None:
    tracker = _tracker()
    _queue_call(tracker, agent_answers=True)
    facts = {
        **QUEUE_FACTS,
        f.FACT_QUEUE_LEFT_AT: 55.0,
        f.FACT_QUEUE_OUTCOME: "answered",
        f.FACT_AGENT: "agent-7",
        f.FACT_AGENT_DEVICE: "1001",
        f.FACT_RECORDINGS: ["t-r1"],
    }
    record = build_record(
        _ended(facts, at=175.0, answered_at=1.0),
        tracker.finish("c1"),
        wall=lambda x: 1000.0 + x,
        node="n",
        run_id="r",
        dnis="800",
    )
    assert record.disposition == "answered"
    assert (record.queue, record.queue_outcome, record.agent_id, record.agent_device) == (
        "sales",
        "answered",
        "agent-7",
        "1001",
    )
    # Answered by the agent at 55 s, not by the IVR at 1 s.
    assert (record.answered_at, record.answered_by) == (1055.0, "1001")
    assert (record.ivr_flow, record.ivr_exit) == ("main", "agent")
    assert (record.ivr_entered_at, record.ivr_left_at) == (1001.0, 1020.0)
    assert (record.queue_entered_at, record.queue_left_at) == (1020.0, 1055.0)
    assert (record.wait_seconds, record.talk_seconds, record.hold_seconds) == (35.0, 120.0, 0.0)
    assert record.recording_ids == ("t-r1",)
    assert record.user_data == {"lang": "fr"}
    assert [(leg.device, leg.kind, leg.trunk) for leg in record.legs] == [
        ("0611", "external", "T/3"),
        ("800", "routePoint", None),
        ("sales", "routePoint", None),
        ("1001", "extension", None),
    ]
    assert record.legs[1].end_cause == "redirected"


def test_caller_hangs_up_while_the_agent_rings() -> None:
    tracker = _tracker()
    _queue_call(tracker, agent_answers=False)
    facts = {**QUEUE_FACTS, f.FACT_QUEUE_OUTCOME: "abandoned", f.FACT_QUEUE_LEFT_AT: 58.0}
    record = build_record(
        _ended(facts, at=58.0), tracker.finish("c1"), wall=float, node="n", run_id="r", dnis="800"
    )
    assert record.disposition == "abandonedWhileRinging"
    assert record.wait_seconds == 38.0


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({**QUEUE_FACTS, f.FACT_QUEUE_OUTCOME: "abandoned"}, "abandonedWhileRinging"),
        (
            {
                f.FACT_QUEUE: "sales",
                f.FACT_QUEUE_ENTERED_AT: 20.0,
                f.FACT_QUEUE_LEFT_AT: 58.0,
                f.FACT_QUEUE_OUTCOME: "abandoned",
            },
            "abandonedInQueue",
        ),
        ({f.FACT_IVR_FLOW: "main", f.FACT_IVR_EXIT: "hangup"}, "abandonedInIvr"),
        ({f.FACT_IVR_FLOW: "main", f.FACT_IVR_EXIT: "selfService"}, "answered"),
    ],
)
def test_fact_only_dispositions(facts: dict[str, Any], expected: str) -> None:
    """Without events (only the notice), the facts decide."""
    record = build_record(_ended(facts, at=58.0), None, wall=float, node="n", run_id="r", dnis=None)
    assert record.disposition == expected


def test_a_queue_wait_without_a_leave_time_lasts_until_the_end() -> None:
    facts = {f.FACT_QUEUE: "sales", f.FACT_QUEUE_ENTERED_AT: 20.0}
    record = build_record(_ended(facts, at=80.0), None, wall=float, node="n", run_id="r", dnis=None)
    assert record.wait_seconds == 60.0
    assert record.disposition == "abandonedInQueue"


def test_facts_that_are_not_json_are_kept_as_text() -> None:
    facts = {f.FACT_QUEUE: "sales", "custom": {1, 2}, "obj": object}
    record = build_record(_ended(facts, at=1.0), None, wall=float, node="n", run_id="r", dnis=None)
    assert record.facts["custom"] == [1, 2]
    assert isinstance(record.facts["obj"], str)


# ------------------------------------ the facts.py notices, through a running daemon


def _at(value: Any) -> float:
    return round(value.timestamp() - ANCHOR_WALL, 3)


async def test_service_notices_become_rows(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with call_centre(records_config(tmp_path)) as cc:
        app = cc.app
        records = app.api.services["records"]
        assert isinstance(records, RecordsService)

        def notify(notice: Any) -> None:
            app.model.notify(notice)
            app.calls.sync()

        def agent(old: str, new: str, call: str | None = None, reason: str | None = None) -> None:
            notify(
                f.AgentStateChanged(
                    agent_id="agent-7",
                    device="1001",
                    old_state=old,
                    new_state=new,
                    reason_code=reason,
                    at=trio.current_time(),
                    call_id=call,
                    queues=("sales",),
                )
            )

        agent("loggedOff", "notReady", reason="login")
        await trio.sleep(60)
        agent("notReady", "ready")
        await trio.sleep(30)
        # A call the ACD gives to the agent: the facts it writes, then the call.
        result = await (await cc.client()).call(
            "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"}
        )
        call_id = result["callID"]
        await cc.settle()
        call = app.model.calls[call_id]
        call.facts.update(
            {
                f.FACT_QUEUE: "sales",
                f.FACT_QUEUE_ENTERED_AT: trio.current_time(),
                f.FACT_AGENT: "agent-7",
                f.FACT_AGENT_DEVICE: "1001",
            }
        )
        agent("ready", "reserved", call_id)
        await trio.sleep(5)
        app.driver.off_hook("1001")  # type: ignore[attr-defined]
        await cc.settle()
        call.facts[f.FACT_QUEUE_LEFT_AT] = trio.current_time()
        call.facts[f.FACT_QUEUE_OUTCOME] = "answered"
        notify(f.QueueWaitObserved(queue="sales", call_id=call_id, seconds=5.0, outcome="answered"))
        agent("reserved", "busy", call_id)
        await trio.sleep(100)
        app.driver.on_hook("5550001")  # type: ignore[attr-defined]
        await cc.settle()
        agent("busy", "workingAfterCall", call_id)
        await trio.sleep(25)
        agent("workingAfterCall", "ready")
        notify(
            f.IvrNodeVisited(
                flow="main", version="3", node="menu", node_type="menu", call_id="x", at=1.0
            )
        )
        notify(
            f.IvrFinished(
                flow="main",
                version="3",
                call_id="x",
                entered_at=1.0,
                left_at=9.0,
                exit="hangup",
            )
        )
        await records.wait_committed()
        with records.engine.connect() as conn:
            row = conn.execute(sa.select(calls).where(calls.c.call_id == call_id)).one()
            states = conn.execute(sa.select(agent_states).order_by(agent_states.c.started_at)).all()
            waits = conn.execute(sa.select(queue_waits)).all()
            visits = conn.execute(sa.select(ivr_visits)).all()
            runs = conn.execute(sa.select(ivr_runs)).all()
    assert row.disposition == "answered"
    assert (row.queue, row.agent_id, row.wait_seconds, row.talk_seconds) == (
        "sales",
        "agent-7",
        5.0,
        100.0,
    )
    assert row.acw_seconds == 25.0
    assert [(s.state, _at(s.started_at), s.duration, s.reason_code) for s in states] == [
        ("notReady", 0.0, 60.0, "login"),
        ("ready", 60.0, 30.0, None),
        ("reserved", 90.0, 5.0, None),
        ("busy", 95.0, 100.0, None),
        ("workingAfterCall", 195.0, 25.0, None),
        ("ready", 220.0, None, None),
    ]
    assert states[0].queues == ["sales"]
    assert [(w.queue, w.seconds, w.outcome, _at(w.at)) for w in waits] == [
        ("sales", 5.0, "answered", 95.0)
    ]
    assert [(v.flow, v.version, v.node, v.node_type) for v in visits] == [
        ("main", "3", "menu", "menu")
    ]
    assert [(r.exit, _at(r.left_at) - _at(r.entered_at)) for r in runs] == [("hangup", 8.0)]
