"""FreeSwitchDriver against the fake FreeSWITCH, on trio's MockClock."""

from __future__ import annotations

import random
import wave
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import attrs
import pytest
import trio
import trio.testing

from ctid.switch_drivers.base import (
    EVENT_CHANNEL_SIZE,
    Answer,
    BridgeAdd,
    BridgeDestroy,
    BridgeDestroyed,
    BridgeJoined,
    BridgeLeft,
    BridgeRemove,
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
    SendDigits,
    StartMusic,
    StartRecording,
    StartSupervision,
    StopPlayback,
    StopRecording,
    StopSupervision,
    SupervisionMode,
    SwitchEvent,
)
from ctid.switch_drivers.freeswitch.driver import Backoff, FreeSwitchDriver
from ctid.switch_drivers.freeswitch.endpoints import EndpointConfig, TrunkConfig
from ctid.testing._fs_hearing import channel_hears
from ctid.testing.fake_freeswitch import DialplanKind, External, FakeFreeSwitch

E = TypeVar("E", bound=SwitchEvent)
#: Mock seconds a test waits for an event before it fails (instead of hanging).
WAIT_LIMIT = 3600.0
A, B, C = "aaaaaaaa-0000-4000-8000-00000000000a", "bbbbbbbb-0000-4000-8000-00000000000b", "cccc-c"
D = "dddd-d"


@attrs.define
class Harness:
    fake: FakeFreeSwitch
    driver: FreeSwitchDriver
    events: list[tuple[float, SwitchEvent]]
    changed: trio.Event = attrs.field(factory=trio.Event)

    async def wait(self, match: Callable[[SwitchEvent], bool], *, after: int = 0) -> SwitchEvent:
        with trio.fail_after(WAIT_LIMIT):
            while True:
                for _, event in self.events[after:]:
                    if match(event):
                        return event
                self.changed = trio.Event()
                await self.changed.wait()

    async def wait_for(self, kind: type[E], after: int = 0, **fields: object) -> E:
        event = await self.wait(
            lambda e: isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items()),
            after=after,
        )
        assert isinstance(event, kind)
        return event

    def of(self, kind: type[E]) -> list[E]:
        return [e for _, e in self.events if isinstance(e, kind)]

    def states(self) -> list[LinkState]:
        return [e.state for e in self.of(LinkStateChanged)]


def originate(
    channel_id: str, device: str, kind: EndpointKind = EndpointKind.EXTENSION, **kw: object
) -> Originate:
    return Originate(channel_id=channel_id, kind=kind, device=device, caller_number="5000", **kw)  # type: ignore[arg-type]


@asynccontextmanager
async def running(fake: FakeFreeSwitch) -> AsyncIterator[Harness]:
    """The fake switch and a driver connected to it, collecting the driver's events."""
    async with trio.open_nursery() as nursery:
        await nursery.start(fake.run)
        async with running_on(fake) as h:
            yield h
        nursery.cancel_scope.cancel()


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    fake = FakeFreeSwitch(
        externals={"5552000": External.BUSY, "5553000": External.NO_ANSWER},
        dialplan=DialplanKind.CTID,
    )
    async with running(fake) as h:
        yield h


