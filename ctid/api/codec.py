"""Wire encodings of protocol v1: ``ctid.v1.json`` (text frames) and ``ctid.v1.msgpack`` (binary).

Both carry the same JSON-RPC messages. Event notifications are the hot path:
one event goes to many sessions, and only ``monitorCrossRefID``, ``seq`` and
``localConnectionInfo`` differ between them. So each codec encodes the shared
part of an event once (cached on the ``Published`` event) and builds each
session's frame by concatenating a few short pieces, instead of serialising a
dict per session.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any, Final

import msgpack

from ..bus import Published
from .limits import DEFAULT_INPUT_LIMITS, InputLimitError, InputLimits, check_depth
from .rpc import PARSE_ERROR, RpcError

__all__ = [
    "CODECS",
    "JSON_SUBPROTOCOL",
    "MSGPACK_SUBPROTOCOL",
    "Codec",
    "JsonCodec",
    "MsgpackCodec",
]

JSON_SUBPROTOCOL: Final = "ctid.v1.json"
MSGPACK_SUBPROTOCOL: Final = "ctid.v1.msgpack"


log = logging.getLogger(__name__)

#: What encoding a value can raise (lone surrogates, NaN, a type JSON lacks, a huge int).
ENCODE_ERRORS: Final = (ValueError, TypeError, OverflowError)
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e999 parses as infinity, which no reply may carry back (it is not JSON).
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def scrubbed(value: Any) -> Any:
    """``value`` made encodable: lone surrogates become U+FFFD, NaN and infinities null,
    other types their ``str``. Used only for an event that failed to encode (a bug)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(scrubbed(str(k))): scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrubbed(v) for v in value]
    return scrubbed(str(value))


def _unencodable(event: Published, codec: str, exc: Exception) -> dict[str, Any]:
    # Logged once per event: the parts built from the scrubbed params are cached
    # on the event, so other sessions do not fail again, and the other codec
    # does not log it again.
    if not event.encodings.setdefault("unencodable", False):
        event.encodings["unencodable"] = True
        log.error(
            "event %s could not be encoded as %s (%s: %s); sent with unencodable values replaced",
            event.name,
            codec,
            type(exc).__name__,
            exc,
        )
    params: dict[str, Any] = scrubbed(event.params)
    return params


class Codec:
    """Encode and decode one subprotocol's frames.

    ``decode`` raises only ``RpcError`` (-32700) for any input; ``encode_event``
    never raises for an event's contents (see ``_unencodable``).
    """

    subprotocol: str
    #: True when frames are binary (msgpack), False for text (JSON).
    binary: bool

    def __init__(self, limits: InputLimits = DEFAULT_INPUT_LIMITS) -> None:
        self.limits = limits

    def decode(self, data: str | bytes) -> Any:
        raise NotImplementedError  # pragma: no cover - abstract

    def encode(self, message: Any) -> bytes:
        """A reply or any message, as the frame payload (UTF-8 JSON or msgpack)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def encode_event(
        self, event: Published, seq: int, cross_ref_id: str | None, local: str | None
    ) -> bytes:
        """One session's notification of ``event`` as the frame payload."""
        raise NotImplementedError  # pragma: no cover - abstract


