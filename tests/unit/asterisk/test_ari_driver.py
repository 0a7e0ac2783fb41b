"""AsteriskDriver against the fake Asterisk, over memory streams, on trio's mock clock."""

from __future__ import annotations

import random
from typing import Any

import pytest
import trio
import trio.testing
import trio_websocket

from ctid.switch_drivers.asterisk import rest
from ctid.switch_drivers.asterisk.driver import AsteriskDriver
from ctid.switch_drivers.asterisk.endpoints import EndpointConfig, TrunkConfig
from ctid.switch_drivers.asterisk.http import HttpClient, basic_auth
from ctid.switch_drivers.asterisk.mapping import ORIGINATE_ARG
from ctid.switch_drivers.base import (
    EVENT_CHANNEL_SIZE,
    Answer,
    BridgeAdd,
    BridgeDestroy,
    BridgeDestroyed,
    BridgeInfo,
    BridgeJoined,
    BridgeLeft,
    BridgeRemove,
    Capability,
    ChangeSupervision,
    ChannelAlerting,
    ChannelAnswered,
    ChannelCreated,
    ChannelHeld,
    ChannelHungUp,
    ChannelRetrieved,
    CommandRejected,
    DigitsReceived,
    Direction,
    DriverError,
    DriverUnavailable,
    EndpointKind,
    Hangup,
    HangupCause,
    LinkState,
    LinkStateChanged,
    MediaTarget,
    Originate,
    PauseRecording,
    Play,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFinished,
    RecordingStarted,
    RejectReason,
    ResumeRecording,
    Resynchronized,
    Ring,
    SendDigits,
    StartMusic,
    StartRecording,
    StartSupervision,
    StopMusic,
    StopPlayback,
    StopRecording,
    StopSupervision,
    SupervisionMode,
    SwitchCommand,
    SwitchEvent,
)
from ctid.testing.ari_schema import AriSchema
from ctid.testing.fake_asterisk import FakeAsterisk

ENDPOINTS = EndpointConfig(
    trunks=(
        TrunkConfig(
            name="provider", endpoint="PJSIP/trunk-provider", dial="PJSIP/{number}@trunk-provider"
        ),
    )
)


class Harness:
    """A running driver, its event stream, and the fake it talks to."""

    def __init__(self, fake: FakeAsterisk, driver: AsteriskDriver) -> None:
        self.fake = fake
        self.driver = driver
        self.send, self.receive = trio.open_memory_channel[SwitchEvent](EVENT_CHANNEL_SIZE)

    async def events(self) -> list[SwitchEvent]:
        """Everything the driver emitted until all tasks are idle."""
        await trio.testing.wait_all_tasks_blocked()
        out = []
        while True:
            try:
                out.append(self.receive.receive_nowait())
            except trio.WouldBlock:
                return out

    async def until(self, kind: type[SwitchEvent]) -> list[SwitchEvent]:
        """Events up to and including the next one of ``kind``."""
        out = []
        while True:
            event = await self.receive.receive()
            out.append(event)
            if isinstance(event, kind):
                return out

    async def run(self, command: SwitchCommand) -> None:
        await self.driver.execute(command)


def make_driver(fake: FakeAsterisk, **kwargs: Any) -> AsteriskDriver:
    options: dict[str, Any] = {
        "base_url": "http://pbx.example:8088/ari",
        "user": "ctid",
        "password": "secret",
        "endpoints": ENDPOINTS,
        "open_stream": fake.open_stream,
        "jitter": 0.0,
    }
    options.update(kwargs)
    return AsteriskDriver(**options)


@pytest.fixture
async def fake(ari_schema: AriSchema, nursery: trio.Nursery) -> FakeAsterisk:
    asterisk = FakeAsterisk(schema=ari_schema)
    await nursery.start(asterisk.run)
    return asterisk


@pytest.fixture
async def h(fake: FakeAsterisk, nursery: trio.Nursery) -> Harness:
    """A driver that is UP; tests that use it take ``autojump_clock`` themselves."""
    harness = Harness(fake, make_driver(fake))
    await nursery.start(harness.driver.run, harness.send)
    startup = await harness.events()
    assert startup == [
        LinkStateChanged(state=LinkState.CONNECTING),
        LinkStateChanged(state=LinkState.SYNCING),
        Resynchronized(),
        LinkStateChanged(state=LinkState.UP),
    ]
    return harness


