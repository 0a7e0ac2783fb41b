"""The switch driver interface: normalized switch events, switch commands, the driver ABC.

This is the bottom layer of ctid and imports nothing from the rest of it. Every switch (the built-in
voice-card simulator, Asterisk through ARI, FreeSWITCH through ESL) is reduced to the same small
vocabulary:

* **Channels** are the switch's legs. A channel sits on one endpoint: an extension (an inside line,
  a phone) or an outside line of a trunk, where the party is an external number. Channels are
  created by the switch (a phone goes off-hook, a trunk call arrives) or by ctid (``Originate``),
  and ctid always chooses the ids of the channels it creates (ARI ``channelId``, FreeSWITCH
  ``origination_uuid``), so it never has to guess which event belongs to which of its requests.
* **Bridges** join channels so their parties hear each other. ctid creates one bridge per call;
  holding, transferring and conferencing are moves of channels between bridges plus music on hold
  played into a bridge. Asterisk has the same concept (mixing bridges); the FreeSWITCH driver maps
  two-member bridges onto ``uuid_bridge`` and larger ones onto a conference.
* **Media** operations (play, record, DTMF, music on hold, supervision) target channels or bridges.

Events flow up through ``SwitchDriver.run(emit)`` in the switch's order; commands flow down through
``SwitchDriver.execute(command)``, which returns once the switch accepted it. A command's effects
come back as events, never as return values, so the call model has one source of truth whatever
caused a change (ctid, a phone's keys, the switch's dialplan). The interface is additive: a new
event or command is a new class here; a driver without it raises ``CommandRejected``
(``NOT_SUPPORTED``).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import trio

__all__ = [
    "Answer",
    "BridgeAdd",
    "BridgeDestroy",
    "BridgeDestroyed",
    "BridgeInfo",
    "BridgeJoined",
    "BridgeLeft",
    "BridgeRemove",
    "Capability",
    "ChangeSupervision",
    "ChannelAlerting",
    "ChannelAnswered",
    "ChannelCreated",
    "ChannelDialed",
    "ChannelHeld",
    "ChannelHungUp",
    "ChannelInfo",
    "ChannelRetrieved",
    "ChannelState",
    "CommandRejected",
    "DigitsReceived",
    "Direction",
    "DriverError",
    "DriverUnavailable",
    "EndpointKind",
    "FaxFinished",
    "FaxProgress",
    "FaxToneDetected",
    "Hangup",
    "HangupCause",
    "LinkState",
    "LinkStateChanged",
    "MediaTarget",
    "Originate",
    "PauseRecording",
    "Play",
    "PlaybackFinished",
    "PlaybackStarted",
    "ReceiveFax",
    "RecordingFailed",
    "RecordingFinished",
    "RecordingStarted",
    "RejectReason",
    "ResumeRecording",
    "Resynchronized",
    "Ring",
    "SendDigits",
    "SendFax",
    "SetMessageWaiting",
    "StartMusic",
    "StartRecording",
    "StartSupervision",
    "StopFax",
    "StopMusic",
    "StopPlayback",
    "StopRecording",
    "StopSupervision",
    "SupervisionMode",
    "SwitchCommand",
    "SwitchDriver",
    "SwitchEvent",
    "TrackRecording",
]

#: Events in flight to the call model before ``emit.send`` blocks (back-pressure, not memory).
EVENT_CHANNEL_SIZE: Final = 1024


# --------------------------------------------------------------------------- enums


class Direction(enum.Enum):
    """Who created a channel."""

    #: The switch created it: a trunk call arrived, or a phone went off-hook.
    INBOUND = "inbound"
    #: ctid created it with ``Originate``.
    OUTBOUND = "outbound"


class EndpointKind(enum.Enum):
    """What a channel's device is."""

    #: An inside line: a phone (SIP endpoint, analogue extension) the switch knows.
    EXTENSION = "extension"
    #: An outside line: the party is an external number reached through a trunk.
    EXTERNAL = "external"


