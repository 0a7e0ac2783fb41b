"""The fake Asterisk's REST operations, one handler per Swagger operation.

Requests reach these handlers only after ``AriSchema.check_request`` accepted
them, so parameters have the declared names and types. A handler returns the
JSON answer (200), ``None`` for a void operation (204), or raises ``AriError``
with Asterisk's status and text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import trio

from ctid.testing import _fake_ari_amd, _fake_ari_fax, _fake_ari_mwi
from ctid.testing._fake_ari_objects import _REASON_CAUSE, JSON, _Bridge, _Channel
from ctid.testing._fake_ari_switch import AriError, AriSwitch
from ctid.testing.ari_schema import CheckedRequest

__all__ = ["handle"]

Query = Mapping[str, str]
Handler = Callable[[AriSwitch, Mapping[str, str], Query, Any], Any]

_CALLER_RE: Final = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$')


def handle(fake: AriSwitch, checked: CheckedRequest, query: Query, body: Any) -> tuple[int, Any]:
    """Run one accepted request; return ``(status, json-or-None)``."""
    handler = _HANDLERS.get(checked.operation.name)
    if handler is None:
        return 501, {"message": f"{checked.operation.name} is not simulated by the fake"}
    try:
        result = handler(fake, checked.path_params, query, body)
    except AriError as exc:
        return exc.status, exc.body
    return (204, None) if result is None else (200, result)


def _caller(text: str | None) -> JSON:
    if not text:
        return {"name": "", "number": ""}
    match = _CALLER_RE.match(text)
    if match:
        return {"name": match.group(1).strip(), "number": match.group(2).strip()}
    return {"name": "", "number": text.strip()}


def _channel(fake: AriSwitch, cid: str) -> _Channel:
    channel = fake.channels.get(cid)
    if channel is None or channel.dying:
        raise AriError(404, "Channel not found")
    return channel


def _stasis_channel(fake: AriSwitch, cid: str) -> _Channel:
    channel = _channel(fake, cid)
    if channel.stasis_app is None:
        raise AriError(409, "Channel not in a Stasis application")
    return channel


def _bridge(fake: AriSwitch, bid: str) -> _Bridge:
    bridge = fake.bridges.get(bid)
    if bridge is None:
        raise AriError(404, "Bridge not found")
    return bridge


# ----------------------------------------------------------------------- channels


def _list_channels(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return [fake.channel_json(c) for c in fake.channels.values() if not c.dying]


def _originate(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    if "app" not in q:
        # The fake runs no dialplan: originating into an extension is not simulated.
        raise AriError(400, "Application or extension must be specified")
    channel_id = path.get("channelId") or q.get("channelId") or f"orig-{fake.new_id()}"
    args = q["appArgs"].split(",") if q.get("appArgs") else []
    channel = fake.originate(
        channel_id=channel_id,
        endpoint=q["endpoint"],
        app=q["app"],
        app_args=args,
        caller=_caller(q.get("callerId")),
        timeout=int(q.get("timeout", "30")),
        variables=(body or {}).get("variables", {}),
    )
    return fake.channel_json(channel)


def _get_channel(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return fake.channel_json(_channel(fake, path["channelId"]))


def _hangup(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    channel = _channel(fake, path["channelId"])
    fake.hangup_channel(channel, cause=_REASON_CAUSE[q.get("reason", "normal")], soft=True)


def _answer(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    channel = _stasis_channel(fake, path["channelId"])
    fake.set_state(channel, "Up")


def _ring(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    channel = _stasis_channel(fake, path["channelId"])
    if channel.state == "Up":
        return None  # ringing indication to an answered channel does nothing
    fake.set_state(channel, "Ringing")
    return None


def _ring_stop(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    _stasis_channel(fake, path["channelId"])


def _hold(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    channel = _stasis_channel(fake, path["channelId"])
    channel.held = True
    fake.emit_channel(channel, "ChannelHold")


def _unhold(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    channel = _stasis_channel(fake, path["channelId"])
    channel.held = False
    fake.emit_channel(channel, "ChannelUnhold")


def _start_moh(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    _stasis_channel(fake, path["channelId"]).moh = q.get("mohClass", "default")


def _stop_moh(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    _stasis_channel(fake, path["channelId"]).moh = None


def _send_dtmf(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    channel = _stasis_channel(fake, path["channelId"])
    if not q.get("dtmf"):
        raise AriError(400, "DTMF is required")
    channel.digits_heard.extend(q["dtmf"])


def _play_channel(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    channel = _stasis_channel(fake, path["channelId"])
    playback_id = path.get("playbackId") or q.get("playbackId") or f"pb-{fake.new_id()}"
    playback = fake.start_playback(
        playback_id=playback_id,
        media=q["media"].split(","),
        target_uri=f"channel:{channel.id}",
        lang=q.get("lang", "en"),
        subs=fake.channel_subscribers(channel),
    )
    return fake.playback_json(playback)


def _record_channel(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    channel = _stasis_channel(fake, path["channelId"])
    recording = fake.start_recording(
        name=q["name"],
        format=q["format"],
        target_uri=f"channel:{channel.id}",
        if_exists=q.get("ifExists", "fail"),
        subs=fake.channel_subscribers(channel),
    )
    return fake.recording_json(recording)


def _snoop(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    target = _channel(fake, path["channelId"])
    snoop_id = path.get("snoopId") or q.get("snoopId") or f"snoop-{fake.new_id()}"
    if snoop_id in fake.channels:
        raise AriError(400, "Invalid parameters")
    channel = fake.new_channel(
        channel_id=snoop_id,
        endpoint=f"Snoop/{target.id}",
        state="Up",
        caller=target.caller,
        exten="s",
    )
    channel.snoop = (target.id, q.get("spy", "none"), q.get("whisper", "none"))
    args = q["appArgs"].split(",") if q.get("appArgs") else []
    fake.enter_stasis(channel, q["app"], args)
    return fake.channel_json(channel)


def _dial(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    _channel(fake, path["channelId"])
    # Only channels made with POST /channels/create can be dialled; the fake makes none.
    raise AriError(409, "Channel cannot be dialed.")


# ------------------------------------------------------------------------ bridges


def _list_bridges(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return [fake.bridge_json(b) for b in fake.bridges.values()]


def _create_bridge(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    bridge_id = path.get("bridgeId") or q.get("bridgeId") or f"br-{fake.new_id()}"
    if bridge_id in fake.bridges:
        raise AriError(409, "Bridge with the same bridgeId already exists")
    types = set(q.get("type", "mixing").split(","))
    bridge = _Bridge(
        id=bridge_id,
        name=q.get("name", ""),
        bridge_type="holding" if "holding" in types else "mixing",
        created=trio.current_time(),
    )
    fake.bridges[bridge_id] = bridge
    fake.emit(fake.all_subscribers(), "BridgeCreated", bridge=fake.bridge_json(bridge))
    return fake.bridge_json(bridge)


def _get_bridge(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return fake.bridge_json(_bridge(fake, path["bridgeId"]))


def _destroy_bridge(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    fake.destroy_bridge(_bridge(fake, path["bridgeId"]))


def _add_channel(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    bridge = _bridge(fake, path["bridgeId"])
    channels = []
    for cid in q["channel"].split(","):
        channel = fake.channels.get(cid)
        if channel is None or channel.dying:
            raise AriError(400, "Channel not found")
        if channel.stasis_app is None:
            raise AriError(422, "Channel not in Stasis application")
        channels.append(channel)
    for channel in channels:
        fake.join_bridge(channel, bridge)


def _remove_channel(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    bridge = _bridge(fake, path["bridgeId"])
    channels = []
    for cid in q["channel"].split(","):
        channel = fake.channels.get(cid)
        if channel is None or channel.dying:
            raise AriError(400, "Channel not found")
        if channel.bridge != bridge.id:
            raise AriError(422, "Channel not in this bridge")
        channels.append(channel)
    for channel in channels:
        fake.leave_bridge(channel, bridge)


def _bridge_start_moh(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    _bridge(fake, path["bridgeId"]).moh = q.get("mohClass", "default")


def _bridge_stop_moh(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    bridge = _bridge(fake, path["bridgeId"])
    if bridge.moh is None:
        raise AriError(409, "Bridge isn't playing music on hold")
    bridge.moh = None


def _play_bridge(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    bridge = _bridge(fake, path["bridgeId"])
    playback_id = path.get("playbackId") or q.get("playbackId") or f"pb-{fake.new_id()}"
    playback = fake.start_playback(
        playback_id=playback_id,
        media=q["media"].split(","),
        target_uri=f"bridge:{bridge.id}",
        lang=q.get("lang", "en"),
        subs=fake.bridge_subscribers(bridge),
    )
    return fake.playback_json(playback)


def _record_bridge(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    bridge = _bridge(fake, path["bridgeId"])
    recording = fake.start_recording(
        name=q["name"],
        format=q["format"],
        target_uri=f"bridge:{bridge.id}",
        if_exists=q.get("ifExists", "fail"),
        subs=fake.bridge_subscribers(bridge),
    )
    return fake.recording_json(recording)


# ------------------------------------------------------------ playbacks, recordings


def _get_playback(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    playback = fake.playbacks.get(path["playbackId"])
    if playback is None:
        raise AriError(404, "Playback not found")
    return fake.playback_json(playback)


def _stop_playback(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    playback = fake.playbacks.get(path["playbackId"])
    if playback is None:
        raise AriError(404, "Playback not found")
    fake.finish_playback(playback)


def _live(fake: AriSwitch, name: str) -> Any:
    recording = fake.recordings.get(name)
    if recording is None:
        raise AriError(404, "Recording not found")
    return recording


def _get_live(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return fake.recording_json(_live(fake, path["recordingName"]))


def _stop_recording(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    fake.finish_recording(_live(fake, path["recordingName"]))


def _pause(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    recording = _live(fake, path["recordingName"])
    if recording.state != "recording":
        raise AriError(409, "Recording not in session")
    recording.state = "paused"


def _unpause(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    recording = _live(fake, path["recordingName"])
    if recording.state != "paused":
        raise AriError(409, "Recording not in session")
    recording.state = "recording"


# ------------------------------------------------------------ applications, asterisk


def _app_json(fake: AriSwitch, name: str) -> JSON:
    app = fake.apps.get(name)
    if app is None:
        raise AriError(404, "Application does not exist.")
    return {
        "name": name,
        "channel_ids": sorted(
            c.id for c in fake.channels.values() if name in fake.channel_subscribers(c)
        ),
        "bridge_ids": sorted(b.id for b in fake.bridges.values() if name in b.subscribers),
        "endpoint_ids": sorted(s.partition(":")[2] for s in app.subscribed),
        "device_names": [],
        "events_allowed": [],
        "events_disallowed": [],
    }


def _list_apps(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return [_app_json(fake, name) for name in sorted(fake.apps)]


def _get_app(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return _app_json(fake, path["applicationName"])


def _subscribe(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    name = path["applicationName"]
    _app_json(fake, name)
    app = fake.apps[name]
    for source in q["eventSource"].split(","):
        scheme, _, ident = source.partition(":")
        if scheme == "channel":
            channel = fake.channels.get(ident)
            if channel is None or channel.dying:
                raise AriError(422, "Event source does not exist.")
            channel.subscribers.add(name)
        elif scheme == "bridge":
            _bridge(fake, ident).subscribers.add(name)
        elif scheme == "endpoint":
            app.subscribed.add(source)
        else:
            raise AriError(400, "Invalid event source URI scheme.")
    return _app_json(fake, name)


def _info(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return {"system": {"version": "22.10.1", "entity_id": fake.asterisk_id}}


def _ping(fake: AriSwitch, path: Query, q: Query, body: Any) -> Any:
    return {"asterisk_id": fake.asterisk_id, "ping": "pong", "timestamp": fake.timestamp()}


_HANDLERS: Final[dict[str, Handler]] = {
    "channels.list": _list_channels,
    "channels.originate": _originate,
    "channels.originateWithId": _originate,
    "channels.get": _get_channel,
    "channels.hangup": _hangup,
    "channels.answer": _answer,
    "channels.ring": _ring,
    "channels.ringStop": _ring_stop,
    "channels.hold": _hold,
    "channels.unhold": _unhold,
    "channels.startMoh": _start_moh,
    "channels.stopMoh": _stop_moh,
    "channels.sendDTMF": _send_dtmf,
    "channels.play": _play_channel,
    "channels.playWithId": _play_channel,
    "channels.record": _record_channel,
    "channels.snoopChannel": _snoop,
    "channels.snoopChannelWithId": _snoop,
    "channels.dial": _dial,
    "bridges.list": _list_bridges,
    "bridges.create": _create_bridge,
    "bridges.createWithId": _create_bridge,
    "bridges.get": _get_bridge,
    "bridges.destroy": _destroy_bridge,
    "bridges.addChannel": _add_channel,
    "bridges.removeChannel": _remove_channel,
    "bridges.startMoh": _bridge_start_moh,
    "bridges.stopMoh": _bridge_stop_moh,
    "bridges.play": _play_bridge,
    "bridges.playWithId": _play_bridge,
    "bridges.record": _record_bridge,
    "playbacks.get": _get_playback,
    "playbacks.stop": _stop_playback,
    "recordings.getLive": _get_live,
    "recordings.stop": _stop_recording,
    "recordings.pause": _pause,
    "recordings.unpause": _unpause,
    "applications.list": _list_apps,
    "applications.get": _get_app,
    "applications.subscribe": _subscribe,
    "asterisk.getInfo": _info,
    "asterisk.ping": _ping,
    **_fake_ari_fax.HANDLERS,
    **_fake_ari_mwi.HANDLERS,
    **_fake_ari_amd.HANDLERS,  # after fax: it routes continue to the fax context too
}
