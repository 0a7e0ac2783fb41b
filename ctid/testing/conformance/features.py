"""Conformance scenarios: hold, consultation, transfer, conference, and a lost switch link."""

from __future__ import annotations

import trio

from ..client import RpcTestClient
from .harness import CALLER
from .run import ScenarioRun, brief, conn, refused, scenario

__all__: list[str] = []


@scenario()
async def hold_and_retrieve(run: ScenarioRun) -> None:
    """HoldCall: the holder leaves the call and the other party hears music; RetrieveCall."""
    a, b = run.a, run.b
    mon = await run.watch(a)
    call_id = await run.connected_pair(a, b)
    mon.take()
    await mon.call("HoldCall", {"callToBeHeld": conn(call_id, a)})
    await run.expect_hearing(b, a, hears=False, music=True)
    await mon.call("RetrieveCall", {"callToBeRetrieved": conn(call_id, a)})
    await run.expect_hearing(b, a, hears=True, music=False)
    assert [brief(e) for e in mon.take()] == [
        ("HeldEvent", "hold", a, "normal"),
        ("RetrievedEvent", "connected", a, "normal"),
    ]


@scenario()
async def hold_key_on_the_phone(run: ScenarioRun) -> None:
    """The phone's own hold key: reported with cause keyOperation; ctid cannot retrieve it."""
    a, b = run.a, run.b
    mon = await run.watch(a)
    call_id = await run.connected_pair(a, b)
    mon.take()
    await run.switch.hold(a)
    await run.settle()
    await refused(
        mon.call("RetrieveCall", {"callToBeRetrieved": conn(call_id, a)}), "invalidFeature"
    )
    await run.switch.unhold(a)
    await run.settle()
    assert [brief(e) for e in mon.take()] == [
        ("HeldEvent", "hold", a, "keyOperation"),
        ("RetrievedEvent", "connected", a, "keyOperation"),
    ]


async def _consult(run: ScenarioRun, mon: RpcTestClient) -> tuple[str, str]:
    """An outside caller -> A, answered; A consults B, who answers."""
    a, b = run.a, run.b
    first = await run.inbound(CALLER, a)
    await mon.call("AssociateData", {"existingCall": first, "userData": {"customer": "C-42"}})
    r = await run.after(
        mon.call("ConsultationCall", {"existingCall": conn(first, a), "consultedDevice": b}),
        "DeliveredEvent",
        alertingDevice=b,
    )
    second = r["connection"]["callID"]
    await run.answer(b)
    return first, second


