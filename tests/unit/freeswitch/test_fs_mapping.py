"""The mapping core fed with captured FreeSWITCH events."""

from __future__ import annotations

import json

from esl_captures import load_event_lines, load_sessions

from ctid.switch_drivers.base import (
    BridgeDestroyed,
    BridgeJoined,
    BridgeLeft,
    ChannelAlerting,
    ChannelAnswered,
    ChannelCreated,
    ChannelHeld,
    ChannelHungUp,
    ChannelRetrieved,
    ChannelState,
    DigitsReceived,
    Direction,
    EndpointKind,
    HangupCause,
    Originate,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFinished,
    RecordingStarted,
    SwitchEvent,
)
from ctid.switch_drivers.freeswitch.bridges import BridgeBook
from ctid.switch_drivers.freeswitch.causes import cause_from_freeswitch, cause_to_freeswitch
from ctid.switch_drivers.freeswitch.endpoints import EndpointConfig, TrunkConfig
from ctid.switch_drivers.freeswitch.frames import EslEvent, parse_event_json
from ctid.switch_drivers.freeswitch.mapping import EventMapper

A = "49d4b0c6-108c-408b-a183-f4644acf19bd"
B = "20580cd0-63e3-47a0-aa47-d551a401145d"
SAMPLE = [parse_event_json(line) for line in load_event_lines()]


def ref_call_events() -> list[EslEvent]:
    (ref_call,) = [c for c in load_sessions() if c.name == "ref-call"]
    events = []
    for message in ref_call.recv_messages:
        head, _, body = message.partition(b"\n\n")
        if b"text/event-json" in head:
            events.append(parse_event_json(body))
    return events


def mapper() -> EventMapper:
    return EventMapper(EndpointConfig(), BridgeBook())


def feed_all(m: EventMapper, events: list[EslEvent]) -> list[SwitchEvent]:
    out: list[SwitchEvent] = []
    for event in events:
        out += m.feed(event)
    return out


def test_the_recorded_call_maps_to_a_clean_story() -> None:
    m = mapper()
    for channel_id, device in ((A, "1001"), (B, "1002")):
        m.expect_originate(
            Originate(
                channel_id=channel_id,
                kind=EndpointKind.EXTENSION,
                device=device,
                caller_number="5000",
            )
        )
    path = f"/srv/labs/freeswitch/run/recordings/ref-{A}.wav"
    m.expect_recording("rec-1", path)
    out = feed_all(m, ref_call_events())
    bridge = f"fs-{A}"  # the capture client bridged them: a switch-made bridge for ctid
    assert out == [
        ChannelCreated(channel_id=A, kind=EndpointKind.EXTENSION, device="1001",
                       direction=Direction.OUTBOUND, caller_number="5000", called_number="1001"),
        ChannelAlerting(channel_id=A),
        ChannelAnswered(channel_id=A),
        ChannelCreated(channel_id=B, kind=EndpointKind.EXTENSION, device="1002",
                       direction=Direction.OUTBOUND, caller_number="5000", called_number="1002"),
        ChannelAlerting(channel_id=B),
        ChannelAnswered(channel_id=B),
        BridgeJoined(bridge_id=bridge, channel_id=A),
        BridgeJoined(bridge_id=bridge, channel_id=B),
        # uuid_hold is not the phone's hold: no ChannelHeld. uuid_send_dtmf gave
        # no DTMF event; the one DTMF is the phone's, on B.
        DigitsReceived(channel_id=B, digits="7"),
        RecordingStarted(recording_id="rec-1"),
        RecordingFinished(recording_id="rec-1", path=path, duration=2.0),
        BridgeLeft(bridge_id=bridge, channel_id=B),
        ChannelHungUp(channel_id=B, cause=HangupCause.NORMAL, detail="NORMAL_CLEARING"),
        BridgeLeft(bridge_id=bridge, channel_id=A),
        BridgeDestroyed(bridge_id=bridge),
        ChannelHungUp(channel_id=A, cause=HangupCause.NORMAL, detail="NORMAL_CLEARING"),
    ]  # fmt: skip


def _handover(event: EslEvent, **changes: str) -> EslEvent:
    """The ``CHANNEL_EXECUTE park`` of a channel, from a captured event of the same channel
    (the sample keeps one event per application, and its park is an outbound leg's)."""
    headers = dict(event.headers)
    headers.update({"Event-Name": "CHANNEL_EXECUTE", "Application": "park", **changes})
    return EslEvent(headers=headers)


INBOUND_PARK = next(
    e for e in SAMPLE if e.name == "CHANNEL_PARK" and e.get("Call-Direction") == "inbound"
)


