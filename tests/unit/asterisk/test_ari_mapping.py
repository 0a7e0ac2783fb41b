"""The sans-IO mapping core, fed Asterisk's real captured events and sequences built from them."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ctid.switch_drivers.asterisk.endpoints import EndpointConfig, TrunkConfig
from ctid.switch_drivers.asterisk.mapping import (
    SNOOP_ARG,
    ApplicationLost,
    AriMapper,
    FollowChannel,
    Output,
    StopPlaybackOnDigit,
)
from ctid.switch_drivers.base import (
    BridgeDestroyed,
    BridgeInfo,
    BridgeJoined,
    BridgeLeft,
    ChannelAlerting,
    ChannelAnswered,
    ChannelCreated,
    ChannelHeld,
    ChannelHungUp,
    ChannelInfo,
    ChannelRetrieved,
    ChannelState,
    DigitsReceived,
    Direction,
    EndpointKind,
    HangupCause,
    MediaTarget,
    Originate,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
)
from ctid.testing.ari_schema import AriSchema

Event = dict[str, Any]
CONFIG = EndpointConfig(
    extension_endpoint="PJSIP/{extension}",
    trunks=(
        TrunkConfig(
            name="provider", endpoint="PJSIP/trunk-provider", dial="PJSIP/{number}@trunk-provider"
        ),
    ),
)


@pytest.fixture
def mapper() -> AriMapper:
    return AriMapper(config=CONFIG, app="ctid")


def pick(events: list[Event], kind: str, pred: Callable[[Event], bool] = lambda e: True) -> Event:
    found = [e for e in events if e["type"] == kind and pred(e)]
    assert found, kind
    return copy.deepcopy(found[0])


def feed_all(mapper: AriMapper, events: list[Event]) -> list[Output]:
    out: list[Output] = []
    for event in events:
        out.extend(mapper.feed(event))
    return out


def test_every_captured_event_is_valid_and_folds_without_error(
    mapper: AriMapper, sample_events: list[Event], ari_schema: AriSchema
) -> None:
    assert len(sample_events) == 39
    assert len({e["type"] for e in sample_events}) == 25
    for event in sample_events:
        assert ari_schema.check_event(event) == []
        mapper.feed(event)  # must not raise, whatever order the lab produced


def test_run1_originate_bridge_play_hangup(mapper: AriMapper, sample_events: list[Event]) -> None:
    mapper.expect_originate(
        Originate(
            channel_id="lab-a-1",
            kind=EndpointKind.EXTENSION,
            device="1001",
            caller_number="9000",
            caller_name="CTID",
        )
    )
    mapper.expect_playback("lab-pb-1", MediaTarget.bridge("lab-br-1"), stop_on_digit=False)
    run1 = sample_events[:15]  # the first lab run, in order
    out = feed_all(mapper, run1)
    assert out == [
        ChannelCreated(
            channel_id="lab-a-1",
            kind=EndpointKind.EXTENSION,
            device="1001",
            direction=Direction.OUTBOUND,
            caller_number="9000",
            caller_name="CTID",
        ),
        ChannelAlerting(channel_id="lab-a-1"),
        ChannelAnswered(channel_id="lab-a-1"),
        BridgeJoined(bridge_id="lab-br-1", channel_id="lab-a-1"),
        PlaybackStarted(playback_id="lab-pb-1"),
        PlaybackFinished(playback_id="lab-pb-1", reason="done"),
        BridgeLeft(bridge_id="lab-br-1", channel_id="lab-a-1"),
        ChannelHungUp(
            channel_id="lab-a-1", cause=HangupCause.NORMAL, detail="16 (hang-up request)"
        ),
        BridgeDestroyed(bridge_id="lab-br-1"),
    ]


def test_an_originated_channel_is_answered_once_it_is_in_the_app(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    """Up and Dial ANSWER come a moment before StasisStart; ARI cannot bridge the
    channel in that moment (422), so ChannelAnswered waits for StasisStart."""
    mapper.expect_originate(
        Originate(channel_id="lab-a-1", kind=EndpointKind.EXTENSION, device="1001")
    )
    run1 = sample_events[:7]
    assert [e["type"] for e in run1[3:]] == [
        "ChannelStateChange",
        "Dial",
        "ChannelVarset",
        "StasisStart",
    ]
    assert ChannelAnswered(channel_id="lab-a-1") not in feed_all(mapper, run1[:6])
    assert mapper.feed(run1[6]) == [ChannelAnswered(channel_id="lab-a-1")]
    # Answered, then gone before the app started: never reported as answered.
    mapper.expect_originate(
        Originate(channel_id="lab-a-2", kind=EndpointKind.EXTENSION, device="1001")
    )
    second = copy.deepcopy(run1[3:5])
    for event in second:
        (event.get("channel") or event["peer"])["id"] = "lab-a-2"
    gone = pick(sample_events, "ChannelDestroyed")
    gone["channel"]["id"] = "lab-a-2"
    out = feed_all(mapper, [*second, gone])
    assert [type(o).__name__ for o in out] == ["ChannelCreated", "ChannelHungUp"]


def test_inbound_from_a_phone_enters_stasis_with_args(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    dtmf = pick(sample_events, "ChannelDtmfReceived")
    start = pick(sample_events, "StasisStart", lambda e: e["args"] == ["agent-leg"])
    start["channel"] = copy.deepcopy(dtmf["channel"])
    start["args"] = ["inbound", "2000"]
    out = feed_all(mapper, [pick(sample_events, "ChannelDialplan"), start, dtmf])
    assert out == [
        ChannelCreated(
            channel_id="1795325608.12",
            kind=EndpointKind.EXTENSION,
            device="1001",
            direction=Direction.INBOUND,
            caller_number="1001",
            caller_name="Phone 1001",
            called_number="2000",
            variables={"STASIS_ARGS": "inbound,2000"},
        ),
        ChannelAnswered(channel_id="1795325608.12"),
        DigitsReceived(channel_id="1795325608.12", digits="5"),
    ]


def test_inbound_trunk_call_is_an_external_party(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    start = pick(sample_events, "StasisStart", lambda e: e["args"] == ["agent-leg"])
    ch = start["channel"]
    ch.update(id="t1", name="PJSIP/trunk-provider-0000001f", state="Ring")
    ch["caller"] = {"name": "", "number": "0612345678"}
    ch["dialplan"]["exten"] = "0800111222"
    start["args"] = ["inbound"]
    out = mapper.feed(start)
    assert out == [
        ChannelCreated(
            channel_id="t1",
            kind=EndpointKind.EXTERNAL,
            device="0612345678",
            direction=Direction.INBOUND,
            caller_number="0612345678",
            called_number="0800111222",
            trunk="provider",
            variables={"STASIS_ARGS": "inbound"},
        )
    ]
    # Ringback to the caller is not the caller's device alerting.
    ring = pick(sample_events, "ChannelStateChange", lambda e: e["channel"]["state"] == "Ringing")
    ring["channel"] = dict(ch, state="Ringing")
    assert mapper.feed(ring) == []
    up = copy.deepcopy(ring)
    up["channel"]["state"] = "Up"
    assert mapper.feed(up) == [ChannelAnswered(channel_id="t1")]


def test_queue_leg_cancelled_elsewhere(mapper: AriMapper, sample_events: list[Event]) -> None:
    cancel = pick(sample_events, "Dial", lambda e: e["dialstatus"] == "CANCEL")
    dial_begin = copy.deepcopy(cancel)
    dial_begin["dialstatus"] = ""
    destroyed = pick(sample_events, "ChannelDestroyed", lambda e: e["cause"] == 26)
    out = feed_all(mapper, [dial_begin, cancel, destroyed])
    assert out == [
        ChannelCreated(
            channel_id="1795325633.17",
            kind=EndpointKind.EXTENSION,
            device="1003",
            direction=Direction.INBOUND,
            caller_number="1003",
            caller_name="Phone 1003",
            called_number="6000",
            originator_channel_id="1795325633.16",
        ),
        ChannelAlerting(channel_id="1795325633.17"),
        ChannelHungUp(
            channel_id="1795325633.17",
            cause=HangupCause.ANSWERED_ELSEWHERE,
            detail="26 Answered elsewhere",
        ),
    ]


def test_unanswered_originate_is_reported_though_only_destroyed_arrives(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    mapper.expect_originate(
        Originate(channel_id="lab-noans-1", kind=EndpointKind.EXTENSION, device="1004")
    )
    destroyed = pick(sample_events, "ChannelDestroyed", lambda e: e["cause"] == 19)
    assert mapper.feed(destroyed) == [
        ChannelCreated(
            channel_id="lab-noans-1",
            kind=EndpointKind.EXTENSION,
            device="1004",
            direction=Direction.OUTBOUND,
        ),
        ChannelAlerting(channel_id="lab-noans-1"),
        ChannelHungUp(
            channel_id="lab-noans-1",
            cause=HangupCause.NO_ANSWER,
            detail="19 User alerting, no answer (SIP 480)",
        ),
    ]


def test_unknown_channel_destroyed_is_ignored(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    assert mapper.feed(pick(sample_events, "ChannelDestroyed", lambda e: e["cause"] == 19)) == []


def test_busy_dialstatus_explains_a_normal_clearing(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    mapper.expect_originate(
        Originate(channel_id="o1", kind=EndpointKind.EXTERNAL, device="0612345678")
    )
    dial = pick(sample_events, "Dial", lambda e: e["dialstatus"] == "RINGING")
    dial["peer"].update(id="o1", name="PJSIP/trunk-provider-00000002")
    busy = copy.deepcopy(dial)
    busy["dialstatus"] = "BUSY"
    destroyed = pick(sample_events, "ChannelDestroyed", lambda e: e["cause"] == 16)
    destroyed["channel"] = copy.deepcopy(dial["peer"])
    out = feed_all(mapper, [dial, busy, destroyed])
    assert out[0] == ChannelCreated(
        channel_id="o1",
        kind=EndpointKind.EXTERNAL,
        device="0612345678",
        direction=Direction.OUTBOUND,
        called_number="0612345678",
        trunk="provider",
    )
    assert out[1:] == [
        ChannelAlerting(channel_id="o1"),
        ChannelHungUp(channel_id="o1", cause=HangupCause.BUSY, detail="16 Normal Clearing"),
    ]


def test_phone_hold_and_unhold(mapper: AriMapper, sample_events: list[Event]) -> None:
    hold = pick(sample_events, "ChannelHold")
    created = {"type": "ChannelCreated", "channel": hold["channel"]}
    out = feed_all(mapper, [created, hold, hold, pick(sample_events, "ChannelUnhold")])
    assert out[1:] == [
        ChannelAnswered(channel_id="1795325720.20"),  # it was created already up
        ChannelHeld(channel_id="1795325720.20"),
        ChannelRetrieved(channel_id="1795325720.20"),
    ]


def test_blind_transfer_new_leg_is_the_transfer_target(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    transfer = pick(sample_events, "BridgeBlindTransfer")
    transferer = transfer["channel"]
    feed_all(mapper, [{"type": "StasisStart", "args": [], "channel": transferer}])
    local = copy.deepcopy(transferer)
    local.update(id="loc-1", name="Local/1003@from-phones-00000004;1", state="Up")
    start = {"type": "StasisStart", "args": [], "channel": local, "replace_channel": transferer}
    assert mapper.feed(transfer) == []
    out = mapper.feed(start)
    assert out == [
        ChannelCreated(
            channel_id="loc-1",
            kind=EndpointKind.EXTENSION,
            device="1003",
            direction=Direction.INBOUND,
            caller_number="1002",
            caller_name="Phone 1002",
            called_number="1003",
            originator_channel_id="1795325720.21",
        ),
        ChannelAnswered(channel_id="loc-1"),
    ]


def test_application_replaced_is_an_effect(mapper: AriMapper, sample_events: list[Event]) -> None:
    out = mapper.feed(pick(sample_events, "ApplicationReplaced"))
    assert len(out) == 1
    assert isinstance(out[0], ApplicationLost)


def test_noise_is_dropped_and_counted(mapper: AriMapper, sample_events: list[Event]) -> None:
    varset = pick(sample_events, "ChannelVarset")
    for _ in range(1000):
        assert mapper.feed(varset) == []
    assert mapper.feed({"type": "SomethingNew"}) == []
    assert mapper.ignored["ChannelVarset"] == 1000
    assert mapper.ignored["SomethingNew"] == 1


def _stasis(sample_events: list[Event], cid: str, **channel: Any) -> Event:
    start = pick(sample_events, "StasisStart", lambda e: e["args"] == ["agent-leg"])
    start["channel"].update(id=cid, **channel)
    return start


def test_digit_stops_a_barge_in_playback(mapper: AriMapper, sample_events: list[Event]) -> None:
    mapper.feed(_stasis(sample_events, "c1"))
    mapper.expect_playback("p1", MediaTarget.channel("c1"), stop_on_digit=True)
    started = pick(sample_events, "PlaybackStarted")
    started["playback"].update(id="p1", target_uri="channel:c1")
    dtmf = pick(sample_events, "ChannelDtmfReceived")
    dtmf["channel"]["id"] = "c1"
    finished = pick(sample_events, "PlaybackFinished")
    finished["playback"].update(id="p1", target_uri="channel:c1")
    out = feed_all(mapper, [started, dtmf, dtmf, finished])
    assert out == [
        PlaybackStarted(playback_id="p1"),
        DigitsReceived(channel_id="c1", digits="5"),
        StopPlaybackOnDigit("p1"),
        DigitsReceived(channel_id="c1", digits="5"),
        PlaybackFinished(playback_id="p1", reason="stopped"),
    ]


def test_playbacks_and_recordings_ctid_did_not_start_are_ignored(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    assert mapper.feed(pick(sample_events, "PlaybackStarted")) == []
    assert mapper.feed({"type": "RecordingStarted", "recording": {"name": "x"}}) == []


def test_recording_lifecycle(mapper: AriMapper) -> None:
    mapper.expect_recording("rec-1", "calls/abc")
    mapper.expect_recording("rec-2", "calls/def")
    live = {"name": "calls/abc", "format": "wav", "target_uri": "bridge:b1", "state": "recording"}
    done = dict(live, state="done", duration=42)
    failed = dict(live, name="calls/def", state="failed", cause="disk full")
    assert mapper.recording_name("rec-1") == "calls/abc"
    out = feed_all(
        mapper,
        [
            {"type": "RecordingStarted", "recording": live},
            {"type": "RecordingFinished", "recording": done},
            {"type": "RecordingFailed", "recording": failed},
        ],
    )
    assert out == [
        RecordingStarted(recording_id="rec-1"),
        RecordingFinished(recording_id="rec-1", path="calls/abc.wav", duration=42.0),
        RecordingFailed(recording_id="rec-2", detail="disk full"),
    ]
    assert mapper.recording_name("rec-1") is None


def test_leaving_stasis_alive_asks_to_follow_the_channel(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    mapper.feed(_stasis(sample_events, "c1"))
    end = pick(sample_events, "StasisEnd")
    end["channel"]["id"] = "c1"
    assert mapper.feed(end) == [FollowChannel("c1")]
    assert mapper.channel_vanished("c1") == [
        ChannelHungUp(channel_id="c1", detail="left Stasis and ended unseen")
    ]
    assert mapper.channel_vanished("c1") == []


def test_hangup_then_stasis_end_ends_a_channel_only_stasis_tied_to_the_app(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    """Asterisk sends no ChannelDestroyed after StasisEnd to an app that got the
    channel from Stasis() alone (seen on 22.10.1): the hang-up ends it there."""
    mapper.feed(_stasis(sample_events, "lab-a-1"))
    request = pick(sample_events, "ChannelHangupRequest")  # ARI's DELETE: soft, cause 32
    assert (request["soft"], request["cause"]) == (True, 32)
    bye = copy.deepcopy(request)
    del bye["soft"]
    bye["cause"] = 17
    assert feed_all(mapper, [request, bye, pick(sample_events, "StasisEnd")]) == [
        ChannelHungUp(channel_id="lab-a-1", cause=HangupCause.BUSY, detail="17 (hang-up request)")
    ]
    assert mapper.feed(pick(sample_events, "ChannelDestroyed")) == []  # with subscribeAll
    # A soft request alone (ctid hung it up) is an ordinary hang-up.
    mapper.feed(_stasis(sample_events, "c2"))
    request["channel"]["id"] = "c2"
    end = pick(sample_events, "StasisEnd")
    end["channel"]["id"] = "c2"
    assert feed_all(mapper, [request, end]) == [
        ChannelHungUp(channel_id="c2", cause=HangupCause.NORMAL, detail="16 (hang-up request)")
    ]


def test_an_originated_channel_hung_up_ends_at_stasis_end_too(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    """A channel a phone's own transfer replaced gets no ChannelDestroyed either
    (seen on 22.10.1): every hung-up channel ends at StasisEnd; a late
    ChannelDestroyed is ignored."""
    mapper.expect_originate(
        Originate(channel_id="lab-a-1", kind=EndpointKind.EXTENSION, device="1001")
    )
    run1 = sample_events[:15]
    out = feed_all(mapper, run1[:12])  # ... ChannelHangupRequest, ChannelLeftBridge
    assert not any(isinstance(o, ChannelHungUp) for o in out)
    assert [e["type"] for e in run1[12:14]] == ["StasisEnd", "ChannelDestroyed"]
    assert mapper.feed(run1[12]) == [
        ChannelHungUp(channel_id="lab-a-1", cause=HangupCause.NORMAL, detail="16 (hang-up request)")
    ]
    assert mapper.feed(run1[13]) == []


def test_snoop_channels_and_internal_bridges_are_never_reported(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    mapper.feed(_stasis(sample_events, "sup-1"))
    mapper.expect_internal_bridge("ib")
    snoop = _stasis(sample_events, "snoop-1", name="Snoop/1001-00000001")
    snoop["args"] = [SNOOP_ARG]
    entered = pick(sample_events, "ChannelEnteredBridge")
    entered["bridge"]["id"] = "ib"
    sup_in = copy.deepcopy(entered)
    sup_in["channel"]["id"] = "sup-1"
    snoop_in = copy.deepcopy(entered)
    snoop_in["channel"] = snoop["channel"]
    destroyed = pick(sample_events, "ChannelDestroyed", lambda e: e["cause"] == 16)
    destroyed["channel"]["id"] = "snoop-1"
    bridge_gone = pick(sample_events, "BridgeDestroyed")
    bridge_gone["bridge"]["id"] = "ib"
    assert feed_all(mapper, [snoop, sup_in, snoop_in, destroyed, bridge_gone]) == []


def test_moving_between_bridges_reports_leave_then_join(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    mapper.feed(_stasis(sample_events, "c1"))
    entered = pick(sample_events, "ChannelEnteredBridge")
    entered["channel"]["id"] = "c1"
    into_b2 = copy.deepcopy(entered)
    into_b2["bridge"]["id"] = "b2"
    left_b1 = pick(sample_events, "ChannelLeftBridge")
    left_b1["channel"]["id"] = "c1"
    out = feed_all(mapper, [entered, entered, into_b2, left_b1])
    assert out == [
        BridgeJoined(bridge_id="lab-br-1", channel_id="c1"),
        BridgeLeft(bridge_id="lab-br-1", channel_id="c1"),
        BridgeJoined(bridge_id="b2", channel_id="c1"),
    ]


def test_bridge_merge_moves_members(mapper: AriMapper, sample_events: list[Event]) -> None:
    mapper.feed(_stasis(sample_events, "c1"))
    entered = pick(sample_events, "ChannelEnteredBridge")
    entered["channel"]["id"] = "c1"
    entered["bridge"]["id"] = "from"
    merged = {
        "type": "BridgeMerged",
        "bridge": dict(entered["bridge"], id="into"),
        "bridge_from": dict(entered["bridge"], channels=["c1"]),
    }
    assert feed_all(mapper, [entered, merged])[1:] == [
        BridgeLeft(bridge_id="from", channel_id="c1"),
        BridgeJoined(bridge_id="into", channel_id="c1"),
    ]


def _epoch(creationtime: str) -> float:
    """ARI's timestamp, read independently of the mapper: "...T05:31:28.825+0000"."""
    return dt.datetime.fromisoformat(creationtime[:-2] + ":" + creationtime[-2:]).timestamp()