async def test_start_up_reports_syncing_snapshot_then_up(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    assert harness.states() == [LinkState.CONNECTING, LinkState.SYNCING, LinkState.UP]
    kinds = [type(e).__name__ for _, e in harness.events]
    assert kinds == ["LinkStateChanged", "LinkStateChanged", "Resynchronized", "LinkStateChanged"]
    assert harness.of(Resynchronized) == [Resynchronized()]
    assert harness.fake.commands[:4] == [
        "auth ClueCon",
        "event json CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER "
        "CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY CHANNEL_BRIDGE CHANNEL_UNBRIDGE "
        "CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE DTMF PLAYBACK_START "
        "PLAYBACK_STOP RECORD_START RECORD_STOP BACKGROUND_JOB DETECTED_TONE MESSAGE_QUERY "
        "CUSTOM conference::maintenance "
        "spandsp::rxfaxresult spandsp::txfaxresult "
        "spandsp::rxfaxpageresult spandsp::txfaxpageresult avmd::beep",
        "api show channels as json",
        "api show calls as json",
    ]


async def test_originate_an_extension(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    start = trio.current_time()
    await harness.driver.execute(originate(A, "1001", caller_name="CTI Server", auto_answer=True))
    assert harness.fake.commands[-1] == (
        "bgapi originate {origination_uuid=" + A + ",origination_caller_id_number=5000,"
        "origination_caller_id_name='CTI Server',originate_timeout=45,park_after_bridge=true,"
        "hangup_after_bridge=false,ctid_origin=true,sip_auto_answer=true}user/1001 &park()"
    )
    created = await harness.wait_for(ChannelCreated, channel_id=A)
    assert (created.kind, created.device, created.direction) == (
        EndpointKind.EXTENSION, "1001", Direction.OUTBOUND,
    )  # fmt: skip
    await harness.wait_for(ChannelAlerting, channel_id=A)
    await harness.wait_for(ChannelAnswered, channel_id=A)
    answered_at = next(t for t, e in harness.events if isinstance(e, ChannelAnswered))
    assert answered_at - start == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("device", "kind", "cause", "detail"),
    [
        ("1004", EndpointKind.EXTENSION, HangupCause.UNREACHABLE, "USER_NOT_REGISTERED"),
        ("1999", EndpointKind.EXTENSION, HangupCause.UNREACHABLE, "SUBSCRIBER_ABSENT"),
        ("5552000", EndpointKind.EXTERNAL, HangupCause.BUSY, "USER_BUSY"),
        ("5553000", EndpointKind.EXTERNAL, HangupCause.NO_ANSWER, "NO_ANSWER"),
    ],
)
async def test_failed_originates_end_in_a_hangup(
    autojump_clock: trio.testing.MockClock,
    harness: Harness,
    device: str,
    kind: EndpointKind,
    cause: HangupCause,
    detail: str,
) -> None:
    start = trio.current_time()
    await harness.driver.execute(originate(B, device, kind, timeout=4.0))
    hungup = await harness.wait_for(ChannelHungUp, channel_id=B)
    assert (hungup.cause, hungup.detail) == (cause, detail)
    created = harness.of(ChannelCreated)
    assert [(c.channel_id, c.kind, c.device) for c in created] == [(B, kind, device)]
    if device == "5553000":
        assert trio.current_time() - start == pytest.approx(4.0)


async def test_originate_through_the_trunk(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    await harness.driver.execute(originate(C, "5551000", EndpointKind.EXTERNAL))
    assert "}sofia/gateway/trunk/5551000 &park()" in harness.fake.commands[-1]
    created = await harness.wait_for(ChannelCreated, channel_id=C)
    assert created.kind is EndpointKind.EXTERNAL
    await harness.wait_for(ChannelAnswered, channel_id=C)


async def two_answered_legs(h: Harness) -> None:
    await h.driver.execute(originate(A, "1001"))
    await h.driver.execute(originate(B, "1002"))
    await h.wait_for(ChannelAnswered, channel_id=A)
    await h.wait_for(ChannelAnswered, channel_id=B)


async def test_bridge_model_pair_then_conference_then_destroy(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    await two_answered_legs(h)
    await h.driver.execute(originate(C, "1003"))
    await h.wait_for(ChannelAnswered, channel_id=C)
    await h.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=A))
    await h.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=B))
    assert h.fake.commands[-1] == f"api uuid_bridge {A} {B}"
    assert h.fake.switch.channels[A].partner == B
    await h.wait_for(BridgeJoined, channel_id=B)
    assert [(e.bridge_id, e.channel_id) for e in h.of(BridgeJoined)] == [
        ("call-1", A),
        ("call-1", B),
    ]
    await h.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=C))
    assert h.fake.switch.conferences == {"ctid-call-1": [A, B, C]}
    await h.driver.execute(BridgeRemove(bridge_id="call-1", channel_id=C))
    assert h.fake.switch.conferences == {"ctid-call-1": [A, B]}
    assert h.fake.switch.channels[C].application == "park"
    await h.driver.execute(BridgeDestroy(bridge_id="call-1"))
    assert h.fake.switch.conferences == {}
    await h.wait_for(BridgeDestroyed, bridge_id="call-1")
    ends = [type(e).__name__ for _, e in h.events if isinstance(e, BridgeLeft | BridgeDestroyed)]
    assert ends == ["BridgeLeft", "BridgeLeft", "BridgeLeft", "BridgeDestroyed"]
    assert set(h.fake.switch.channels) == {A, B, C}  # nobody was hung up


