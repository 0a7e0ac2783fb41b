"""CSTA call scenarios through the public API, on the simulator and MockClock.

Each test drives phones and outside callers with ``sim.*`` and calls CSTA
services, then checks the exact event sequence a device monitor received:
event names, the monitored device's connection state (``localConnectionInfo``),
the key parameters, and for time-driven behaviour the exact timestamps.

The same flows run against every driver in ``ctid.testing.conformance``
(``tests/conformance``); these tests also cover what only the simulator shows:
its ``sim.*`` methods, its line states and its exact timings.
"""

from __future__ import annotations

from typing import Any

import pytest
import trio

from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient, call_centre
from ctid.testing.conformance.run import at, brief, conn


async def watch(cc: CallCentre, *devices: str) -> RpcTestClient:
    client = await cc.client()
    for device in devices:
        await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
    return client


async def settle(cc: CallCentre) -> None:
    await cc.settle()


async def connected_pair(cc: CallCentre, admin: RpcTestClient, a: str, b: str) -> str:
    """A call from ``a`` to ``b``, answered; returns its call id."""
    result = await admin.call(
        "MakeCall", {"callingDevice": a, "calledDirectoryNumber": b, "autoOriginate": "doNotPrompt"}
    )
    await settle(cc)
    await admin.call("sim.offHook", {"device": b})
    await settle(cc)
    return str(result["callingDevice"]["callID"])


async def inbound(
    cc: CallCentre, admin: RpcTestClient, caller: str, called: str, answer: bool = True
) -> str:
    call_id = str(
        (await admin.call("sim.incomingCall", {"callingNumber": caller, "calledNumber": called}))[
            "callID"
        ]
    )
    await settle(cc)
    if answer:
        await admin.call("sim.offHook", {"device": called})
        await settle(cc)
    return call_id


# ----------------------------------------------------------------- the basics


async def test_outbound_call_answered_then_caller_hangs_up(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        result = await mon.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "5551234",
                "autoOriginate": "doNotPrompt",
                "correlatorData": "crm-7",
                "userData": {"customer": "C-42"},
            },
        )
        call_id = result["callingDevice"]["callID"]
        assert result == {"callingDevice": {"callID": call_id, "deviceID": "1001"}}
        await trio.sleep(5)  # the simulated far end answers after 0.5 s dialling + 2 s ringing
        await mon.call("sim.onHook", {"device": "1001"})
        await settle(cc)
        events = mon.take()
        assert [brief(e) for e in events] == [
            ("ServiceInitiatedEvent", "initiated", "1001", "makeCall"),
            ("OriginatedEvent", "connected", "5551234", "newCall"),
            ("DeliveredEvent", "connected", "5551234", "newCall"),
            ("EstablishedEvent", "connected", "5551234", "newCall"),
            ("ConnectionClearedEvent", "null", "1001", "normalClearing"),
            ("CallClearedEvent", "null", "<call>", "normalClearing"),
        ]
        assert [at(e) for e in events[:4]] == [0.0, 0.0, 0.5, 2.5]
        assert [e["seq"] for e in events] == [1, 2, 3, 4, 5, 6]
        delivered = events[2]
        assert delivered["connection"] == conn(call_id, "5551234")
        assert (delivered["callingDevice"], delivered["calledDevice"]) == ("1001", "5551234")
        assert delivered["trunk"] == "T/1"
        assert delivered["correlatorData"] == "crm-7" and delivered["userData"] == {
            "customer": "C-42"
        }
        assert {e["monitorCrossRefID"] for e in events} == {"m1"}


