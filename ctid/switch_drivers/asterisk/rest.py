"""ARI REST requests as values, and ARI error answers as ``CommandRejected``.

Every operation the Asterisk driver uses has one typed builder here that
returns an ``AriRequest``: a frozen value with the method, the path under
``/ari`` (ids percent-encoded), the query parameters and the JSON body. The
builders do no I/O; ``http.py`` sends them. Each request is tagged with the
name of the Swagger operation it means (``"channels.originateWithId"``) so the
tests can check it against Asterisk's own API description, and with the kind of
object it addresses, which decides what a 404 means.

Names and spellings follow Asterisk 22's ``rest-api/api-docs`` (ARI 10.0.0).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote

import attrs

from ctid.switch_drivers.base import CommandRejected, RejectReason

__all__ = [
    "HANGUP_REASONS",
    "AriRequest",
    "Subject",
    "add_channel",
    "answer",
    "asterisk_info",
    "asterisk_ping",
    "bridge_play_with_id",
    "bridge_start_moh",
    "bridge_stop_moh",
    "continue_in_dialplan",
    "create_bridge",
    "create_bridge_with_id",
    "destroy_bridge",
    "dial",
    "error_text",
    "get_application",
    "get_bridge",
    "get_module",
    "get_variable",
    "hangup",
    "hold",
    "list_bridges",
    "list_channels",
    "originate_with_id",
    "pause_recording",
    "play_with_id",
    "record_bridge",
    "record_channel",
    "rejection",
    "remove_channel",
    "ring",
    "ring_stop",
    "send_dtmf",
    "set_variable",
    "snoop_channel_with_id",
    "start_moh",
    "stop_moh",
    "stop_playback",
    "stop_recording",
    "subscribe_application",
    "unhold",
    "unpause_recording",
    "update_mailbox",
]


class Subject(enum.Enum):
    """The kind of object a request addresses: what its 404 means."""

    CHANNEL = "channel"
    BRIDGE = "bridge"
    PLAYBACK = "playback"
    RECORDING = "recording"
    APPLICATION = "application"
    ASTERISK = "asterisk"
    MAILBOX = "mailbox"


def _query(items: Iterable[tuple[str, str | int | bool | None]]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for name, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            out.append((name, "true" if value else "false"))
        else:
            out.append((name, str(value)))
    return tuple(out)


@attrs.frozen(kw_only=True)
class AriRequest:
    """One ARI REST request, ready to send.

    ``path`` is relative to the ARI root (``/channels/abc``) with every id
    percent-encoded, so an id can hold any character. ``query`` keeps its
    order. ``body`` is the JSON body or ``None``.
    """

    operation: str
    subject: Subject
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Mapping[str, Any] | None = None

    def target(self, root: str = "/ari") -> str:
        """The request target: ``root + path`` and the encoded query string."""
        if not self.query:
            return root + self.path
        qs = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in self.query)
        return f"{root}{self.path}?{qs}"

    def body_bytes(self) -> bytes:
        """The body as UTF-8 JSON, or ``b""`` for none."""
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode()


def _seg(value: str) -> str:
    if not value:
        raise ValueError("an ARI id must not be empty")
    return quote(value, safe="")


def _vars(variables: Mapping[str, str] | None) -> Mapping[str, Any] | None:
    return {"variables": dict(variables)} if variables else None


# ----------------------------------------------------------------------- channels


def list_channels() -> AriRequest:
    """``GET /channels``: every channel Asterisk has."""
    return AriRequest(
        operation="channels.list", subject=Subject.CHANNEL, method="GET", path="/channels"
    )


def originate_with_id(
    channel_id: str,
    *,
    endpoint: str,
    app: str,
    app_args: str | None = None,
    caller_id: str | None = None,
    timeout: int | None = None,
    originator: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> AriRequest:
    """``POST /channels/{channelId}``: dial ``endpoint`` into the Stasis app ``app``.

    The channel enters ``app`` (StasisStart) only once answered.
    """
    return AriRequest(
        operation="channels.originateWithId",
        subject=Subject.CHANNEL,
        method="POST",
        path=f"/channels/{_seg(channel_id)}",
        query=_query(
            [
                ("endpoint", endpoint),
                ("app", app),
                ("appArgs", app_args),
                ("callerId", caller_id),
                ("timeout", timeout),
                ("originator", originator),
            ]
        ),
        body=_vars(variables),
    )


def _channel_op(nickname: str, method: str, channel_id: str, suffix: str) -> AriRequest:
    return AriRequest(
        operation=f"channels.{nickname}",
        subject=Subject.CHANNEL,
        method=method,
        path=f"/channels/{_seg(channel_id)}{suffix}",
    )


def answer(channel_id: str) -> AriRequest:
    """``POST /channels/{channelId}/answer``."""
    return _channel_op("answer", "POST", channel_id, "/answer")


def ring(channel_id: str) -> AriRequest:
    """``POST /channels/{channelId}/ring``: ringing tone to an offered caller."""
    return _channel_op("ring", "POST", channel_id, "/ring")


def ring_stop(channel_id: str) -> AriRequest:
    """``DELETE /channels/{channelId}/ring``."""
    return _channel_op("ringStop", "DELETE", channel_id, "/ring")


#: The ``reason`` values of ``DELETE /channels/{channelId}``.
HANGUP_REASONS: Final = frozenset(
    {
        "normal",
        "busy",
        "congestion",
        "no_answer",
        "timeout",
        "rejected",
        "unallocated",
        "normal_unspecified",
        "number_incomplete",
        "codec_mismatch",
        "interworking",
        "failure",
        "answered_elsewhere",
    }
)


def hangup(channel_id: str, *, reason: str | None = None) -> AriRequest:
    """``DELETE /channels/{channelId}`` with an optional ``reason``."""
    if reason is not None and reason not in HANGUP_REASONS:
        raise ValueError(f"unknown hangup reason {reason!r}")
    req = _channel_op("hangup", "DELETE", channel_id, "")
    return attrs.evolve(req, query=_query([("reason", reason)]))


def set_variable(channel_id: str, name: str, value: str) -> AriRequest:
    """``POST /channels/{channelId}/variable?variable=...&value=...``."""
    req = _channel_op("setChannelVar", "POST", channel_id, "/variable")
    return attrs.evolve(req, query=_query([("variable", name), ("value", value)]))


def get_variable(channel_id: str, name: str) -> AriRequest:
    """``GET /channels/{channelId}/variable?variable=...``: answers ``{"value": ...}``."""
    req = _channel_op("getChannelVar", "GET", channel_id, "/variable")
    return attrs.evolve(req, query=_query([("variable", name)]))


def continue_in_dialplan(
    channel_id: str, *, context: str, extension: str, priority: int = 1, label: str | None = None
) -> AriRequest:
    """``POST /channels/{channelId}/continue``: leave Stasis for the dialplan.

    A ``label`` supersedes ``priority``; Asterisk looks it up first and answers
    404 if the context has no such label, where the channel stays in Stasis.
    """
    req = _channel_op("continueInDialplan", "POST", channel_id, "/continue")
    if label is not None:
        query = _query([("context", context), ("extension", extension), ("label", label)])
    else:
        query = _query([("context", context), ("extension", extension), ("priority", priority)])
    return attrs.evolve(req, query=query)


def hold(channel_id: str) -> AriRequest:
    """``POST /channels/{channelId}/hold``: tell the channel's device it is held."""
    return _channel_op("hold", "POST", channel_id, "/hold")