class ChannelState(enum.Enum):
    """A channel's state as the switch sees it (used in resynchronisation)."""

    #: Created; nothing has happened yet.
    DOWN = "down"
    #: Off-hook and collecting the digits of a number to call.
    DIALING = "dialing"
    #: Ringing at its device (outbound), or offered and not yet answered (inbound).
    RINGING = "ringing"
    #: Answered: media flows.
    UP = "up"


class HangupCause(enum.Enum):
    """Why a channel ended, normalized from Q.850 causes (ARI) or cause names (FreeSWITCH)."""

    #: An ordinary hang-up by either side (Q.850 16, NORMAL_CLEARING).
    NORMAL = "normal"
    #: The device or far end was busy (17, USER_BUSY).
    BUSY = "busy"
    #: It rang and nobody answered in time (18/19, NO_ANSWER, NO_USER_RESPONSE).
    NO_ANSWER = "noAnswer"
    #: The called party refused the call (21, CALL_REJECTED).
    REJECTED = "rejected"
    #: The number does not exist or the device is not reachable (1, 20,
    #: UNALLOCATED_NUMBER, USER_NOT_REGISTERED, SUBSCRIBER_ABSENT).
    UNREACHABLE = "unreachable"
    #: No line or circuit was free (34, NORMAL_CIRCUIT_CONGESTION).
    CONGESTION = "congestion"
    #: Another device picked the call up (26, LOSE_RACE / answered elsewhere).
    ANSWERED_ELSEWHERE = "answeredElsewhere"
    #: The originating side gave up before the call was answered (ORIGINATOR_CANCEL).
    CANCELLED = "cancelled"
    #: The switch is shutting down (SYSTEM_SHUTDOWN).
    SHUTDOWN = "shutdown"
    #: Any other network or switch failure.
    FAILED = "failed"


class LinkState(enum.Enum):
    """The state of a driver's connection to its switch."""

    #: Trying to reach the switch.
    CONNECTING = "connecting"
    #: Connected; reading the switch's current calls before reporting UP.
    SYNCING = "syncing"
    #: Connected and synchronised: events are live.
    UP = "up"
    #: Not connected; the driver retries with backoff.
    DOWN = "down"


class SupervisionMode(enum.Enum):
    """How a supervisor joins an agent's call."""

    #: The supervisor hears both parties; nobody hears the supervisor.
    SILENT = "silent"
    #: The supervisor hears both parties; only the agent hears the supervisor.
    WHISPER = "whisper"
    #: Everybody hears everybody (barge-in).
    BARGE = "barge"


class Capability(enum.Enum):
    """Optional features a driver may lack. ``SwitchDriver.capabilities`` lists what it has."""

    #: ``Answer`` works on an outbound leg that rings at a phone (remote answer).
    REMOTE_ANSWER = "remoteAnswer"
    #: ``StartSupervision``/``ChangeSupervision`` in every ``SupervisionMode``.
    SUPERVISION = "supervision"
    #: ``PauseRecording``/``ResumeRecording``.
    RECORDING_PAUSE = "recordingPause"
    #: ``Play`` on a channel or bridge.
    PLAYBACK = "playback"
    #: ``StartRecording``.
    RECORDING = "recording"
    #: Extension phones can be driven off-hook/on-hook by ctid itself (a simulator).
    PHONE_CONTROL = "phoneControl"
    #: The switch outlives a ctid restart, which picks its calls up (not the simulator).
    SURVIVES_RESTART = "survivesRestart"
    #: ``ReceiveFax``/``SendFax``/``StopFax`` (T.30 over audio or T.38); ``FaxToneDetected`` (CNG).
    FAX = "fax"
    FAX_TONE = "faxTone"
    #: ``SetMessageWaiting`` lights a phone's message-waiting lamp.
    MESSAGE_WAITING = "messageWaiting"


class RejectReason(enum.Enum):
    """Why the switch refused a command."""

    NO_SUCH_CHANNEL = "noSuchChannel"
    NO_SUCH_BRIDGE = "noSuchBridge"
    NO_SUCH_PLAYBACK = "noSuchPlayback"
    NO_SUCH_RECORDING = "noSuchRecording"
    #: The object exists but the command does not fit its state.
    INVALID_STATE = "invalidState"
    #: The destination is not a number the switch can reach.
    INVALID_DESTINATION = "invalidDestination"
    #: No line, channel or other resource is free.
    NO_RESOURCES = "noResources"
    #: This driver or switch does not offer the command.
    NOT_SUPPORTED = "notSupported"
    #: The switch answered with an error not covered above.
    SWITCH_ERROR = "switchError"