async def test_makecall_prompts_the_calling_phone_first(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001", "1002")
        await mon.call("MakeCall", {"callingDevice": "1001", "calledDirectoryNumber": "1002"})
        await settle(cc)
        assert [brief(e)[:2] for e in mon.take()] == [("ServiceInitiatedEvent", "initiated")]
        lines = {ln["line"]: ln["state"] for ln in (await mon.call("sim.lines"))["lines"]}
        assert lines["1001"] == "ringing" and lines["1002"] == "idle"
        await mon.call("sim.offHook", {"device": "1001"})
        await settle(cc)
        assert [(e["_name"], e["monitorCrossRefID"]) for e in mon.take()] == [
            ("OriginatedEvent", "m1"),
            ("DeliveredEvent", "m1"),
            ("DeliveredEvent", "m2"),
        ]


async def test_inbound_trunk_call_answered_then_callee_hangs_up(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1002")
        call_id = await inbound(cc, mon, "5550001", "1002")
        await trio.sleep(30)
        await mon.call("sim.onHook", {"device": "1002"})
        await settle(cc)
        events = mon.take()
        assert [brief(e) for e in events] == [
            ("DeliveredEvent", "alerting", "1002", "newCall"),
            ("EstablishedEvent", "connected", "1002", "newCall"),
            ("ConnectionClearedEvent", "null", "1002", "normalClearing"),
            ("CallClearedEvent", "null", "<call>", "normalClearing"),
        ]
        assert events[0]["connection"] == conn(call_id, "1002")
        assert (events[0]["callingDevice"], events[0]["trunk"]) == ("5550001", "T/1")
        assert at(events[2]) == 30.0
        line = {ln["line"]: ln for ln in (await mon.call("sim.lines"))["lines"]}["T/1"]
        assert line["state"] == "idle"


async def test_inbound_caller_hangs_up_first(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1002")
        await inbound(cc, mon, "5550001", "1002")
        await mon.call("sim.onHook", {"device": "5550001"})
        await settle(cc)
        assert [brief(e) for e in mon.take()][2:] == [
            ("ConnectionClearedEvent", "connected", "5550001", "normalClearing"),
            ("ConnectionClearedEvent", "null", "1002", "normalClearing"),
            ("CallClearedEvent", "null", "<call>", "normalClearing"),
        ]
        # The phone is left off-hook on a dead line until its user hangs up.
        lines = {ln["line"]: ln["state"] for ln in (await mon.call("sim.lines"))["lines"]}
        assert lines["1002"] == "waitingHangup"


async def test_internal_call_dialled_on_the_phone(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001", "1003")
        await mon.call("sim.offHook", {"device": "1001"})
        await mon.call("sim.pressDigits", {"device": "1001", "digits": "1003"})
        await settle(cc)
        await mon.call("sim.offHook", {"device": "1003"})
        await settle(cc)
        events = [(e["monitorCrossRefID"], *brief(e)[:3]) for e in mon.take()]
        assert events == [
            ("m1", "ServiceInitiatedEvent", "initiated", "1001"),
            ("m1", "OriginatedEvent", "connected", "1003"),
            ("m1", "DeliveredEvent", "connected", "1003"),
            ("m2", "DeliveredEvent", "alerting", "1003"),
            ("m1", "EstablishedEvent", "connected", "1003"),
            ("m2", "EstablishedEvent", "connected", "1003"),
        ]
        hears = await mon.call("sim.hears", {"listener": "1001", "speaker": "1003"})
        assert hears == {"hears": True, "music": False}


# ------------------------------------------------------------------- failures


async def test_far_end_busy(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        r = await mon.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "5550486",
                "autoOriginate": "doNotPrompt",
            },
        )
        await trio.sleep(2)
        events = mon.take()
        assert [brief(e) for e in events] == [
            ("ServiceInitiatedEvent", "initiated", "1001", "makeCall"),
            ("OriginatedEvent", "connected", "5550486", "newCall"),
            ("FailedEvent", "connected", "5550486", "busy"),
        ]
        assert at(events[2]) == 0.5
        # The caller hears busy tone until it hangs up (or the CRM clears it).
        snapshot = await mon.call("SnapshotCall", {"snapshotObject": r["callingDevice"]})
        states = {d["deviceOnCall"]: d["localConnectionState"] for d in snapshot["snapshotData"]}
        assert states == {"1001": "connected", "5550486": "fail"}
        await mon.call("ClearConnection", {"connectionToBeCleared": r["callingDevice"]})
        await settle(cc)
        assert [brief(e)[0] for e in mon.take()] == ["ConnectionClearedEvent", "CallClearedEvent"]


async def test_busy_extension(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        await mon.call("sim.offHook", {"device": "1003"})  # 1003 is busy: off-hook
        await mon.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "1003",
                "autoOriginate": "doNotPrompt",
            },
        )
        await settle(cc)
        assert brief(mon.take()[-1]) == ("FailedEvent", "connected", "1003", "busy")


async def test_no_answer_after_45_seconds(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001", "1002")
        await mon.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "1002",
                "autoOriginate": "doNotPrompt",
            },
        )
        await trio.sleep(60)
        events = mon.take()
        failed = [e for e in events if e["_name"] == "FailedEvent"]
        assert [(e["monitorCrossRefID"], brief(e)) for e in failed] == [
            ("m1", ("FailedEvent", "connected", "1002", "noAnswer")),
            ("m2", ("FailedEvent", "fail", "1002", "noAnswer")),
        ]
        assert at(failed[0]) == 45.0
        lines = {ln["line"]: ln["state"] for ln in (await mon.call("sim.lines"))["lines"]}
        assert lines["1002"] == "idle" and lines["1001"] == "connected"


async def test_unreachable_and_invalid_numbers(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        await mon.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "5550404",
                "autoOriginate": "doNotPrompt",
            },
        )
        await trio.sleep(1)
        assert brief(mon.take()[-1]) == ("FailedEvent", "connected", "5550404", "destNotObtainable")
        with pytest.raises(RpcErrorReply) as info:
            await mon.call("MakeCall", {"callingDevice": "1001", "calledDirectoryNumber": "12"})
        assert info.value.csta_error == "invalidCalledDevice"