def unhold(channel_id: str) -> AriRequest:
    """``DELETE /channels/{channelId}/hold``."""
    return _channel_op("unhold", "DELETE", channel_id, "/hold")


def start_moh(channel_id: str, *, moh_class: str | None = None) -> AriRequest:
    """``POST /channels/{channelId}/moh``."""
    req = _channel_op("startMoh", "POST", channel_id, "/moh")
    return attrs.evolve(req, query=_query([("mohClass", moh_class)]))


def stop_moh(channel_id: str) -> AriRequest:
    """``DELETE /channels/{channelId}/moh``."""
    return _channel_op("stopMoh", "DELETE", channel_id, "/moh")


def send_dtmf(
    channel_id: str, dtmf: str, *, between: int | None = None, duration: int | None = None
) -> AriRequest:
    """``POST /channels/{channelId}/dtmf``; ``between``/``duration`` in milliseconds."""
    if not dtmf:
        raise ValueError("DTMF is required")
    req = _channel_op("sendDTMF", "POST", channel_id, "/dtmf")
    return attrs.evolve(
        req, query=_query([("dtmf", dtmf), ("between", between), ("duration", duration)])
    )


def play_with_id(
    channel_id: str, playback_id: str, media: Iterable[str], *, lang: str | None = None
) -> AriRequest:
    """``POST /channels/{channelId}/play/{playbackId}``: play ``media`` in order."""
    uris = _media(media)
    return AriRequest(
        operation="channels.playWithId",
        subject=Subject.CHANNEL,
        method="POST",
        path=f"/channels/{_seg(channel_id)}/play/{_seg(playback_id)}",
        query=_query([("media", uris), ("lang", lang)]),
    )


