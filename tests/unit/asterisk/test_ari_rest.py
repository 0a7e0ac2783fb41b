"""Every ARI request the driver can build fits Asterisk's own API description."""

from __future__ import annotations

import pytest

from ctid.switch_drivers.asterisk import rest
from ctid.switch_drivers.base import RejectReason
from ctid.testing.ari_schema import AriSchema, RequestError

# One call of every builder, with awkward ids (they must be percent-encoded).
ALL_REQUESTS: list[rest.AriRequest] = [
    rest.list_channels(),
    rest.originate_with_id(
        "call 1/a",
        endpoint="PJSIP/1001",
        app="ctid",
        app_args="ctid:originate",
        caller_id='"CTID" <9000>',
        timeout=30,
        originator="in-1",
        variables={"PJSIP_HEADER(add,Call-Info)": ";answer-after=0"},
    ),
    rest.originate_with_id("c2", endpoint="PJSIP/0612@trunk", app="ctid"),
    rest.answer("c1"),
    rest.ring("c1"),
    rest.ring_stop("c1"),
    rest.hangup("c1"),
    *[rest.hangup("c1", reason=r) for r in sorted(rest.HANGUP_REASONS)],
    rest.hold("c1"),
    rest.unhold("c1"),
    rest.start_moh("c1"),
    rest.start_moh("c1", moh_class="jazz"),
    rest.stop_moh("c1"),
    rest.send_dtmf("c1", "12#", between=100, duration=120),
    rest.play_with_id("c1", "pb-1", ["sound:hello-world", "tone:ring"], lang="en"),
    rest.record_channel("c1", name="rec/one", format="wav"),
    rest.record_channel(
        "c1",
        name="r",
        format="wav",
        if_exists="overwrite",
        beep=True,
        terminate_on="#",
        max_duration_seconds=60,
    ),
    *[
        rest.snoop_channel_with_id("c1", "s1", app="ctid", spy=d, whisper=w, app_args="x")
        for d in ("none", "both", "in", "out")
        for w in ("none", "both", "in", "out")
    ],
    rest.dial("c1"),
    rest.dial("c1", caller="c0", timeout=30),
    rest.list_bridges(),
    rest.get_bridge("b1"),
    rest.create_bridge(),
    rest.create_bridge(bridge_type="mixing,dtmf_events", name="n"),
    rest.create_bridge_with_id("b 1"),
    rest.create_bridge_with_id("b1", bridge_type="holding", name="hold"),
    rest.destroy_bridge("b1"),
    rest.add_channel("b1", ["c1"]),
    rest.add_channel("b1", ["c1", "c2"], role="agent"),
    rest.remove_channel("b1", ["c1"]),
    rest.bridge_start_moh("b1"),
    rest.bridge_start_moh("b1", moh_class="default"),
    rest.bridge_stop_moh("b1"),
    rest.bridge_play_with_id("b1", "pb-2", ["sound:beep"]),
    rest.record_bridge("b1", name="mix", format="wav"),
    rest.stop_playback("pb-1"),
    rest.stop_recording("r1"),
    rest.pause_recording("r1"),
    rest.unpause_recording("r1"),
    rest.get_application("ctid"),
    rest.subscribe_application("ctid", ["channel:c1", "endpoint:PJSIP/1001"]),
    rest.asterisk_info(),
    rest.asterisk_info(["system", "status"]),
    rest.asterisk_ping(),
    rest.set_variable("c 1", "CTID_FAX_FILE", "/var/lib/ctid/faxes/in/f 1.tif"),
    rest.get_variable("c1", "FAXSTATUS"),
    rest.continue_in_dialplan("c1", context="ctid-fax", extension="receive"),
]


@pytest.mark.parametrize("request_", ALL_REQUESTS, ids=lambda r: f"{r.method} {r.path}")
def test_request_fits_api_description(ari_schema: AriSchema, request_: rest.AriRequest) -> None:
    checked = ari_schema.check_request(
        request_.method, request_.path, request_.query, request_.body
    )
    assert checked.operation.name == request_.operation


