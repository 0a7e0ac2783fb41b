"""JSON-RPC 2.0, server side, sans-IO: decoded frames in, requests and replies out.

This module knows nothing of sockets or encodings: ``codec`` turns bytes or
text into Python values, ``parse_frame`` turns a value into the requests it
holds (or the error replies a malformed one deserves), and ``result``/``error``
build replies. Every rule of the JSON-RPC 2.0 specification that concerns a
server lives here: batches, notifications (no reply, even on error), the
standard error codes, ``id`` types, and an empty batch being an error.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from .limits import DEFAULT_INPUT_LIMITS, InputLimitError, InputLimits, check_text

__all__ = [
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "Frame",
    "Request",
    "RpcError",
    "error",
    "parse_frame",
    "result",
]

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603

# ctid's own server errors (JSON-RPC reserves -32000..-32099 for these).
#: A CSTA service failed; ``data.cstaError`` has the ECMA-269 value.
CSTA_ERROR: Final = -32000
#: Nothing but ``session.login``/``session.resume`` is served before a login.
LOGIN_REQUIRED: Final = -32001
#: The token is not valid.
AUTHENTICATION_FAILED: Final = -32002
#: ``session.resume`` for a session that does not exist (any more).
UNKNOWN_SESSION: Final = -32003
#: ``session.resume`` asked for events that have left the replay window.
REPLAY_GAP: Final = -32004
#: The session's role may not call this method.
FORBIDDEN: Final = -32005
#: A ctid (non-CSTA) operation failed; ``data.reason`` says why.
OPERATION_FAILED: Final = -32006

#: The most requests one batch may hold.
MAX_BATCH: Final = 100


class RpcError(Exception):
    """A JSON-RPC error to return to the client."""

    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            out["data"] = self.data
        return out


@attrs.frozen(kw_only=True)
class Request:
    """One request or notification of a frame."""

    method: str
    params: dict[str, Any] | list[Any] | None
    #: The request id (a string or an integer within +-2**53), or ``None`` for a notification.
    id: str | int | None
    is_notification: bool


@attrs.frozen(kw_only=True)
class Frame:
    """What one WebSocket message held.

    ``items`` holds, in order, a ``Request`` for each well-formed entry and a
    finished error reply (a dict) for each malformed one.
    """

    items: tuple[Request | dict[str, Any], ...]
    batch: bool


def result(request_id: str | int | None, value: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": value}


def error(request_id: str | int | None, exc: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": exc.to_wire()}


def _valid_id(raw_id: Any, limits: InputLimits) -> bool:
    if raw_id is None:
        return True
    if isinstance(raw_id, str):
        try:
            check_text(raw_id, "id", limits)
        except InputLimitError:
            return False
        return True
    # Not bool (an int subclass) and not float: an id must come back exactly as sent.
    return type(raw_id) is int and -limits.max_integer <= raw_id <= limits.max_integer


def _parse_one(obj: Any, limits: InputLimits) -> Request | dict[str, Any]:
    if not isinstance(obj, dict):
        return error(None, RpcError(INVALID_REQUEST, "a request must be an object"))
    raw_id = obj.get("id")
    has_id = "id" in obj
    if has_id and not _valid_id(raw_id, limits):
        return error(
            None,
            RpcError(
                INVALID_REQUEST,
                f"id must be a string, an integer within -{limits.max_integer}.."
                f"{limits.max_integer}, or null",
            ),
        )
    reply_id = raw_id if has_id else None
    if obj.get("jsonrpc") != "2.0":
        return error(reply_id, RpcError(INVALID_REQUEST, 'jsonrpc must be exactly "2.0"'))
    method = obj.get("method")
    if not isinstance(method, str) or not method:
        return error(reply_id, RpcError(INVALID_REQUEST, "method must be a non-empty string"))
    try:
        check_text(method, "method", limits)
    except InputLimitError as exc:
        return error(reply_id, RpcError(INVALID_REQUEST, str(exc)))
    unknown = set(obj) - {"jsonrpc", "method", "params", "id"}
    if unknown:
        for key in unknown:
            try:
                check_text(key, "member name", limits)
            except InputLimitError as exc:
                return error(reply_id, RpcError(INVALID_REQUEST, str(exc)))
        return error(
            reply_id,
            RpcError(INVALID_REQUEST, f"unknown member(s): {', '.join(sorted(map(str, unknown)))}"),
        )
    params = obj.get("params")
    if "params" in obj and not isinstance(params, dict | list):
        return error(reply_id, RpcError(INVALID_REQUEST, "params must be an object or an array"))
    return Request(method=method, params=params, id=raw_id, is_notification=not has_id)


def parse_frame(obj: Any, limits: InputLimits = DEFAULT_INPUT_LIMITS) -> Frame:
    """Split a decoded message into requests; malformed entries become error replies."""
    if isinstance(obj, list):
        if not obj:
            return Frame(
                items=(error(None, RpcError(INVALID_REQUEST, "empty batch")),), batch=False
            )
        if len(obj) > MAX_BATCH:
            return Frame(
                items=(
                    error(
                        None,
                        RpcError(INVALID_REQUEST, f"a batch holds at most {MAX_BATCH} requests"),
                    ),
                ),
                batch=False,
            )
        return Frame(items=tuple(_parse_one(item, limits) for item in obj), batch=True)
    return Frame(items=(_parse_one(obj, limits),), batch=False)
