"""The voice card on its own: commands and phone actions in, normalized events out."""

from typing import Any

import pytest

from ctid.switch_drivers import base as sw
from ctid.switch_drivers.simulator.config import OutsideBehaviour, OutsideRule, SimulatorConfig
from ctid.switch_drivers.simulator.core import LineState, SimError, SimSwitch


def card(**kw: Any) -> SimSwitch:
    return SimSwitch(SimulatorConfig(extensions=("1001", "1002", "1003"), trunks=2, **kw))


def drain(sim: SimSwitch) -> list[sw.SwitchEvent]:
    out = list(sim.events)
    sim.events.clear()
    return out


def run_until(sim: SimSwitch, t: float) -> None:
    while sim.next_deadline() <= t:
        sim.advance(sim.next_deadline())


def originate(
    device: str, kind: sw.EndpointKind = sw.EndpointKind.EXTENSION, **kw: Any
) -> sw.Originate:
    kw.setdefault("channel_id", f"ch-{device}")
    return sw.Originate(kind=kind, device=device, caller_number="1001", **kw)


def test_extension_rings_and_times_out_exactly() -> None:
    sim = card()
    sim.execute(originate("1002"), 0.0)
    assert drain(sim) == [
        sw.ChannelCreated(
            channel_id="ch-1002",
            kind=sw.EndpointKind.EXTENSION,
            device="1002",
            direction=sw.Direction.OUTBOUND,
            caller_number="1001",
            called_number="1002",
        ),
        sw.ChannelAlerting(channel_id="ch-1002"),
    ]
    assert sim.line_state("1002") is LineState.RINGING
    run_until(sim, 44.999)
    assert drain(sim) == []
    run_until(sim, 45.0)
    assert drain(sim) == [sw.ChannelHungUp(channel_id="ch-1002", cause=sw.HangupCause.NO_ANSWER)]
    assert sim.line_state("1002") is LineState.IDLE


def test_busy_extension_and_auto_answer() -> None:
    sim = card()
    sim.execute(originate("1002", auto_answer=True), 0.0)
    sim.advance(0.0)
    assert drain(sim)[-1] == sw.ChannelAnswered(channel_id="ch-1002")
    sim.execute(sw.Originate(channel_id="x", kind=sw.EndpointKind.EXTENSION, device="1002"), 1.0)
    assert drain(sim)[-1] == sw.ChannelHungUp(channel_id="x", cause=sw.HangupCause.BUSY)


def test_off_hook_dialling_by_exact_number_hash_and_timeout() -> None:
    sim = card()
    ch = sim.off_hook("1001", 0.0)
    assert sim.line_state("1001") is LineState.COLLECTING
    sim.press_digits("1001", "10", 1.0)
    sim.press_digits("1001", "02", 2.0)  # an extension number: dialled at once
    assert drain(sim)[-1] == sw.ChannelDialed(channel_id=ch, number="1002")
    sim.on_hook("1001", 3.0)
    ch = sim.off_hook("1001", 4.0)
    sim.press_digits("1001", "5551234#", 5.0)
    assert drain(sim)[-1] == sw.ChannelDialed(channel_id=ch, number="5551234")
    sim.on_hook("1001", 6.0)
    ch = sim.off_hook("1001", 10.0)
    sim.press_digits("1001", "99", 11.0)
    run_until(sim, 14.9)
    assert not any(isinstance(e, sw.ChannelDialed) for e in drain(sim))
    run_until(sim, 15.0)  # 4 s inter-digit timeout after the last digit
    assert drain(sim)[-1] == sw.ChannelDialed(channel_id=ch, number="99")


def test_a_late_first_digit_restarts_the_dial_timer() -> None:
    # The first digit comes just before the 15 s first-digit timeout: the number
    # is dialled 4 s after it, not when the first timer would have run out.
    sim = card()
    ch = sim.off_hook("1001", 0.0)
    sim.press_digits("1001", "5", 14.0)
    run_until(sim, 17.9)
    assert not any(isinstance(e, sw.ChannelDialed) for e in drain(sim))
    run_until(sim, 18.0)
    assert drain(sim)[-1] == sw.ChannelDialed(channel_id=ch, number="5")


