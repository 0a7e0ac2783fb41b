"""Conformance scenarios: making, receiving and failing calls, and DTMF.

Each scenario drives phones and outside parties through the harness and the
daemon through its public API, then checks the exact CSTA events a device
monitor received: the event, the monitored device's connection state
(``localConnectionInfo``), the key field and the cause (``brief``).
"""

from __future__ import annotations

import trio

from ...calls.notices import DigitsDetected, Notice
from .harness import ANSWERS, BUSY, CALLER, NO_ANSWER, OUT_OF_ORDER, UNREACHABLE
from .run import RING_TIMEOUT, ScenarioRun, at, brief, conn, refused, scenario

__all__: list[str] = []


@scenario()
async def outbound_call(run: ScenarioRun) -> None:
    """MakeCall (doNotPrompt) to an outside number that answers; the caller hangs up."""
    a = run.a
    mon = await run.watch(a)
    result = await mon.call(
        "MakeCall",
        {
            "callingDevice": a,
            "calledDirectoryNumber": ANSWERS,
            "autoOriginate": "doNotPrompt",
            "correlatorData": "crm-7",
            "userData": {"customer": "C-42"},
        },
    )
    call_id = result["callingDevice"]["callID"]
    assert result == {"callingDevice": conn(call_id, a)}
    await run.received(mon, "EstablishedEvent")
    await run.expect_hearing(a, ANSWERS, hears=True, music=False)
    await run.switch.hang_up(a)
    await run.settle()
    events = mon.take()
    assert [brief(e) for e in events] == [
        ("ServiceInitiatedEvent", "initiated", a, "makeCall"),
        ("OriginatedEvent", "connected", ANSWERS, "newCall"),
        ("DeliveredEvent", "connected", ANSWERS, "newCall"),
        ("EstablishedEvent", "connected", ANSWERS, "newCall"),
        ("ConnectionClearedEvent", "null", a, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5, 6]
    delivered = events[2]
    assert delivered["connection"] == conn(call_id, ANSWERS)
    assert (delivered["callingDevice"], delivered["calledDevice"]) == (a, ANSWERS)
    assert delivered["trunk"] in run.switch.trunks
    assert delivered["correlatorData"] == "crm-7"
    assert delivered["userData"] == {"customer": "C-42"}


@scenario()
async def prompted_internal_call(run: ScenarioRun) -> None:
    """MakeCall (prompt): the calling phone rings first; once answered, the called one."""
    a, b = run.a, run.b
    mon = await run.watch(a, b)
    await mon.call("MakeCall", {"callingDevice": a, "calledDirectoryNumber": b})
    await run.settle()
    assert [brief(e)[:2] for e in mon.take()] == [("ServiceInitiatedEvent", "initiated")]
    await run.after(run.switch.answer(a), "DeliveredEvent", alertingDevice=b)
    await run.answer(b)
    assert [(e["monitorCrossRefID"], *brief(e)[:3]) for e in mon.take()] == [
        ("m1", "OriginatedEvent", "connected", b),
        ("m1", "DeliveredEvent", "connected", b),
        ("m2", "DeliveredEvent", "alerting", b),
        ("m1", "EstablishedEvent", "connected", b),
        ("m2", "EstablishedEvent", "connected", b),
    ]
    await run.expect_hearing(b, a, hears=True, music=False)


@scenario()
async def internal_call_dialled_on_the_phone(run: ScenarioRun) -> None:
    """A phone dials another extension itself; ctid sees it from the first event."""
    a, c = run.a, run.c
    mon = await run.watch(a, c)
    await run.after(run.switch.dial(a, c), "DeliveredEvent", alertingDevice=c)
    await run.answer(c)
    assert [(e["monitorCrossRefID"], *brief(e)[:3]) for e in mon.take()] == [
        ("m1", "ServiceInitiatedEvent", "initiated", a),
        ("m1", "OriginatedEvent", "connected", c),
        ("m1", "DeliveredEvent", "connected", c),
        ("m2", "DeliveredEvent", "alerting", c),
        ("m1", "EstablishedEvent", "connected", c),
        ("m2", "EstablishedEvent", "connected", c),
    ]
    await run.expect_hearing(a, c, hears=True, music=False)


@scenario()
async def inbound_call_to_an_extension(run: ScenarioRun) -> None:
    """An outside caller calls an extension, which answers and later hangs up."""
    b = run.b
    mon = await run.watch(b)
    call_id = await run.inbound(CALLER, b)
    start = trio.current_time()
    await trio.sleep(30)
    await run.switch.hang_up(b)
    await run.settle()
    events = mon.take()
    assert [brief(e) for e in events] == [
        ("DeliveredEvent", "alerting", b, "newCall"),
        ("EstablishedEvent", "connected", b, "newCall"),
        ("ConnectionClearedEvent", "null", b, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    assert events[0]["connection"] == conn(call_id, b)
    assert (events[0]["callingDevice"], events[0]["calledDevice"]) == (CALLER, b)
    assert events[0]["trunk"] in run.switch.trunks
    assert at(events[2]) - at(events[1]) == round(trio.current_time() - start, 3)


@scenario()
async def inbound_caller_hangs_up_first(run: ScenarioRun) -> None:
    """The outside caller hangs up an answered call: ctid releases the phone."""
    b = run.b
    mon = await run.watch(b)
    await run.inbound(CALLER, b)
    await run.expect_hearing(CALLER, b, hears=True, music=False)
    await run.switch.hang_up(CALLER)
    await run.settle()
    assert [brief(e) for e in mon.take()][2:] == [
        ("ConnectionClearedEvent", "connected", CALLER, "normalClearing"),
        ("ConnectionClearedEvent", "null", b, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]


@scenario()
async def far_end_busy(run: ScenarioRun) -> None:
    """MakeCall to a busy outside number: FailedEvent; the caller hears busy tone until cleared."""
    a = run.a
    mon = await run.watch(a)
    r = await mon.call(
        "MakeCall",
        {"callingDevice": a, "calledDirectoryNumber": BUSY, "autoOriginate": "doNotPrompt"},
    )
    await run.received(mon, "FailedEvent")
    await run.settle()
    assert [brief(e) for e in mon.take()] == [
        ("ServiceInitiatedEvent", "initiated", a, "makeCall"),
        ("OriginatedEvent", "connected", BUSY, "newCall"),
        ("FailedEvent", "connected", BUSY, "busy"),
    ]
    snapshot = await mon.call("SnapshotCall", {"snapshotObject": r["callingDevice"]})
    states = {d["deviceOnCall"]: d["localConnectionState"] for d in snapshot["snapshotData"]}
    assert states == {a: "connected", BUSY: "fail"}
    await mon.call("ClearConnection", {"connectionToBeCleared": r["callingDevice"]})
    await run.settle()
    assert [brief(e) for e in mon.take()] == [
        ("ConnectionClearedEvent", "null", a, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]


@scenario()
async def no_answer(run: ScenarioRun) -> None:
    """An extension that rings unanswered fails after the ring timeout."""
    a, b = run.a, run.b
    mon = await run.watch(a, b)
    start = trio.current_time()
    await mon.call(
        "MakeCall",
        {"callingDevice": a, "calledDirectoryNumber": b, "autoOriginate": "doNotPrompt"},
    )
    await run.received(mon, "FailedEvent")
    await run.settle()
    events = mon.take()
    assert [(e["monitorCrossRefID"], brief(e)) for e in events] == [
        ("m1", ("ServiceInitiatedEvent", "initiated", a, "makeCall")),
        ("m1", ("OriginatedEvent", "connected", b, "newCall")),
        ("m1", ("DeliveredEvent", "connected", b, "newCall")),
        ("m2", ("DeliveredEvent", "alerting", b, "newCall")),
        ("m1", ("FailedEvent", "connected", b, "noAnswer")),
        ("m2", ("FailedEvent", "fail", b, "noAnswer")),
    ]
    # The phone rang for exactly the daemon's ring timeout.
    assert at(events[4]) - at(events[3]) == RING_TIMEOUT
    assert RING_TIMEOUT <= trio.current_time() - start < RING_TIMEOUT + 1


@scenario()
async def generate_digits(run: ScenarioRun) -> None:
    """GenerateDigits: the other party of the call hears the digits."""
    b = run.b
    mon = await run.watch(b)
    call_id = await run.inbound(CALLER, b)
    mon.take()
    await mon.call(
        "GenerateDigits", {"connectionToSendDigits": conn(call_id, b), "charactersToSend": "12#"}
    )
    await run.settle()
    assert [brief(e)[:3] for e in mon.take()] == [("DigitsGeneratedEvent", "connected", "12#")]
    heard = run.switch.digits_heard(CALLER)
    if heard is not None:
        assert heard == "12#"


@scenario()
async def digits_from_the_caller(run: ScenarioRun) -> None:
    """DTMF from an outside caller reaches ctid's services with the call and the device."""
    b = run.b
    seen: list[Notice] = []
    run.cc.app.calls.notice_sinks.append(seen.append)
    call_id = await run.inbound(CALLER, b)
    await run.switch.press_digits(CALLER, "42")
    await run.switch.press_digits(b, "7")
    await run.settle()
    assert [n for n in seen if isinstance(n, DigitsDetected)] == [
        DigitsDetected(call_id=call_id, device=CALLER, digits="4"),
        DigitsDetected(call_id=call_id, device=CALLER, digits="2"),
        DigitsDetected(call_id=call_id, device=b, digits="7"),
    ]


@scenario()
async def answer_call_remotely(run: ScenarioRun) -> None:
    """AnswerCall on a ringing phone: answered if the driver offers remote answer,
    refused with invalidFeature (nothing changes) if it does not."""
    from ...switch_drivers.base import Capability

    b = run.b
    mon = await run.watch(b)
    call_id = await run.inbound(CALLER, b, answer=False)
    mon.take()
    if Capability.REMOTE_ANSWER in run.capabilities:
        await mon.call("AnswerCall", {"callToBeAnswered": conn(call_id, b)})
        await run.received(mon, "EstablishedEvent")
        await run.settle()
        assert [brief(e)[:3] for e in mon.take()] == [("EstablishedEvent", "connected", b)]
        await run.expect_hearing(CALLER, b, hears=True, music=False)
    else:
        await refused(
            mon.call("AnswerCall", {"callToBeAnswered": conn(call_id, b)}), "invalidFeature"
        )
        await run.settle()
        assert mon.take() == []
        snapshot = await mon.call("SnapshotCall", {"snapshotObject": call_id})
        states = {d["deviceOnCall"]: d["localConnectionState"] for d in snapshot["snapshotData"]}
        assert states == {CALLER: "connected", b: "alerting"}


@scenario()
async def unreachable_number(run: ScenarioRun) -> None:
    """MakeCall to a number that does not exist: FailedEvent destNotObtainable."""
    a = run.a
    mon = await run.watch(a)
    await run.make_call(a, UNREACHABLE)
    await run.received(mon, "FailedEvent")
    assert [brief(e) for e in mon.take()] == [
        ("ServiceInitiatedEvent", "initiated", a, "makeCall"),
        ("OriginatedEvent", "connected", UNREACHABLE, "newCall"),
        ("FailedEvent", "connected", UNREACHABLE, "destNotObtainable"),
    ]


@scenario()
async def trunk_that_does_not_answer(run: ScenarioRun) -> None:
    """MakeCall to a number whose provider does not answer at all: FailedEvent
    networkOutOfOrder on every switch (FreeSWITCH learns it at once from the network,
    Asterisk after its SIP timer, 32 s), and the caller is kept until cleared."""
    a = run.a
    mon = await run.watch(a)
    call_id = await run.make_call(a, OUT_OF_ORDER)
    await run.received(mon, "FailedEvent")
    assert [brief(e) for e in mon.take()] == [
        ("ServiceInitiatedEvent", "initiated", a, "makeCall"),
        ("OriginatedEvent", "connected", OUT_OF_ORDER, "newCall"),
        ("FailedEvent", "connected", OUT_OF_ORDER, "networkOutOfOrder"),
    ]
    snapshot = await mon.call("SnapshotCall", {"snapshotObject": call_id})
    states = {d["deviceOnCall"]: d["localConnectionState"] for d in snapshot["snapshotData"]}
    assert states == {a: "connected", OUT_OF_ORDER: "fail"}


@scenario()
async def inbound_call_abandoned_while_ringing(run: ScenarioRun) -> None:
    """The outside caller gives up while the extension rings: it stops ringing."""
    b = run.b
    mon = await run.watch(b)
    await run.inbound(CALLER, b, answer=False)
    await trio.sleep(5)
    await run.switch.hang_up(CALLER)
    await run.settle()
    assert [brief(e) for e in mon.take()] == [
        ("DeliveredEvent", "alerting", b, "newCall"),
        ("ConnectionClearedEvent", "alerting", CALLER, "normalClearing"),
        ("ConnectionClearedEvent", "null", b, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    await run.expect_hearing(b, CALLER, hears=False, music=False)


@scenario()
async def outbound_call_cancelled_while_ringing(run: ScenarioRun) -> None:
    """The caller clears its MakeCall while the outside number still rings."""
    a = run.a
    mon = await run.watch(a)
    call_id = await run.make_call(a, NO_ANSWER)
    await run.received(mon, "DeliveredEvent")
    await trio.sleep(5)
    await mon.call("ClearConnection", {"connectionToBeCleared": conn(call_id, a)})
    await run.settle()
    assert [brief(e) for e in mon.take()] == [
        ("ServiceInitiatedEvent", "initiated", a, "makeCall"),
        ("OriginatedEvent", "connected", NO_ANSWER, "newCall"),
        ("DeliveredEvent", "connected", NO_ANSWER, "newCall"),
        ("ConnectionClearedEvent", "null", a, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]


@scenario()
async def clear_call_right_after_make_call(run: ScenarioRun) -> None:
    """ClearCall before the switch has reported anything: the call ends cleanly."""
    a, b = run.a, run.b
    mon = await run.watch(a, b)
    call_id = await run.make_call(a, b)
    await mon.call("ClearCall", {"callToBeCleared": call_id})
    await trio.sleep(RING_TIMEOUT + 5)
    # How far the call got before the clear depends on the switch's speed; what
    # may not happen is the call going on after it: no ringing or answering
    # once a party was cleared, and every monitor that saw the call sees it end.
    events = mon.take()
    names = [e["_name"] for e in events]
    assert "ConnectionClearedEvent" in names
    after = names[names.index("ConnectionClearedEvent") :]
    assert not {"OriginatedEvent", "DeliveredEvent", "EstablishedEvent"} & set(after), names
    for monitor in {e["monitorCrossRefID"] for e in events}:
        mine = [e["_name"] for e in events if e["monitorCrossRefID"] == monitor]
        assert mine[-1] == "CallClearedEvent", (monitor, mine)
    await refused(mon.call("SnapshotCall", {"snapshotObject": call_id}), "invalidCallIdentifier")
    # Both phones are free again.
    await run.connected_pair(a, b)


@scenario()
async def back_to_back_click_to_dial(run: ScenarioRun) -> None:
    """Three calls in a row from the same phone: each ends cleanly, none fails."""
    a, b = run.a, run.b
    mon = await run.watch(a)
    for _ in range(3):
        call_id = await run.connected_pair(a, b)
        await mon.call("ClearConnection", {"connectionToBeCleared": conn(call_id, a)})
        await run.received(mon, "CallClearedEvent")
        await run.switch.hang_up(b)
        await run.settle()
    names = [e["_name"] for e in mon.take()]
    assert "FailedEvent" not in names
    assert names.count("CallClearedEvent") == 3
