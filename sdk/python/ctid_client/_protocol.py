"""The JSON-RPC 2.0 client core, sans-IO: messages out, frames in, replies and events out.

``ClientProtocol`` never touches a socket, a clock or an event loop (STYLE
§3.2). The shell (``_client.py``) calls ``request``/``batch``/``notification``
to get frames to send, and ``receive`` with each WebSocket message, and acts
on what ``receive`` returns:

* ``Reply`` / ``ErrorReply``: the answer to a request this core issued;
* ``EventReceived``: an event notification, in order, with seq checked;
* ``SeqAnomaly``: the server's seq skipped ahead (``gap``) or went back
  (``duplicate``: the event is not delivered, as after a resume that replays
  something the client already had);
* ``UnmatchedReply``: a reply to no pending request (one that timed out, or an
  error about a frame the server could not parse);
* ``ProtocolViolation``: a frame that is not protocol v1; it is skipped.

One core lives as long as its client: request ids stay unique across
reconnects, and the seq tracker spans the connections of one session.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from ._codec import Codec
from ._errors import CtidError, ProtocolError, RpcError, rpc_error_from_wire
from ._events import Event, event_from_wire

__all__ = [
    "DEFAULT_MAX_PENDING",
    "ClientProtocol",
    "ErrorReply",
    "EventReceived",
    "Incoming",
    "Outgoing",
    "ProtocolViolation",
    "Reply",
    "SeqAnomaly",
    "SeqTracker",
    "UnmatchedReply",
]

#: Requests that may wait for a reply at once.
DEFAULT_MAX_PENDING: Final = 10_000

Params = Mapping[str, Any] | Sequence[Any] | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Outgoing:
    """A frame to send, and the ids of the requests in it (none for a notification)."""

    frame: str | bytes
    ids: tuple[int, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Reply:
    request_id: int
    method: str
    result: Any


@dataclasses.dataclass(frozen=True, kw_only=True)
class ErrorReply:
    request_id: int
    method: str
    error: RpcError


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventReceived:
    event: Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class SeqAnomaly:
    """The event's seq was not the next one. A ``duplicate`` is not delivered."""

    kind: Literal["gap", "duplicate"]
    expected: int
    received: int
    name: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class UnmatchedReply:
    """A reply to no pending request: late (after a timeout), or about an unparsable frame."""

    request_id: Any
    message: Mapping[str, Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProtocolViolation:
    reason: str


Incoming = Reply | ErrorReply | EventReceived | SeqAnomaly | UnmatchedReply | ProtocolViolation


class SeqTracker:
    """Checks that a session's events arrive numbered 1, 2, 3, ... with no gap."""

    def __init__(self) -> None:
        #: The highest seq delivered so far in this session (0: none yet).
        self.last = 0

    def reset(self) -> None:
        """A new session starts (its events count from 1 again)."""
        self.last = 0

    def check(self, seq: int) -> Literal["next", "gap", "duplicate"]:
        """Classify ``seq``; advances ``last`` unless it is a duplicate."""
        if seq <= self.last:
            return "duplicate"
        verdict: Literal["next", "gap"] = "next" if seq == self.last + 1 else "gap"
        self.last = seq
        return verdict


class ClientProtocol:
    """See the module docstring."""

    def __init__(self, codec: Codec, *, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.codec = codec
        self.max_pending = max_pending
        self.seq = SeqTracker()
        self._ids = itertools.count(1)
        #: Request id -> method, for requests waiting for a reply.
        self._pending: dict[int, str] = {}

    # ------------------------------------------------------------ outgoing

    @property
    def pending(self) -> int:
        """How many requests wait for a reply."""
        return len(self._pending)

    def _message(self, method: str, params: Params, request_id: int | None) -> dict[str, Any]:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params if isinstance(params, Mapping) else list(params)
        if request_id is not None:
            message["id"] = request_id
        return message

    def _new_id(self, method: str) -> int:
        if len(self._pending) >= self.max_pending:
            raise CtidError(f"more than {self.max_pending} requests wait for replies")
        request_id = next(self._ids)
        self._pending[request_id] = method
        return request_id

    def request(self, method: str, params: Params = None) -> Outgoing:
        """A request frame; its reply will come out of ``receive`` with the returned id."""
        request_id = self._new_id(method)
        return Outgoing(
            frame=self.codec.encode(self._message(method, params, request_id)), ids=(request_id,)
        )

    def notification(self, method: str, params: Params = None) -> Outgoing:
        """A notification frame (the server sends no reply, not even an error)."""
        return Outgoing(frame=self.codec.encode(self._message(method, params, None)), ids=())

    def batch(self, calls: Sequence[tuple[str, Params]]) -> Outgoing:
        """One frame holding several requests; ``ids`` are in the order of ``calls``."""
        if not calls:
            raise ValueError("a batch needs at least one request")
        if len(self._pending) + len(calls) > self.max_pending:
            raise CtidError(f"more than {self.max_pending} requests wait for replies")
        ids = tuple(self._new_id(method) for method, _ in calls)
        messages = [
            self._message(method, params, request_id)
            for (method, params), request_id in zip(calls, ids, strict=True)
        ]
        return Outgoing(frame=self.codec.encode(messages), ids=ids)

    def forget(self, request_id: int) -> None:
        """Stop waiting for a reply (timed out or abandoned); a late one is unmatched."""
        self._pending.pop(request_id, None)

    def connection_lost(self) -> list[int]:
        """The socket is gone: every pending request will get no reply. Returns their ids."""
        lost = list(self._pending)
        self._pending.clear()
        return lost

    # ------------------------------------------------------------ incoming

    def receive(self, data: str | bytes) -> list[Incoming]:
        """What one WebSocket message from the server holds, in order."""
        try:
            message = self.codec.decode(data)
        except ProtocolError as exc:
            return [ProtocolViolation(reason=str(exc))]
        if isinstance(message, list):
            if not message:
                return [ProtocolViolation(reason="an empty batch")]
            out: list[Incoming] = []
            for item in message:
                out.extend(self._one(item))
            return out
        return self._one(message)

    def _one(self, message: Any) -> list[Incoming]:
        if not isinstance(message, dict):
            return [ProtocolViolation(reason=f"a message that is not an object: {message!r:.80}")]
        if message.get("jsonrpc") != "2.0":
            return [ProtocolViolation(reason='a message without "jsonrpc": "2.0"')]
        if "method" in message:
            if "id" in message:
                return [ProtocolViolation(reason="a request from the server (v1 has none)")]
            return self._event(message)
        if "id" in message and ("result" in message) != ("error" in message):
            return [self._reply(message)]
        return [ProtocolViolation(reason=f"neither a reply nor a notification: {message!r:.80}")]

    def _reply(self, message: dict[str, Any]) -> Incoming:
        request_id = message["id"]
        method = (
            self._pending.pop(request_id, None)
            if isinstance(request_id, int) and not isinstance(request_id, bool)
            else None
        )
        if method is None:
            return UnmatchedReply(request_id=request_id, message=message)
        if "error" in message:
            error = message["error"]
            if not isinstance(error, dict):
                error = {"code": -32603, "message": f"malformed error member: {error!r:.80}"}
            return ErrorReply(
                request_id=request_id,
                method=method,
                error=rpc_error_from_wire(error, method=method),
            )
        return Reply(request_id=request_id, method=method, result=message["result"])

    def _event(self, message: dict[str, Any]) -> list[Incoming]:
        method = message["method"]
        params = message.get("params", {})
        if not isinstance(method, str) or not isinstance(params, dict):
            return [ProtocolViolation(reason=f"a malformed notification: {message!r:.80}")]
        event = event_from_wire(method, params)
        if event.seq is None:
            return [EventReceived(event=event)]
        expected = self.seq.last + 1
        verdict = self.seq.check(event.seq)
        if verdict == "duplicate":
            return [
                SeqAnomaly(kind="duplicate", expected=expected, received=event.seq, name=method)
            ]
        if verdict == "gap":
            anomaly = SeqAnomaly(kind="gap", expected=expected, received=event.seq, name=method)
            return [anomaly, EventReceived(event=event)]
        return [EventReceived(event=event)]
