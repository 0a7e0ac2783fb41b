"""The messages a FreeSWITCH event socket sends, parsed.

``parse_frame`` turns a ``RawFrame`` into one of the frozen values below by its
``Content-Type``. Event bodies are parsed here too:

* ``text/event-json``: one JSON object whose values are strings or arrays of
  strings. FreeSWITCH can repeat a key in one object (``Hangup-Cause`` in
  ``CHANNEL_HANGUP_COMPLETE``, ``Event-Name`` in ``PRIVATE_COMMAND``). Like
  FreeSWITCH's own consumers we keep the last value, and we record the
  repeated names in ``EslEvent.duplicate_keys``. ``_body`` is the event body.
* ``text/event-plain``: ``Name: value`` lines whose values are percent-encoded,
  decoded here one value at a time (never the block as a whole: a decoded
  ``%0A`` would otherwise split a line). ``ARRAY::a|:b`` is an array. A body
  follows an empty line, announced by the last ``Content-Length`` header.
* ``text/event-xml`` is kept raw (``XmlEvent``); ctid subscribes in JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import unquote_to_bytes

import attrs

from .errors import RemoteProtocolError
from .framing import RawFrame, parse_header_line

__all__ = [
    "ApiResponse",
    "AuthRequest",
    "CommandReply",
    "ConnectionClosed",
    "DisconnectNotice",
    "EslEvent",
    "Frame",
    "HeaderValue",
    "LogData",
    "RudeRejection",
    "UnknownFrame",
    "XmlEvent",
    "decode_plain_value",
    "parse_event_json",
    "parse_event_plain",
    "parse_frame",
]

#: A header value of an event: a string, or a tuple for a multi-valued header.
HeaderValue = str | tuple[str, ...]

_ARRAY_PREFIX: Final = "ARRAY::"
_ARRAY_SEPARATOR: Final = "|:"


def _frozen_headers(value: Mapping[str, HeaderValue]) -> Mapping[str, HeaderValue]:
    return dict(value)


def _str_headers(value: Mapping[str, str]) -> Mapping[str, str]:
    return dict(value)


@attrs.frozen(kw_only=True)
class AuthRequest:
    """``auth/request``: the server's greeting; answer it with ``auth``."""


@attrs.frozen(kw_only=True)
class CommandReply:
    """``command/reply``: the answer to an ESL command, in ``Reply-Text``."""

    reply_text: str
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_str_headers)

    @property
    def ok(self) -> bool:
        """True for ``+OK ...`` replies."""
        return self.reply_text.startswith("+OK")

    @property
    def job_uuid(self) -> str | None:
        """The ``Job-UUID`` header of a ``bgapi`` reply."""
        return self.headers.get("Job-UUID")


@attrs.frozen(kw_only=True)
class ApiResponse:
    """``api/response``: the output of an ``api`` command (decoded as UTF-8)."""

    body: str


@attrs.frozen(kw_only=True)
class EslEvent:
    """One event, from a ``text/event-json`` or ``text/event-plain`` frame."""

    headers: Mapping[str, HeaderValue] = attrs.field(converter=_frozen_headers)
    #: The event's body (``_body`` in JSON), or None if it has none.
    body: str | None = None
    #: Header names that occurred more than once; their last value was kept.
    duplicate_keys: tuple[str, ...] = ()
    #: ``json`` or ``plain``: the wire format the event came in.
    format: str = "json"

    @property
    def name(self) -> str:
        """``Event-Name`` (``CUSTOM`` for custom events)."""
        return self.get("Event-Name") or ""

    @property
    def subclass(self) -> str | None:
        """``Event-Subclass`` of a CUSTOM event (``conference::maintenance``)."""
        return self.get("Event-Subclass")

    @property
    def unique_id(self) -> str | None:
        """``Unique-ID``: the channel the event is about, if any."""
        return self.get("Unique-ID")

    def get(self, name: str) -> str | None:
        """The value of header ``name``; for a multi-valued header, its first value."""
        value = self.headers.get(name)
        if isinstance(value, tuple):
            return value[0] if value else ""
        return value

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (one for a plain header, none if absent)."""
        value = self.headers.get(name)
        if value is None:
            return ()
        return value if isinstance(value, tuple) else (value,)


@attrs.frozen(kw_only=True)
class XmlEvent:
    """``text/event-xml``: kept as raw bytes; ctid does not subscribe in XML."""

    raw: bytes


@attrs.frozen(kw_only=True)
class DisconnectNotice:
    """``text/disconnect-notice``: the server is about to close the connection."""

    text: str
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_str_headers)


@attrs.frozen(kw_only=True)
class RudeRejection:
    """``text/rude-rejection``: the server's ACL refused us; it closes next."""

    text: str


@attrs.frozen(kw_only=True)
class LogData:
    """``log/data``: a log line, after the ``log`` command."""

    text: str
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_str_headers)


@attrs.frozen(kw_only=True)
class UnknownFrame:
    """A frame with a content type this core does not know; framing stays intact."""

    content_type: str
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_str_headers)
    body: bytes = b""


