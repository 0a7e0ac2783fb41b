"""The ARI mapper's model: its records of the channels, playbacks and bridges it
follows, what ctid asked for an originate, and ARI's channel states."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from ctid.switch_drivers.base import ChannelState, Direction, EndpointKind

JSON = Mapping[str, Any]

_STATES: Final = {
    "Down": ChannelState.DOWN,
    "Rsrved": ChannelState.DOWN,
    "OffHook": ChannelState.DIALING,
    "Dialing": ChannelState.DIALING,
    "Dialing Offhook": ChannelState.DIALING,
    "Pre-ring": ChannelState.DIALING,
    "Ring": ChannelState.RINGING,
    "Ringing": ChannelState.RINGING,
    "Up": ChannelState.UP,
    "Busy": ChannelState.DOWN,
    "Unknown": ChannelState.DOWN,
}

#: Event types that say nothing ctid's call model needs, dropped after one dict
#: look-up. (``ChannelVarset``, most of the stream, is looked at only on a channel
#: in the fax context.)
IGNORED: Final = frozenset(
    {
        "ChannelDialplan",
        "ChannelCallerId",
        "ChannelConnectedLine",
        "ChannelUserevent",
        "ChannelTalkingStarted",
        "ChannelTalkingFinished",
        "ChannelToneDetected",
        "ChannelTransfer",
        "DeviceStateChanged",
        "PeerStatusChange",
        "ContactStatusChange",
        "EndpointStateChange",
        "PlaybackContinuing",
        "TextMessageReceived",
        "BridgeVideoSourceChanged",
        "ApplicationRegistered",
        "ApplicationUnregistered",
        "ApplicationMoveFailed",
        "BridgeAttendedTransfer",
        "RESTResponse",
        "CallBroadcast",
        "CallClaimed",
        "MissingParams",
    }
)


@attrs.frozen(kw_only=True)
class _Expected:
    """What ctid asked for when it originated a channel."""

    kind: EndpointKind
    device: str
    trunk: str | None
    caller_number: str
    caller_name: str
    originator: str | None
    variables: Mapping[str, str]
    detect_machines: bool = False


@attrs.define(kw_only=True)
class _Channel:
    id: str
    kind: EndpointKind
    device: str
    direction: Direction
    trunk: str | None
    caller_number: str
    caller_name: str
    called_number: str | None
    state: ChannelState
    #: Entered the switch as an incoming call (first seen in state "Ring"):
    #: its "Ringing" is ringback to the caller, not its device alerting.
    offered: bool
    alerted: bool = False
    answered: bool = False
    #: ctid originated it into its app: it enters Stasis only after it is answered.
    awaits_stasis: bool = False
    in_stasis: bool = False
    #: Answered, but not in the app yet: reported once StasisStart says it is.
    answer_pending: bool = False
    held: bool = False
    bridge_id: str | None = None
    hangup_requested: bool = False
    #: The Q.850 cause of the last hang-up request that gave one.
    hangup_cause: int = 0
    dial_failure: str | None = None
    #: Answering-machine detection: "wanted" until answered, "running" in the AMD context.
    amd: str = ""


@attrs.define(kw_only=True)
class _Playback:
    channel_id: str | None
    bridge_id: str | None
    stop_on_digit: bool
    stopping: bool = False


@attrs.define
class _Bridge:
    channels: set[str] = attrs.field(factory=set)
    music: bool = False
