"""The fake Asterisk's objects (channels, bridges, playbacks, recordings, Stasis
apps), its REST error and the fixed values its switch and REST handlers share."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final, Literal

import attrs
import trio

JSON = dict[str, Any]
NumberBehaviour = Literal["answer", "busy", "noanswer", "unreachable", "dead"]

_ANCHOR: Final = _dt.datetime(2026, 11, 22, 5, 0, 0, tzinfo=_dt.UTC)
_EVENT_QUEUE: Final = 10_000
#: Seconds PJSIP waits for any answer to an INVITE over UDP (timer B, 64 * T1).
_SIP_TIMER_B: Final = 32.0
_CAUSE_TEXT: Final = {
    0: "Unknown",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    26: "Answered elsewhere",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    1: "Unallocated (unassigned) number",
    31: "Normal, unspecified",
    127: "Interworking, unspecified",
}
_REASON_CAUSE: Final = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 19,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}


class AriError(Exception):
    """A REST failure as Asterisk reports it: status and ``{"message"}`` (or ``{"error"}``)."""

    def __init__(self, status: int, message: str, *, key: str = "message") -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.body: JSON = {key: message}


@attrs.define(kw_only=True, eq=False)
class _Channel:
    id: str
    name: str
    endpoint: str
    state: str
    caller: JSON
    connected: JSON
    dialplan: JSON
    created: float
    stasis_app: str | None = None
    subscribers: set[str] = attrs.field(factory=set)
    bridge: str | None = None
    moh: str | None = None
    held: bool = False
    dying: bool = False
    digits_heard: list[str] = attrs.field(factory=list)
    originated_into: tuple[str, list[str]] | None = None  # (app, args) once answered
    snoop: tuple[str, str, str] | None = None  # (target, spy, whisper)
    #: Channel variables set by the originate request.
    variables: dict[str, str] = attrs.field(factory=dict)
    #: On a trunk: the outside party's number (the caller, or the number dialled).
    party: str | None = None


@attrs.define(kw_only=True, eq=False)
class _Bridge:
    id: str
    name: str
    bridge_type: str
    created: float
    channels: list[str] = attrs.field(factory=list)
    subscribers: set[str] = attrs.field(factory=set)
    moh: str | None = None
    technology: str = "simple_bridge"


@attrs.define(kw_only=True, eq=False)
class _Playback:
    id: str
    media: list[str]
    target_uri: str
    language: str
    subscribers: set[str]
    state: str = "playing"


@attrs.define(kw_only=True, eq=False)
class _Recording:
    name: str
    format: str
    target_uri: str
    subscribers: set[str]
    started: float
    state: str = "recording"


@attrs.define(eq=False)
class _App:
    name: str
    subscribe_all: bool = False
    socket: trio.MemorySendChannel[JSON] | None = None
    subscribed: set[str] = attrs.field(factory=set)  # "endpoint:PJSIP/1001", ...