# ----------------------------------------------------------------------- errors


class DriverError(Exception):
    """Base class of errors raised by ``SwitchDriver.execute``."""


class DriverUnavailable(DriverError):
    """The driver is not connected to its switch, or has stopped."""


class CommandRejected(DriverError):
    """The switch refused a command; ``reason`` says why, ``detail`` is the switch's own text."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


# ----------------------------------------------------------------- shared values


@attrs.frozen(kw_only=True)
class MediaTarget:
    """What a media command acts on: one channel, or everybody in a bridge."""

    channel_id: str | None = None
    bridge_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.channel_id is None) == (self.bridge_id is None):
            raise ValueError("a MediaTarget names exactly one of channel_id and bridge_id")

    @classmethod
    def channel(cls, channel_id: str) -> MediaTarget:
        return cls(channel_id=channel_id)

    @classmethod
    def bridge(cls, bridge_id: str) -> MediaTarget:
        return cls(bridge_id=bridge_id)


def _frozen_mapping(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return dict(value or {})


@attrs.frozen(kw_only=True)
class ChannelInfo:
    """One channel as it stands, reported on resynchronisation."""

    channel_id: str
    kind: EndpointKind
    device: str
    direction: Direction
    state: ChannelState
    caller_number: str = ""
    called_number: str | None = None
    trunk: str | None = None
    bridge_id: str | None = None
    held: bool = False
    #: When the switch made the channel, on any scale ordering one snapshot's channels
    #: (None if unknown): only to tell which leg of a call came first.
    created: float | None = None


@attrs.frozen(kw_only=True)
class BridgeInfo:
    """One bridge as it stands, reported on resynchronisation."""

    bridge_id: str
    channel_ids: tuple[str, ...] = ()
    music: bool = False


# ------------------------------------------------------------------------ events


class SwitchEvent:
    """Base of the normalized switch events. Don't subclass the concrete events."""

    __slots__ = ()


@attrs.frozen(kw_only=True)
class LinkStateChanged(SwitchEvent):
    """The driver's connection to its switch changed state."""

    state: LinkState
    detail: str = ""


@attrs.frozen(kw_only=True)
class Resynchronized(SwitchEvent):
    """After (re)connecting: every channel and bridge the switch has now.

    Sent before ``LinkStateChanged(UP)``. The call model reconciles its own state with this
    snapshot: calls whose channels are gone are cleared, channels it does not know become calls."""

    channels: tuple[ChannelInfo, ...] = ()
    bridges: tuple[BridgeInfo, ...] = ()


@attrs.frozen(kw_only=True)
class ChannelCreated(SwitchEvent):
    """A channel exists.

    ``device`` is the extension number for ``EndpointKind.EXTENSION``; for ``EXTERNAL`` it is the
    outside party's number (the caller's for an inbound trunk call, the dialled number for an
    outbound one), and ``trunk`` names the outside line. ``called_number`` is known for trunk calls
    (DNIS) and for calls the switch hands over after its own digit collection; a phone that has just
    gone off-hook has none yet and reports it later with ``ChannelDialed``.
    ``originator_channel_id`` links a leg to the channel whose dialling made it."""

    channel_id: str
    kind: EndpointKind
    device: str
    direction: Direction
    caller_number: str = ""
    caller_name: str = ""
    called_number: str | None = None
    trunk: str | None = None
    originator_channel_id: str | None = None
    variables: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_mapping)


@attrs.frozen(kw_only=True)
class ChannelDialed(SwitchEvent):
    """An off-hook phone finished dialling ``number``."""

    channel_id: str
    number: str


@attrs.frozen(kw_only=True)
class ChannelAlerting(SwitchEvent):
    """The channel's device is ringing (or, for an outside line, the far end rings)."""

    channel_id: str