def _media(media: Iterable[str]) -> str:
    uris = list(media)
    if not uris or any(not uri or "," in uri for uri in uris):
        # ARI takes several media as one comma-separated parameter.
        raise ValueError(f"media must be non-empty URIs without commas: {uris!r}")
    return ",".join(uris)


_SNOOP_DIRECTIONS: Final = frozenset({"none", "both", "out", "in"})
_IF_EXISTS: Final = frozenset({"fail", "overwrite", "append"})
_TERMINATE_ON: Final = frozenset({"none", "any", "*", "#"})


def record_channel(
    channel_id: str,
    *,
    name: str,
    format: str,
    if_exists: str = "fail",
    beep: bool = False,
    terminate_on: str = "none",
    max_duration_seconds: int | None = None,
) -> AriRequest:
    """``POST /channels/{channelId}/record``: a live recording called ``name``."""
    return AriRequest(
        operation="channels.record",
        subject=Subject.CHANNEL,
        method="POST",
        path=f"/channels/{_seg(channel_id)}/record",
        query=_record_query(name, format, if_exists, beep, terminate_on, max_duration_seconds),
    )


def _record_query(
    name: str,
    format: str,
    if_exists: str,
    beep: bool,
    terminate_on: str,
    max_duration_seconds: int | None,
) -> tuple[tuple[str, str], ...]:
    if if_exists not in _IF_EXISTS or terminate_on not in _TERMINATE_ON:
        raise ValueError(f"bad ifExists {if_exists!r} or terminateOn {terminate_on!r}")
    return _query(
        [
            ("name", name),
            ("format", format),
            ("maxDurationSeconds", max_duration_seconds),
            ("ifExists", if_exists),
            ("beep", beep),
            ("terminateOn", terminate_on),
        ]
    )


def snoop_channel_with_id(
    channel_id: str,
    snoop_id: str,
    *,
    app: str,
    spy: str = "none",
    whisper: str = "none",
    app_args: str | None = None,
) -> AriRequest:
    """``POST /channels/{channelId}/snoop/{snoopId}``: a snoop channel into ``app``.

    ``spy`` is the audio the snoop channel hears from the snooped channel,
    ``whisper`` where audio sent into the snoop channel goes (``out``: to the
    snooped channel's own device; ``both``: to both parties).
    """
    if spy not in _SNOOP_DIRECTIONS or whisper not in _SNOOP_DIRECTIONS:
        raise ValueError(f"bad snoop directions spy={spy!r} whisper={whisper!r}")
    return AriRequest(
        operation="channels.snoopChannelWithId",
        subject=Subject.CHANNEL,
        method="POST",
        path=f"/channels/{_seg(channel_id)}/snoop/{_seg(snoop_id)}",
        query=_query([("spy", spy), ("whisper", whisper), ("app", app), ("appArgs", app_args)]),
    )