def test_timers_of_ended_calls_leave_nothing_behind() -> None:
    # A card runs for months: what it keeps for its timers must not grow with
    # the calls it has carried (dial, ring and answer timers, cancelled or run).
    sim = card()
    now = 0.0
    for n in range(200):
        ch = sim.off_hook("1001", now)
        sim.press_digits("1001", "5550100#", now)
        sim.execute(sw.Hangup(channel_id=ch), now + 1.0)
        sim.on_hook("1001", now + 1.0)
        sim.execute(originate("1002", channel_id=f"in-{n}"), now + 2.0)
        sim.off_hook("1002", now + 3.0)
        sim.on_hook("1002", now + 4.0)
        out = f"out-{n}"
        sim.execute(originate("5550100", sw.EndpointKind.EXTERNAL, channel_id=out), now + 5.0)
        run_until(sim, now + 10.0)  # the outside party answers after 2 s
        sim.execute(sw.Hangup(channel_id=out), now + 10.0)
        now += 100.0
        run_until(sim, now)
        drain(sim)
    assert sim.pending_timers() == 0


def test_no_digit_drops_the_line_to_busy_tone() -> None:
    sim = card()
    ch = sim.off_hook("1001", 0.0)
    run_until(sim, 15.0)
    assert drain(sim)[-1] == sw.ChannelHungUp(channel_id=ch, cause=sw.HangupCause.NORMAL)
    assert sim.line_state("1001") is LineState.WAITING_HANGUP
    sim.on_hook("1001", 16.0)
    assert sim.line_state("1001") is LineState.IDLE


@pytest.mark.parametrize(
    ("number", "cause", "at"),
    [
        ("5550486", sw.HangupCause.BUSY, 0.5),
        ("5550404", sw.HangupCause.UNREACHABLE, 0.5),
        ("5550603", sw.HangupCause.REJECTED, 2.5),
        ("5550480", sw.HangupCause.NO_ANSWER, 30.5),
    ],
)
def test_outside_parties_by_pattern(number: str, cause: sw.HangupCause, at: float) -> None:
    sim = card()
    sim.execute(originate(number, sw.EndpointKind.EXTERNAL, timeout=30.0), 0.0)
    run_until(sim, at - 0.01)
    assert not any(isinstance(e, sw.ChannelHungUp) for e in sim.events)
    run_until(sim, at)
    assert drain(sim)[-1] == sw.ChannelHungUp(channel_id=f"ch-{number}", cause=cause)


def test_outside_party_answers_then_hangs_up_by_rule() -> None:
    rule = OutsideRule(
        pattern=r".*", behaviour=OutsideBehaviour.ANSWER, answer_after=3, hangup_after=10
    )
    sim = card(outside=(rule,))
    sim.execute(originate("5551234", sw.EndpointKind.EXTERNAL), 0.0)
    run_until(sim, 3.5)
    events = drain(sim)
    assert sw.ChannelAlerting(channel_id="ch-5551234") in events
    assert events[-1] == sw.ChannelAnswered(channel_id="ch-5551234")
    run_until(sim, 13.5)
    assert drain(sim) == [sw.ChannelHungUp(channel_id="ch-5551234", cause=sw.HangupCause.NORMAL)]


def test_no_free_trunk_is_congestion() -> None:
    sim = card()
    sim.incoming_call("5550001", "1001", 0.0)
    sim.incoming_call("5550002", "1001", 0.0)
    with pytest.raises(SimError, match="all outside lines are busy"):
        sim.incoming_call("5550003", "1001", 0.0)
    sim.execute(originate("5559999", sw.EndpointKind.EXTERNAL), 0.0)
    assert drain(sim)[-1] == sw.ChannelHungUp(
        channel_id="ch-5559999", cause=sw.HangupCause.CONGESTION
    )


def test_incoming_call_and_caller_actions() -> None:
    sim = card()
    ch = sim.incoming_call("5550001", "1002", 0.0, trunk="T/2")
    created = drain(sim)[0]
    assert isinstance(created, sw.ChannelCreated)
    assert (created.kind, created.device, created.called_number, created.trunk) == (
        sw.EndpointKind.EXTERNAL,
        "5550001",
        "1002",
        "T/2",
    )
    with pytest.raises(SimError, match="nobody listens"):
        sim.press_digits("5550001", "1", 1.0)
    sim.execute(sw.Answer(channel_id=ch), 1.0)
    sim.press_digits("5550001", "12", 2.0)
    assert drain(sim)[1:] == [
        sw.DigitsReceived(channel_id=ch, digits="1"),
        sw.DigitsReceived(channel_id=ch, digits="2"),
    ]
    sim.on_hook("5550001", 3.0)
    assert drain(sim) == [sw.ChannelHungUp(channel_id=ch, cause=sw.HangupCause.NORMAL)]


