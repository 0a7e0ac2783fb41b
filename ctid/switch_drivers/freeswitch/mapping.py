"""The mapping core: parsed ESL events in, normalized ``SwitchEvent``s out.

Sans-IO and in order: ``EventMapper.feed(event)`` returns the events to emit
for one ESL event. It keeps only what it must to stay consistent: which
channels it has announced (so ``ChannelCreated`` comes once and
``ChannelHungUp`` is the last event about a channel), what ctid asked for
(originates, playbacks, recordings: keyed by the ids ctid chose and gave to
FreeSWITCH as ``origination_uuid``, ``Event-UUID`` and file paths), and the
bridges FreeSWITCH made by itself (a dialplan ``bridge``, a dialplan
conference), which get ids of the form ``fs-<uuid>`` / ``fs-conf-<name>``.
Bridges ctid made are in the ``BridgeBook``; their FreeSWITCH bridge events
are only the realisation of ctid's plan and are not reported again.

Extensions and outside lines: a channel ctid originated is what the
``Originate`` said. Otherwise an outbound leg is an extension if FreeSWITCH
dialled a directory user (``variable_dialed_user``; ``Caller-Destination-Number``
is the phone's Contact user there, such as ``1001-0x5622d7355d70``) and an
outside line if it went through a gateway; an inbound leg is an outside line
if it came through a gateway or a trunk profile, else the extension of its
authenticated user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

import attrs

from ..base import (
    BridgeDestroyed,
    BridgeJoined,
    BridgeLeft,
    ChannelAlerting,
    ChannelAnswered,
    ChannelCreated,
    ChannelHeld,
    ChannelHungUp,
    ChannelInfo,
    ChannelRetrieved,
    ChannelState,
    DigitsReceived,
    Direction,
    EndpointKind,
    Originate,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
    SwitchEvent,
)
from .bridges import CONFERENCE_PREFIX, BridgeBook
from .causes import cause_from_freeswitch
from .frames import EslEvent

__all__ = ["SUBSCRIBED_CUSTOM", "SUBSCRIBED_EVENTS", "EndpointConfig", "EventMapper"]

#: The events the driver subscribes to (``event json ...``).
SUBSCRIBED_EVENTS: Final = (
    "CHANNEL_CREATE",
    "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_ANSWER",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_DESTROY",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_HOLD",
    "CHANNEL_UNHOLD",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "DTMF",
    "PLAYBACK_START",
    "PLAYBACK_STOP",
    "RECORD_START",
    "RECORD_STOP",
    "BACKGROUND_JOB",
)
SUBSCRIBED_CUSTOM: Final = ("conference::maintenance",)

_HANGUP_EVENTS: Final = frozenset({"CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"})
_PHONE_HOLD: Final = "switch_channel_mark_hold"


@attrs.frozen(kw_only=True)
class EndpointConfig:
    """How this FreeSWITCH names extensions and outside lines."""

    #: The directory domain: extensions are dialled as ``user/<ext>@<domain>``.
    domain: str = "127.0.0.1"
    #: The gateway of the trunk: outside numbers are dialled as
    #: ``sofia/gateway/<gateway>/<number>``.
    gateway: str | None = None
    #: Sofia profiles whose inbound calls come from the trunk.
    trunk_profiles: frozenset[str] = frozenset({"external"})
    #: Numbers that are extensions when no header says (a regular expression).
    extension_pattern: str = r"[0-9]{2,6}"

    def dial_string(self, kind: EndpointKind, device: str, trunk: str | None = None) -> str:
        """The originate endpoint for a device."""
        if kind is EndpointKind.EXTENSION:
            return f"user/{device}@{self.domain}"
        gateway = trunk or self.gateway
        if gateway is None:
            raise ValueError("no gateway configured for external numbers")
        return f"sofia/gateway/{gateway}/{device}"


@attrs.define
class _Channel:
    kind: EndpointKind
    device: str
    direction: Direction
    alerted: bool = False
    answered: bool = False


@attrs.define
class _Playback:
    playback_id: str
    channel_id: str
    stopped: bool = False


def _hung_up(channel_id: str, cause: str) -> ChannelHungUp:
    return ChannelHungUp(channel_id=channel_id, cause=cause_from_freeswitch(cause), detail=cause)


class EventMapper:
    """Folds ESL events into normalized switch events; see the module docstring."""

    def __init__(self, endpoints: EndpointConfig, bridges: BridgeBook) -> None:
        self._endpoints = endpoints
        self._extension = re.compile(endpoints.extension_pattern)
        self._bridges = bridges
        self._channels: dict[str, _Channel] = {}
        self._originates: dict[str, Originate] = {}
        self._playbacks: dict[str, _Playback] = {}
        self._recordings: dict[str, str] = {}  # path -> recording id
        # Switch-made bridges: bridge id -> members.
        self._own: dict[str, set[str]] = {}

    # -------------------------------------------------- what ctid asked for

    def expect_originate(self, command: Originate) -> None:
        """ctid is about to originate ``command.channel_id``."""
        self._originates[command.channel_id] = command

    def originate_failed(self, channel_id: str, cause: str) -> list[SwitchEvent]:
        """The originate job failed. If FreeSWITCH never created the channel, ctid
        still gets its whole story: created, then hung up with the cause."""
        command = self._originates.pop(channel_id, None)
        if command is None or channel_id in self._channels:
            return []
        created = ChannelCreated(
            channel_id=channel_id,
            kind=command.kind,
            device=command.device,
            direction=Direction.OUTBOUND,
            caller_number=command.caller_number,
            caller_name=command.caller_name,
            called_number=command.device,
            trunk=command.trunk,
            originator_channel_id=command.originator_channel_id,
            variables=command.variables,
        )
        hungup = ChannelHungUp(
            channel_id=channel_id, cause=cause_from_freeswitch(cause), detail=cause
        )
        return [created, hungup]

    def expect_playback(self, playback_id: str, channel_id: str) -> None:
        """A playback was sent with ``Event-UUID: playback_id`` to ``channel_id``."""
        self._playbacks[playback_id] = _Playback(playback_id, channel_id)

    def expect_recording(self, recording_id: str, path: str) -> None:
        """``uuid_record ... start path`` was sent for ``recording_id``."""
        self._recordings[path] = recording_id

    def recording_of(self, recording_id: str) -> str | None:
        """The file path of a recording ctid started, or None."""
        for path, known in self._recordings.items():
            if known == recording_id:
                return path
        return None

    def has_channel(self, channel_id: str) -> bool:
        """True while ``channel_id`` is announced and not hung up."""
        return channel_id in self._channels

    # ----------------------------------------------------------- the events

    def feed(self, event: EslEvent) -> list[SwitchEvent]:
        """The normalized events for one ESL event (often none)."""
        name = event.name
        uuid = event.unique_id or ""
        if name == "CUSTOM":
            if event.subclass == "conference::maintenance":
                return self._conference(event)
            return []
        if name in _HANGUP_EVENTS:
            return self._hangup(uuid, event)
        if name == "CHANNEL_CREATE":
            return self._create(uuid, event)
        channel = self._channels.get(uuid)
        if name in ("CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"):
            # Ringing matters for legs that ring a device; an inbound leg
            # given ringback tone (uuid_ring_ready) is not "alerting".
            if channel and channel.direction is Direction.OUTBOUND and not channel.alerted:
                channel.alerted = True
                return [ChannelAlerting(channel_id=uuid)]
            return []
        if name == "CHANNEL_ANSWER":
            if channel and not channel.answered:
                channel.answered = True
                return [ChannelAnswered(channel_id=uuid)]
            return []
        if name in ("CHANNEL_HOLD", "CHANNEL_UNHOLD"):
            # Only the phone's own hold (a re-INVITE); uuid_hold is switch_ivr_hold.
            if channel and event.get("Event-Calling-Function") == _PHONE_HOLD:
                held = name == "CHANNEL_HOLD"
                return [ChannelHeld(channel_id=uuid) if held else ChannelRetrieved(channel_id=uuid)]
            return []
        if name == "DTMF":
            digit = event.get("DTMF-Digit")
            return [DigitsReceived(channel_id=uuid, digits=digit)] if channel and digit else []
        if name == "CHANNEL_BRIDGE":
            return self._bridge(event)
        if name == "CHANNEL_UNBRIDGE":
            return self._unbridge(event)
        if name in ("CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "PLAYBACK_STOP"):
            return self._playback(name, uuid, event)
        if name in ("RECORD_START", "RECORD_STOP"):
            return self._record(name, event)
        return []

    def _create(self, uuid: str, event: EslEvent) -> list[SwitchEvent]:
        if not uuid or uuid in self._channels:
            return []
        command = self._originates.pop(uuid, None)
        if command is not None:
            created = ChannelCreated(
                channel_id=uuid,
                kind=command.kind,
                device=command.device,
                direction=Direction.OUTBOUND,
                caller_number=command.caller_number,
                caller_name=command.caller_name,
                called_number=command.device,
                trunk=command.trunk,
                originator_channel_id=command.originator_channel_id,
                variables=command.variables,
            )
        else:
            created = self._classify(uuid, event)
        self._channels[uuid] = _Channel(created.kind, created.device, created.direction)
        return [created]

    def _classify(self, uuid: str, event: EslEvent) -> ChannelCreated:
        outbound = event.get("Call-Direction") == "outbound"
        gateway = event.get("variable_sip_gateway_name")
        profile = event.get("variable_sofia_profile_name") or event.get("variable_sip_profile_name")
        channel_name = event.get("Channel-Name") or ""
        if gateway is None and channel_name.startswith("sofia/gateway/"):
            gateway = channel_name.split("/")[2]
        caller = event.get("Caller-Caller-ID-Number") or ""
        called = event.get("Caller-Destination-Number")
        caller_name = event.get("Caller-Caller-ID-Name") or ""
        if outbound:
            originator = event.get("Other-Leg-Unique-ID") or event.get(
                "variable_originating_leg_uuid"
            )
            dialed_user = event.get("variable_dialed_user")
            if dialed_user:
                kind, device, trunk = EndpointKind.EXTENSION, dialed_user, None
            elif gateway is not None or not self._extension.fullmatch(called or ""):
                kind, device, trunk = EndpointKind.EXTERNAL, called or "", gateway
            else:
                kind, device, trunk = EndpointKind.EXTENSION, called or "", None
            return ChannelCreated(
                kind=kind,
                device=device,
                direction=Direction.OUTBOUND,
                called_number=device,
                trunk=trunk,
                originator_channel_id=originator,
                channel_id=uuid,
                caller_number=caller,
                caller_name=caller_name,
            )
        if gateway is not None or profile in self._endpoints.trunk_profiles:
            return ChannelCreated(
                kind=EndpointKind.EXTERNAL,
                device=caller,
                direction=Direction.INBOUND,
                called_number=called,
                trunk=gateway or profile,
                channel_id=uuid,
                caller_number=caller,
                caller_name=caller_name,
            )
        user = event.get("variable_user_name") or event.get("Caller-Username") or caller
        return ChannelCreated(
            kind=EndpointKind.EXTENSION,
            device=user,
            direction=Direction.INBOUND,
            called_number=called,
            channel_id=uuid,
            caller_number=caller,
            caller_name=caller_name,
        )

    def _hangup(self, uuid: str, event: EslEvent) -> list[SwitchEvent]:
        if uuid not in self._channels:
            return []
        del self._channels[uuid]
        events = self._bridges.channel_gone(uuid)
        events += self._leave_own(uuid)
        cause = event.get("Hangup-Cause") or "NORMAL_CLEARING"
        events.append(
            ChannelHungUp(channel_id=uuid, cause=cause_from_freeswitch(cause), detail=cause)
        )
        return events

    # ---------------------------------------------- bridges the switch made

    def _own_bridge_of(self, uuid: str) -> str | None:
        for bridge_id, members in self._own.items():
            if uuid in members:
                return bridge_id
        return None

    def _leave_own(self, uuid: str) -> list[SwitchEvent]:
        bridge_id = self._own_bridge_of(uuid)
        if bridge_id is None:
            return []
        members = self._own[bridge_id]
        members.discard(uuid)
        events: list[SwitchEvent] = [BridgeLeft(bridge_id=bridge_id, channel_id=uuid)]
        if not members:
            del self._own[bridge_id]
            events.append(BridgeDestroyed(bridge_id=bridge_id))
        return events

    def _ours(self, uuid: str) -> bool:
        return self._bridges.bridge_of(uuid) is not None

    def _bridge(self, event: EslEvent) -> list[SwitchEvent]:
        a = event.get("Bridge-A-Unique-ID") or event.unique_id or ""
        b = event.get("Bridge-B-Unique-ID") or event.get("Other-Leg-Unique-ID") or ""
        if not a or not b or self._ours(a) or self._ours(b):
            return []
        bridge_id = f"fs-{a}"
        events: list[SwitchEvent] = []
        for uuid in (a, b):
            if self._own_bridge_of(uuid) == bridge_id or uuid not in self._channels:
                continue
            events += self._leave_own(uuid)
            self._own.setdefault(bridge_id, set()).add(uuid)
            events.append(BridgeJoined(bridge_id=bridge_id, channel_id=uuid))
        return events

    def _unbridge(self, event: EslEvent) -> list[SwitchEvent]:
        a = event.get("Bridge-A-Unique-ID") or event.unique_id or ""
        b = event.get("Bridge-B-Unique-ID") or event.get("Other-Leg-Unique-ID") or ""
        events: list[SwitchEvent] = []
        for uuid in (a, b):
            if uuid and self._own_bridge_of(uuid) == f"fs-{a}":
                events += self._leave_own(uuid)
        return events

    def _conference(self, event: EslEvent) -> list[SwitchEvent]:
        name = event.get("Conference-Name") or ""
        action = event.get("Action")
        uuid = event.unique_id or ""
        if name.startswith(CONFERENCE_PREFIX) or uuid not in self._channels:
            return []  # ctid's own conference: the plan reported its members
        bridge_id = f"fs-conf-{name}"
        if action == "add-member" and self._own_bridge_of(uuid) != bridge_id:
            events = self._leave_own(uuid)
            self._own.setdefault(bridge_id, set()).add(uuid)
            return [*events, BridgeJoined(bridge_id=bridge_id, channel_id=uuid)]
        if action == "del-member" and self._own_bridge_of(uuid) == bridge_id:
            return self._leave_own(uuid)
        return []

    # -------------------------------------------------------- media events

    def _playback(self, name: str, uuid: str, event: EslEvent) -> list[SwitchEvent]:
        if name == "PLAYBACK_STOP":
            if event.get("Playback-Status") == "break":
                for playback in self._playbacks.values():
                    if playback.channel_id == uuid:
                        playback.stopped = True
            return []
        found = self._playbacks.get(event.get("Application-UUID") or "")
        if found is None:
            return []
        playback = found
        if name == "CHANNEL_EXECUTE":
            return [PlaybackStarted(playback_id=playback.playback_id)]
        del self._playbacks[playback.playback_id]
        response = event.get("Application-Response") or ""
        if playback.stopped:
            reason = "stopped"
        elif response == "FILE PLAYED":
            reason = "done"
        else:
            reason = "failed"
        return [PlaybackFinished(playback_id=playback.playback_id, reason=reason)]

    def playback_ids_on(self, channel_id: str) -> list[str]:
        """Playbacks ctid started on ``channel_id`` that have not finished."""
        return [p.playback_id for p in self._playbacks.values() if p.channel_id == channel_id]

    def playback_channel(self, playback_id: str) -> str | None:
        """The channel a running playback plays to."""
        playback = self._playbacks.get(playback_id)
        return playback.channel_id if playback else None

    def _record(self, name: str, event: EslEvent) -> list[SwitchEvent]:
        path = event.get("Record-File-Path") or ""
        recording_id = self._recordings.get(path)
        if recording_id is None:
            return []
        if name == "RECORD_START":
            return [RecordingStarted(recording_id=recording_id)]
        del self._recordings[path]
        completion = event.get("Record-Completion-Cause") or "success"
        if not completion.startswith("success"):
            return [RecordingFailed(recording_id=recording_id, detail=completion)]
        millis = event.get("variable_record_ms") or "0"
        duration = int(millis) / 1000 if millis.isdigit() else 0.0
        return [RecordingFinished(recording_id=recording_id, path=path, duration=duration)]

    # ------------------------------------------------------ resynchronisation

    def own_bridges(self) -> dict[str, frozenset[str]]:
        """The bridges FreeSWITCH made by itself, with their members."""
        return {bridge_id: frozenset(members) for bridge_id, members in self._own.items()}

    def resync(
        self, rows: list[Mapping[str, str]], pairs: Sequence[tuple[str, str]] = ()
    ) -> list[ChannelInfo]:
        """Rebuild the channel table from ``show channels as json`` rows and the
        bridged pairs of ``show calls as json``; pairs that are not ctid's own
        bridges become switch-made bridges."""
        self._own = {}
        for a, b in pairs:
            if not self._ours(a) and not self._ours(b):
                self._own[f"fs-{a}"] = {a, b}
        infos: list[ChannelInfo] = []
        seen: dict[str, _Channel] = {}
        for row in rows:
            info = self._info_from_row(row)
            infos.append(info)
            known = self._channels.get(info.channel_id)
            channel = known or _Channel(info.kind, info.device, info.direction)
            channel.answered = info.state is ChannelState.UP
            channel.alerted = channel.alerted or info.state is not ChannelState.DOWN
            seen[info.channel_id] = channel
        self._channels = seen
        self._own = {k: v & set(seen) for k, v in self._own.items() if v & set(seen)}
        return [
            attrs.evolve(info, bridge_id=info.bridge_id or self._own_bridge_of(info.channel_id))
            for info in infos
        ]

    def _info_from_row(self, row: Mapping[str, str]) -> ChannelInfo:
        uuid = row.get("uuid", "")
        known = self._channels.get(uuid)
        callstate = row.get("callstate", "")
        state = {
            "ACTIVE": ChannelState.UP,
            "HELD": ChannelState.UP,
            "UNHELD": ChannelState.UP,
            "RINGING": ChannelState.RINGING,
            "EARLY": ChannelState.RINGING,
            "RING_WAIT": ChannelState.RINGING,
        }.get(callstate, ChannelState.DOWN)
        outbound = row.get("direction") == "outbound"
        if known is not None:
            kind, device, direction = known.kind, known.device, known.direction
        else:
            name = row.get("name", "")
            if name.startswith("sofia/gateway/"):
                kind = EndpointKind.EXTERNAL
                device = row.get("dest", "") if outbound else row.get("cid_num", "")
            else:
                kind = EndpointKind.EXTENSION
                device = (row.get("presence_id", "") or "").split("@")[0] or row.get("cid_num", "")
            direction = Direction.OUTBOUND if outbound else Direction.INBOUND
        return ChannelInfo(
            channel_id=uuid,
            kind=kind,
            device=device,
            direction=direction,
            state=state,
            caller_number=row.get("cid_num", "")
            if not outbound
            else row.get("initial_cid_num", ""),
            called_number=row.get("dest") or None,
            bridge_id=self._bridges.bridge_of(uuid),
            held=callstate == "HELD",
        )
