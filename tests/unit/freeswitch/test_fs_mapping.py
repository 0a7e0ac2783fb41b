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
from ctid.switch_drivers.freeswitch.frames import EslEvent, parse_event_json
from ctid.switch_drivers.freeswitch.mapping import EndpointConfig, EventMapper

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


def test_sample_channels_are_classified() -> None:
    m = mapper()
    inbound = next(
        e for e in SAMPLE if e.name == "CHANNEL_CREATE" and e.get("Call-Direction") == "inbound"
    )
    (created,) = m.feed(inbound)
    assert isinstance(created, ChannelCreated)
    assert (created.kind, created.device, created.direction, created.called_number) == (
        EndpointKind.EXTENSION, "1002", Direction.INBOUND, "2000",
    )  # fmt: skip
    answer = next(
        e for e in SAMPLE if e.name == "CHANNEL_ANSWER" and e.get("Call-Direction") == "outbound"
    )
    # An outbound leg to a user: the extension is variable_dialed_user, not the Contact user.
    (created,) = m.feed(_as_create(answer))
    assert isinstance(created, ChannelCreated)
    assert (created.device, answer.get("Caller-Destination-Number")) == (
        "1001",
        "1001-0x5622d7355d70",
    )


def _as_create(event: EslEvent) -> EslEvent:
    headers = dict(event.headers)
    headers["Event-Name"] = "CHANNEL_CREATE"
    return EslEvent(headers=headers)


def test_trunk_calls_are_external() -> None:
    m = EventMapper(EndpointConfig(trunk_profiles=frozenset({"external"})), BridgeBook())
    base = next(
        e for e in SAMPLE if e.name == "CHANNEL_CREATE" and e.get("Call-Direction") == "inbound"
    )
    headers = dict(base.headers)
    headers.update(
        {"variable_sofia_profile_name": "external", "Caller-Caller-ID-Number": "0301234567"}
    )
    (created,) = m.feed(EslEvent(headers=headers))
    assert isinstance(created, ChannelCreated)
    assert (created.kind, created.device, created.trunk) == (
        EndpointKind.EXTERNAL,
        "0301234567",
        "external",
    )
    headers = dict(base.headers)
    headers.update({"Call-Direction": "outbound", "Unique-ID": "gw-leg",
                    "Channel-Name": "sofia/gateway/trunk/5551000",
                    "Caller-Destination-Number": "5551000"})  # fmt: skip
    (created,) = m.feed(EslEvent(headers=headers))
    assert isinstance(created, ChannelCreated)
    assert (created.kind, created.device, created.trunk) == (
        EndpointKind.EXTERNAL,
        "5551000",
        "trunk",
    )


def test_phone_hold_is_reported_and_uuid_hold_is_not() -> None:
    m = mapper()
    holds = [e for e in SAMPLE if e.name in ("CHANNEL_HOLD", "CHANNEL_UNHOLD")]
    for event in holds:
        m.resync([{"uuid": event.unique_id or "", "direction": "outbound", "callstate": "ACTIVE"}])
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


def test_resync_rows_from_show_channels() -> None:
    rows = json.loads(
        '{"row_count":2,"rows":[{"uuid":"a","direction":"outbound","name":"sofia/internal/1001-0x1@h",'
        '"presence_id":"1001@127.0.0.1","dest":"1001-0x1","cid_num":"x","callstate":"ACTIVE"},'
        '{"uuid":"b","direction":"inbound","name":"sofia/internal/1002@h","presence_id":"1002@d",'
        '"dest":"2001","cid_num":"1002","callstate":"RING_WAIT"}]}'
    )["rows"]
    infos = mapper().resync(rows, [("a", "b")])
    assert [(i.channel_id, i.device, i.state, i.bridge_id) for i in infos] == [
        ("a", "1001", ChannelState.UP, "fs-a"),
        ("b", "1002", ChannelState.RINGING, "fs-a"),
    ]


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
