"""The simulated card's records: lines and their states, channels, bridges, playbacks,
recordings and supervisions. ``SimSwitch`` alone changes them."""

from __future__ import annotations

import enum

import attrs

from .. import base as sw
from .config import OutsideRule

__all__ = [
    "Bridge",
    "Channel",
    "Line",
    "LineState",
    "Playback",
    "Recording",
    "SimError",
    "Supervision",
]


class LineState(enum.Enum):
    """A voice-card channel's state; the value is the name shown to operators."""

    #: Nothing on the line.
    IDLE = "idle"
    #: An offered call rings here and waits for an answer.
    RINGING = "ringing"
    #: Off-hook with dial tone, collecting the digits of a number.
    COLLECTING = "collectingDigits"
    #: Seizing an outside line and sending the number.
    DIALING = "dialing"
    #: The far end is ringing.
    ALERTING = "alerting"
    #: In conversation.
    CONNECTED = "connected"
    #: In conversation and a prompt is playing to it.
    PLAYING = "playing"
    #: The other side is gone; the phone is still off-hook (busy tone).
    WAITING_HANGUP = "waitingHangup"


class SimError(Exception):
    """A phone or caller action that does not fit the line's state (shown to the admin)."""


@attrs.define(eq=False)
class Line:
    """One voice-card line: an extension with its phone, or an outside line."""

    name: str
    kind: sw.EndpointKind
    state: LineState = LineState.IDLE
    channel_id: str | None = None
    off_hook: bool = False
    #: The phone answered by itself (auto-answer, remote answer): like a SIP phone
    #: on its speaker or headset, it goes back on-hook when the call ends.
    handsfree: bool = False
    #: For outside lines: the outside party's number while a call is on it.
    party: str | None = None
    digits: str = ""
    #: DTMF ctid sent into this line, in order (what the party heard).
    heard_digits: list[str] = attrs.field(factory=list)
    #: An extension whose phone is unplugged: calls to it fail as unreachable, as a
    #: SIP switch fails them for a phone that is not registered.
    unplugged: bool = False
    #: The phone's voicemail display: (new, old) messages; the lamp is lit while new > 0.
    message_waiting: tuple[int, int] = (0, 0)


@attrs.define(eq=False)
class Channel:
    channel_id: str
    line: Line
    direction: sw.Direction
    device: str
    caller_number: str
    called_number: str | None
    answered: bool = False
    bridge_id: str | None = None
    music: bool = False
    playback_id: str | None = None
    auto_answer: bool = False
    behaviour_hangup_after: float | None = None
    #: The outside party as drawn for this call (``simulator.machines``).
    party_rule: OutsideRule | None = None
    #: ctid asked for answering-machine detection (``Originate.detect_machines``).
    detect_machines: bool = False
    #: Order of creation on the card (``ChannelInfo.created``).
    created: int = 0


@attrs.define(eq=False)
class Bridge:
    bridge_id: str
    members: list[str] = attrs.field(factory=list)
    music: bool = False


@attrs.define(eq=False)
class Playback:
    playback_id: str
    target: sw.MediaTarget
    stop_on_digit: bool
    ends_at: float


@attrs.define(eq=False)
class Recording:
    recording_id: str
    target: sw.MediaTarget
    path: str
    started_at: float
    paused_at: float | None = None
    #: (start, end) trio times of pauses, for the silence in the file.
    pauses: list[tuple[float, float]] = attrs.field(factory=list)
    #: When what the recording hears changed: (trio time, parties heard from then on).
    segments: list[tuple[float, tuple[str, ...]]] = attrs.field(factory=list)
    ended_at: float | None = None


@attrs.define(eq=False)
class Supervision:
    supervision_id: str
    supervisor: str
    target: str
    mode: sw.SupervisionMode