def test_every_operation_used_by_the_driver_is_covered() -> None:
    used = {r.operation for r in ALL_REQUESTS}
    assert {
        "channels.originateWithId",
        "bridges.createWithId",
        "bridges.addChannel",
        "bridges.removeChannel",
        "bridges.startMoh",
        "bridges.stopMoh",
        "channels.answer",
        "channels.ring",
        "channels.hangup",
        "channels.hold",
        "channels.unhold",
        "channels.startMoh",
        "channels.stopMoh",
        "channels.sendDTMF",
        "channels.playWithId",
        "bridges.playWithId",
        "playbacks.stop",
        "channels.record",
        "bridges.record",
        "recordings.stop",
        "recordings.pause",
        "recordings.unpause",
        "channels.snoopChannelWithId",
        "channels.list",
        "bridges.list",
        "bridges.get",
        "channels.dial",
        "applications.get",
        "applications.subscribe",
        "asterisk.getInfo",
        "asterisk.ping",
        "bridges.destroy",
        "channels.setChannelVar",
        "channels.getChannelVar",
        "channels.continueInDialplan",
    } <= used


def test_ids_are_percent_encoded_and_round_trip(ari_schema: AriSchema) -> None:
    req = rest.originate_with_id("call 1/a", endpoint="PJSIP/1001", app="ctid")
    assert req.path == "/channels/call%201%2Fa"
    assert ari_schema.match("POST", req.path).path_params == {"channelId": "call 1/a"}
    assert req.target() == "/ari/channels/call%201%2Fa?endpoint=PJSIP%2F1001&app=ctid"


def test_variables_travel_in_the_body() -> None:
    req = rest.originate_with_id("c", endpoint="PJSIP/1", app="a", variables={"X": "1"})
    assert req.body_bytes() == b'{"variables":{"X":"1"}}'
    assert rest.answer("c").body_bytes() == b""


@pytest.mark.parametrize(
    "make",
    [
        lambda: rest.hangup("c", reason="because"),
        lambda: rest.send_dtmf("c", ""),
        lambda: rest.play_with_id("c", "p", []),
        lambda: rest.play_with_id("c", "p", ["sound:a,b"]),
        lambda: rest.add_channel("b", []),
        lambda: rest.snoop_channel_with_id("c", "s", app="a", spy="sideways"),
        lambda: rest.record_channel("c", name="n", format="wav", if_exists="maybe"),
        lambda: rest.answer(""),
    ],
)
def test_builders_refuse_what_asterisk_would_refuse(make: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by builder
        make()  # type: ignore[operator]


# --- the validator itself must catch mistakes, or the tests above prove nothing


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "status"),
    [
        ("GET", "/channelz", [], None, 404),
        ("PATCH", "/channels", [], None, 405),
        ("POST", "/channels/c1", [("app", "ctid")], None, 400),  # endpoint missing
        ("POST", "/channels/c1", [("endpoint", "PJSIP/1"), ("ap", "x")], None, 400),
        ("POST", "/channels/c1", [("endpoint", "PJSIP/1"), ("timeout", "soon")], None, 400),
        ("DELETE", "/channels/c1", [("reason", "tired")], None, 400),
        ("POST", "/channels/c1/snoop/s", [("app", "a"), ("spy", "up")], None, 400),
        (
            "POST",
            "/bridges/b/record",
            [("name", "n"), ("format", "wav"), ("beep", "yes")],
            None,
            400,
        ),
        ("POST", "/bridges/b/play/p", [("media", "sound:x"), ("skipms", "-1")], None, 400),
        ("POST", "/channels/c1", [("endpoint", "PJSIP/1")], {"vars": {}}, 400),
        ("POST", "/channels/c1", [("endpoint", "PJSIP/1")], {"variables": {"a": 1}}, 400),
        ("POST", "/channels/c1/answer", [], {"variables": {}}, 400),
        ("POST", "/channels/c1/answer", [("x", "1"), ("x", "2")], None, 400),
    ],
)
def test_validator_rejects_bad_requests(
    ari_schema: AriSchema,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: object,
    status: int,
) -> None:
    with pytest.raises(RequestError) as info:
        ari_schema.check_request(method, path, query, body)
    assert info.value.status == status


def test_missing_endpoint_message_is_asterisks(ari_schema: AriSchema) -> None:
    with pytest.raises(RequestError, match="Endpoint must be specified"):
        ari_schema.check_request("POST", "/channels", [("app", "ctid")])


def test_literal_path_segment_beats_parameter(ari_schema: AriSchema) -> None:
    assert ari_schema.match("POST", "/channels/create").operation.nickname == "create"
    assert ari_schema.match("POST", "/channels/other").operation.nickname == "originateWithId"


# --- error answers


