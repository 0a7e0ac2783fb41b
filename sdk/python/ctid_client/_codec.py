"""The two encodings of protocol v1: ``ctid.v1.json`` (text) and ``ctid.v1.msgpack`` (binary).

Both carry the same JSON-RPC messages. msgpack is an optional extra
(``pip install ctid-client[msgpack]``) and is imported only when a client
chooses the msgpack subprotocol.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, Final, Literal, Protocol

from ._errors import ProtocolError

__all__ = [
    "JSON_SUBPROTOCOL",
    "MSGPACK_SUBPROTOCOL",
    "Codec",
    "CodecName",
    "JsonCodec",
    "MsgpackCodec",
    "make_codec",
]

JSON_SUBPROTOCOL: Final = "ctid.v1.json"
MSGPACK_SUBPROTOCOL: Final = "ctid.v1.msgpack"

#: How a client names its encoding.
CodecName = Literal["json", "msgpack"]


class Codec(Protocol):
    """Turns JSON-RPC messages into WebSocket message payloads and back."""

    #: The WebSocket subprotocol this codec speaks.
    subprotocol: str
    #: True for binary frames (msgpack), False for text frames (JSON).
    binary: bool

    def encode(self, message: Any) -> str | bytes: ...

    def decode(self, data: str | bytes) -> Any:
        """The decoded message; ``ProtocolError`` if it is not valid in this encoding."""
        ...


class JsonCodec:
    subprotocol: str = JSON_SUBPROTOCOL
    binary: bool = False

    def __init__(self) -> None:
        self._encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

    def encode(self, message: Any) -> str:
        return self._encoder.encode(message)

    def decode(self, data: str | bytes) -> Any:
        if isinstance(data, bytes):
            raise ProtocolError("a binary frame on the ctid.v1.json subprotocol")
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ProtocolError(f"the server sent a frame that is not JSON: {exc}") from exc


class MsgpackCodec:
    subprotocol: str = MSGPACK_SUBPROTOCOL
    binary: bool = True

    def __init__(self) -> None:
        try:
            self._msgpack = importlib.import_module("msgpack")
        except ImportError as exc:
            raise ImportError(
                "the ctid.v1.msgpack subprotocol needs msgpack: pip install 'ctid-client[msgpack]'"
            ) from exc
        self._packer = self._msgpack.Packer(use_bin_type=True)

    def encode(self, message: Any) -> bytes:
        return bytes(self._packer.pack(message))

    def decode(self, data: str | bytes) -> Any:
        if isinstance(data, str):
            raise ProtocolError("a text frame on the ctid.v1.msgpack subprotocol")
        try:
            return self._msgpack.unpackb(data, raw=False)
        except Exception as exc:  # msgpack raises several unrelated types
            raise ProtocolError(f"the server sent a frame that is not msgpack: {exc}") from exc


def make_codec(name: CodecName) -> Codec:
    """A fresh codec for ``name`` ("json" or "msgpack")."""
    if name == "json":
        return JsonCodec()
    if name == "msgpack":
        return MsgpackCodec()
    raise ValueError(f'codec must be "json" or "msgpack", not {name!r}')