@attrs.frozen(kw_only=True)
class ChannelAnswered(SwitchEvent):
    """The channel was answered: media flows."""

    channel_id: str


@attrs.frozen(kw_only=True)
class ChannelHungUp(SwitchEvent):
    """The channel is gone. It is the last event about it."""

    channel_id: str
    cause: HangupCause = HangupCause.NORMAL
    #: The switch's own cause text (Q.850 number or FreeSWITCH name), for logs and records.
    detail: str = ""


@attrs.frozen(kw_only=True)
class ChannelHeld(SwitchEvent):
    """The channel's own device put its call on hold (a phone's hold key)."""

    channel_id: str


@attrs.frozen(kw_only=True)
class ChannelRetrieved(SwitchEvent):
    """The channel's own device took its call off hold."""

    channel_id: str


@attrs.frozen(kw_only=True)
class DigitsReceived(SwitchEvent):
    """DTMF digits arrived from the channel's device (not digits ctid sent)."""

    channel_id: str
    digits: str


@attrs.frozen(kw_only=True)
class BridgeJoined(SwitchEvent):
    """A channel entered a bridge (ctid's doing, or the switch's own)."""

    bridge_id: str
    channel_id: str


@attrs.frozen(kw_only=True)
class BridgeLeft(SwitchEvent):
    """A channel left a bridge."""

    bridge_id: str
    channel_id: str


@attrs.frozen(kw_only=True)
class BridgeDestroyed(SwitchEvent):
    """A bridge is gone."""

    bridge_id: str


@attrs.frozen(kw_only=True)
class PlaybackStarted(SwitchEvent):
    playback_id: str


@attrs.frozen(kw_only=True)
class PlaybackFinished(SwitchEvent):
    """A playback ended: ``reason`` is ``done``, ``stopped`` (command or digit) or ``failed``."""

    playback_id: str
    reason: str = "done"


@attrs.frozen(kw_only=True)
class RecordingStarted(SwitchEvent):
    recording_id: str


@attrs.frozen(kw_only=True)
class RecordingFinished(SwitchEvent):
    """A recording is complete; ``path`` is the file on the switch's side."""

    recording_id: str
    path: str
    duration: float


@attrs.frozen(kw_only=True)
class RecordingFailed(SwitchEvent):
    recording_id: str
    detail: str = ""


@attrs.frozen(kw_only=True)
class FaxProgress(SwitchEvent):
    """A fax in progress moved a page: ``pages`` are done so far."""

    fax_id: str
    pages: int


@attrs.frozen(kw_only=True)
class FaxFinished(SwitchEvent):
    """A fax ended: spandsp's T.30 code and text (0 "OK"), pages, received ``path``."""

    fax_id: str
    success: bool
    pages: int
    result_code: int
    result_text: str
    path: str | None = None
    remote_station_id: str = ""
    bit_rate: int = 0


@attrs.frozen(kw_only=True)
class FaxToneDetected(SwitchEvent):
    """The switch heard a calling fax machine (CNG, 1100 Hz) on a channel."""

    channel_id: str


# ---------------------------------------------------------------------- commands


class SwitchCommand:
    """Base of the commands ctid sends to a switch. Don't subclass the concrete commands."""

    __slots__ = ()


@attrs.frozen(kw_only=True)
class Originate(SwitchCommand):
    """Create an outbound channel with ctid's own ``channel_id`` and ring ``device``.

    For ``EndpointKind.EXTERNAL`` the driver picks an outside line (of ``trunk`` if given).
    ``auto_answer`` asks a phone to answer by itself (SIP auto-answer headers; the simulator's
    phones go off-hook), which CSTA calls ``autoOriginate: doNotPrompt``. The switch gives up after
    ``timeout`` seconds of ringing with ``ChannelHungUp(cause=NO_ANSWER)``. ``detect_machines``
    asks for answering-machine detection: an ``amd.AmdResult`` follows the answer."""

    channel_id: str
    kind: EndpointKind
    device: str
    caller_number: str = ""
    caller_name: str = ""
    timeout: float = 45.0
    auto_answer: bool = False
    trunk: str | None = None
    originator_channel_id: str | None = None
    variables: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_mapping)
    detect_machines: bool = False