@pytest.mark.parametrize(
    ("request_", "status", "body", "reason"),
    [
        (rest.answer("c"), 404, b'{"message":"Channel not found"}', RejectReason.NO_SUCH_CHANNEL),
        (
            rest.destroy_bridge("b"),
            404,
            b'{"message":"Bridge not found"}',
            RejectReason.NO_SUCH_BRIDGE,
        ),
        (
            rest.add_channel("b", ["c"]),
            400,
            b'{"message":"Channel not found"}',
            RejectReason.NO_SUCH_CHANNEL,
        ),
        (
            rest.add_channel("b", ["c"]),
            422,
            b'{"message":"Channel not in Stasis application"}',
            RejectReason.INVALID_STATE,
        ),
        (
            rest.stop_playback("p"),
            404,
            b'{"message":"Playback not found"}',
            RejectReason.NO_SUCH_PLAYBACK,
        ),
        (
            rest.stop_recording("r"),
            404,
            b'{"message":"Recording not found"}',
            RejectReason.NO_SUCH_RECORDING,
        ),
        (
            rest.answer("c"),
            409,
            b'{"message":"Channel not in Stasis application"}',
            RejectReason.INVALID_STATE,
        ),
        (
            rest.answer("c"),
            412,
            b'{"message":"Channel in invalid state"}',
            RejectReason.INVALID_STATE,
        ),
        (
            rest.originate_with_id("c", endpoint="PJSIP/nobody", app="a"),
            500,
            b'{"error":"Allocation failed"}',
            RejectReason.INVALID_DESTINATION,
        ),
        (
            rest.originate_with_id("c", endpoint="", app="a"),
            400,
            b'{"message":"Endpoint must be specified"}',
            RejectReason.INVALID_DESTINATION,
        ),
        (
            rest.originate_with_id("c", endpoint="PJSIP/1", app="a"),
            409,
            b'{"message":"Channel with given unique ID already exists"}',
            RejectReason.INVALID_STATE,
        ),
        (rest.bridge_start_moh("b"), 500, b"oops", RejectReason.SWITCH_ERROR),
        (rest.answer("c"), 503, b'{"message":"busy"}', RejectReason.NO_RESOURCES),
    ],
)
def test_error_answers_map_to_reject_reasons(
    request_: rest.AriRequest, status: int, body: bytes, reason: RejectReason
) -> None:
    rejected = rest.rejection(request_, status, body)
    assert rejected.reason is reason
    assert rejected.detail


def test_error_detail_is_asterisks_text() -> None:
    assert rest.rejection(rest.answer("c"), 404, b'{"message":"Channel not found"}').detail == (
        "Channel not found"
    )
    assert rest.error_text(b'{"error":"Allocation failed"}') == "Allocation failed"
    assert rest.error_text(b"plain") == "plain"


# --- model checks (events and nested Channel/Bridge/Playback/LiveRecording)


def test_event_checks_find_every_kind_of_mistake(
    ari_schema: AriSchema, sample_events: list[dict[str, object]]
) -> None:
    import copy

    good = copy.deepcopy(next(e for e in sample_events if e["type"] == "ChannelEnteredBridge"))
    assert ari_schema.check_event(good) == []
    extra = copy.deepcopy(good)
    extra["colour"] = "blue"
    missing = copy.deepcopy(good)
    del missing["timestamp"]
    nested = copy.deepcopy(good)
    del nested["bridge"]["technology"]  # type: ignore[attr-defined]
    typed = copy.deepcopy(good)
    typed["channel"]["dialplan"]["priority"] = "1"  # type: ignore[index]
    enum = copy.deepcopy(good)
    enum["channel"]["state"] = "Ringing-ish"  # type: ignore[index]
    listed = copy.deepcopy(good)
    listed["bridge"]["channels"] = "lab-a-1"  # type: ignore[index]
    unknown_type = dict(good, type="ChannelTeleported")
    assert ari_schema.check_event(extra) == ["$: unknown field 'colour'"]
    assert ari_schema.check_event(missing) == ["$: missing required field 'timestamp'"]
    assert ari_schema.check_event(nested) == ["$.bridge: missing required field 'technology'"]
    assert ari_schema.check_event(typed) == ["$.channel.dialplan.priority: '1' is not a long"]
    assert len(ari_schema.check_event(enum)) == 1
    assert ari_schema.check_event(listed) == ["$.bridge.channels: expected a list"]
    assert ari_schema.check_event(unknown_type) == [
        "$.type: 'ChannelTeleported' is not an Event subtype"
    ]
    recording = {"name": "r", "format": "wav", "target_uri": "bridge:b", "state": "recording"}
    assert ari_schema.check_model("LiveRecording", recording) == []
    assert ari_schema.check_model("LiveRecording", dict(recording, duration=1.5)) == [
        "$.duration: 1.5 is not a int"
    ]