# ----------------------------------------------------------- hold and retrieve


async def test_hold_and_retrieve(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        call_id = await connected_pair(cc, mon, "1001", "1002")
        mon.take()
        await mon.call("HoldCall", {"callToBeHeld": conn(call_id, "1001")})
        await settle(cc)
        assert await mon.call("sim.hears", {"listener": "1002", "speaker": "1001"}) == {
            "hears": False,
            "music": True,
        }
        await mon.call("RetrieveCall", {"callToBeRetrieved": conn(call_id, "1001")})
        await settle(cc)
        assert await mon.call("sim.hears", {"listener": "1002", "speaker": "1001"}) == {
            "hears": True,
            "music": False,
        }
        assert [brief(e) for e in mon.take()] == [
            ("HeldEvent", "hold", "1001", "normal"),
            ("RetrievedEvent", "connected", "1001", "normal"),
        ]


async def test_phone_hold_key(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        call_id = await connected_pair(cc, mon, "1001", "1002")
        mon.take()
        await mon.call("sim.holdKey", {"device": "1001"})
        await settle(cc)
        # The phone holds by itself: ctid cannot take it off hold for it.
        with pytest.raises(RpcErrorReply) as info:
            await mon.call("RetrieveCall", {"callToBeRetrieved": conn(call_id, "1001")})
        assert info.value.csta_error == "invalidFeature"
        await mon.call("sim.holdKey", {"device": "1001"})
        await settle(cc)
        assert [brief(e) for e in mon.take()] == [
            ("HeldEvent", "hold", "1001", "keyOperation"),
            ("RetrievedEvent", "connected", "1001", "keyOperation"),
        ]


# ------------------------------------------------- consultation, transfer, conference


async def _consult(cc: CallCentre, mon: RpcTestClient) -> tuple[str, str]:
    """Outside caller -> 1001 answered; 1001 consults 1002, who answers."""
    first = await inbound(cc, mon, "5550001", "1001")
    await mon.call("AssociateData", {"existingCall": first, "userData": {"customer": "C-42"}})
    r = await mon.call(
        "ConsultationCall", {"existingCall": conn(first, "1001"), "consultedDevice": "1002"}
    )
    second = r["initiatedCall"]["callID"]
    assert r == {"initiatedCall": conn(second, "1001")}
    await settle(cc)
    await mon.call("sim.offHook", {"device": "1002"})
    await settle(cc)
    return first, second


async def test_consultation_then_transfer(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001", "1002")
        first, second = await _consult(cc, mon)
        assert await mon.call("sim.hears", {"listener": "5550001", "speaker": "1001"}) == {
            "hears": False,
            "music": True,
        }
        events = mon.take()
        by_1001 = [brief(e) for e in events if e["monitorCrossRefID"] == "m1"]
        assert by_1001 == [
            ("DeliveredEvent", "alerting", "1001", "newCall"),
            ("EstablishedEvent", "connected", "1001", "newCall"),
            ("CallInformationEvent", "connected", "<call>", None),
            ("HeldEvent", "hold", "1001", "consultation"),
            ("ServiceInitiatedEvent", "initiated", "1001", "consultation"),
            ("OriginatedEvent", "connected", "1002", "newCall"),
            ("DeliveredEvent", "connected", "1002", "newCall"),
            ("EstablishedEvent", "connected", "1002", "newCall"),
        ]
        consulted = [
            e for e in events if e["monitorCrossRefID"] == "m2" and e["_name"] == "DeliveredEvent"
        ]
        assert consulted[0]["userData"] == {"customer": "C-42"}  # the expert sees who is waiting
        result = await mon.call(
            "TransferCall", {"heldCall": conn(first, "1001"), "activeCall": conn(second, "1001")}
        )
        assert result == {"transferredCall": conn(first, "1002")}
        await settle(cc)
        events = mon.take()
        transferred = [e for e in events if e["_name"] == "TransferredEvent"]
        assert sorted((e["monitorCrossRefID"], e["localConnectionInfo"]) for e in transferred) == [
            ("m1", "null"),
            ("m2", "connected"),
        ]
        t = transferred[0]
        assert (t["primaryOldCall"], t["secondaryOldCall"], t["transferringDevice"]) == (
            first,
            second,
            "1001",
        )
        assert t["transferredConnections"] == [
            {"oldConnection": conn(second, "1002"), "newConnection": conn(first, "1002")}
        ]
        assert t["userData"] == {"customer": "C-42"}
        assert await mon.call("sim.hears", {"listener": "5550001", "speaker": "1002"}) == {
            "hears": True,
            "music": False,
        }
        snapshot = await mon.call("SnapshotCall", {"snapshotObject": first})
        assert {d["deviceOnCall"] for d in snapshot["snapshotData"]} == {"5550001", "1002"}
        assert snapshot["userData"] == {"customer": "C-42"}
        with pytest.raises(RpcErrorReply):
            await mon.call("SnapshotCall", {"snapshotObject": second})
        assert await mon.call("SnapshotDevice", {"snapshotObject": "1001"}) == {"snapshotData": []}


async def test_consultation_then_conference(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        first, second = await _consult(cc, mon)
        mon.take()
        result = await mon.call(
            "ConferenceCall", {"heldCall": conn(first, "1001"), "activeCall": conn(second, "1001")}
        )
        assert result == {"conferenceCall": conn(first, "1001")}
        await settle(cc)
        (event,) = mon.take()
        assert brief(event) == ("ConferencedEvent", "connected", "1002", "conference")
        assert event["conferenceConnections"] == [
            {"oldConnection": conn(second, "1002"), "newConnection": conn(first, "1002")},
            {"oldConnection": conn(second, "1001"), "newConnection": conn(first, "1001")},
        ]
        for a, b in [
            ("5550001", "1001"),
            ("5550001", "1002"),
            ("1001", "1002"),
            ("1002", "5550001"),
        ]:
            assert (await mon.call("sim.hears", {"listener": a, "speaker": b}))["hears"], (a, b)
        # One party leaves: the other two go on.
        await mon.call("sim.onHook", {"device": "1001"})
        await settle(cc)
        assert [brief(e)[0] for e in mon.take()] == ["ConnectionClearedEvent"]
        assert (await mon.call("sim.hears", {"listener": "5550001", "speaker": "1002"}))["hears"]


async def test_alternate_and_reconnect(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        first, second = await _consult(cc, mon)
        mon.take()
        await mon.call(
            "AlternateCall", {"heldCall": conn(first, "1001"), "activeCall": conn(second, "1001")}
        )
        await settle(cc)
        assert [brief(e) for e in mon.take()] == [
            ("HeldEvent", "hold", "1001", "alternate"),
            ("RetrievedEvent", "connected", "1001", "alternate"),
        ]
        assert (await mon.call("sim.hears", {"listener": "5550001", "speaker": "1001"}))["hears"]
        assert (await mon.call("sim.hears", {"listener": "1002", "speaker": "1001"}))["music"]
        # Back to the expert, then leave it and return to the customer.
        await mon.call(
            "AlternateCall", {"heldCall": conn(second, "1001"), "activeCall": conn(first, "1001")}
        )
        await settle(cc)
        mon.take()
        await mon.call(
            "ReconnectCall", {"heldCall": conn(first, "1001"), "activeCall": conn(second, "1001")}
        )
        await settle(cc)
        # 1001 leaves the consultation call, whose other party is then released.
        assert [brief(e)[:3] for e in mon.take()] == [
            ("ConnectionClearedEvent", "null", "1001"),
            ("RetrievedEvent", "connected", "1001"),
            ("CallClearedEvent", "null", "<call>"),
        ]
        lines = {ln["line"]: ln["state"] for ln in (await mon.call("sim.lines"))["lines"]}
        assert lines["1002"] == "waitingHangup"  # the expert's call ended
        assert (await mon.call("sim.hears", {"listener": "5550001", "speaker": "1001"}))["hears"]


async def test_single_step_transfer(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001", "1002")
        call_id = await inbound(cc, mon, "5550001", "1001")
        mon.take()
        result = await mon.call(
            "SingleStepTransferCall", {"activeCall": conn(call_id, "1001"), "transferredTo": "1002"}
        )
        assert result == {"transferredCall": conn(call_id, "1002")}
        await settle(cc)
        assert (await mon.call("sim.hears", {"listener": "5550001", "speaker": "1002"}))["music"]
        await mon.call("sim.offHook", {"device": "1002"})
        await settle(cc)
        events = mon.take()
        assert [(e["monitorCrossRefID"], *brief(e)) for e in events] == [
            ("m1", "TransferredEvent", "null", "1002", "singleStepTransfer"),
            ("m2", "DeliveredEvent", "alerting", "1002", "newCall"),
            ("m2", "EstablishedEvent", "connected", "1002", "newCall"),
        ]
        assert events[1]["lastRedirectionDevice"] == "1001"
        assert await mon.call("sim.hears", {"listener": "5550001", "speaker": "1002"}) == {
            "hears": True,
            "music": False,
        }


async def test_deflect(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001", "1002")
        call_id = await inbound(cc, mon, "5550001", "1001", answer=False)
        await mon.call(
            "DeflectCall", {"callToBeDiverted": conn(call_id, "1001"), "newDestination": "1002"}
        )
        await settle(cc)
        events = mon.take()
        assert [(e["monitorCrossRefID"], *brief(e)) for e in events] == [
            ("m1", "DeliveredEvent", "alerting", "1001", "newCall"),
            ("m1", "DivertedEvent", "null", "1002", "redirected"),
            ("m2", "DeliveredEvent", "alerting", "1002", "newCall"),
        ]
        assert events[2]["lastRedirectionDevice"] == "1001"
        lines = {ln["line"]: ln["state"] for ln in (await mon.call("sim.lines"))["lines"]}
        assert (lines["1001"], lines["1002"]) == ("idle", "ringing")


# -------------------------------------------------------------- other services


async def test_answer_call_remotely_and_generate_digits(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1002")
        call_id = await inbound(cc, mon, "5550001", "1002", answer=False)
        await mon.call("AnswerCall", {"callToBeAnswered": conn(call_id, "1002")})
        await settle(cc)
        await mon.call(
            "GenerateDigits",
            {"connectionToSendDigits": conn(call_id, "1002"), "charactersToSend": "12#"},
        )
        await settle(cc)
        assert [brief(e)[:3] for e in mon.take()] == [
            ("DeliveredEvent", "alerting", "1002"),
            ("EstablishedEvent", "connected", "1002"),
            ("DigitsGeneratedEvent", "connected", "12#"),
        ]
        # The caller, on the other end of the call, hears them; 1002's own line does not.
        assert cc.sim.card.lines["T/1"].heard_digits == ["1", "2", "#"]
        assert cc.sim.card.lines["1002"].heard_digits == []
        with pytest.raises(RpcErrorReply) as info:
            await mon.call("AnswerCall", {"callToBeAnswered": conn(call_id, "1002")})
        assert info.value.csta_error == "noCallToAnswer"


async def test_generate_digits_needs_somebody_to_hear_them(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1002")
        call_id = await connected_pair(cc, mon, "1001", "1002")
        await mon.call("HoldCall", {"callToBeHeld": conn(call_id, "1001")})
        await settle(cc)  # the HeldEvent may follow the reply
        mon.take()
        with pytest.raises(RpcErrorReply) as info:
            await mon.call(
                "GenerateDigits",
                {"connectionToSendDigits": conn(call_id, "1002"), "charactersToSend": "1"},
            )
        assert info.value.csta_error == "invalidObjectState"
        assert "nobody in call" in info.value.message
        await mon.call("RetrieveCall", {"callToBeRetrieved": conn(call_id, "1001")})
        await mon.call(
            "GenerateDigits",
            {"connectionToSendDigits": conn(call_id, "1002"), "charactersToSend": "1,2"},
        )
        await settle(cc)
        assert cc.sim.card.lines["1001"].heard_digits == ["1", "2"]
        assert [e["_name"] for e in mon.take()] == ["RetrievedEvent", "DigitsGeneratedEvent"]


async def test_associate_data_merges_and_travels(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1002")
        call_id = await inbound(cc, mon, "5550001", "1002", answer=False)
        await mon.call(
            "AssociateData",
            {"existingCall": call_id, "userData": {"a": "1", "b": 2}, "correlatorData": "x"},
        )
        await mon.call(
            "AssociateData",
            {"existingCall": {"callID": call_id}, "userData": {"a": None, "c": True}},
        )
        await mon.call("sim.offHook", {"device": "1002"})
        await settle(cc)
        events = mon.take()
        assert [e["_name"] for e in events] == [
            "DeliveredEvent",
            "CallInformationEvent",
            "CallInformationEvent",
            "EstablishedEvent",
        ]
        assert events[2]["userData"] == {"b": 2, "c": True}
        assert events[3]["userData"] == {"b": 2, "c": True} and events[3]["correlatorData"] == "x"
        # Too large in one request: refused by the input limits before any work.
        with pytest.raises(RpcErrorReply) as info:
            await mon.call(
                "AssociateData", {"existingCall": call_id, "userData": {"big": "x" * 9000}}
            )
        assert info.value.code == -32602
        assert info.value.data == {
            "path": "params.userData",
            "problem": "larger than 8192 bytes (9003 bytes of keys, values)",
        }
        # Each request small enough, but merged into the call's data too large: the call
        # model refuses the merge.
        with pytest.raises(RpcErrorReply) as info:
            await mon.call(
                "AssociateData", {"existingCall": call_id, "userData": {"big2": "x" * 8185}}
            )
        assert info.value.csta_error == "valueOutOfRange"
        assert (await mon.call("SnapshotCall", {"snapshotObject": call_id}))["userData"] == {
            "b": 2,
            "c": True,
        }


async def test_clear_call_ends_it_for_everybody(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1002")
        call_id = await inbound(cc, mon, "5550001", "1002")
        mon.take()
        await mon.call("ClearCall", {"callToBeCleared": {"callID": call_id, "deviceID": "1002"}})
        await settle(cc)
        assert [brief(e)[0] for e in mon.take()] == [
            "ConnectionClearedEvent",
            "ConnectionClearedEvent",
            "CallClearedEvent",
        ]
        lines = {ln["line"]: ln["state"] for ln in (await mon.call("sim.lines"))["lines"]}
        assert lines["T/1"] == "idle"


async def test_call_monitor_follows_a_call_and_ends_with_it(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        admin = await cc.client()
        call_id = await inbound(cc, admin, "5550001", "1002", answer=False)
        r = await admin.call("MonitorStart", {"monitorObject": {"callObject": {"callID": call_id}}})
        await admin.call("sim.offHook", {"device": "1002"})
        await admin.call("sim.onHook", {"device": "5550001"})
        await settle(cc)
        events = admin.take()
        assert {e["monitorCrossRefID"] for e in events} == {r["monitorCrossRefID"]}
        assert [e["_name"] for e in events] == [
            "EstablishedEvent",
            "ConnectionClearedEvent",
            "ConnectionClearedEvent",
            "CallClearedEvent",
            "MonitorEndedEvent",
        ]
        assert "localConnectionInfo" not in events[0]  # call monitors have no local device


async def test_switch_link_lost_and_resynchronised(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1002")
        call_id = await inbound(cc, mon, "5550001", "1002")
        mon.take()
        await mon.call("sim.dropLink")
        await settle(cc)
        with pytest.raises(RpcErrorReply) as info:
            await mon.call("HoldCall", {"callToBeHeld": conn(call_id, "1002")})
        assert info.value.csta_error == "resourceOutOfService"
        # While the link is down the caller hangs up; ctid learns it on resync.
        cc.sim.card.on_hook("5550001", trio.current_time())
        await mon.call("sim.restoreLink")
        await settle(cc)
        events = mon.take()
        # The resync shows the caller gone; ctid then releases the phone's line.
        assert [(e["_name"], e.get("systemStatus"), e.get("releasingDevice")) for e in events] == [
            ("SystemStatusEvent", "disabled", None),
            ("SystemStatusEvent", "initializing", None),
            ("ConnectionClearedEvent", None, "5550001"),
            ("SystemStatusEvent", "normal", None),
            ("ConnectionClearedEvent", None, "1002"),
            ("CallClearedEvent", None, None),
        ]
        assert events[0]["monitorCrossRefID"] is None


# -------------------------------------------------------------- refused requests


async def test_refused_requests_change_nothing(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        call_id = await inbound(cc, mon, "5550001", "1001", answer=False)
        before = await mon.call("SnapshotCall", {"snapshotObject": call_id})
        seen = len(mon.events)
        cases: list[tuple[str, dict[str, Any], str]] = [
            (
                "MakeCall",
                {"callingDevice": "5550002", "calledDirectoryNumber": "1002"},
                "invalidCallingDevice",
            ),
            (
                "MakeCall",
                {"callingDevice": "9999", "calledDirectoryNumber": "1002"},
                "invalidCallingDevice",
            ),
            (
                "MakeCall",
                {"callingDevice": "1001", "calledDirectoryNumber": "1001"},
                "invalidCalledDevice",
            ),
            (
                "MakeCall",
                {"callingDevice": "1001", "calledDirectoryNumber": "1002"},
                "invalidObjectState",
            ),
            ("HoldCall", {"callToBeHeld": conn("nope", "1001")}, "invalidConnectionIdentifier"),
            ("HoldCall", {"callToBeHeld": conn(call_id, "1001")}, "invalidObjectState"),
            ("RetrieveCall", {"callToBeRetrieved": conn(call_id, "1001")}, "noHeldCall"),
            ("ClearCall", {"callToBeCleared": "nope"}, "invalidCallIdentifier"),
            (
                "ConsultationCall",
                {"existingCall": conn(call_id, "1001"), "consultedDevice": "1002"},
                "invalidObjectState",
            ),
            (
                "TransferCall",
                {"heldCall": conn(call_id, "1001"), "activeCall": conn(call_id, "1001")},
                "requestIncompatibleWithObject",
            ),
            (
                "SingleStepTransferCall",
                {"activeCall": conn(call_id, "1001"), "transferredTo": "1002"},
                "invalidObjectState",
            ),
            (
                "DeflectCall",
                {"callToBeDiverted": conn(call_id, "1001"), "newDestination": "x"},
                "invalidDestination",
            ),
            (
                "GenerateDigits",
                {"connectionToSendDigits": conn(call_id, "1001"), "charactersToSend": "1"},
                "invalidObjectState",
            ),
            ("SnapshotDevice", {"snapshotObject": "nope"}, "invalidDeviceIdentifier"),
            ("MonitorStop", {"monitorCrossRefID": "m99"}, "invalidCrossRefID"),
            ("MonitorStart", {"monitorObject": {}}, "invalidObjectType"),
            (
                "MonitorStart",
                {"monitorObject": {"deviceObject": "5550001"}},
                "invalidDeviceIdentifier",
            ),
        ]
        for method, params, expected in cases:
            with pytest.raises(RpcErrorReply) as info:
                await mon.call(method, params)
            assert (method, info.value.code, info.value.csta_error) == (method, -32000, expected)
            assert info.value.message  # every refusal says why
        await settle(cc)
        assert len(mon.events) == seen
        assert await mon.call("SnapshotCall", {"snapshotObject": call_id}) == before


# ------------------------------------------------------------ regression tests


async def test_clear_call_right_after_make_call(autojump_clock: trio.testing.MockClock) -> None:
    """The calling phone may not be reported by the switch yet: the call is cancelled cleanly."""
    async with call_centre() as cc:
        mon = await watch(cc, "1003")
        r = await mon.call(
            "MakeCall",
            {
                "callingDevice": "1003",
                "calledDirectoryNumber": "1004",
                "autoOriginate": "doNotPrompt",
            },
        )
        await mon.call("ClearCall", {"callToBeCleared": r["callingDevice"]["callID"]})
        await trio.sleep(1)
        lines = {ln["line"]: ln["state"] for ln in (await mon.call("sim.lines"))["lines"]}
        assert (lines["1003"], lines["1004"]) == ("idle", "idle")
        with pytest.raises(RpcErrorReply):
            await mon.call("SnapshotCall", {"snapshotObject": r["callingDevice"]["callID"]})
        assert mon.take()[-1]["_name"] == "CallClearedEvent"


async def test_back_to_back_click_to_dial(autojump_clock: trio.testing.MockClock) -> None:
    """A phone that answered by itself goes back on-hook when its call ends."""
    async with call_centre() as cc:
        mon = await watch(cc, "1001")
        for _ in range(3):
            r = await mon.call(
                "MakeCall",
                {
                    "callingDevice": "1001",
                    "calledDirectoryNumber": "1002",
                    "autoOriginate": "doNotPrompt",
                },
            )
            await mon.event("DeliveredEvent", alertingDevice="1002")
            await mon.call("sim.offHook", {"device": "1002"})
            await mon.event("EstablishedEvent")
            await mon.call("ClearConnection", {"connectionToBeCleared": r["callingDevice"]})
            await mon.event("CallClearedEvent")
            await mon.call("sim.onHook", {"device": "1002"})
        assert not [e for e in mon.take() if e["_name"] == "FailedEvent"]