@attrs.frozen(kw_only=True)
class Answer(SwitchCommand):
    """Answer a channel: an inbound one that is offered, or (with REMOTE_ANSWER) a ringing phone."""

    channel_id: str


@attrs.frozen(kw_only=True)
class Ring(SwitchCommand):
    """Give an offered inbound caller ringing tone while ctid finds a destination."""

    channel_id: str


@attrs.frozen(kw_only=True)
class Hangup(SwitchCommand):
    channel_id: str
    cause: HangupCause = HangupCause.NORMAL


@attrs.frozen(kw_only=True)
class BridgeAdd(SwitchCommand):
    """Put a channel into a bridge, creating the bridge if it does not exist.

    A channel is in at most one bridge: the driver takes it out of any other first.
    """

    bridge_id: str
    channel_id: str


@attrs.frozen(kw_only=True)
class BridgeRemove(SwitchCommand):
    bridge_id: str
    channel_id: str


@attrs.frozen(kw_only=True)
class BridgeDestroy(SwitchCommand):
    """Destroy a bridge; channels still in it stay up, unbridged."""

    bridge_id: str


@attrs.frozen(kw_only=True)
class StartMusic(SwitchCommand):
    """Music on hold to a channel or into a bridge."""

    target: MediaTarget
    music_class: str = "default"


@attrs.frozen(kw_only=True)
class StopMusic(SwitchCommand):
    target: MediaTarget


@attrs.frozen(kw_only=True)
class Play(SwitchCommand):
    """Play media in order to a channel or bridge.

    ``media`` are URIs: ``file:/abs/path.wav`` (a file ctid made, such as a TTS prompt),
    ``sound:name`` (the switch's own prompt library), ``tone:name``. ``PlaybackFinished`` reports
    the end; with ``stop_on_digit`` a DTMF digit from the channel stops it (barge-in)."""

    playback_id: str
    target: MediaTarget
    media: tuple[str, ...]
    language: str = "en"
    stop_on_digit: bool = False


@attrs.frozen(kw_only=True)
class StopPlayback(SwitchCommand):
    playback_id: str


@attrs.frozen(kw_only=True)
class SendDigits(SwitchCommand):
    """Send DTMF out of a channel to its device: the phone, or on an outside line the far end.

    CSTA's GenerateDigits sends on the legs of the parties who should hear the digits, not on the
    sending device's own leg."""

    channel_id: str
    digits: str


@attrs.frozen(kw_only=True)
class StartRecording(SwitchCommand):
    """Record a channel or a bridge (the mix) into ``path`` (a file name without extension)."""

    recording_id: str
    target: MediaTarget
    path: str
    format: str = "wav"


@attrs.frozen(kw_only=True)
class PauseRecording(SwitchCommand):
    """Pause a recording: the file gets silence until it is resumed."""

    recording_id: str


@attrs.frozen(kw_only=True)
class ResumeRecording(SwitchCommand):
    recording_id: str


@attrs.frozen(kw_only=True)
class StopRecording(SwitchCommand):
    recording_id: str


@attrs.frozen(kw_only=True)
class ReceiveFax(SwitchCommand):
    """Take a fax on a channel into ``path`` (a TIFF): ``FaxProgress``, ``FaxFinished``."""

    fax_id: str
    channel_id: str
    path: str
    station_id: str = ""  # ours (TSI/CSI), 20 characters at most


@attrs.frozen(kw_only=True)
class SendFax(SwitchCommand):
    """Send the TIFF ``path`` over an answered channel; ``FaxFinished`` reports the end."""

    fax_id: str
    channel_id: str
    path: str
    header: str = ""  # the page header line the switch's fax stack prints
    station_id: str = ""


@attrs.frozen(kw_only=True)
class StopFax(SwitchCommand):
    """Stop a fax (``FaxFinished``, 49); on Asterisk (fax in the dialplan) a hang-up."""

    fax_id: str
    channel_id: str