class JsonCodec(Codec):
    subprotocol = JSON_SUBPROTOCOL
    binary = False

    def __init__(self, limits: InputLimits = DEFAULT_INPUT_LIMITS) -> None:
        super().__init__(limits)
        # allow_nan=False: a NaN or infinity is an error here, never emitted.
        self._dumps = json.JSONEncoder(
            separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode

    def decode(self, data: str | bytes) -> Any:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        except RecursionError:
            # The C decoder's own guard stopped it (~1000 levels) before the stack could.
            raise RpcError(
                PARSE_ERROR,
                f"parse error: nested deeper than {self.limits.max_depth} levels",
                {"limit": self.limits.max_depth},
            ) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise RpcError(PARSE_ERROR, f"parse error: not valid JSON ({exc})") from None
        # Fewer brackets than the depth limit cannot nest deeper than it: most
        # requests skip the walk.
        if text.count("[") + text.count("{") > self.limits.max_depth:
            try:
                check_depth(value, self.limits)
            except InputLimitError as exc:
                raise RpcError(
                    PARSE_ERROR, f"parse error: {exc}", {"limit": self.limits.max_depth}
                ) from None
        return value

    def encode(self, message: Any) -> bytes:
        return self._dumps(message).encode()

    def _event_parts(self, event: Published, params: dict[str, Any]) -> tuple[bytes, bytes]:
        body = self._dumps(params)
        head = '{"jsonrpc":"2.0","method":' + self._dumps(event.name) + ',"params":{'
        tail = ',"timestamp":"' + event.timestamp + '"'
        tail += ("," + body[1:-1] if len(body) > 2 else "") + "}}"
        return head.encode(), tail.encode()

    def encode_event(
        self, event: Published, seq: int, cross_ref_id: str | None, local: str | None
    ) -> bytes:
        parts = event.encodings.get("json")
        if parts is None:
            try:
                parts = self._event_parts(event, event.params)
            except ENCODE_ERRORS as exc:
                parts = self._event_parts(event, _unencodable(event, "json", exc))
            event.encodings["json"] = parts
        head_b, tail_b = parts
        xref = b"null" if cross_ref_id is None else self._dumps(cross_ref_id).encode()
        middle = b'"monitorCrossRefID":' + xref + b',"seq":' + str(seq).encode()
        if local is not None:
            middle += b',"localConnectionInfo":"' + local.encode() + b'"'
        return head_b + middle + tail_b


def _map_header(n: int) -> bytes:
    if n < 16:
        return bytes((0x80 | n,))
    if n < 0x10000:
        return b"\xde" + n.to_bytes(2, "big")
    return b"\xdf" + n.to_bytes(4, "big")


_pack = msgpack.Packer(use_bin_type=True).pack
_K_XREF: Final = _pack("monitorCrossRefID")
_K_SEQ: Final = _pack("seq")
_K_LOCAL: Final = _pack("localConnectionInfo")
_NIL: Final = _pack(None)


class MsgpackCodec(Codec):
    subprotocol = MSGPACK_SUBPROTOCOL
    binary = True

    def decode(self, data: str | bytes) -> Any:
        if isinstance(data, str):
            raise RpcError(
                PARSE_ERROR, "parse error: this session speaks ctid.v1.msgpack; send binary frames"
            )
        items = self.limits.max_msgpack_items
        try:
            # Bounds so a crafted frame cannot allocate without limit; msgpack's
            # own stack stops nesting at 1024 levels, without recursion.
            value = msgpack.unpackb(
                data, raw=False, max_array_len=items, max_map_len=items, max_ext_len=0
            )
        except Exception as exc:  # msgpack raises several unrelated types
            raise RpcError(PARSE_ERROR, f"parse error: not valid msgpack ({exc})") from None
        _check_plain(value, self.limits.max_depth)
        return value

    def encode(self, message: Any) -> bytes:
        return bytes(msgpack.packb(message, use_bin_type=True))

    @staticmethod
    def _event_parts(event: Published, params: dict[str, Any]) -> tuple[bytes, bytes, int]:
        head = (
            b"\x83"
            + _pack("jsonrpc")
            + _pack("2.0")
            + _pack("method")
            + _pack(event.name)
            + _pack("params")
        )
        shared = _pack("timestamp") + _pack(event.timestamp)
        shared += b"".join(_pack(k) + _pack(v) for k, v in params.items())
        return head, shared, len(params) + 1

    def encode_event(
        self, event: Published, seq: int, cross_ref_id: str | None, local: str | None
    ) -> bytes:
        parts = event.encodings.get("msgpack")
        if parts is None:
            try:
                parts = self._event_parts(event, event.params)
            except ENCODE_ERRORS as exc:
                parts = self._event_parts(event, _unencodable(event, "msgpack", exc))
            event.encodings["msgpack"] = parts
        head, shared, count = parts
        xref = _NIL if cross_ref_id is None else _pack(cross_ref_id)
        if local is None:
            return b"".join(
                (head, _map_header(count + 2), _K_XREF, xref, _K_SEQ, _pack(seq), shared)
            )
        return b"".join(
            (
                head,
                _map_header(count + 3),
                _K_XREF,
                xref,
                _K_SEQ,
                _pack(seq),
                _K_LOCAL,
                _pack(local),
                shared,
            )
        )


def _check_plain(value: Any, max_depth: int) -> None:
    """Reject msgpack values JSON could not carry (binary, extension types, NaN, non-string
    keys) and nesting deeper than ``max_depth``; walks with a stack, not recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= max_depth:
                raise RpcError(
                    PARSE_ERROR,
                    f"parse error: nested deeper than {max_depth} levels",
                    {"limit": max_depth},
                )
            if isinstance(node, dict):
                for key in node:
                    if not isinstance(key, str):
                        raise RpcError(PARSE_ERROR, "parse error: map keys must be strings")
                stack.extend((item, depth + 1) for item in node.values())
            else:
                stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise RpcError(PARSE_ERROR, "parse error: NaN and infinities are not allowed")
        elif not isinstance(node, str | int | float | bool | None):
            raise RpcError(
                PARSE_ERROR, f"parse error: {type(node).__name__} values are not allowed"
            )


CODECS: Final[dict[str, type[Codec]]] = {
    JSON_SUBPROTOCOL: JsonCodec,
    MSGPACK_SUBPROTOCOL: MsgpackCodec,
}
