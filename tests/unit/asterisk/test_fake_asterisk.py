"""The fake Asterisk answers and behaves like the real one where ctid can tell."""

from __future__ import annotations

import json
from typing import Any

import pytest
import trio
import trio.lowlevel
import trio.testing
import trio_websocket

from ctid.switch_drivers.asterisk import rest
from ctid.switch_drivers.asterisk.http import HttpClient, basic_auth
from ctid.testing.ari_schema import AriSchema
from ctid.testing.fake_asterisk import FakeAsterisk

Event = dict[str, Any]


@pytest.fixture
async def fake(ari_schema: AriSchema, nursery: trio.Nursery) -> FakeAsterisk:
    asterisk = FakeAsterisk(schema=ari_schema)
    await nursery.start(asterisk.run)
    return asterisk


def http(fake: FakeAsterisk, password: str = "secret") -> HttpClient:
    return HttpClient(
        open_stream=fake.open_stream, host="pbx", port=8088, user="ctid", password=password
    )


async def events_socket(
    fake: FakeAsterisk, nursery: trio.Nursery, query: str = "app=ctid"
) -> trio_websocket.WebSocketConnection:
    stream = await fake.open_stream("pbx", 8088)
    return await trio_websocket.wrap_client_stream(
        nursery,
        stream,
        "pbx:8088",
        f"/ari/events?{query}",  # type: ignore[arg-type]
        extra_headers=[(b"Authorization", basic_auth("ctid", "secret"))],
    )


async def received(ws: trio_websocket.WebSocketConnection) -> list[Event]:
    """What arrived until the socket stayed quiet for one (mock) second."""
    out = []
    while True:
        with trio.move_on_after(1) as scope:
            out.append(json.loads(await ws.get_message()))
        if scope.cancelled_caught:
            return out


async def raw(fake: FakeAsterisk, request: bytes) -> bytes:
    stream = await fake.open_stream("pbx", 8088)
    await stream.send_all(request)
    data = b""
    while chunk := await stream.receive_some():
        data += chunk
        if b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            length = [
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ]
            if length and len(body) >= length[0]:
                break
    await stream.aclose()
    return data


async def test_authentication_and_upgrade_rules(
    fake: FakeAsterisk, autojump_clock: trio.testing.MockClock
) -> None:
    denied = await http(fake, password="wrong").request(rest.list_channels())
    assert (denied.status, denied.json()) == (401, {"message": "Authentication required"})
    by_key = await raw(fake, b"GET /ari/channels?api_key=ctid:secret HTTP/1.1\r\nHost: pbx\r\n\r\n")
    assert by_key.startswith(b"HTTP/1.1 200 ")
    plain = await raw(
        fake,
        b"GET /ari/events?app=ctid HTTP/1.1\r\nHost: pbx\r\n"
        b"Authorization: " + basic_auth("ctid", "secret") + b"\r\n\r\n",
    )
    assert plain.startswith(b"HTTP/1.1 426 ")


@pytest.mark.parametrize(
    ("request_", "status", "body"),
    [
        (
            rest.AriRequest(
                operation="x", subject=rest.Subject.CHANNEL, method="GET", path="/nowhere"
            ),
            404,
            {"message": "Resource not found"},
        ),
        (
            rest.AriRequest(
                operation="x", subject=rest.Subject.CHANNEL, method="PUT", path="/channels"
            ),
            405,
            {"message": "Method Not Allowed"},
        ),
        (
            rest.AriRequest(
                operation="x",
                subject=rest.Subject.CHANNEL,
                method="POST",
                path="/channels/c1",
                query=(("app", "ctid"),),
            ),
            400,
            {"message": "Endpoint must be specified"},
        ),
        (
            rest.AriRequest(
                operation="x",
                subject=rest.Subject.CHANNEL,
                method="POST",
                path="/channels/c1/answer",
                query=(("now", "true"),),
            ),
            400,
            {"message": "Unknown parameter 'now' for channels.answer"},
        ),
        (
            rest.originate_with_id("c1", endpoint="PJSIP/9999", app="ctid"),
            500,
            {"error": "Allocation failed"},
        ),
        (rest.answer("c1"), 404, {"message": "Channel not found"}),
        (rest.destroy_bridge("b1"), 404, {"message": "Bridge not found"}),
        (rest.stop_playback("p1"), 404, {"message": "Playback not found"}),
        (rest.stop_recording("r1"), 404, {"message": "Recording not found"}),
    ],
)
async def test_error_answers_are_asterisks(
    fake: FakeAsterisk,
    autojump_clock: trio.testing.MockClock,
    request_: rest.AriRequest,
    status: int,
    body: Event,
) -> None:
    answer = await http(fake).request(request_)
    assert (answer.status, answer.json()) == (status, body)


