"""Answering-machine detection on FreeSWITCH (mod_avmd): its replies and ``avmd::beep``
as mod_avmd.c writes them, and the driver against the fake switch (a machine that
beeps, a person who does not, no mod_avmd, a hang-up while avmd listens)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
import trio.testing
from test_fs_driver import Harness

from ctid.switch_drivers.amd import AmdResult, AnsweredBy
from ctid.switch_drivers.base import (
    EVENT_CHANNEL_SIZE,
    ChannelAnswered,
    ChannelHungUp,
    EndpointKind,
    Originate,
    SwitchEvent,
)
from ctid.switch_drivers.freeswitch import amd
from ctid.switch_drivers.freeswitch.driver import Backoff, FreeSwitchDriver
from ctid.switch_drivers.freeswitch.endpoints import EndpointConfig, TrunkConfig
from ctid.switch_drivers.freeswitch.frames import EslEvent
from ctid.switch_drivers.freeswitch.mapping import SUBSCRIBED_CUSTOM
from ctid.testing.fake_freeswitch import DialplanKind, FakeFreeSwitch

UUID = "4f1c2a7e-5d3b-4c8a-9e61-0b2d7c9a1e55"
MACHINE, PERSON = "5550263", "5551234"


def beep(**headers: str) -> EslEvent:
    """``avmd::beep`` as ``avmd_fire_event`` builds it: the base headers, no channel data."""
    return EslEvent(
        headers={
            "Event-Name": "CUSTOM",
            "Event-Subclass": "avmd::beep",
            "Core-UUID": "5b1a2c3d-0000-4000-8000-000000000001",
            "Event-Calling-File": "mod_avmd.c",
            "Event-Calling-Function": "avmd_fire_event",
            "Unique-ID": UUID,
            "Call-command": "avmd",
            "Beep-Status": "DETECTED",
            "Frequency": "1000.000000",
            "Frequency-variance": "0.000012",
            "Amplitude": "2245.126953",
            "Amplitude-variance": "17.318359",
            "Detection-time": "5990114",
            "Detector-resolution": "1",
            "Detector-offset": "0",
            "Detector-index": "12",
            **headers,
        }
    )


def test_the_driver_subscribes_to_the_beep() -> None:
    assert "avmd::beep" in SUBSCRIBED_CUSTOM


def test_a_beep_is_a_machine() -> None:
    assert amd.beep_result(beep()) == AmdResult(
        channel_id=UUID, result=AnsweredBy.MACHINE, detail="beep 1000 Hz"
    )
    assert amd.beep_result(beep(Frequency="ERROR (TRUNCATED)")) == AmdResult(
        channel_id=UUID, result=AnsweredBy.MACHINE, detail="beep ERROR (TRUNCATED)"
    )
    assert amd.beep_result(beep(**{"Beep-Status": "NOTDETECTED"})) is None
    assert amd.beep_result(beep(**{"Event-Subclass": "avmd::stop"})) is None
    assert amd.beep_result(beep(**{"Unique-ID": ""})) is None


def test_no_beep_is_unknown_not_human() -> None:
    assert amd.no_beep("c1", 4.0) == AmdResult(
        channel_id="c1", result=AnsweredBy.UNKNOWN, detail="no beep in 4 s"
    )


# ------------------------------------------------------------ against the fake


@asynccontextmanager
async def switch(**driver: Any) -> AsyncIterator[Harness]:
    fake = FakeFreeSwitch(dialplan=DialplanKind.CTID)
    ids = iter(f"job-{n}" for n in range(1000))
    async with trio.open_nursery() as nursery:
        await nursery.start(fake.run)
        ctid = FreeSwitchDriver(
            open_stream=lambda host, port: fake.connect(),
            endpoints=EndpointConfig(
                trunks=[TrunkConfig(name="trunk", dial="sofia/gateway/trunk/{number}")]
            ),
            backoff=Backoff(initial=0.5, factor=2.0, maximum=4.0, jitter=0.0),
            new_id=lambda: next(ids),
            **driver,
        )
        send, receive = trio.open_memory_channel[SwitchEvent](EVENT_CHANNEL_SIZE)
        h = Harness(fake, ctid, [])

        async def collect() -> None:
            async for event in receive:
                h.events.append((trio.current_time(), event))
                h.changed.set()

        nursery.start_soon(collect)
        await nursery.start(ctid.run, send)
        await trio.testing.wait_all_tasks_blocked()
        yield h
        nursery.cancel_scope.cancel()


def avmd_commands(h: Harness) -> list[str]:
    """What ctid asked of mod_avmd: api commands about it, and sendmsg (execute)."""
    return [
        c for c in h.fake.commands if c.startswith(("sendmsg", "api avmd", "api module_exists"))
    ]


def call(cid: str, number: str) -> Originate:
    return Originate(
        channel_id=cid, kind=EndpointKind.EXTERNAL, device=number, detect_machines=True
    )


async def test_a_machine_beeps_and_a_person_does_not(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with switch(amd_seconds=8.0) as h:
        await h.driver.execute(call("m1", MACHINE))
        answered = await h.wait_for(ChannelAnswered, channel_id="m1")
        verdict = await h.wait_for(AmdResult, channel_id="m1")
        assert verdict == AmdResult(
            channel_id="m1", result=AnsweredBy.MACHINE, detail="beep 1000 Hz"
        )
        times = {id(e): t for t, e in h.events}
        # The simulator's machine: a 6 s greeting, then the beep.
        assert times[id(verdict)] - times[id(answered)] == pytest.approx(6.0, abs=0.01)
        await h.driver.execute(call("p1", PERSON))
        answered = await h.wait_for(ChannelAnswered, channel_id="p1")
        verdict = await h.wait_for(AmdResult, channel_id="p1")
        assert verdict == AmdResult(
            channel_id="p1", result=AnsweredBy.UNKNOWN, detail="no beep in 8 s"
        )
        times = {id(e): t for t, e in h.events}
        assert times[id(verdict)] - times[id(answered)] == pytest.approx(8.0, abs=0.01)
        avmd = avmd_commands(h)
        assert avmd == [
            "api module_exists mod_avmd",  # once per connection
            "sendmsg m1",  # execute avmd_start: the api start runs no detector (1.10.12)
            "api avmd m1 stop",  # mod_avmd listens on after a beep until stopped
            "sendmsg p1",
            "api avmd p1 stop",
        ]
        assert h.driver.held_objects()["amd running"] == 0


async def test_the_default_wait_is_shorter_than_a_machines_greeting(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with switch() as h:
        await h.driver.execute(call("m1", MACHINE))
        verdict = await h.wait_for(AmdResult, channel_id="m1")
        # 4 s: the dialler waits 5 s for a verdict; a 6 s greeting has not ended.
        assert verdict.detail == "no beep in 4 s"
        assert verdict.result is AnsweredBy.UNKNOWN


async def test_without_mod_avmd_the_verdict_is_unknown_at_once(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with switch() as h:
        h.fake.modules.discard("mod_avmd")
        with caplog.at_level(logging.WARNING):
            await h.driver.execute(call("m1", MACHINE))
            answered = await h.wait_for(ChannelAnswered, channel_id="m1")
            verdict = await h.wait_for(AmdResult, channel_id="m1")
        assert verdict == AmdResult(
            channel_id="m1", result=AnsweredBy.UNKNOWN, detail="mod_avmd is not loaded"
        )
        times = {id(e): t for t, e in h.events}
        assert times[id(verdict)] == times[id(answered)]
        assert "mod_avmd" in caplog.text
        assert not avmd_commands(h)[1:]


async def test_a_hang_up_while_avmd_listens_gives_no_verdict(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with switch(amd_seconds=8.0) as h:
        await h.driver.execute(call("m1", MACHINE))
        await h.wait_for(ChannelAnswered, channel_id="m1")
        await trio.sleep(2)
        channel = h.fake.channel_of(MACHINE)
        assert channel is not None
        h.fake.phone_hangs_up(channel.uuid)
        await h.wait_for(ChannelHungUp, channel_id="m1")
        await trio.sleep(10)
        assert h.of(AmdResult) == []
        assert h.driver.held_objects()["amd running"] == 0


async def test_without_detection_avmd_is_not_started(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with switch() as h:
        await h.driver.execute(
            Originate(channel_id="m1", kind=EndpointKind.EXTERNAL, device=MACHINE)
        )
        await h.wait_for(ChannelAnswered, channel_id="m1")
        await trio.sleep(10)
        assert h.of(AmdResult) == []
        assert not avmd_commands(h)