def test_a_channel_is_ctids_once_the_dialplan_parks_it_with_ctid_dialed() -> None:
    m = mapper()
    inbound = next(
        e for e in SAMPLE if e.name == "CHANNEL_CREATE" and e.get("Call-Direction") == "inbound"
    )
    assert m.feed(inbound) == []  # created, not handed over yet
    uuid = INBOUND_PARK.unique_id or ""
    assert INBOUND_PARK.get("variable_ctid_dialed") == "2000"  # the lab's dialplan set it
    created, answered = m.feed(_handover(INBOUND_PARK))
    assert isinstance(created, ChannelCreated)
    assert (created.kind, created.device, created.direction, created.called_number) == (
        EndpointKind.EXTENSION, "1002", Direction.INBOUND, "2000",
    )  # fmt: skip
    assert answered == ChannelAnswered(channel_id=uuid)  # the dialplan answered before parking
    assert m.feed(_handover(INBOUND_PARK)) == []  # announced once
    # A park without the variable is not a handover.
    other = _handover(INBOUND_PARK, **{"Unique-ID": "x-1", "variable_ctid_dialed": ""})
    assert m.feed(other) == []


def test_a_leg_the_switch_dials_for_a_channel_of_ctids_is_announced() -> None:
    m = mapper()
    m.feed(_handover(INBOUND_PARK))
    answer = next(
        e for e in SAMPLE if e.name == "CHANNEL_ANSWER" and e.get("Call-Direction") == "outbound"
    )
    # Not dialled for one of ctid's channels: invisible.
    assert m.feed(_as_create(answer)) == []
    # Dialled for one: an outbound leg to a user is the extension variable_dialed_user,
    # not the Contact user.
    (created,) = m.feed(_as_create(answer, **{"Other-Leg-Unique-ID": INBOUND_PARK.unique_id or ""}))
    assert isinstance(created, ChannelCreated)
    assert (created.device, created.originator_channel_id) == ("1001", INBOUND_PARK.unique_id)
    assert answer.get("Caller-Destination-Number") == "1001-0x5622d7355d70"


def _as_create(event: EslEvent, **changes: str) -> EslEvent:
    headers = dict(event.headers)
    headers.update({"Event-Name": "CHANNEL_CREATE", **changes})
    return EslEvent(headers=headers)


def test_trunk_calls_are_external() -> None:
    trunk = TrunkConfig(name="provider", dial="sofia/gateway/gw1/{number}", profiles=("external",))
    m = EventMapper(EndpointConfig(trunks=[trunk]), BridgeBook())
    from_provider = _handover(
        INBOUND_PARK,
        variable_sofia_profile_name="external",
        **{"Caller-Caller-ID-Number": "0301234567", "variable_ctid_dialed": "8001"},
    )
    created, _ = m.feed(from_provider)
    assert isinstance(created, ChannelCreated)
    assert (created.kind, created.device, created.trunk, created.called_number) == (
        EndpointKind.EXTERNAL, "0301234567", "provider", "8001",
    )  # fmt: skip
    base = next(
        e for e in SAMPLE if e.name == "CHANNEL_CREATE" and e.get("Call-Direction") == "inbound"
    )
    (created,) = m.feed(
        _as_create(
            base,
            **{
                "Call-Direction": "outbound",
                "Unique-ID": "gw-leg",
                "Channel-Name": "sofia/gateway/gw1/5551000",
                "Caller-Destination-Number": "5551000",
                "Other-Leg-Unique-ID": INBOUND_PARK.unique_id or "",
            },
        )
    )
    assert isinstance(created, ChannelCreated)
    assert (created.kind, created.device, created.trunk) == (
        EndpointKind.EXTERNAL,
        "5551000",
        "provider",
    )


def test_phone_hold_is_reported_and_uuid_hold_is_not() -> None:
    m = mapper()
    holds = [e for e in SAMPLE if e.name in ("CHANNEL_HOLD", "CHANNEL_UNHOLD")]
    for event in holds:
        m.resync(
            [
                {
                    "uuid": event.unique_id or "",
                    "direction": "outbound",
                    "callstate": "ACTIVE",
                    "application": "uuid_bridge",
                }
            ]
        )
        out = m.feed(event)
        phone = event.get("Event-Calling-Function") == "switch_channel_mark_hold"
        if not phone:
            assert out == []
        elif event.name == "CHANNEL_HOLD":
            assert out == [ChannelHeld(channel_id=event.unique_id or "")]
        else:
            assert out == [ChannelRetrieved(channel_id=event.unique_id or "")]
    assert len(holds) == 4