def dial(channel_id: str, *, caller: str | None = None, timeout: int | None = None) -> AriRequest:
    """``POST /channels/{channelId}/dial``: dial a channel made with ``channels.create``."""
    req = _channel_op("dial", "POST", channel_id, "/dial")
    return attrs.evolve(req, query=_query([("caller", caller), ("timeout", timeout)]))


# ------------------------------------------------------------------------ bridges


def list_bridges() -> AriRequest:
    """``GET /bridges``."""
    return AriRequest(
        operation="bridges.list", subject=Subject.BRIDGE, method="GET", path="/bridges"
    )


def get_bridge(bridge_id: str) -> AriRequest:
    """``GET /bridges/{bridgeId}``."""
    return AriRequest(
        operation="bridges.get",
        subject=Subject.BRIDGE,
        method="GET",
        path=f"/bridges/{_seg(bridge_id)}",
    )


def create_bridge(*, bridge_type: str = "mixing", name: str | None = None) -> AriRequest:
    """``POST /bridges``: a bridge whose id Asterisk chooses (ctid uses ``createWithId``)."""
    return AriRequest(
        operation="bridges.create",
        subject=Subject.BRIDGE,
        method="POST",
        path="/bridges",
        query=_query([("type", bridge_type), ("name", name)]),
    )


def create_bridge_with_id(
    bridge_id: str, *, bridge_type: str = "mixing", name: str | None = None
) -> AriRequest:
    """``POST /bridges/{bridgeId}``: create a bridge with ctid's id.

    ``bridge_type`` is a comma-separated list of ``mixing``, ``holding``,
    ``dtmf_events``, ``proxy_media``, ``video_sfu``, ``video_single``, ``sdp_label``.
    """
    return AriRequest(
        operation="bridges.createWithId",
        subject=Subject.BRIDGE,
        method="POST",
        path=f"/bridges/{_seg(bridge_id)}",
        query=_query([("type", bridge_type), ("name", name)]),
    )


def destroy_bridge(bridge_id: str) -> AriRequest:
    """``DELETE /bridges/{bridgeId}``: channels in it stay up."""
    return AriRequest(
        operation="bridges.destroy",
        subject=Subject.BRIDGE,
        method="DELETE",
        path=f"/bridges/{_seg(bridge_id)}",
    )


def _ids(channel_ids: Iterable[str]) -> str:
    ids = list(channel_ids)
    if not ids or any(not i or "," in i for i in ids):
        raise ValueError(f"channel ids must be non-empty and without commas: {ids!r}")
    return ",".join(ids)


def add_channel(
    bridge_id: str, channel_ids: Iterable[str], *, role: str | None = None
) -> AriRequest:
    """``POST /bridges/{bridgeId}/addChannel``.

    Asterisk moves a channel that is in another Stasis bridge into this one.
    """
    return AriRequest(
        operation="bridges.addChannel",
        subject=Subject.BRIDGE,
        method="POST",
        path=f"/bridges/{_seg(bridge_id)}/addChannel",
        query=_query([("channel", _ids(channel_ids)), ("role", role)]),
    )


def remove_channel(bridge_id: str, channel_ids: Iterable[str]) -> AriRequest:
    """``POST /bridges/{bridgeId}/removeChannel``."""
    return AriRequest(
        operation="bridges.removeChannel",
        subject=Subject.BRIDGE,
        method="POST",
        path=f"/bridges/{_seg(bridge_id)}/removeChannel",
        query=_query([("channel", _ids(channel_ids))]),
    )


def bridge_start_moh(bridge_id: str, *, moh_class: str | None = None) -> AriRequest:
    """``POST /bridges/{bridgeId}/moh``: music on hold into the bridge."""
    return AriRequest(
        operation="bridges.startMoh",
        subject=Subject.BRIDGE,
        method="POST",
        path=f"/bridges/{_seg(bridge_id)}/moh",
        query=_query([("mohClass", moh_class)]),
    )


def bridge_stop_moh(bridge_id: str) -> AriRequest:
    """``DELETE /bridges/{bridgeId}/moh``."""
    return AriRequest(
        operation="bridges.stopMoh",
        subject=Subject.BRIDGE,
        method="DELETE",
        path=f"/bridges/{_seg(bridge_id)}/moh",
    )