async def test_unanswered_originate_never_enters_stasis(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    ws = await events_socket(fake, nursery)
    answer = await http(fake).request(
        rest.originate_with_id("o1", endpoint="PJSIP/1004", app="ctid", timeout=15)
    )
    assert answer.json()["state"] == "Down"
    await trio.sleep(15)
    types = [e["type"] for e in await received(ws)]
    assert "StasisStart" not in types
    assert types[-1] == "ChannelDestroyed"


async def test_an_answered_originate_enters_the_app_a_moment_later(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    """As in the capture: Up and Dial ANSWER first, StasisStart after; until then
    the channel cannot be bridged (422)."""
    ws = await events_socket(fake, nursery)
    client = http(fake)
    await client.request(rest.originate_with_id("o1", endpoint="PJSIP/1001", app="ctid"))
    await client.request(rest.create_bridge_with_id("b"))
    await trio.testing.wait_all_tasks_blocked()
    fake.phone("1001").answer()
    early = await client.request(rest.add_channel("b", ["o1"]))
    assert (early.status, early.json()) == (422, {"message": "Channel not in Stasis application"})
    await trio.sleep(fake.stasis_delay)
    assert (await client.request(rest.add_channel("b", ["o1"]))).status == 204
    types = [
        (e["type"], e.get("dialstatus"))
        for e in await received(ws)
        if e["type"] not in ("ChannelVarset", "BridgeCreated")
    ]
    assert types[-4:] == [
        ("ChannelStateChange", None),
        ("Dial", "ANSWER"),
        ("StasisStart", None),
        ("ChannelEnteredBridge", None),
    ]


async def test_a_dialplan_channel_is_not_followed_past_stasis_end(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    """As seen on Asterisk 22.10.1: an app that got a channel from Stasis() alone hears
    no ChannelDestroyed after its StasisEnd; one that originated the channel does."""
    ws = await events_socket(fake, nursery)
    await http(fake).request(rest.originate_with_id("o1", endpoint="PJSIP/1001", app="ctid"))
    await trio.testing.wait_all_tasks_blocked()
    fake.phone("1001").answer()
    inbound = fake.inbound_call("0612", "0800")
    await trio.sleep(1)
    fake.outside("0612").hangup()
    fake.phone("1001").hangup()
    events = [
        (e["type"], e["channel"]["id"])
        for e in await received(ws)
        if e["type"] in ("ChannelHangupRequest", "StasisEnd", "ChannelDestroyed")
    ]
    assert events == [
        ("ChannelHangupRequest", inbound),
        ("StasisEnd", inbound),
        ("ChannelHangupRequest", "o1"),
        ("StasisEnd", "o1"),
        ("ChannelDestroyed", "o1"),
    ]


async def test_a_busy_far_end_never_rings(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    """A 486 answers the INVITE at once: no Ringing state, the dial ends BUSY, cause 17."""
    fake.set_number("0999", "busy")
    fake.phone("1003").busy = True
    ws = await events_socket(fake, nursery)
    for cid, endpoint in (("o1", "PJSIP/0999@trunk-provider"), ("o2", "PJSIP/1003")):
        answer = await http(fake).request(
            rest.originate_with_id(cid, endpoint=endpoint, app="ctid", timeout=15)
        )
        assert answer.ok
    events = await received(ws)
    for cid in ("o1", "o2"):
        mine = [e for e in events if (e.get("channel") or e.get("peer") or {}).get("id") == cid]
        assert [(e["type"], e.get("dialstatus"), e.get("cause")) for e in mine] == [
            ("Dial", "", None),
            ("Dial", "BUSY", None),
            ("ChannelVarset", None, None),
            ("ChannelDestroyed", None, 17),
        ]
        assert mine[-1]["channel"]["state"] == "Down"


async def test_application_replaced_and_subscribe_all(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    first = await events_socket(fake, nursery, "app=ctid")
    second = await events_socket(fake, nursery, "app=ctid&subscribeAll=true")
    assert [e["type"] for e in await received(first)] == ["ApplicationReplaced"]
    fake.phone("1001").dial("2000")
    assert await received(first) == []
    got = [e["type"] for e in await received(second)]
    # subscribeAll came too late to count (the app existed): no ChannelCreated.
    assert got == ["ChannelVarset", "StasisStart"]


async def test_call_into_an_app_nobody_serves_fails(
    fake: FakeAsterisk, autojump_clock: trio.testing.MockClock
) -> None:
    cid = fake.inbound_call("0612", "0800")
    assert cid not in fake.channels
    assert fake.sent == []


async def test_events_are_shaped_like_the_captured_ones(
    fake: FakeAsterisk,
    nursery: trio.Nursery,
    sample_events: list[Event],
    ari_schema: AriSchema,
    autojump_clock: trio.testing.MockClock,
) -> None:
    ws = await events_socket(fake, nursery, "app=ctid&subscribeAll=true")
    client = http(fake)
    await client.request(rest.originate_with_id("a", endpoint="PJSIP/1001", app="ctid"))
    await trio.lowlevel.checkpoint()
    fake.phone("1001").answer()
    await trio.sleep(fake.stasis_delay)  # the app starts a moment after the answer
    await client.request(rest.create_bridge_with_id("b"))
    await client.request(rest.add_channel("b", ["a"]))
    await client.request(rest.bridge_play_with_id("b", "p", ["sound:hello-world"]))
    fake.phone("1002").dial("2000")
    fake.phone("1002").press("5")
    fake.phone("1002").hold()
    fake.phone("1002").unhold()
    await trio.sleep(10)
    await client.request(rest.hangup("a"))
    await client.request(rest.destroy_bridge("b"))
    await events_socket(fake, nursery, "app=ctid")
    sent = await received(ws)
    assert all(ari_schema.check_event(e) == [] for e in sent)
    samples: dict[str, Event] = {}
    for e in sample_events:
        if e["type"] == "Dial" and "caller" in e:
            continue  # the fake dials no second leg from the dialplan
        samples.setdefault(e["type"], e)
    compared = set()
    for event in sent:
        sample = samples.get(event["type"])
        if sample is None:
            continue
        compared.add(event["type"])
        assert set(event) == set(sample) - {"tech_cause"}, event["type"]
        for key in ("channel", "peer", "bridge", "playback"):
            if key in sample:
                assert set(event[key]) == set(sample[key]), (event["type"], key)
    assert compared >= {
        "ChannelStateChange",
        "Dial",
        "ChannelVarset",
        "StasisStart",
        "ChannelEnteredBridge",
        "PlaybackStarted",
        "PlaybackFinished",
        "ChannelHangupRequest",
        "ChannelLeftBridge",
        "StasisEnd",
        "ChannelDestroyed",
        "BridgeDestroyed",
        "ApplicationReplaced",
        "ChannelCreated",
        "ChannelDtmfReceived",
        "BridgeCreated",
        "ChannelHold",
        "ChannelUnhold",
    }


async def test_timers_of_a_previous_life_do_nothing(
    fake: FakeAsterisk, nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    await events_socket(fake, nursery)
    await http(fake).request(
        rest.originate_with_id("o1", endpoint="PJSIP/1001", app="ctid", timeout=10)
    )
    await fake.restart()
    ws = await events_socket(fake, nursery)
    await trio.sleep(20)
    assert await received(ws) == []