def test_playback_by_application_uuid() -> None:
    m = mapper()
    execute = next(
        e for e in SAMPLE if e.name == "CHANNEL_EXECUTE" and e.get("Application") == "playback"
    )
    complete = next(
        e
        for e in SAMPLE
        if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "playback"
    )
    m.expect_playback(execute.get("Application-UUID") or "", execute.unique_id or "")
    assert m.feed(execute) == [PlaybackStarted(playback_id=execute.get("Application-UUID") or "")]
    # The sample's execute and complete are the same playback (music on hold).
    assert complete.get("Application-UUID") == execute.get("Application-UUID")
    finished = m.feed(complete)
    playback_id = execute.get("Application-UUID") or ""
    assert finished == [PlaybackFinished(playback_id=playback_id, reason="done")]


def test_failed_originate_without_a_channel_is_created_then_hung_up() -> None:
    m = mapper()
    m.expect_originate(Originate(channel_id="x", kind=EndpointKind.EXTENSION, device="1004"))
    out = m.originate_failed("x", "USER_NOT_REGISTERED")
    assert [type(e) for e in out] == [ChannelCreated, ChannelHungUp]
    assert out[1] == ChannelHungUp(
        channel_id="x", cause=HangupCause.UNREACHABLE, detail="USER_NOT_REGISTERED"
    )
    assert m.originate_failed("x", "USER_NOT_REGISTERED") == []


def _row(uuid: str, direction: str, application: str, **more: str) -> dict[str, str]:
    return {"uuid": uuid, "direction": direction, "application": application, **more}


def test_resync_reports_ctids_channels_and_finds_waiting_callers() -> None:
    rows = json.loads(
        '{"row_count":2,"rows":[{"uuid":"a","direction":"outbound","name":"sofia/internal/1001-0x1@h",'
        '"presence_id":"1001@127.0.0.1","dest":"1001-0x1","cid_num":"x","callstate":"ACTIVE",'
        '"application":"uuid_bridge","created_epoch":"1795325608"},'
        '{"uuid":"b","direction":"inbound","name":"sofia/internal/1002@h","presence_id":"1002@d",'
        '"dest":"2001","cid_num":"1002","callstate":"ACTIVE","application":"uuid_bridge",'
        '"created_epoch":""}]}'
    )["rows"]
    rows += [
        # A dialplan bridge between two phones, and a dialplan conference: not ctid's.
        _row("c", "inbound", "bridge", name="sofia/internal/1003@h", callstate="ACTIVE"),
        _row("d", "inbound", "conference", application_data="3000@default"),
        # A member of ctid's conference, after ctid restarted.
        _row("e", "outbound", "conference", application_data="ctid-call-7@default",
             name="sofia/internal/1004-0x1@h", presence_id="1004@d", callstate="ACTIVE"),
        # A caller from the provider parked by the dialplan while ctid was away.
        _row("f", "inbound", "park", name="sofia/external/0612@192.0.2.10", cid_num="0612",
             cid_name="Ann", dest="8001", callstate="RING_WAIT"),
    ]  # fmt: skip
    trunk = TrunkConfig(name="provider", dial="sofia/gateway/gw/{number}", profiles=("external",))
    m = EventMapper(EndpointConfig(trunks=[trunk]), BridgeBook())
    infos = m.resync(rows, [("a", "b")])
    assert [(i.channel_id, i.device, i.state, i.bridge_id) for i in infos] == [
        ("a", "1001", ChannelState.UP, "fs-a"),
        ("b", "1002", ChannelState.UP, "fs-a"),
        # Adopted: ctid's conference is its bridge again.
        ("e", "1004", ChannelState.UP, "call-7"),
    ]
    # When the switch made each leg, to order the legs of a call (empty: unknown).
    assert (infos[0].created, infos[1].created) == (1795325608.0, None)
    assert m.waiting(rows) == ["f"]
    assert m.late_handovers(rows, {}) == []  # no ctid_dialed: not handed over
    assert m.late_handovers(rows, {"f": "8001"}) == [
        ChannelCreated(channel_id="f", kind=EndpointKind.EXTERNAL, device="0612",
                       direction=Direction.INBOUND, caller_number="0612", caller_name="Ann",
                       called_number="8001", trunk="provider"),
    ]  # fmt: skip
    assert m.waiting(rows) == []


def test_every_sample_event_maps_without_error() -> None:
    m = mapper()
    for event in SAMPLE:
        m.feed(event)


def test_cause_names() -> None:
    assert cause_from_freeswitch("NORMAL_CLEARING") is HangupCause.NORMAL
    assert cause_from_freeswitch("ORIGINATOR_CANCEL") is HangupCause.CANCELLED
    assert cause_from_freeswitch("SOMETHING_NEW") is HangupCause.FAILED
    for cause in HangupCause:
        assert cause_from_freeswitch(cause_to_freeswitch(cause)) is cause