def bridge_play_with_id(
    bridge_id: str, playback_id: str, media: Iterable[str], *, lang: str | None = None
) -> AriRequest:
    """``POST /bridges/{bridgeId}/play/{playbackId}``."""
    return AriRequest(
        operation="bridges.playWithId",
        subject=Subject.BRIDGE,
        method="POST",
        path=f"/bridges/{_seg(bridge_id)}/play/{_seg(playback_id)}",
        query=_query([("media", _media(media)), ("lang", lang)]),
    )


def record_bridge(
    bridge_id: str,
    *,
    name: str,
    format: str,
    if_exists: str = "fail",
    beep: bool = False,
    terminate_on: str = "none",
    max_duration_seconds: int | None = None,
) -> AriRequest:
    """``POST /bridges/{bridgeId}/record``: record the bridge's mix."""
    return AriRequest(
        operation="bridges.record",
        subject=Subject.BRIDGE,
        method="POST",
        path=f"/bridges/{_seg(bridge_id)}/record",
        query=_record_query(name, format, if_exists, beep, terminate_on, max_duration_seconds),
    )


# ------------------------------------------------------------ playbacks, recordings


def stop_playback(playback_id: str) -> AriRequest:
    """``DELETE /playbacks/{playbackId}``."""
    return AriRequest(
        operation="playbacks.stop",
        subject=Subject.PLAYBACK,
        method="DELETE",
        path=f"/playbacks/{_seg(playback_id)}",
    )


def _live(nickname: str, method: str, name: str, suffix: str) -> AriRequest:
    return AriRequest(
        operation=f"recordings.{nickname}",
        subject=Subject.RECORDING,
        method=method,
        path=f"/recordings/live/{_seg(name)}{suffix}",
    )


def stop_recording(name: str) -> AriRequest:
    """``POST /recordings/live/{recordingName}/stop``: stop and keep the file."""
    return _live("stop", "POST", name, "/stop")


def pause_recording(name: str) -> AriRequest:
    """``POST /recordings/live/{recordingName}/pause``."""
    return _live("pause", "POST", name, "/pause")


def unpause_recording(name: str) -> AriRequest:
    """``DELETE /recordings/live/{recordingName}/pause``."""
    return _live("unpause", "DELETE", name, "/pause")


# ---------------------------------------------------------------------- mailboxes


def update_mailbox(name: str, *, new_messages: int, old_messages: int) -> AriRequest:
    """``PUT /mailboxes/{mailboxName}``: set a mailbox's counts (it is created if new).

    Served by ``res_stasis_mailbox`` over ``res_mwi_external``, which publishes the
    counts as the MWI state of ``name``: every PJSIP endpoint or AOR whose
    ``mailboxes`` lists ``name`` lights its lamp (a NOTIFY ``message-summary``).
    """
    return AriRequest(
        operation="mailboxes.update",
        subject=Subject.MAILBOX,
        method="PUT",
        path=f"/mailboxes/{_seg(name)}",
        query=_query([("oldMessages", old_messages), ("newMessages", new_messages)]),
    )


# ------------------------------------------------------ applications and asterisk


def get_application(app: str) -> AriRequest:
    """``GET /applications/{applicationName}``."""
    return AriRequest(
        operation="applications.get",
        subject=Subject.APPLICATION,
        method="GET",
        path=f"/applications/{_seg(app)}",
    )


def subscribe_application(app: str, event_sources: Iterable[str]) -> AriRequest:
    """``POST /applications/{applicationName}/subscription``.

    ``event_sources`` are ``channel:<id>``, ``bridge:<id>``,
    ``endpoint:<tech>/<resource>`` or ``deviceState:<name>``.
    """
    return AriRequest(
        operation="applications.subscribe",
        subject=Subject.APPLICATION,
        method="POST",
        path=f"/applications/{_seg(app)}/subscription",
        query=_query([("eventSource", _ids(event_sources))]),
    )