@scenario()
async def consultation_then_transfer(run: ScenarioRun) -> None:
    """A consults B while the caller hears music, then transfers the caller to B."""
    a, b = run.a, run.b
    mon = await run.watch(a, b)
    first, second = await _consult(run, mon)
    await run.expect_hearing(CALLER, a, hears=False, music=True)
    await run.expect_hearing(b, a, hears=True, music=False)
    events = mon.take()
    assert [brief(e) for e in events if e["monitorCrossRefID"] == "m1"] == [
        ("DeliveredEvent", "alerting", a, "newCall"),
        ("EstablishedEvent", "connected", a, "newCall"),
        ("CallInformationEvent", "connected", "<call>", None),
        ("HeldEvent", "hold", a, "consultation"),
        ("ServiceInitiatedEvent", "initiated", a, "consultation"),
        ("OriginatedEvent", "connected", b, "newCall"),
        ("DeliveredEvent", "connected", b, "newCall"),
        ("EstablishedEvent", "connected", b, "newCall"),
    ]
    consulted = [e for e in events if e["monitorCrossRefID"] == "m2"]
    assert [brief(e) for e in consulted] == [
        ("DeliveredEvent", "alerting", b, "newCall"),
        ("EstablishedEvent", "connected", b, "newCall"),
    ]
    assert consulted[0]["userData"] == {"customer": "C-42"}  # the expert sees who waits
    result = await mon.call(
        "TransferCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)}
    )
    assert result == {"transferredCall": conn(first, b)}
    await run.settle()
    transferred = mon.take()
    assert sorted((e["monitorCrossRefID"], *brief(e)) for e in transferred) == [
        ("m1", "TransferredEvent", "null", b, "transfer"),
        ("m2", "TransferredEvent", "connected", b, "transfer"),
    ]
    t = transferred[0]
    assert (t["primaryOldCall"], t["secondaryOldCall"], t["transferringDevice"]) == (
        first,
        second,
        a,
    )
    assert t["transferredConnections"] == [
        {"oldConnection": conn(second, b), "newConnection": conn(first, b)}
    ]
    await run.expect_hearing(CALLER, b, hears=True, music=False)
    snapshot = await mon.call("SnapshotCall", {"snapshotObject": first})
    assert {d["deviceOnCall"] for d in snapshot["snapshotData"]} == {CALLER, b}
    assert snapshot["userData"] == {"customer": "C-42"}
    assert await mon.call("SnapshotDevice", {"snapshotObject": a}) == {"snapshotData": []}
    # The caller and B talk on until B hangs up.
    await run.switch.hang_up(b)
    await run.settle()
    assert [brief(e) for e in mon.take()] == [
        ("ConnectionClearedEvent", "null", b, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]


@scenario()
async def consultation_then_conference(run: ScenarioRun) -> None:
    """A consults B, then joins everybody; when A leaves, the other two go on."""
    a, b = run.a, run.b
    mon = await run.watch(a)
    first, second = await _consult(run, mon)
    mon.take()
    result = await mon.call(
        "ConferenceCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)}
    )
    assert result == {"conferenceCall": conn(first, a)}
    await run.settle()
    (event,) = mon.take()
    assert brief(event) == ("ConferencedEvent", "connected", b, "conference")
    assert event["conferenceConnections"] == [
        {"oldConnection": conn(second, b), "newConnection": conn(first, b)},
        {"oldConnection": conn(second, a), "newConnection": conn(first, a)},
    ]
    for listener, speaker in [(CALLER, a), (CALLER, b), (a, b), (b, CALLER)]:
        await run.expect_hearing(listener, speaker, hears=True, music=False)
    await run.switch.hang_up(a)
    await run.settle()
    assert [brief(e) for e in mon.take()] == [
        ("ConnectionClearedEvent", "null", a, "normalClearing")
    ]
    await run.expect_hearing(CALLER, b, hears=True, music=False)


@scenario()
async def alternate_and_reconnect(run: ScenarioRun) -> None:
    """AlternateCall swaps the held and the active call; ReconnectCall ends the consultation."""
    a, b = run.a, run.b
    mon = await run.watch(a)
    first, second = await _consult(run, mon)
    mon.take()
    await mon.call("AlternateCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)})
    await run.expect_hearing(CALLER, a, hears=True, music=False)
    await run.expect_hearing(b, a, hears=False, music=True)
    assert [brief(e) for e in mon.take()] == [
        ("HeldEvent", "hold", a, "alternate"),
        ("RetrievedEvent", "connected", a, "alternate"),
    ]
    await mon.call("AlternateCall", {"heldCall": conn(second, a), "activeCall": conn(first, a)})
    await run.settle()
    mon.take()
    await mon.call("ReconnectCall", {"heldCall": conn(first, a), "activeCall": conn(second, a)})
    await run.settle()
    # A leaves the consultation call, whose other party is then released.
    assert [brief(e)[:3] for e in mon.take()] == [
        ("ConnectionClearedEvent", "null", a),
        ("RetrievedEvent", "connected", a),
        ("CallClearedEvent", "null", "<call>"),
    ]
    await run.expect_hearing(CALLER, a, hears=True, music=False)


@scenario()
async def single_step_transfer(run: ScenarioRun) -> None:
    """A sends its caller on to B in one step; the caller hears music until B answers."""
    a, b = run.a, run.b
    mon = await run.watch(a, b)
    call_id = await run.inbound(CALLER, a)
    mon.take()
    await run.after(
        mon.call("SingleStepTransferCall", {"activeCall": conn(call_id, a), "transferredTo": b}),
        "DeliveredEvent",
        alertingDevice=b,
    )
    await run.expect_hearing(CALLER, b, hears=False, music=True)
    await run.answer(b)
    events = mon.take()
    assert [(e["monitorCrossRefID"], *brief(e)) for e in events] == [
        ("m1", "TransferredEvent", "null", b, "singleStepTransfer"),
        ("m2", "DeliveredEvent", "alerting", b, "newCall"),
        ("m2", "EstablishedEvent", "connected", b, "newCall"),
    ]
    assert events[1]["connection"] == conn(call_id, b)
    assert events[1]["lastRedirectionDevice"] == a
    await run.expect_hearing(CALLER, b, hears=True, music=False)


@scenario()
async def single_step_transfer_to_an_unplugged_phone(run: ScenarioRun) -> None:
    """A sends its caller on to B, whose phone is gone (not registered). On every switch
    the request succeeds (TransferredEvent), then B's connection fails with
    destNotObtainable and the caller, whom nobody holds any more, is released
    (docs/protocol.md, SingleStepTransferCall)."""
    a, b = run.a, run.b
    mon = await run.watch(a, b)
    call_id = await run.inbound(CALLER, a)
    mon.take()
    await run.switch.unplug(b)
    await mon.call("SingleStepTransferCall", {"activeCall": conn(call_id, a), "transferredTo": b})
    await run.received(mon, "CallClearedEvent")
    await run.settle()
    events = mon.take()
    assert [(e["monitorCrossRefID"], *brief(e)) for e in events] == [
        ("m1", "TransferredEvent", "null", b, "singleStepTransfer"),
        ("m2", "FailedEvent", "fail", b, "destNotObtainable"),
        ("m2", "ConnectionClearedEvent", "fail", CALLER, "normalClearing"),
        ("m1", "CallClearedEvent", "null", "<call>", "normalClearing"),
        ("m2", "CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    failed = events[1]
    assert failed["failedConnection"] == conn(call_id, b)
    assert failed["failingDevice"] == b
    assert failed["callingDevice"] == CALLER
    await run.expect_hearing(CALLER, a, hears=False, music=False)


@scenario()
async def switch_link_lost_and_back_mid_call(run: ScenarioRun) -> None:
    """The link breaks mid-call; the caller hangs up meanwhile; ctid learns it on resync."""
    b = run.b
    mon = await run.watch(b)
    call_id = await run.inbound(CALLER, b)
    mon.take()
    await run.switch.drop_link()
    await run.settle()
    await refused(mon.call("HoldCall", {"callToBeHeld": conn(call_id, b)}), "resourceOutOfService")
    await run.switch.hang_up(CALLER)
    await trio.sleep(20)  # the driver retries meanwhile; clients see no flapping
    await run.switch.restore_link()
    await run.received(mon, "CallClearedEvent")
    await run.settle()
    events = mon.take()
    # The resync shows the caller gone; ctid then releases the phone.
    assert [(e["_name"], e.get("systemStatus"), e.get("releasingDevice")) for e in events] == [
        ("SystemStatusEvent", "disabled", None),
        ("SystemStatusEvent", "initializing", None),
        ("ConnectionClearedEvent", None, CALLER),
        ("SystemStatusEvent", "normal", None),
        ("ConnectionClearedEvent", None, b),
        ("CallClearedEvent", None, None),
    ]
    assert events[0]["monitorCrossRefID"] is None
    # Calls work again.
    c = run.c
    mon = await run.watch(c)
    await run.inbound(CALLER, c)
    assert [brief(e)[:3] for e in mon.take()] == [
        ("DeliveredEvent", "alerting", c),
        ("EstablishedEvent", "connected", c),
    ]


@scenario()
async def deflect_a_ringing_call(run: ScenarioRun) -> None:
    """DeflectCall sends a call that rings at A on to B before A answers."""
    a, b = run.a, run.b
    mon = await run.watch(a, b)
    call_id = await run.inbound(CALLER, a, answer=False)
    await run.after(
        mon.call("DeflectCall", {"callToBeDiverted": conn(call_id, a), "newDestination": b}),
        "DeliveredEvent",
        alertingDevice=b,
    )
    await run.answer(b)
    events = mon.take()
    assert [(e["monitorCrossRefID"], *brief(e)) for e in events] == [
        ("m1", "DeliveredEvent", "alerting", a, "newCall"),
        ("m1", "DivertedEvent", "null", b, "redirected"),
        ("m2", "DeliveredEvent", "alerting", b, "newCall"),
        ("m2", "EstablishedEvent", "connected", b, "newCall"),
    ]
    assert events[2]["lastRedirectionDevice"] == a
    await run.expect_hearing(CALLER, b, hears=True, music=False)