@attrs.frozen(kw_only=True)
class ConnectionClosed:
    """The server closed the connection (EOF) at a frame boundary."""


#: Everything ``EslConnection.next_event`` can return besides ``NEED_DATA``.
Frame = (
    AuthRequest
    | CommandReply
    | ApiResponse
    | EslEvent
    | XmlEvent
    | DisconnectNotice
    | RudeRejection
    | LogData
    | UnknownFrame
    | ConnectionClosed
)


def _text(body: bytes) -> str:
    # FreeSWITCH passes through whatever bytes a SIP peer sent; a bad byte must
    # not cost us the connection, so undecodable bytes become U+FFFD.
    return body.decode("utf-8", errors="replace")


def parse_frame(raw: RawFrame) -> Frame:
    """Interpret one server frame by its ``Content-Type``."""
    content_type = raw.get("Content-Type") or ""
    headers = dict(raw.headers)
    if content_type == "auth/request":
        return AuthRequest()
    if content_type == "command/reply":
        return CommandReply(reply_text=raw.get("Reply-Text") or "", headers=headers)
    if content_type == "api/response":
        return ApiResponse(body=_text(raw.body))
    if content_type == "text/event-json":
        return parse_event_json(raw.body)
    if content_type == "text/event-plain":
        return parse_event_plain(raw.body)
    if content_type == "text/event-xml":
        return XmlEvent(raw=raw.body)
    if content_type == "text/disconnect-notice":
        return DisconnectNotice(text=_text(raw.body), headers=headers)
    if content_type == "text/rude-rejection":
        return RudeRejection(text=_text(raw.body))
    if content_type == "log/data":
        return LogData(text=_text(raw.body), headers=headers)
    return UnknownFrame(content_type=content_type, headers=headers, body=raw.body)


# ------------------------------------------------------------------ JSON events


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs in order, repeated keys included."""


def _duplicates(keys: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for key in keys:
        if key in seen:
            repeated[key] = None
        seen.add(key)
    return tuple(repeated)


def parse_event_json(body: bytes) -> EslEvent:
    """Parse a ``text/event-json`` body; see the module docstring."""
    keys: list[str] = []
    try:
        parsed = json.loads(_text(body), object_pairs_hook=_Pairs)
    except (ValueError, RecursionError) as exc:
        raise RemoteProtocolError(f"event body is not JSON: {exc}") from exc
    if not isinstance(parsed, _Pairs):
        raise RemoteProtocolError("event body is not a JSON object")
    headers: dict[str, HeaderValue] = {}
    event_body: str | None = None
    for key, value in parsed:
        keys.append(key)
        if key == "_body":
            if not isinstance(value, str):
                raise RemoteProtocolError("event _body is not a string")
            event_body = value
            continue
        headers[key] = _json_value(key, value)
    return EslEvent(
        headers=headers, body=event_body, duplicate_keys=_duplicates(keys), format="json"
    )


def _json_value(key: str, value: object) -> HeaderValue:
    if isinstance(value, str):
        return value
    if isinstance(value, _Pairs):
        raise RemoteProtocolError(f"event header {key[:60]!r} is an object")
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise RemoteProtocolError(f"event header {key[:60]!r} is neither a string nor strings")


# ----------------------------------------------------------------- plain events


def decode_plain_value(value: str) -> HeaderValue:
    """Percent-decode one ``text/event-plain`` value; ``ARRAY::a|:b`` becomes a tuple.

    FreeSWITCH encodes a space as ``%20``, never ``+``, so ``+`` stays ``+``.
    Decoding is on bytes, then UTF-8, so ``Zo%C3%AB`` is ``Zoë``.
    """
    decoded = _text(unquote_to_bytes(value))
    if decoded.startswith(_ARRAY_PREFIX):
        return tuple(decoded[len(_ARRAY_PREFIX) :].split(_ARRAY_SEPARATOR))
    return decoded


def parse_event_plain(body: bytes) -> EslEvent:
    """Parse a ``text/event-plain`` body; see the module docstring."""
    head, sep, rest = body.partition(b"\n\n")
    lines = [line for line in _text(head).split("\n") if line]
    headers: dict[str, HeaderValue] = {}
    keys: list[str] = []
    content_length: str | None = None
    for line in lines:
        name, raw_value = parse_header_line(line, RemoteProtocolError)
        keys.append(name)
        headers[name] = decode_plain_value(raw_value)
        if name == "Content-Length":
            content_length = raw_value
    event_body: str | None = None
    if content_length is not None and sep:
        if not content_length.isdigit() or int(content_length) != len(rest):
            raise RemoteProtocolError(
                f"plain event body is {len(rest)} bytes, its Content-Length says {content_length!r}"
            )
        event_body = _text(rest)
    elif rest:
        raise RemoteProtocolError("plain event has data after its headers but no Content-Length")
    return EslEvent(
        headers=headers, body=event_body, duplicate_keys=_duplicates(keys), format="plain"
    )