async def test_a_leg_left_alone_is_parked_not_hung_up(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    await two_answered_legs(h)
    await h.driver.execute(BridgeAdd(bridge_id="b", channel_id=A))
    await h.driver.execute(BridgeAdd(bridge_id="b", channel_id=B))
    h.fake.phone_hangs_up(B)
    left = await h.wait_for(BridgeLeft, channel_id=B)
    hungup = await h.wait_for(ChannelHungUp, channel_id=B)
    assert (left.bridge_id, hungup.cause) == ("b", HangupCause.NORMAL)
    await trio.sleep(1)
    assert A in h.fake.switch.channels
    assert h.fake.switch.channels[A].application == "park"


async def test_music_into_a_single_member_bridge(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    await h.driver.execute(originate(A, "1001"))
    await h.wait_for(ChannelAnswered, channel_id=A)
    await h.driver.execute(BridgeAdd(bridge_id="hold-1", channel_id=A))
    await h.driver.execute(StartMusic(target=MediaTarget.bridge("hold-1")))
    assert h.fake.commands[-1] == f"api uuid_broadcast {A} local_stream://default aleg"
    assert h.fake.switch.channels[A].application == "playback"


async def test_music_follows_a_bridge_into_its_conference(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    await two_answered_legs(h)
    await h.driver.execute(BridgeAdd(bridge_id="hold-1", channel_id=A))
    await h.driver.execute(StartMusic(target=MediaTarget.bridge("hold-1"), music_class="moh"))
    await h.driver.execute(BridgeAdd(bridge_id="hold-1", channel_id=B))
    assert h.fake.switch.conferences == {"ctid-hold-1": [A, B]}
    # The conference play waits for conference-create, then goes out by itself
    # (perhaps before the last member's transfer: the conference exists then).
    await trio.sleep(0.1)
    play = "api conference ctid-hold-1 play local_stream://moh"
    assert h.fake.commands.count(play) == 1
    first_join = next(i for i, c in enumerate(h.fake.commands) if "conference:ctid-hold-1" in c)
    assert h.fake.commands.index(play) > first_join


async def test_phone_dtmf_and_hold_but_not_sent_digits(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    await two_answered_legs(h)
    await h.driver.execute(SendDigits(channel_id=A, digits="12#"))
    h.fake.phone_sends_dtmf(B, "5")
    digits = await h.wait_for(DigitsReceived)
    assert (digits.channel_id, digits.digits) == (B, "5")
    assert len(h.of(DigitsReceived)) == 1
    h.fake.phone_holds(B)
    await h.wait_for(ChannelHeld, channel_id=B)
    h.fake.phone_holds(B, on=False)
    await h.wait_for(ChannelRetrieved, channel_id=B)


async def test_playback_and_stop(autojump_clock: trio.testing.MockClock, harness: Harness) -> None:
    h = harness
    await h.driver.execute(originate(A, "1001"))
    await h.wait_for(ChannelAnswered, channel_id=A)
    start = trio.current_time()
    play = Play(playback_id="pb-1", target=MediaTarget.channel(A), media=("file:/s/hello.wav",))
    await h.driver.execute(play)
    await h.wait_for(PlaybackStarted, playback_id="pb-1")
    finished = await h.wait_for(PlaybackFinished, playback_id="pb-1")
    assert finished.reason == "done"
    assert trio.current_time() - start == pytest.approx(2.0)
    await h.driver.execute(
        attrs.evolve(play, playback_id="pb-2", media=("sound:ivr/welcome", "tone:beep"))
    )
    await h.wait_for(PlaybackStarted, playback_id="pb-2")
    await h.driver.execute(StopPlayback(playback_id="pb-2"))
    stopped = await h.wait_for(PlaybackFinished, playback_id="pb-2")
    assert stopped.reason == "stopped"
    with pytest.raises(CommandRejected) as info:
        await h.driver.execute(StopPlayback(playback_id="pb-2"))
    assert info.value.reason is RejectReason.NO_SUCH_PLAYBACK


async def test_recording(
    autojump_clock: trio.testing.MockClock, harness: Harness, tmp_path: Path
) -> None:
    h = harness
    await h.driver.execute(originate(A, "1001"))
    await h.wait_for(ChannelAnswered, channel_id=A)
    path = tmp_path / "2027" / "call-1"
    await h.driver.execute(
        StartRecording(recording_id="rec-1", target=MediaTarget.channel(A), path=str(path))
    )
    await h.wait_for(RecordingStarted, recording_id="rec-1")
    await trio.sleep(7)
    await h.driver.execute(PauseRecording(recording_id="rec-1"))
    await trio.sleep(2)
    await h.driver.execute(ResumeRecording(recording_id="rec-1"))
    assert h.fake.commands[-2:] == [
        f"api uuid_record {A} mask {path}.wav",
        f"api uuid_record {A} unmask {path}.wav",
    ]
    await h.driver.execute(StopRecording(recording_id="rec-1"))
    done = await h.wait_for(RecordingFinished, recording_id="rec-1")
    assert (done.path, done.duration) == (f"{path}.wav", 9.0)
    # The fake wrote the file where FreeSWITCH would, making the directory.
    with wave.open(done.path) as wav:
        assert wav.getnframes() == 9 * 8000


async def test_a_recording_ends_when_its_channel_hangs_up(
    autojump_clock: trio.testing.MockClock, harness: Harness, tmp_path: Path
) -> None:
    h = harness
    await h.driver.execute(originate(A, "1001"))
    await h.wait_for(ChannelAnswered, channel_id=A)
    path = tmp_path / "r2"
    await h.driver.execute(
        StartRecording(recording_id="rec-2", target=MediaTarget.channel(A), path=str(path))
    )
    await trio.sleep(4)
    h.fake.phone_hangs_up(A)
    done = await h.wait_for(RecordingFinished, recording_id="rec-2")
    assert (done.path, done.duration) == (f"{path}.wav", 4.0)
    with pytest.raises(CommandRejected) as info:
        await h.driver.execute(StopRecording(recording_id="rec-2"))
    assert info.value.reason is RejectReason.NO_SUCH_RECORDING


async def test_answer_and_hangup(autojump_clock: trio.testing.MockClock, harness: Harness) -> None:
    h = harness
    uuid = h.fake.phone_dials("1002", "2001")  # parked, not answered
    created = await h.wait_for(ChannelCreated, channel_id=uuid)
    assert (created.kind, created.device, created.direction, created.called_number) == (
        EndpointKind.EXTENSION, "1002", Direction.INBOUND, "2001",
    )  # fmt: skip
    await h.driver.execute(Answer(channel_id=uuid))
    await h.wait_for(ChannelAnswered, channel_id=uuid)
    await h.driver.execute(Hangup(channel_id=uuid, cause=HangupCause.BUSY))
    hungup = await h.wait_for(ChannelHungUp, channel_id=uuid)
    assert (hungup.cause, hungup.detail) == (HangupCause.BUSY, "USER_BUSY")
    with pytest.raises(CommandRejected) as info:
        await h.driver.execute(Hangup(channel_id=uuid))
    assert info.value.reason is RejectReason.NO_SUCH_CHANNEL


async def test_only_calls_the_dialplan_hands_over_are_seen(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The captured lab's dialplan: 1001-1004 bridge by themselves (not ctid's), other
    numbers get ``set ctid_dialed``, ``answer`` and ``park`` (handed to ctid)."""
    async with running(FakeFreeSwitch(dialplan=DialplanKind.LAB)) as h:
        direct = h.fake.phone_dials("1002", "1001")
        await trio.sleep(5)
        assert h.fake.switch.channels[direct].partner is not None  # they talk
        assert h.of(ChannelCreated) == []
        assert h.of(BridgeJoined) == []
        handed = h.fake.phone_dials("1003", "2000")
        created = await h.wait_for(ChannelCreated, channel_id=handed)
        assert (created.kind, created.device, created.direction, created.called_number) == (
            EndpointKind.EXTENSION, "1003", Direction.INBOUND, "2000",
        )  # fmt: skip
        # It was answered by the dialplan before the handover.
        await h.wait_for(ChannelAnswered, channel_id=handed)
        h.fake.phone_hangs_up(direct)
        h.fake.phone_hangs_up(handed)
        await h.wait_for(ChannelHungUp, channel_id=handed)
        assert [e.channel_id for e in h.of(ChannelHungUp)] == [handed]


async def test_a_trunk_call_is_handed_over_unanswered(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    uuid = h.fake.outside_calls("0612345678", "8001")
    created = await h.wait_for(ChannelCreated, channel_id=uuid)
    assert (created.kind, created.device, created.called_number) == (
        EndpointKind.EXTERNAL, "0612345678", "8001",
    )  # fmt: skip
    assert h.of(ChannelAnswered) == []
    assert h.fake.switch.channels[uuid].application == "park"


async def test_unsupported_commands_are_refused_honestly(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    await two_answered_legs(h)
    await h.driver.execute(BridgeAdd(bridge_id="b", channel_id=A))
    await h.driver.execute(BridgeAdd(bridge_id="b", channel_id=B))
    with pytest.raises(CommandRejected) as info:
        await h.driver.execute(
            Play(playback_id="p", target=MediaTarget.bridge("b"), media=("tone:beep",))
        )
    assert info.value.reason is RejectReason.NOT_SUPPORTED
    with pytest.raises(CommandRejected) as info:
        await h.driver.execute(originate("bad id with spaces", "1001"))
    assert info.value.reason is RejectReason.NO_SUCH_CHANNEL
    for command in (
        ChangeSupervision(supervision_id="nope", mode=SupervisionMode.BARGE),
        StopSupervision(supervision_id="nope"),
    ):
        with pytest.raises(CommandRejected) as info:
            await h.driver.execute(command)
        assert info.value.reason is RejectReason.INVALID_STATE


def _who_hears(h: Harness, legs: dict[str, str]) -> set[tuple[str, str]]:
    switch = h.fake.switch
    chans = {name: switch.channels[uuid] for name, uuid in legs.items()}
    return {
        (a, b)
        for a, ca in chans.items()
        for b, cb in chans.items()
        if a != b and channel_hears(switch, ca, cb)
    }


async def test_supervision_is_eavesdrop_with_its_modes(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    """The agent (A) talks with the customer (B); the supervisor (C) listens, whispers
    to the agent, barges in, goes back to listening, and leaves."""
    h = harness
    await two_answered_legs(h)
    await h.driver.execute(BridgeAdd(bridge_id="call", channel_id=A))
    await h.driver.execute(BridgeAdd(bridge_id="call", channel_id=B))
    await h.driver.execute(originate(C, "1003"))
    await h.wait_for(ChannelAnswered, channel_id=C)
    legs = {"agent": A, "customer": B, "sup": C}
    talk = {("agent", "customer"), ("customer", "agent")}
    listen = {("sup", "agent"), ("sup", "customer")}
    start = StartSupervision(
        supervision_id="s1", supervisor_channel_id=C, target_channel_id=A,
        mode=SupervisionMode.WHISPER,
    )  # fmt: skip
    await h.driver.execute(start)
    assert h.fake.commands[-2:] == [
        f"api uuid_setvar_multi {C} eavesdrop_enable_dtmf=false;"
        "eavesdrop_whisper_aleg=false;eavesdrop_whisper_bleg=true",
        f"sendmsg {C}",
    ]
    assert _who_hears(h, legs) == talk | listen | {("agent", "sup")}
    with pytest.raises(CommandRejected) as info:
        await h.driver.execute(start)
    assert info.value.reason is RejectReason.INVALID_STATE
    await h.driver.execute(ChangeSupervision(supervision_id="s1", mode=SupervisionMode.BARGE))
    assert h.fake.commands[-1] == "sendevent CUSTOM"
    assert _who_hears(h, legs) == talk | listen | {("agent", "sup"), ("customer", "sup")}
    await h.driver.execute(ChangeSupervision(supervision_id="s1", mode=SupervisionMode.SILENT))
    assert _who_hears(h, legs) == talk | listen
    # The supervisor's own keys do not change the mode.
    h.fake.phone_sends_dtmf(C, "3")
    assert _who_hears(h, legs) == talk | listen
    await h.driver.execute(StopSupervision(supervision_id="s1"))
    assert _who_hears(h, legs) == talk
    assert h.fake.switch.channels[C].application == "park"
    # A supervision ends with its supervisor's leg too: its id is free again.
    await h.driver.execute(start)
    h.fake.phone_hangs_up(C)
    await h.wait_for(ChannelHungUp, channel_id=C)
    with pytest.raises(CommandRejected, match="no supervision s1"):
        await h.driver.execute(StopSupervision(supervision_id="s1"))
    # The supervisor hangs up as ctid ends the supervision: the hangup comes in
    # the reply's segment and ends the supervision first. The stop still succeeds
    # (a KeyError there stopped the whole driver).
    await h.driver.execute(originate(D, "1003"))
    await h.wait_for(ChannelAnswered, channel_id=D)
    await h.driver.execute(attrs.evolve(start, supervisor_channel_id=D))
    h.fake.phone_hangs_up(D)
    await h.driver.execute(StopSupervision(supervision_id="s1"))
    await h.wait_for(ChannelHungUp, channel_id=D)


async def test_other_connections_jobs_are_ignored(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    start = trio.current_time()
    await h.driver.execute(originate(B, "5553000", EndpointKind.EXTERNAL, timeout=4.0))
    # Another ESL client's originate fails at once; its BACKGROUND_JOB reaches
    # the driver's connection too, and must not be taken for ctid's.
    stream = await h.fake.connect()
    await stream.send_all(
        b"auth ClueCon\n\nbgapi originate {origination_uuid=x1}user/1004@127.0.0.1 &park()\n\n"
    )
    hungup = await h.wait_for(ChannelHungUp, channel_id=B)
    assert trio.current_time() - start == pytest.approx(4.0)
    assert hungup.cause is HangupCause.NO_ANSWER
    assert [e.channel_id for e in h.of(ChannelCreated)] == [B]
    assert [e.channel_id for e in h.of(ChannelHungUp)] == [B]


async def test_connection_lost_mid_call_reconnects_and_resyncs(
    autojump_clock: trio.testing.MockClock, harness: Harness
) -> None:
    h = harness
    await two_answered_legs(h)
    await h.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=A))
    await h.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=B))
    mark = len(h.events)
    lost_at = trio.current_time()
    h.fake.drop_connections()
    await h.wait_for(LinkStateChanged, after=mark, state=LinkState.DOWN)
    with pytest.raises(DriverUnavailable):
        await h.driver.execute(Answer(channel_id=A))
    # While the link is down the call goes on; one leg hangs up.
    h.fake.phone_hangs_up(B)
    await h.wait_for(LinkStateChanged, after=mark, state=LinkState.UP)
    reconnect = [
        t
        for t, e in h.events[mark:]
        if isinstance(e, LinkStateChanged) and e.state is LinkState.CONNECTING
    ]
    assert reconnect == [pytest.approx(lost_at + 0.5)]
    (snapshot,) = [e for _, e in h.events[mark:] if isinstance(e, Resynchronized)]
    assert [c.channel_id for c in snapshot.channels] == [A]
    assert snapshot.channels[0].bridge_id == "call-1"
    assert [(b.bridge_id, b.channel_ids) for b in snapshot.bridges] == [("call-1", (A,))]
    assert h.fake.connection_count == 2
    # Live again: commands and events work.
    await h.driver.execute(Hangup(channel_id=A))
    await h.wait_for(ChannelHungUp, after=mark, channel_id=A)


async def test_an_absent_switch_is_retried_with_exact_backoff(
    autojump_clock: trio.testing.MockClock,
) -> None:
    fake = FakeFreeSwitch()
    attempts: list[float] = []

    async def refuse_then_connect(host: str, port: int) -> trio.abc.Stream:
        attempts.append(trio.current_time())
        if len(attempts) < 5:
            raise OSError("connection refused")
        return await fake.connect()

    driver = FreeSwitchDriver(
        open_stream=refuse_then_connect,
        backoff=Backoff(initial=0.5, factor=2.0, maximum=4.0, jitter=0.0),
    )
    send, receive = trio.open_memory_channel[SwitchEvent](EVENT_CHANNEL_SIZE)
    async with trio.open_nursery() as nursery:
        await nursery.start(fake.run)
        start = trio.current_time()
        await nursery.start(driver.run, send)
        first = receive.receive_nowait(), receive.receive_nowait()
        assert [e.state for e in first] == [LinkState.CONNECTING, LinkState.DOWN]  # type: ignore[attr-defined]
        assert "connection refused" in first[1].detail  # type: ignore[attr-defined]
        async for event in receive:
            if isinstance(event, LinkStateChanged) and event.state is LinkState.UP:
                break
        nursery.cancel_scope.cancel()
    assert [round(t - start, 6) for t in attempts] == [0.0, 0.5, 1.5, 3.5, 7.5]


async def test_jitter_spreads_the_delays(autojump_clock: trio.testing.MockClock) -> None:
    backoff = Backoff(initial=1.0, factor=2.0, maximum=8.0, jitter=0.5)
    rng = random.Random(7)
    delays = [backoff.delay(n, rng) for n in range(6)]
    for n, delay in enumerate(delays):
        base = min(8.0, 2.0**n)
        assert base * 0.5 <= delay <= base * 1.5
    assert len(set(delays)) == 6


async def test_a_refused_password_is_a_configuration_error(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Like a wrong ARI password: ``run`` raises instead of retrying for ever."""
    fake = FakeFreeSwitch(password="secret")
    driver = FreeSwitchDriver(open_stream=lambda h, p: fake.connect(), password="wrong",
                              backoff=Backoff(jitter=0.0))  # fmt: skip
    send, receive = trio.open_memory_channel[SwitchEvent](EVENT_CHANNEL_SIZE)
    with pytest.RaisesGroup(
        pytest.RaisesExc(DriverError, match="refused the event socket password"),
        flatten_subgroups=True,
    ):
        async with trio.open_nursery() as nursery:
            await nursery.start(fake.run)
            await driver.run(send)
    assert fake.commands == ["auth wrong"]
    assert receive.receive_nowait() == LinkStateChanged(state=LinkState.CONNECTING)
    with pytest.raises(trio.WouldBlock):
        receive.receive_nowait()


async def test_after_a_restart_ctids_calls_are_picked_up_and_waiting_callers_routed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    fake = FakeFreeSwitch(dialplan=DialplanKind.LAB)
    async with trio.open_nursery() as nursery:
        await nursery.start(fake.run)
        # A previous ctid bridged A and B, then stopped.
        async with running_on(fake) as before:
            await two_answered_legs(before)
            await before.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=A))
            await before.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=B))
        # Meanwhile: a call between two phones that the dialplan bridges itself, a
        # caller handed to ctid (set ctid_dialed, answer, park), and one parked by
        # the dialplan for something else (2001: no ctid_dialed).
        fake.phone_dials("1003", "1001")
        handed = fake.phone_dials("1002", "2000")
        other = fake.phone_dials("1004", "2001")
        await trio.sleep(2)
        async with running_on(fake) as h:
            states = [type(e).__name__ for _, e in h.events[:6]]
            assert states == [
                "LinkStateChanged", "LinkStateChanged", "Resynchronized", "LinkStateChanged",
                "ChannelCreated", "ChannelAnswered",
            ]  # fmt: skip
            (snapshot,) = h.of(Resynchronized)
            # The legs' dest is the phone's contact ("1001-0x..."), as on a real
            # switch; the number called is the extension.
            assert {
                (c.channel_id, c.device, c.bridge_id, c.called_number) for c in snapshot.channels
            } == {
                (A, "1001", f"fs-{A}", "1001"), (B, "1002", f"fs-{A}", "1002"),
            }  # fmt: skip
            assert [(x.bridge_id, set(x.channel_ids)) for x in snapshot.bridges] == [
                (f"fs-{A}", {A, B})
            ]
            (created,) = h.of(ChannelCreated)
            assert (created.channel_id, created.device, created.called_number) == (
                handed, "1002", "2000",
            )  # fmt: skip
            assert f"api uuid_getvar {other} ctid_dialed" in fake.commands
            # The pair is ctid's again (on FreeSWITCH 1.10.12, holding such a
            # call failed with noSuchBridge): A is held and retrieved.
            await h.driver.execute(BridgeRemove(bridge_id=f"fs-{A}", channel_id=A))
            assert fake.switch.channels[A].application == "park"
            assert fake.switch.channels[B].application == "park"
            await h.driver.execute(BridgeAdd(bridge_id=f"fs-{A}", channel_id=A))
            chans = fake.switch.channels
            assert channel_hears(fake.switch, chans[A], chans[B])
            assert [c for c in fake.commands if c.startswith("api uuid_")][-4:] == [
                f"api uuid_park {A}",
                f"api uuid_setvar_multi {B} park_after_bridge=true;hangup_after_bridge=false",
                f"api uuid_setvar_multi {A} park_after_bridge=true;hangup_after_bridge=false",
                f"api uuid_bridge {B} {A}",
            ]
            # B hangs up; A was placed by ctid with park_after_bridge: it is
            # parked, alone in the bridge, for ctid to decide (as in any call).
            fake.phone_hangs_up(B)
            await h.wait_for(ChannelHungUp, channel_id=B)
            await trio.testing.wait_all_tasks_blocked()
            assert [type(e).__name__ for _, e in h.events[6:]] == [
                "BridgeLeft", "BridgeJoined", "BridgeLeft", "ChannelHungUp",
            ]  # fmt: skip
            assert fake.switch.channels[A].application == "park"
        nursery.cancel_scope.cancel()


