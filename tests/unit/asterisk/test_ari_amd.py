"""Answering-machine detection on Asterisk: the continue into the AMD context, the
verdict carried back in the StasisStart arguments, and the driver against the fake
(a machine, a person, a switch without the context or without app_amd)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio
import trio.testing
from test_ari_driver import Harness, fake, h  # noqa: F401  (fixtures)
from test_ari_mapping import CONFIG, pick

from ctid.switch_drivers.amd import AmdResult, AnsweredBy
from ctid.switch_drivers.asterisk import amd
from ctid.switch_drivers.asterisk.mapping import (
    ORIGINATE_ARG,
    AriMapper,
    FollowChannel,
    StartAmd,
)
from ctid.switch_drivers.base import (
    ChannelAlerting,
    ChannelAnswered,
    ChannelCreated,
    ChannelHungUp,
    Direction,
    EndpointKind,
    HangupCause,
    Originate,
)
from ctid.testing.ari_schema import AriSchema

Event = dict[str, Any]


def test_requests_are_real_ari(ari_schema: AriSchema) -> None:
    start = amd.start_request("c1", context="ctid-amd")
    assert (start.method, start.path, start.query) == (
        "POST",
        "/channels/c1/continue",
        (("context", "ctid-amd"), ("extension", "s"), ("label", "amd")),
    )
    module = amd.module_request()
    assert (module.method, module.path, module.query) == (
        "GET",
        "/asterisk/modules/app_amd.so",
        (),
    )
    for r in (start, module):
        ari_schema.check_request(r.method, r.path, r.query, r.body)


@pytest.mark.parametrize(
    ("args", "result", "detail"),
    [
        (["amd", "MACHINE", "LONGGREETING-1500-1500"], AnsweredBy.MACHINE, ""),
        (["amd", "HUMAN", "HUMAN-800-800"], AnsweredBy.HUMAN, ""),
        (["amd", "NOTSURE", "TOOLONG-5000"], AnsweredBy.UNKNOWN, ""),
        (["amd", "HANGUP", ""], AnsweredBy.UNKNOWN, "HANGUP"),
        (["amd", "", ""], AnsweredBy.UNKNOWN, "AMD set no AMDSTATUS"),
        (["amd"], AnsweredBy.UNKNOWN, "AMD set no AMDSTATUS"),
        (["inbound", "2000"], AnsweredBy.UNKNOWN, "back in Stasis without an AMD verdict"),
    ],
)
def test_the_verdict_comes_from_the_stasis_arguments(
    args: list[str], result: AnsweredBy, detail: str
) -> None:
    expected = detail or " ".join(args[1:])
    assert amd.returned("c1", args) == AmdResult(channel_id="c1", result=result, detail=expected)


def _originated(sample_events: list[Event], cid: str, state: str) -> Event:
    event = pick(sample_events, "ChannelStateChange", lambda e: e["channel"]["state"] == state)
    event["channel"]["id"] = cid
    return event


def _start(sample_events: list[Event], cid: str, args: list[str]) -> Event:
    start = pick(sample_events, "StasisStart", lambda e: e["args"][:1] == ["originate"])
    start["channel"]["id"] = cid
    start["args"] = args
    return start


def _detecting(mapper: AriMapper, sample_events: list[Event]) -> None:
    mapper.expect_originate(
        Originate(
            channel_id="c1", kind=EndpointKind.EXTERNAL, device="5550263", detect_machines=True
        )
    )
    ringing = mapper.feed(_originated(sample_events, "c1", "Ringing"))
    assert [type(o) for o in ringing] == [ChannelCreated, ChannelAlerting]
    # Up, then in the app: AMD first; the answer waits for the verdict.
    assert mapper.feed(_originated(sample_events, "c1", "Up")) == []
    assert mapper.feed(_start(sample_events, "c1", [ORIGINATE_ARG])) == [StartAmd("c1")]
    end = pick(sample_events, "StasisEnd")
    end["channel"]["id"] = "c1"
    assert mapper.feed(end) == [FollowChannel("c1")]  # off to AMD()
    assert mapper.feed(_originated(sample_events, "c1", "Up")) == []


def test_the_answer_and_the_verdict_come_back_together(sample_events: list[Event]) -> None:
    mapper = AriMapper(config=CONFIG, app="ctid")
    _detecting(mapper, sample_events)
    back = _start(sample_events, "c1", ["amd", "MACHINE", "LONGGREETING-1500-1500"])
    assert mapper.feed(back) == [
        ChannelAnswered(channel_id="c1"),
        AmdResult(
            channel_id="c1", result=AnsweredBy.MACHINE, detail="MACHINE LONGGREETING-1500-1500"
        ),
    ]
    # Only once: a later Stasis entry (back from a transfer) is an ordinary one.
    again = _start(sample_events, "c1", ["amd", "HUMAN", "HUMAN-800-800"])
    assert mapper.feed(again) == []


def test_a_failed_start_answers_as_unknown(sample_events: list[Event]) -> None:
    mapper = AriMapper(config=CONFIG, app="ctid")
    mapper.expect_originate(
        Originate(channel_id="c1", kind=EndpointKind.EXTERNAL, device="555", detect_machines=True)
    )
    mapper.feed(_originated(sample_events, "c1", "Up"))
    assert mapper.feed(_start(sample_events, "c1", [ORIGINATE_ARG])) == [StartAmd("c1")]
    assert mapper.amd_failed("c1", "no context") == [
        ChannelAnswered(channel_id="c1"),
        AmdResult(channel_id="c1", result=AnsweredBy.UNKNOWN, detail="no context"),
    ]
    assert mapper.amd_failed("c1", "twice") == []
    assert mapper.amd_failed("nobody", "unknown channel") == []


def test_without_detection_the_answer_is_at_once(sample_events: list[Event]) -> None:
    mapper = AriMapper(config=CONFIG, app="ctid")
    mapper.expect_originate(Originate(channel_id="c1", kind=EndpointKind.EXTERNAL, device="555"))
    mapper.feed(_originated(sample_events, "c1", "Up"))
    assert mapper.feed(_start(sample_events, "c1", [ORIGINATE_ARG])) == [
        ChannelAnswered(channel_id="c1")
    ]


# ------------------------------------------------------------ against the fake


def _amd_call(cid: str, number: str) -> Originate:
    return Originate(
        channel_id=cid, kind=EndpointKind.EXTERNAL, device=number, detect_machines=True
    )


async def test_a_machine_and_a_person_on_the_fake(
    autojump_clock: trio.testing.MockClock,
    h: Harness,  # noqa: F811
) -> None:
    await h.run(_amd_call("m1", "5550263"))
    start = trio.current_time()
    events = await h.until(AmdResult)
    waited = trio.current_time() - start
    assert events == [
        ChannelCreated(
            channel_id="m1",
            kind=EndpointKind.EXTERNAL,
            device="5550263",
            direction=Direction.OUTBOUND,
            called_number="5550263",
            trunk="provider",
        ),
        ChannelAlerting(channel_id="m1"),
        ChannelAnswered(channel_id="m1"),
        AmdResult(
            channel_id="m1", result=AnsweredBy.MACHINE, detail="MACHINE LONGGREETING-1500-1500"
        ),
    ]
    # Answered after 1 s of ringing; app_amd's ``greeting`` (1.5 s) says machine.
    assert waited == pytest.approx(h.fake.answer_delay + h.fake.stasis_delay + 1.5, abs=0.01)
    assert h.fake.channels["m1"].stasis_app == "ctid"  # back in the app, can be bridged
    assert h.fake.channels["m1"].variables["AMDSTATUS"] == "MACHINE"
    continues = [(m, p, q) for m, p, q in h.fake.requests if p.endswith("/continue")]
    assert continues == [
        (
            "POST",
            "/channels/m1/continue",
            (("context", "ctid-amd"), ("extension", "s"), ("label", "amd")),
        )
    ]
    await h.run(_amd_call("p1", "5551234"))
    start = trio.current_time()
    events = await h.until(AmdResult)
    assert events[-2:] == [
        ChannelAnswered(channel_id="p1"),
        AmdResult(channel_id="p1", result=AnsweredBy.HUMAN, detail="HUMAN HUMAN-800-800"),
    ]
    # A person's 0.8 s hello and 0.8 s of silence after it.
    assert trio.current_time() - start == pytest.approx(1.0 + 0.001 + 1.6, abs=0.01)
    modules = [p for _, p, _ in h.fake.requests if p.startswith("/asterisk/modules")]
    assert modules == ["/asterisk/modules/app_amd.so"]  # asked once per connection


async def test_a_hang_up_during_detection_ends_the_call_unanswered(
    autojump_clock: trio.testing.MockClock,
    h: Harness,  # noqa: F811
) -> None:
    await h.run(_amd_call("m1", "5550263"))
    await trio.sleep(h.fake.answer_delay + h.fake.stasis_delay + 0.5)  # AMD listens
    h.fake.hang_up("m1")
    events = await h.until(ChannelHungUp)
    assert [type(e) for e in events] == [ChannelCreated, ChannelAlerting, ChannelHungUp]
    assert events[-1].cause is HangupCause.NORMAL  # type: ignore[attr-defined]
    await trio.sleep(5)
    assert await h.events() == []  # no verdict for a call that is gone


@pytest.mark.parametrize("missing", ["context", "module"])
async def test_a_switch_without_amd_answers_unknown_at_once(
    autojump_clock: trio.testing.MockClock,
    h: Harness,  # noqa: F811
    missing: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if missing == "context":
        h.fake.amd_context = None
        why = "continue into ctid-amd,s,amd refused: 404 Requested label can not be found"
    else:
        h.fake.modules.discard("app_amd.so")
        why = "app_amd.so is not loaded"
    with caplog.at_level(logging.WARNING):
        await h.run(_amd_call("m1", "5550263"))
        events = await h.until(AmdResult)
    assert events[-2:] == [
        ChannelAnswered(channel_id="m1"),
        AmdResult(channel_id="m1", result=AnsweredBy.UNKNOWN, detail=why),
    ]
    assert h.fake.channels["m1"].stasis_app == "ctid"  # never left the app: not lost
    assert "app_amd.so" in caplog.text if missing == "module" else "ctid-amd" in caplog.text
