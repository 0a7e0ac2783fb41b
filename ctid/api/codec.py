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
import math
from typing import Any, Final

import msgpack

from ..bus import Published
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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class Codec:
    """Encode and decode one subprotocol's frames."""

    subprotocol: str
    #: True when frames are binary (msgpack), False for text (JSON).
    binary: bool

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

    def __init__(self) -> None:
        self._dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def decode(self, data: str | bytes) -> Any:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            return json.loads(text, parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise RpcError(PARSE_ERROR, f"parse error: not valid JSON ({exc})") from None

    def encode(self, message: Any) -> bytes:
        return self._dumps(message).encode()

    def encode_event(
        self, event: Published, seq: int, cross_ref_id: str | None, local: str | None
    ) -> bytes:
        parts = event.encodings.get("json")
        if parts is None:
            body = self._dumps(event.params)
            head = '{"jsonrpc":"2.0","method":' + self._dumps(event.name) + ',"params":{'
            tail = ',"timestamp":"' + event.timestamp + '"'
            tail += ("," + body[1:-1] if len(body) > 2 else "") + "}}"
            parts = event.encodings["json"] = (head.encode(), tail.encode())
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

    #: Bounds for msgpack decoding, so a crafted frame cannot allocate without limit.
    MAX_ITEMS: Final = 10_000

    def decode(self, data: str | bytes) -> Any:
        if isinstance(data, str):
            raise RpcError(
                PARSE_ERROR, "parse error: this session speaks ctid.v1.msgpack; send binary frames"
            )
        try:
            value = msgpack.unpackb(
                data,
                raw=False,
                max_array_len=self.MAX_ITEMS,
                max_map_len=self.MAX_ITEMS,
            )
        except Exception as exc:  # msgpack raises several unrelated types
            raise RpcError(PARSE_ERROR, f"parse error: not valid msgpack ({exc})") from None
        _check_plain(value)
        return value

    def encode(self, message: Any) -> bytes:
        return bytes(msgpack.packb(message, use_bin_type=True))

    def encode_event(
        self, event: Published, seq: int, cross_ref_id: str | None, local: str | None
    ) -> bytes:
        parts = event.encodings.get("msgpack")
        if parts is None:
            head = (
                b"\x83"
                + _pack("jsonrpc")
                + _pack("2.0")
                + _pack("method")
                + _pack(event.name)
                + _pack("params")
            )
            shared = _pack("timestamp") + _pack(event.timestamp)
            shared += b"".join(_pack(k) + _pack(v) for k, v in event.params.items())
            parts = event.encodings["msgpack"] = (head, shared, len(event.params) + 1)
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


def _check_plain(value: Any, depth: int = 0) -> None:
    """Reject msgpack values JSON could not carry (binary, extension types, NaN)."""
    if depth > 32:
        raise RpcError(PARSE_ERROR, "parse error: nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RpcError(PARSE_ERROR, "parse error: map keys must be strings")
            _check_plain(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_plain(item, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise RpcError(PARSE_ERROR, "parse error: NaN and infinities are not allowed")
    elif not isinstance(value, str | int | float | bool | None):
        raise RpcError(PARSE_ERROR, f"parse error: {type(value).__name__} values are not allowed")


CODECS: Final[dict[str, type[Codec]]] = {
    JSON_SUBPROTOCOL: JsonCodec,
    MSGPACK_SUBPROTOCOL: MsgpackCodec,
}