async def test_after_a_restart_ctids_conference_is_its_bridge_again(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """On FreeSWITCH 1.10.12 the members of ctid's conference came back after a
    restart as calls of their own: the conference could not be held or cleared."""
    fake = FakeFreeSwitch(dialplan=DialplanKind.LAB)
    async with trio.open_nursery() as nursery:
        await nursery.start(fake.run)
        async with running_on(fake) as before:
            await two_answered_legs(before)
            await before.driver.execute(originate(C, "1003"))
            await before.wait_for(ChannelAnswered, channel_id=C)
            for leg in (A, B, C):
                await before.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=leg))
        assert fake.switch.channels[A].application_data == "ctid-call-1@default"
        async with running_on(fake) as h:
            (snapshot,) = h.of(Resynchronized)
            assert {(c.channel_id, c.bridge_id) for c in snapshot.channels} == {
                (A, "call-1"), (B, "call-1"), (C, "call-1"),
            }  # fmt: skip
            assert [(x.bridge_id, set(x.channel_ids)) for x in snapshot.bridges] == [
                ("call-1", {A, B, C})
            ]
            # C leaves the conference (parked), and the others stay in it.
            await h.driver.execute(BridgeRemove(bridge_id="call-1", channel_id=C))
            chans = fake.switch.channels
            assert chans[C].application == "park"
            assert channel_hears(fake.switch, chans[A], chans[B])
            assert not channel_hears(fake.switch, chans[A], chans[C])
        nursery.cancel_scope.cancel()