def asterisk_info(only: Iterable[str] = ()) -> AriRequest:
    """``GET /asterisk/info`` (``only``: build, system, config, status)."""
    parts = list(only)
    return AriRequest(
        operation="asterisk.getInfo",
        subject=Subject.ASTERISK,
        method="GET",
        path="/asterisk/info",
        query=_query([("only", ",".join(parts) if parts else None)]),
    )


def get_module(name: str) -> AriRequest:
    """``GET /asterisk/modules/{moduleName}`` (``app_amd.so``): 404 if not loaded."""
    return AriRequest(
        operation="asterisk.getModule",
        subject=Subject.ASTERISK,
        method="GET",
        path=f"/asterisk/modules/{_seg(name)}",
    )


def asterisk_ping() -> AriRequest:
    """``GET /asterisk/ping``."""
    return AriRequest(
        operation="asterisk.ping", subject=Subject.ASTERISK, method="GET", path="/asterisk/ping"
    )


# ------------------------------------------------------------------------- errors

_NOT_FOUND: Final = {
    Subject.CHANNEL: RejectReason.NO_SUCH_CHANNEL,
    Subject.BRIDGE: RejectReason.NO_SUCH_BRIDGE,
    Subject.PLAYBACK: RejectReason.NO_SUCH_PLAYBACK,
    Subject.RECORDING: RejectReason.NO_SUCH_RECORDING,
}

#: Asterisk's own texts that name the missing object whatever the status says:
#: ``addChannel`` answers 400 "Channel not found".
_TEXTS: Final = (
    ("channel not found", RejectReason.NO_SUCH_CHANNEL),
    ("bridge not found", RejectReason.NO_SUCH_BRIDGE),
    ("playback cannot be found", RejectReason.NO_SUCH_PLAYBACK),
    ("playback not found", RejectReason.NO_SUCH_PLAYBACK),
    ("recording not found", RejectReason.NO_SUCH_RECORDING),
)

_ORIGINATE: Final = frozenset({"channels.originateWithId", "channels.originate", "channels.dial"})


def error_text(body: bytes) -> str:
    """The ``message`` (or ``error``) of an ARI error body, else the body as text."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()
    if isinstance(doc, dict):
        for key in ("message", "error"):
            if isinstance(doc.get(key), str):
                return str(doc[key])
    return body.decode("utf-8", "replace").strip()


def rejection(request: AriRequest, status: int, body: bytes) -> CommandRejected:
    """Turn an ARI error answer to ``request`` into ``CommandRejected``.

    ARI answers ``{"message": ...}`` for its own errors and
    ``{"error": ...}`` from the HTTP layer (originate to an unknown endpoint is
    500 ``{"error": "Allocation failed"}``). 401/403 are not a command's
    fault; the HTTP client raises for them before this is called.
    """
    text = error_text(body)
    lowered = text.lower()
    for needle, reason in _TEXTS:
        if needle in lowered:
            return CommandRejected(reason, text)
    if status == 404 and request.subject is Subject.MAILBOX:
        # PUT creates a missing mailbox: a 404 means ARI has no /mailboxes at all.
        return CommandRejected(
            RejectReason.NOT_SUPPORTED,
            f"Asterisk has no ARI mailboxes ({text}): load res_mwi_external.so, "
            "res_stasis_mailbox.so and res_ari_mailboxes.so (docs/drivers.md)",
        )
    if status == 404 and request.subject in _NOT_FOUND:
        return CommandRejected(_NOT_FOUND[request.subject], text)
    if request.operation in _ORIGINATE and status in (400, 500):
        # 400 "Invalid parameters for originating a channel"; 500 "Allocation
        # failed" is what an endpoint that does not exist gives.
        return CommandRejected(RejectReason.INVALID_DESTINATION, text)
    if status in (409, 412, 422):
        return CommandRejected(RejectReason.INVALID_STATE, text)
    if status == 503:
        return CommandRejected(RejectReason.NO_RESOURCES, text)
    return CommandRejected(RejectReason.SWITCH_ERROR, f"{status} {text}".strip())