def test_resync_keeps_what_it_knew_and_drops_what_is_gone(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    dtmf = pick(sample_events, "ChannelDtmfReceived")
    gone = _stasis(sample_events, "gone")
    mapper.expect_originate(
        Originate(channel_id="lab-agent-1", kind=EndpointKind.EXTENSION, device="1002")
    )
    mapper.feed(gone)
    hold = pick(sample_events, "ChannelHold")
    hold["channel"]["id"] = "lab-agent-1"
    feed_all(mapper, [_stasis(sample_events, "lab-agent-1"), hold])
    mapper.set_music("lab-br-2", True)  # unknown bridge: no effect
    bridge = pick(sample_events, "BridgeCreated")["bridge"]
    bridge["channels"] = ["lab-agent-1", "1795325608.12"]
    basic = dict(bridge, id="dialplan-bridge", bridge_class="basic", channels=["x"])
    agent = _stasis(sample_events, "lab-agent-1")["channel"]
    caller = dtmf["channel"]
    outsider = dict(caller, id="x", dialplan=dict(caller["dialplan"], app_name="Dial"))
    result = mapper.resync([agent, caller, outsider], [bridge, basic])
    assert result.channels == (
        ChannelInfo(
            channel_id="lab-agent-1",
            kind=EndpointKind.EXTENSION,
            device="1002",
            direction=Direction.OUTBOUND,
            state=ChannelState.UP,
            bridge_id="lab-br-2",
            held=True,
            created=_epoch(agent["creationtime"]),
        ),
        ChannelInfo(
            channel_id="1795325608.12",
            kind=EndpointKind.EXTENSION,
            device="1001",
            direction=Direction.INBOUND,
            state=ChannelState.UP,
            caller_number="1001",
            called_number="2000",
            bridge_id="lab-br-2",
            created=_epoch(caller["creationtime"]),
        ),
    )
    assert result.bridges == (
        BridgeInfo(bridge_id="lab-br-2", channel_ids=("lab-agent-1", "1795325608.12")),
    )
    # After the resync the model goes on from the snapshot: no duplicate events.
    up = pick(sample_events, "ChannelStateChange", lambda e: e["channel"]["state"] == "Up")
    up["channel"] = agent
    assert mapper.feed(up) == []
    entered = pick(sample_events, "ChannelEnteredBridge")
    entered["channel"] = agent
    entered["bridge"]["id"] = "lab-br-2"
    assert mapper.feed(entered) == []
    gone_end = pick(sample_events, "ChannelDestroyed", lambda e: e["cause"] == 16)
    gone_end["channel"]["id"] = "gone"
    assert mapper.feed(gone_end) == []


def test_resync_marks_our_originates_after_a_restart(
    mapper: AriMapper, sample_events: list[Event]
) -> None:
    ch = _stasis(sample_events, "o-9")["channel"]
    ch["dialplan"]["app_data"] = "ctid,ctid:originate"
    snoop = dict(ch, id="s-9", dialplan=dict(ch["dialplan"], app_data=f"ctid,{SNOOP_ARG}"))
    other_app = dict(ch, id="z", dialplan=dict(ch["dialplan"], app_data="otherapp"))
    result = mapper.resync([ch, snoop, other_app], [])
    assert [(c.channel_id, c.direction) for c in result.channels] == [("o-9", Direction.OUTBOUND)]


def test_endpoint_config_rules() -> None:
    assert CONFIG.dial_string(EndpointKind.EXTENSION, "1001", None) == "PJSIP/1001"
    assert CONFIG.dial_string(EndpointKind.EXTERNAL, "0612", None) == "PJSIP/0612@trunk-provider"
    with pytest.raises(ValueError, match="unknown trunk"):
        CONFIG.dial_string(EndpointKind.EXTERNAL, "0612", "other")
    with pytest.raises(ValueError, match="dialable"):
        CONFIG.dial_string(EndpointKind.EXTENSION, "1001&PJSIP/1002", None)
    with pytest.raises(ValueError, match="no trunk"):
        EndpointConfig().dial_string(EndpointKind.EXTERNAL, "0612", None)
    with pytest.raises(ValueError, match="extension"):
        EndpointConfig(extension_endpoint="PJSIP/fixed")
    assert CONFIG.number_kind("1003") is EndpointKind.EXTENSION
    assert CONFIG.number_kind("0612345678") is EndpointKind.EXTERNAL


def _lab(channel_id: str) -> list[Event]:
    path = Path(__file__).resolve().parents[2] / "fixtures" / "ari" / "lab-issue14.jsonl"
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [e for e in events if (e.get("channel") or e.get("peer"))["id"] == channel_id]


def test_the_lab_frames_are_valid_events(ari_schema: AriSchema) -> None:
    for channel_id in ("3m9jeuf-ch7", "3m9jeuf-ch9"):
        for event in _lab(channel_id):
            assert ari_schema.check_event(event) == []


def test_a_trunk_that_answers_nothing_is_a_network_failure(mapper: AriMapper) -> None:
    """Real frames: PJSIP's INVITE to a dead address times out after 32 s (18 / 408)."""
    mapper.expect_originate(
        Originate(channel_id="3m9jeuf-ch7", kind=EndpointKind.EXTERNAL, device="5551234")
    )
    out = feed_all(mapper, _lab("3m9jeuf-ch7"))
    assert out[0] == ChannelCreated(
        channel_id="3m9jeuf-ch7",
        kind=EndpointKind.EXTERNAL,
        device="5551234",
        direction=Direction.OUTBOUND,
        called_number="5551234",
        trunk="provider",
    )
    assert out[1:] == [
        ChannelHungUp(
            channel_id="3m9jeuf-ch7",
            cause=HangupCause.FAILED,
            detail="18 No user responding (SIP 408)",
        )
    ]


def test_an_originate_that_never_enters_stasis_fails(mapper: AriMapper) -> None:
    """Real frames: app_stasis unloaded; the phone answers, Asterisk destroys the
    channel (cause 0) without a StasisStart. ctid must not call that a hang-up."""
    mapper.expect_originate(
        Originate(channel_id="3m9jeuf-ch9", kind=EndpointKind.EXTENSION, device="1001")
    )
    out = feed_all(mapper, _lab("3m9jeuf-ch9"))
    assert out == [
        ChannelCreated(
            channel_id="3m9jeuf-ch9",
            kind=EndpointKind.EXTENSION,
            device="1001",
            direction=Direction.OUTBOUND,
        ),
        ChannelAlerting(channel_id="3m9jeuf-ch9"),
        ChannelHungUp(
            channel_id="3m9jeuf-ch9",
            cause=HangupCause.FAILED,
            detail="0 Unknown; answered but never entered Stasis application 'ctid'",
        ),
    ]