async def test_after_a_restart_an_outside_leg_is_known_by_its_gateway(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A gateway's leg is named sofia/<profile>/<number> (1.10.12), so a trunk
    configured by its gateway alone is found with the leg's sip_gateway_name; in a
    conference its dest is the conference, and its number is in initial_dest."""
    fake = FakeFreeSwitch(dialplan=DialplanKind.LAB)
    async with trio.open_nursery() as nursery:
        await nursery.start(fake.run)
        async with running_on(fake, profiles=()) as before:
            await two_answered_legs(before)
            await before.driver.execute(originate(C, "5551000", EndpointKind.EXTERNAL))
            await before.wait_for(ChannelAnswered, channel_id=C)
            for leg in (A, B, C):
                await before.driver.execute(BridgeAdd(bridge_id="call-1", channel_id=leg))
        assert fake.switch.channels[C].name == "sofia/external/5551000"
        async with running_on(fake, profiles=()) as h:
            (snapshot,) = h.of(Resynchronized)
            assert {
                (c.channel_id, c.kind, c.device, c.trunk, c.called_number)
                for c in snapshot.channels
            } == {
                (A, EndpointKind.EXTENSION, "1001", None, "1001"),
                (B, EndpointKind.EXTENSION, "1002", None, "1002"),
                (C, EndpointKind.EXTERNAL, "5551000", "trunk", "5551000"),
            }  # fmt: skip
            assert f"api uuid_getvar {C} sip_gateway_name" in fake.commands
        nursery.cancel_scope.cancel()


@asynccontextmanager
async def running_on(
    fake: FakeFreeSwitch, profiles: tuple[str, ...] = ("external",)
) -> AsyncIterator[Harness]:
    """A driver (ctid) on a running fake switch, for as long as the block runs."""
    ids = iter(f"job-{n}" for n in range(1000))
    driver = FreeSwitchDriver(
        open_stream=lambda host, port: fake.connect(),
        endpoints=EndpointConfig(
            trunks=[
                TrunkConfig(name="trunk", dial="sofia/gateway/trunk/{number}", profiles=profiles)
            ]
        ),
        backoff=Backoff(initial=0.5, factor=2.0, maximum=4.0, jitter=0.0),
        new_id=lambda: next(ids),
    )
    send, receive = trio.open_memory_channel[SwitchEvent](EVENT_CHANNEL_SIZE)
    h = Harness(fake, driver, [])

    async def collect() -> None:
        async for event in receive:
            h.events.append((trio.current_time(), event))
            h.changed.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(collect)
        await nursery.start(driver.run, send)
        await trio.testing.wait_all_tasks_blocked()
        yield h
        nursery.cancel_scope.cancel()