@attrs.frozen(kw_only=True)
class TrackRecording(SwitchCommand):
    """ctid restarted while the switch records: take the recording that ``StartRecording``
    (same fields) started before as ours again, so that its end and the commands on it
    are matched to ``recording_id``. Nothing is sent to the switch."""

    recording_id: str
    target: MediaTarget
    path: str
    format: str = "wav"


@attrs.frozen(kw_only=True)
class SetMessageWaiting(SwitchCommand):
    """A phone's voicemail display: ``new`` waiting (the lamp is lit) and ``old`` heard."""

    device: str
    new: int
    old: int


@attrs.frozen(kw_only=True)
class StartSupervision(SwitchCommand):
    """Join a supervisor's channel to the call of ``target_channel_id`` (an agent's leg).

    The supervision ends by itself when either channel ends: ctid sends no ``StopSupervision``
    then, and the driver forgets it (and removes whatever it made for it on the switch).
    ``restored``: after ctid's restart the switch may still run it: take it over in ``mode``."""

    supervision_id: str
    supervisor_channel_id: str
    target_channel_id: str
    mode: SupervisionMode
    restored: bool = False  # see the docstring


@attrs.frozen(kw_only=True)
class ChangeSupervision(SwitchCommand):
    supervision_id: str
    mode: SupervisionMode


@attrs.frozen(kw_only=True)
class StopSupervision(SwitchCommand):
    supervision_id: str


# ------------------------------------------------------------------------ driver


class SwitchDriver(abc.ABC):
    """One switch connection.

    Contract:

    * ``run(emit)`` connects, reports ``LinkStateChanged(SYNCING)``, then ``Resynchronized`` with
      what the switch has, then ``LinkStateChanged(UP)``, and calls ``task_status.started()`` the
      first time it is UP (or, for a switch that is absent at start, once it has reported DOWN, so
      the daemon still starts). It then emits events in the switch's order until it is cancelled. On
      a lost connection it reports DOWN and reconnects by itself with backoff; it raises only for
      bugs and bad configuration.
    * ``execute(command)`` is safe to call from many tasks at once. It returns when the switch has
      accepted the command and raises ``CommandRejected`` if the switch refused it,
      ``DriverUnavailable`` while the link is not UP.
    * Ids in commands are chosen by ctid and are opaque strings; ids the switch chooses (for
      channels it creates) are opaque too.
    """

    #: The name used in configuration (``driver = "..."``) and the entry point.
    name: ClassVar[str]

    @classmethod
    def from_config(cls, section: Mapping[str, Any], *, path: str) -> SwitchDriver:
        """Build the driver from its table ``[switch.<name>]``.

        Problems raise ``ctid.structure.StructureError`` (or ``ValueError``)
        naming the key under ``path``, so ``ctid check-config`` can report them.
        """
        raise TypeError(f"driver {cls.name!r} cannot be built from a configuration file")

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The optional features this driver offers."""
        return frozenset()

    @property
    def extensions(self) -> tuple[str, ...]:
        """The extension numbers (phones) this switch serves, from its configuration."""
        return ()

    @property
    def trunk_groups(self) -> Mapping[str, tuple[str, ...]]:
        """The outside lines this switch offers, by trunk group (``Originate.trunk``
        takes a line's name). Outbound routing hunts over them; configuration may
        form further groups of the same lines."""
        return {}

    @property
    def calls_per_line(self) -> int | None:
        """How many calls one outside line carries at once (None: no limit ctid knows)."""
        return None

    def held_objects(self) -> Mapping[str, int]:
        """How many switch objects the driver is tracking, by kind.

        Every count is zero once the switch has no calls: the conformance suite
        checks this after each scenario, so what a driver keeps per call cannot
        pile up over months. A driver that keeps nothing per call need not
        override it.
        """
        return {}

    @abc.abstractmethod
    async def run(
        self,
        emit: trio.MemorySendChannel[SwitchEvent],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Connect and report events until cancelled."""

    @abc.abstractmethod
    async def execute(self, command: SwitchCommand) -> None:
        """Carry out one command; see the class docstring for the contract."""