async def test_connects_events_socket_before_reading_the_switch(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    assert h.fake.sockets_opened == 1
    paths = [(m, p) for m, p, _ in h.fake.requests]
    assert paths == [("GET", "/events"), ("GET", "/channels"), ("GET", "/bridges")]
    assert h.driver.capabilities == {
        Capability.SUPERVISION,
        Capability.PLAYBACK,
        Capability.RECORDING,
        Capability.RECORDING_PAUSE,
        Capability.FAX,
        Capability.SURVIVES_RESTART,
        Capability.MESSAGE_WAITING,
    }


async def test_agent_call_from_the_trunk(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    """An inbound trunk call, an agent leg originated by ctid, one bridge, then hang-up."""
    caller = h.fake.inbound_call("0612345678", "0800111222")
    assert await h.events() == [
        ChannelCreated(
            channel_id=caller,
            kind=EndpointKind.EXTERNAL,
            device="0612345678",
            direction=Direction.INBOUND,
            caller_number="0612345678",
            called_number="0800111222",
            trunk="provider",
            variables={"STASIS_ARGS": "inbound,0800111222"},
        )
    ]
    await h.run(Ring(channel_id=caller))
    await h.run(Answer(channel_id=caller))
    assert await h.events() == [ChannelAnswered(channel_id=caller)]
    await h.run(
        Originate(
            channel_id="agent-1",
            kind=EndpointKind.EXTENSION,
            device="1002",
            caller_number="0612345678",
            originator_channel_id=caller,
        )
    )
    assert await h.events() == [
        ChannelCreated(
            channel_id="agent-1",
            kind=EndpointKind.EXTENSION,
            device="1002",
            direction=Direction.OUTBOUND,
            caller_number="0612345678",
            originator_channel_id=caller,
        ),
        ChannelAlerting(channel_id="agent-1"),
    ]
    h.fake.phone("1002").answer()
    # Reported once the channel is in the app (a moment after the answer), when
    # ctid can bridge it.
    assert await h.events() == []
    assert await h.until(ChannelAnswered) == [ChannelAnswered(channel_id="agent-1")]
    await h.run(BridgeAdd(bridge_id="call-1", channel_id=caller))
    await h.run(BridgeAdd(bridge_id="call-1", channel_id="agent-1"))
    assert await h.events() == [
        BridgeJoined(bridge_id="call-1", channel_id=caller),
        BridgeJoined(bridge_id="call-1", channel_id="agent-1"),
    ]
    assert [p for _, p, _ in h.fake.requests].count("/bridges/call-1") == 1  # created once
    h.fake.phone("1002").press("42")
    h.fake.phone("1002").hold()
    h.fake.phone("1002").unhold()
    assert await h.events() == [
        DigitsReceived(channel_id="agent-1", digits="4"),
        DigitsReceived(channel_id="agent-1", digits="2"),
        ChannelHeld(channel_id="agent-1"),
        ChannelRetrieved(channel_id="agent-1"),
    ]
    await h.run(SendDigits(channel_id=caller, digits="1#"))
    await h.run(Hangup(channel_id=caller))
    # The trunk call came through Stasis() alone: its StasisEnd is the last word.
    assert await h.events() == [
        BridgeLeft(bridge_id="call-1", channel_id=caller),
        ChannelHungUp(channel_id=caller, cause=HangupCause.NORMAL, detail="16 (hang-up request)"),
    ]
    h.fake.phone("1002").hangup()
    await h.run(BridgeDestroy(bridge_id="call-1"))
    assert await h.events() == [
        BridgeLeft(bridge_id="call-1", channel_id="agent-1"),
        ChannelHungUp(
            channel_id="agent-1", cause=HangupCause.NORMAL, detail="16 (hang-up request)"
        ),
        BridgeDestroyed(bridge_id="call-1"),
    ]


async def test_originate_nobody_answers_within_the_timeout(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    start = trio.current_time()
    await h.run(Originate(channel_id="o1", kind=EndpointKind.EXTENSION, device="1003", timeout=25))
    events = await h.until(ChannelHungUp)
    assert trio.current_time() - start == 25
    assert events[-1] == ChannelHungUp(
        channel_id="o1", cause=HangupCause.NO_ANSWER, detail="19 User alerting, no answer"
    )
    originate = next(q for m, p, q in h.fake.requests if p == "/channels/o1")
    assert ("timeout", "25") in originate
    assert ("app", "ctid") in originate


async def test_auto_answer_and_outside_numbers(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    await h.run(
        Originate(channel_id="o1", kind=EndpointKind.EXTENSION, device="1001", auto_answer=True)
    )
    assert (await h.until(ChannelAnswered))[-1] == ChannelAnswered(channel_id="o1")
    h.fake.set_number("0999", "busy")
    await h.run(Originate(channel_id="o2", kind=EndpointKind.EXTERNAL, device="0999"))
    assert (await h.events())[-1] == ChannelHungUp(
        channel_id="o2", cause=HangupCause.BUSY, detail="17 User busy"
    )
    h.fake.set_number("0888", "unreachable")
    await h.run(Originate(channel_id="o3", kind=EndpointKind.EXTERNAL, device="0888"))
    assert (await h.events())[-1].cause is HangupCause.UNREACHABLE  # type: ignore[attr-defined]
    await h.run(Originate(channel_id="o4", kind=EndpointKind.EXTERNAL, device="0777"))
    await trio.sleep(h.fake.answer_delay + h.fake.stasis_delay)
    events = await h.events()
    assert events[0] == ChannelCreated(
        channel_id="o4",
        kind=EndpointKind.EXTERNAL,
        device="0777",
        direction=Direction.OUTBOUND,
        called_number="0777",
        trunk="provider",
    )
    assert events[-1] == ChannelAnswered(channel_id="o4")


async def test_a_phone_asterisk_cannot_dial_fails_as_unreachable(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    """Asterisk answers 500 "Allocation failed" at once for a PJSIP endpoint with no
    contact; the driver accepts the command and reports the leg made and failed
    (UNREACHABLE), as FreeSWITCH reports its failed originate job (issue 14)."""
    h.fake.phone("1002").registered = False
    await h.run(
        Originate(
            channel_id="x", kind=EndpointKind.EXTENSION, device="1002", caller_number="5550001"
        )
    )
    assert await h.events() == [
        ChannelCreated(
            channel_id="x",
            kind=EndpointKind.EXTENSION,
            device="1002",
            direction=Direction.OUTBOUND,
            caller_number="5550001",
        ),
        ChannelHungUp(
            channel_id="x",
            cause=HangupCause.UNREACHABLE,
            detail="invalidDestination: Allocation failed",
        ),
    ]
    assert h.fake.channels == {}


async def test_rejections(autojump_clock: trio.testing.MockClock, h: Harness) -> None:
    with pytest.raises(CommandRejected) as info:
        await h.run(Answer(channel_id="nobody"))
    assert info.value.reason is RejectReason.NO_SUCH_CHANNEL
    with pytest.raises(CommandRejected) as info:
        await h.run(BridgeAdd(bridge_id="b", channel_id="nobody"))
    assert info.value.reason is RejectReason.NO_SUCH_CHANNEL
    with pytest.raises(CommandRejected) as info:
        await h.run(BridgeRemove(bridge_id="nobridge", channel_id="nobody"))
    assert info.value.reason is RejectReason.NO_SUCH_BRIDGE
    with pytest.raises(CommandRejected) as info:
        await h.run(StopPlayback(playback_id="nothing"))
    assert info.value.reason is RejectReason.NO_SUCH_PLAYBACK
    with pytest.raises(CommandRejected) as info:
        await h.run(PauseRecording(recording_id="nothing"))
    assert info.value.reason is RejectReason.NO_SUCH_RECORDING
    # An originated channel that still rings is not in Stasis: it cannot be answered.
    await h.run(Originate(channel_id="o1", kind=EndpointKind.EXTENSION, device="1001"))
    with pytest.raises(CommandRejected) as info:
        await h.run(Answer(channel_id="o1"))
    assert info.value.reason is RejectReason.INVALID_STATE
    with pytest.raises(CommandRejected) as info:
        await h.run(Originate(channel_id="o1", kind=EndpointKind.EXTENSION, device="1002"))
    assert info.value.reason is RejectReason.INVALID_STATE


async def _answered_call(h: Harness, cid: str = "c1", ext: str = "1001") -> None:
    await h.run(Originate(channel_id=cid, kind=EndpointKind.EXTENSION, device=ext))
    await h.events()
    h.fake.phone(ext).answer()
    await h.until(ChannelAnswered)
    await h.run(BridgeAdd(bridge_id=f"b-{cid}", channel_id=cid))
    await h.events()


async def test_playback_recording_and_music(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    await _answered_call(h)
    start = trio.current_time()
    await h.run(
        Play(
            playback_id="p1",
            target=MediaTarget.bridge("b-c1"),
            media=("sound:hello-world", "file:/var/lib/ctid/tts/abc.wav"),
        )
    )
    assert await h.until(PlaybackFinished) == [
        PlaybackStarted(playback_id="p1"),
        PlaybackFinished(playback_id="p1", reason="done"),
    ]
    assert trio.current_time() - start == 2 * h.fake.playback_seconds
    play = next(q for _, p, q in h.fake.requests if p == "/bridges/b-c1/play/p1")
    assert ("media", "sound:hello-world,sound:/var/lib/ctid/tts/abc") in play
    await h.run(Play(playback_id="p2", target=MediaTarget.channel("c1"), media=("tone:ring",)))
    await h.run(StopPlayback(playback_id="p2"))
    assert await h.events() == [
        PlaybackStarted(playback_id="p2"),
        PlaybackFinished(playback_id="p2", reason="stopped"),
    ]
    # ctid's recordings directory is inside Asterisk's, which names files relative to it.
    with pytest.raises(CommandRejected, match="must be inside it") as refused:
        await h.run(
            StartRecording(recording_id="r0", target=MediaTarget.bridge("b-c1"), path="/srv/r0")
        )
    assert refused.value.reason is RejectReason.NOT_SUPPORTED
    path = "/var/spool/asterisk/recording/x/r1"
    await h.run(StartRecording(recording_id="r1", target=MediaTarget.bridge("b-c1"), path=path))
    assert ("name", "x/r1") in next(q for _, p, q in h.fake.requests if p == "/bridges/b-c1/record")
    await h.run(PauseRecording(recording_id="r1"))
    await h.run(ResumeRecording(recording_id="r1"))
    await trio.sleep(30)
    await h.run(StopRecording(recording_id="r1"))
    assert await h.events() == [
        RecordingStarted(recording_id="r1"),
        RecordingFinished(recording_id="r1", path="x/r1.wav", duration=30.0),
    ]
    await h.run(StartMusic(target=MediaTarget.bridge("b-c1"), music_class="jazz"))
    assert h.fake.bridges["b-c1"].moh == "jazz"
    await h.run(StartMusic(target=MediaTarget.channel("c1")))
    assert h.fake.channels["c1"].moh == "default"
    await h.run(StopMusic(target=MediaTarget.channel("c1")))
    await h.run(StopMusic(target=MediaTarget.bridge("b-c1")))
    assert h.fake.bridges["b-c1"].moh is None
    assert h.fake.channels["c1"].moh is None


async def test_a_digit_stops_a_barge_in_prompt(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    await _answered_call(h)
    await h.run(
        Play(
            playback_id="menu",
            target=MediaTarget.channel("c1"),
            media=("sound:menu",),
            stop_on_digit=True,
        )
    )
    await trio.sleep(0.5)
    h.fake.phone("1001").press("3")
    assert await h.events() == [
        PlaybackStarted(playback_id="menu"),
        DigitsReceived(channel_id="c1", digits="3"),
        PlaybackFinished(playback_id="menu", reason="stopped"),
    ]


async def test_supervision_with_snoop_channels(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    await _answered_call(h, "agent", "1001")
    await _answered_call(h, "sup", "1002")
    await h.run(
        StartSupervision(
            supervision_id="s1",
            supervisor_channel_id="sup",
            target_channel_id="agent",
            mode=SupervisionMode.SILENT,
        )
    )
    # The supervisor leaves its own bridge; the private one is never reported.
    assert await h.events() == [BridgeLeft(bridge_id="b-sup", channel_id="sup")]
    snoops = [c for c in h.fake.channels.values() if c.snoop is not None]
    assert [s.snoop for s in snoops] == [("agent", "both", "none")]
    private = h.fake.bridges[h.fake.channels["sup"].bridge or ""]
    assert sorted(private.channels) == sorted(["sup", snoops[0].id])
    await h.run(ChangeSupervision(supervision_id="s1", mode=SupervisionMode.WHISPER))
    assert [c.snoop for c in h.fake.channels.values() if c.snoop] == [("agent", "both", "out")]
    await h.run(ChangeSupervision(supervision_id="s1", mode=SupervisionMode.BARGE))
    assert [c.snoop for c in h.fake.channels.values() if c.snoop] == [("agent", "both", "both")]
    await h.run(StopSupervision(supervision_id="s1"))
    assert [c for c in h.fake.channels.values() if c.snoop] == []
    assert set(h.fake.bridges) == {"b-agent", "b-sup"}
    assert await h.events() == []
    with pytest.raises(CommandRejected):
        await h.run(StopSupervision(supervision_id="s1"))


async def test_socket_loss_mid_call_reconnects_and_resyncs(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    await _answered_call(h)
    await h.fake.drop_connections()
    lost_at = trio.current_time()
    events = await h.until(LinkStateChanged)
    assert events == [LinkStateChanged(state=LinkState.DOWN, detail=events[0].detail)]  # type: ignore[attr-defined]
    with pytest.raises(DriverUnavailable):
        await h.run(Answer(channel_id="c1"))
    events = await h.until(Resynchronized)
    assert trio.current_time() - lost_at == 0.5  # first backoff step, no jitter
    assert events[-1] == Resynchronized(
        channels=(
            events[-1].channels[0],  # type: ignore[attr-defined]
        ),
        bridges=(BridgeInfo(bridge_id="b-c1", channel_ids=("c1",)),),
    )
    info = events[-1].channels[0]  # type: ignore[attr-defined]
    assert (info.channel_id, info.device, info.direction, info.bridge_id) == (
        "c1",
        "1001",
        Direction.OUTBOUND,
        "b-c1",
    )
    assert await h.until(LinkStateChanged) == [LinkStateChanged(state=LinkState.UP)]
    assert h.fake.sockets_opened == 2
    h.fake.phone("1001").hangup()
    assert await h.events() == [
        BridgeLeft(bridge_id="b-c1", channel_id="c1"),
        ChannelHungUp(channel_id="c1", cause=HangupCause.NORMAL, detail="16 (hang-up request)"),
    ]


async def test_asterisk_restart_backs_off_exponentially(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    await _answered_call(h)
    h.fake.reachable = False
    await h.fake.restart()
    t0 = trio.current_time()
    downs = []
    for _ in range(5):
        events = await h.until(LinkStateChanged)
        if events[-1].state is LinkState.DOWN:  # type: ignore[attr-defined]
            downs.append(trio.current_time() - t0)
        await h.until(LinkStateChanged)  # CONNECTING
    # DOWN at once, then each failed connect after 0.5, 1, 2, 4 s of backoff.
    assert downs == pytest.approx([0, 0.5, 1.5, 3.5, 7.5])
    h.fake.reachable = True
    events = await h.until(Resynchronized)
    assert events[-1] == Resynchronized()  # the restarted Asterisk has no calls
    assert trio.current_time() - t0 == pytest.approx(7.5 + 8)


async def test_backoff_is_capped_and_jittered(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    fake.reachable = False
    h = Harness(
        fake,
        make_driver(fake, jitter=0.5, backoff_max=4.0, rng=random.Random(7)),
    )
    await nursery.start(h.driver.run, h.send)  # starts once it has reported DOWN
    expected = random.Random(7)
    t = trio.current_time()
    for step in range(6):
        await h.until(LinkStateChanged)  # CONNECTING
        event = await h.receive.receive()
        assert event == LinkStateChanged(state=LinkState.DOWN, detail=event.detail)  # type: ignore[attr-defined]
        if step:
            base = min(4.0, 0.5 * 2 ** (step - 1))
            delay = base * (1 - 0.5 * expected.random())
            assert trio.current_time() - t == pytest.approx(delay)
            assert base / 2 <= delay <= base
        t = trio.current_time()


async def test_application_replaced_waits_before_taking_the_name_back(
    autojump_clock: trio.testing.MockClock, h: Harness, nursery: trio.Nursery
) -> None:
    other = await h.fake.open_stream("pbx", 8088)
    ws = await trio_websocket.wrap_client_stream(
        nursery,
        other,
        "pbx:8088",
        "/ari/events?app=ctid",  # type: ignore[arg-type]
        extra_headers=[(b"Authorization", basic_auth("ctid", "secret"))],
    )
    t0 = trio.current_time()
    events = await h.until(LinkStateChanged)
    assert events[-1].state is LinkState.DOWN  # type: ignore[attr-defined]
    assert "ApplicationReplaced" in events[-1].detail  # type: ignore[attr-defined]
    await h.until(Resynchronized)
    assert trio.current_time() - t0 == 60.0
    assert h.fake.sockets_opened == 3  # driver, intruder, driver again: never two of ours
    # The intruder is now the replaced one.
    message = await ws.get_message()
    assert '"ApplicationReplaced"' in message
    await ws.aclose()


async def test_a_channel_that_leaves_stasis_alive_is_followed_to_its_end(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    caller = h.fake.inbound_call("0612", "0800")
    gone = h.fake.inbound_call("0613", "0800")
    await h.events()
    h.fake.leave_stasis(caller)
    assert await h.events() == []
    assert ("eventSource", f"channel:{caller}") in h.fake.requests[-1][2]
    h.fake.hang_up(caller)
    assert await h.events() == [
        ChannelHungUp(channel_id=caller, cause=HangupCause.NORMAL, detail="16 Normal Clearing")
    ]
    # Gone before the app could subscribe: its end is reported all the same.
    h.fake.leave_stasis(gone, then_hang_up=True)
    assert await h.events() == [
        ChannelHungUp(channel_id=gone, detail="left Stasis and ended unseen")
    ]


async def test_malformed_events_are_skipped_not_fatal(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    h.fake.send_raw("ctid", {"type": "StasisStart", "application": "ctid"})
    h.fake.send_raw("ctid", {"type": "ChannelDtmfReceived", "channel": None})
    cid = h.fake.inbound_call("0612", "0800")
    events = await h.events()
    assert [type(e) for e in events] == [ChannelCreated]
    assert events[0].channel_id == cid  # type: ignore[attr-defined]
    assert h.driver.malformed_events == 2


async def test_unanswered_pings_mean_a_dead_link(
    autojump_clock: trio.testing.MockClock, h: Harness
) -> None:
    h.fake.answer_pings = False
    t0 = trio.current_time()
    events = await h.until(LinkStateChanged)
    assert events == [
        LinkStateChanged(state=LinkState.DOWN, detail="no answer to a WebSocket ping")
    ]
    assert trio.current_time() - t0 == 20 + 10
    h.fake.answer_pings = True
    await h.until(Resynchronized)


async def test_absent_switch_still_lets_the_daemon_start(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    fake.reachable = False
    h = Harness(fake, make_driver(fake))
    await nursery.start(h.driver.run, h.send)
    assert (await h.events())[:2] == [
        LinkStateChanged(state=LinkState.CONNECTING),
        LinkStateChanged(
            state=LinkState.DOWN,
            detail="cannot connect to pbx.example:8088: connect to pbx.example:8088 refused",
        ),
    ]
    with pytest.raises(DriverUnavailable):
        await h.run(Answer(channel_id="c"))


async def test_wrong_password_is_a_configuration_error(
    fake: FakeAsterisk, autojump_clock: trio.testing.MockClock
) -> None:
    driver = make_driver(fake, password="wrong")
    send, _receive = trio.open_memory_channel[SwitchEvent](EVENT_CHANNEL_SIZE)
    with pytest.raises(DriverError, match="refused the ARI credentials"):
        await driver.run(send)


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="base_url"):
        AsteriskDriver(base_url="ftp://x", user="u", password="p")
    with pytest.raises(ValueError, match="app"):
        AsteriskDriver(user="u", password="p", app="a,b")


def test_registered_as_an_entry_point() -> None:
    from importlib.metadata import entry_points

    (point,) = [e for e in entry_points(group="ctid.switch_drivers") if e.name == "asterisk"]
    assert point.load() is AsteriskDriver
    assert AsteriskDriver.name == "asterisk"


async def test_empty_bridges_a_previous_ctid_left_are_destroyed(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    old = HttpClient(
        open_stream=fake.open_stream, host="pbx", port=8088, user="ctid", password="secret"
    )
    for bridge_id, name in (("old-empty", "ctid:ctid"), ("old-busy", "ctid:ctid"), ("x", "pbx")):
        await old.request(rest.create_bridge_with_id(bridge_id, name=name))
    await old.request(
        rest.originate_with_id("o1", endpoint="PJSIP/1001", app="ctid", app_args=ORIGINATE_ARG)
    )
    await trio.testing.wait_all_tasks_blocked()
    fake.phone("1001").answer()
    await trio.sleep(fake.stasis_delay)
    assert (await old.request(rest.add_channel("old-busy", ["o1"]))).ok
    await old.aclose()
    h = Harness(fake, make_driver(fake))
    await nursery.start(h.driver.run, h.send)
    resync = next(e for e in await h.events() if isinstance(e, Resynchronized))
    assert [b for b in resync.bridges if b.bridge_id.startswith("old")] == [
        BridgeInfo(bridge_id="old-busy", channel_ids=("o1",))
    ]
    # Ours and empty: gone. Another program's empty bridge: left alone.
    assert set(fake.bridges) == {"old-busy", "x"}
    await h.run(BridgeAdd(bridge_id="new", channel_id="o1"))
    assert fake.bridges["new"].name == "ctid:ctid"