def test_bridges_music_and_who_hears_whom() -> None:
    sim = card()
    sim.execute(originate("1001", auto_answer=True), 0.0)
    sim.execute(originate("1002", auto_answer=True), 0.0)
    sim.advance(0.0)
    for ch in ("ch-1001", "ch-1002"):
        sim.execute(sw.BridgeAdd(bridge_id="b", channel_id=ch), 1.0)
    assert sim.hears("1001", "1002") and sim.hears("1002", "1001")
    sim.execute(sw.BridgeRemove(bridge_id="b", channel_id="ch-1001"), 2.0)
    sim.execute(sw.StartMusic(target=sw.MediaTarget.bridge("b")), 2.0)
    assert not sim.hears("1002", "1001") and sim.hears_music("1002") and not sim.hears_music("1001")
    with pytest.raises(sw.CommandRejected) as info:
        sim.execute(sw.BridgeRemove(bridge_id="b", channel_id="ch-1001"), 3.0)
    assert info.value.reason is sw.RejectReason.INVALID_STATE
    sim.execute(sw.BridgeDestroy(bridge_id="b"), 4.0)
    events = drain(sim)
    assert events[-2:] == [
        sw.BridgeLeft(bridge_id="b", channel_id="ch-1002"),
        sw.BridgeDestroyed(bridge_id="b"),
    ]


def test_playback_lasts_its_duration_and_digits_barge_in() -> None:
    sim = SimSwitch(SimulatorConfig(extensions=("1001",), trunks=1), sound_seconds=lambda uri: 2.0)
    ch = sim.incoming_call("5550001", "x", 0.0)
    sim.execute(sw.Answer(channel_id=ch), 0.0)
    target = sw.MediaTarget.channel(ch)
    sim.execute(sw.Play(playback_id="p1", target=target, media=("sound:a", "sound:b")), 0.0)
    assert sim.line_state("5550001") is LineState.PLAYING
    run_until(sim, 3.99)
    assert not any(isinstance(e, sw.PlaybackFinished) for e in sim.events)
    run_until(sim, 4.0)
    assert drain(sim)[-1] == sw.PlaybackFinished(playback_id="p1", reason="done")
    sim.execute(
        sw.Play(playback_id="p2", target=target, media=("sound:a",), stop_on_digit=True), 5.0
    )
    sim.press_digits("5550001", "7", 5.5)
    assert drain(sim)[-2:] == [
        sw.DigitsReceived(channel_id=ch, digits="7"),
        sw.PlaybackFinished(playback_id="p2", reason="stopped"),
    ]
    assert sim.line_state("5550001") is LineState.CONNECTED


def test_unknown_objects_are_rejected_like_a_switch() -> None:
    sim = card()
    for cmd, reason in [
        (sw.Hangup(channel_id="nope"), sw.RejectReason.NO_SUCH_CHANNEL),
        (sw.StopPlayback(playback_id="nope"), sw.RejectReason.NO_SUCH_PLAYBACK),
        (sw.StopRecording(recording_id="nope"), sw.RejectReason.NO_SUCH_RECORDING),
        (originate("9999"), sw.RejectReason.INVALID_DESTINATION),
    ]:
        with pytest.raises(sw.CommandRejected) as info:
            sim.execute(cmd, 0.0)
        assert info.value.reason is reason


def test_phone_misuse_is_a_clear_error() -> None:
    sim = card()
    with pytest.raises(SimError, match="already on-hook"):
        sim.on_hook("1001", 0.0)
    with pytest.raises(SimError, match="not an extension"):
        sim.off_hook("5550000", 0.0)
    with pytest.raises(SimError, match="no extension or outside caller"):
        sim.on_hook("5550000", 0.0)
    sim.off_hook("1001", 0.0)
    with pytest.raises(SimError, match="already off-hook"):
        sim.off_hook("1001", 0.0)
    with pytest.raises(SimError, match="digits must be"):
        sim.press_digits("1001", "x", 0.0)


def test_snapshot_reports_channels_and_bridges() -> None:
    sim = card()
    ch = sim.incoming_call("5550001", "1001", 0.0)
    sim.execute(sw.Answer(channel_id=ch), 0.0)
    sim.execute(sw.BridgeAdd(bridge_id="b", channel_id=ch), 0.0)
    snap = sim.snapshot()
    (info,) = snap.channels
    assert (info.channel_id, info.state, info.bridge_id, info.trunk) == (
        ch,
        sw.ChannelState.UP,
        "b",
        "T/1",
    )
    assert snap.bridges == (sw.BridgeInfo(bridge_id="b", channel_ids=(ch,)),)
