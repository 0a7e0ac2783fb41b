"""The simulator records real audio: a tone per party, silence while paused or on hold."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import trio

from ctid.calls.notices import Notice, RecordingDone
from ctid.switch_drivers import base as sw
from ctid.switch_drivers.simulator.audio import RATE, TONES, render
from ctid.testing import call_centre


def level(pcm: bytes, start: float, end: float, freq: float) -> float:
    """Goertzel: the amplitude of ``freq`` in the samples from ``start`` to ``end`` seconds."""
    first, last = round(start * RATE), round(end * RATE)
    samples = struct.unpack(f"<{last - first}h", pcm[first * 2 : last * 2])
    coeff = 2 * math.cos(2 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return math.sqrt(max(power, 0.0)) / len(samples) * 2


def heard(pcm: bytes, start: float, end: float) -> set[int]:
    """Which party tones are clearly present in that stretch."""
    return {f for f in TONES if level(pcm, start, end, f) > 1000}


def test_render_a_timeline() -> None:
    pcm = render([(10.0, ("1001",)), (11.0, ()), (12.0, ("1001", "555")), (13.0, ("555",))], 10, 14)
    assert len(pcm) == 4 * RATE * 2
    first, second = TONES[0], TONES[1]
    assert heard(pcm, 0.0, 1.0) == {first}
    assert heard(pcm, 1.0, 2.0) == set()
    assert max(abs(v) for v in struct.unpack(f"<{RATE}h", pcm[RATE * 2 : RATE * 4])) == 0
    assert heard(pcm, 2.0, 3.0) == {first, second}
    # A party keeps its tone for the whole recording.
    assert heard(pcm, 3.0, 4.0) == {second}


def test_render_rounds_to_whole_samples_without_drift() -> None:
    segments = [(i / 3, ("a",) if i % 2 else ()) for i in range(30)]
    pcm = render(segments, 0.0, 10.0)
    assert len(pcm) == 10 * RATE * 2


async def test_a_call_recorded_on_the_simulator(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with call_centre() as cc:
        app = cc.app
        done: list[RecordingDone] = []
        finished = trio.Event()

        def sink(notice: Notice) -> None:
            if isinstance(notice, RecordingDone):
                done.append(notice)
                finished.set()

        app.calls.notice_sinks.append(sink)
        admin = await cc.client()
        call_id = (
            await admin.call(
                "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"}
            )
        )["callID"]
        await admin.call("sim.offHook", {"device": "1001"})
        await cc.settle()
        bridge = app.model.calls[call_id].bridge_id
        target = tmp_path / "2027" / "01" / "15" / "rec-1"
        await app.calls.execute(
            [
                sw.StartRecording(
                    recording_id="rec-1", target=sw.MediaTarget.bridge(bridge), path=str(target)
                )
            ]
        )
        await trio.sleep(2)
        await app.calls.execute([sw.PauseRecording(recording_id="rec-1")])
        await trio.sleep(2)  # a card number is read out: silence
        await app.calls.execute([sw.ResumeRecording(recording_id="rec-1")])
        await trio.sleep(2)
        await admin.call("HoldCall", {"callToBeHeld": {"callID": call_id, "deviceID": "1001"}})
        await trio.sleep(2)  # the customer hears music: the recording is silent
        await admin.call(
            "RetrieveCall", {"callToBeRetrieved": {"callID": call_id, "deviceID": "1001"}}
        )
        await trio.sleep(2)
        await admin.call("sim.onHook", {"device": "5550001"})
        await finished.wait()
    (notice,) = done
    assert not notice.failed
    assert notice.path == f"{target}.wav"
    assert notice.duration == 10.0
    with wave.open(notice.path, "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, 2)
        assert wav.getnframes() == 10 * RATE
        pcm = wav.readframes(wav.getnframes())
    both = set(TONES[:2])
    assert heard(pcm, 0.0, 2.0) == both
    assert heard(pcm, 2.0, 4.0) == set()
    assert heard(pcm, 4.0, 6.0) == both
    assert heard(pcm, 6.0, 8.0) == set()
    assert heard(pcm, 8.0, 10.0) == both


async def test_an_unwritable_recording_fails(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    async with call_centre() as cc:
        app = cc.app
        done: list[RecordingDone] = []
        finished = trio.Event()

        def sink(notice: Notice) -> None:
            if isinstance(notice, RecordingDone):
                done.append(notice)
                finished.set()

        app.calls.notice_sinks.append(sink)
        admin = await cc.client()
        call_id = (
            await admin.call(
                "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"}
            )
        )["callID"]
        await admin.call("sim.offHook", {"device": "1001"})
        await cc.settle()
        bridge = app.model.calls[call_id].bridge_id
        await app.calls.execute(
            [
                sw.StartRecording(
                    recording_id="r", target=sw.MediaTarget.bridge(bridge), path=str(blocker / "r")
                )
            ]
        )
        await trio.sleep(1)
        await admin.call("sim.onHook", {"device": "1001"})
        await finished.wait()
    assert done[0].failed
    assert done[0].path is None
