"""The mapping core: parsed ESL events in, normalized ``SwitchEvent``s out.

Sans-IO and in order: ``EventMapper.feed(event)`` returns the events to emit
for one ESL event. It keeps only what it must to stay consistent: which
channels it has announced (so ``ChannelCreated`` comes once and
``ChannelHungUp`` is the last event about a channel), what ctid asked for
(originates, playbacks, recordings: keyed by the ids ctid chose and gave to
FreeSWITCH as ``origination_uuid``, ``Event-UUID`` and file paths), and the
bridges FreeSWITCH made by itself, which get ids of the form ``fs-<uuid>`` /
``fs-conf-<name>``. Bridges ctid made are in the ``BridgeBook``; their
FreeSWITCH bridge events are only the realisation of ctid's plan and are not
reported again.

**Which channels are ctid's.** An inbound connection sees every channel of
the switch, but ctid controls only the calls handed to it, like Asterisk's
``Stasis()``: a channel the switch created is announced when the dialplan
*parks* it with the channel variable ``ctid_dialed`` set to the number ctid
should route (``set ctid_dialed=${destination_number}``, then ``park``). Its
``ChannelCreated`` has ``called_number`` = that variable (and a
``ChannelAnswered`` follows at once if the dialplan answered it first).
Channels ctid originated are announced at their ``CHANNEL_CREATE``, and legs
the switch dials for one of ctid's channels (``Other-Leg-Unique-ID`` or
``variable_originating_leg_uuid``) when they appear. Every other channel
(voicemail, a dialplan ``bridge`` between two phones, another program's
calls) stays invisible to ctid.

Extensions and outside lines: a channel ctid originated is what the
``Originate`` said. Otherwise ``EndpointConfig`` decides (``endpoints.py``):
an outbound leg to a directory user (``variable_dialed_user``) is that
extension, one through a gateway an outside line; an inbound leg through a
trunk's gateway or profile is an outside line, else the extension of its
authenticated user.
"""

from __future__ import annotations

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
from . import amd, fax
from .bridges import CONFERENCE_PREFIX, BridgeBook
from .causes import cause_from_freeswitch
from .endpoints import EndpointConfig
from .frames import EslEvent

__all__ = [
    "HANDOVER_VARIABLE",
    "ORIGIN_VARIABLE",
    "SUBSCRIBED_CUSTOM",
    "SUBSCRIBED_EVENTS",
    "EventMapper",
]

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
    "DETECTED_TONE",
    "MESSAGE_QUERY",
)
SUBSCRIBED_CUSTOM: Final = ("conference::maintenance", *fax.SUBCLASSES, *amd.SUBCLASSES)

_HANGUP_EVENTS: Final = frozenset({"CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"})
_PHONE_HOLD: Final = "switch_channel_mark_hold"
#: The channel variable by which the dialplan hands a call to ctid, with the
#: number ctid should route (``set ctid_dialed=${destination_number}``, ``park``).
HANDOVER_VARIABLE: Final = "ctid_dialed"
#: Set on every channel ctid originates: a restarted ctid asks it (``uuid_getvar``)
#: of the outbound legs still ringing, which run no application yet.
ORIGIN_VARIABLE: Final = "ctid_origin"
#: ``show channels`` call states of a leg that rings (or is being set up).
_RINGING_STATES: Final = frozenset({"RINGING", "EARLY", "RING_WAIT", "DOWN", ""})
#: The applications ctid leaves its channels in (``show channels`` after a restart).
_CTID_APPLICATIONS: Final = frozenset({"park", "uuid_bridge", "playback", "eavesdrop"})


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


class EventMapper:
    """Folds ESL events into normalized switch events; see the module docstring."""

    def __init__(self, endpoints: EndpointConfig, bridges: BridgeBook) -> None:
        self._endpoints = endpoints
        self._bridges = bridges
        self._channels: dict[str, _Channel] = {}
        self._originates: dict[str, Originate] = {}
        self._playbacks: dict[str, _Playback] = {}
        self._recordings: dict[str, str] = {}  # path -> recording id
        # Switch-made bridges: bridge id -> members.
        self._own: dict[str, set[str]] = {}

    def held_objects(self) -> dict[str, int]:
        """What the mapper tracks (see ``SwitchDriver.held_objects``)."""
        return {
            "channels": len(self._channels),
            "expected originates": len(self._originates),
            "playbacks": len(self._playbacks),
            "recordings": len(self._recordings),
            "switch bridges": len(self._own),
        }

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
        # The driver marked the leg as carrying the bridge variables before it sent
        # the originate; a leg that never existed must not stay in the book.
        self._bridges.channel_gone(channel_id)
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
            if event.subclass in fax.SUBCLASSES:
                return fax.fax_events(event)
            return []
        if name == "DETECTED_TONE":
            return fax.tone_events(event) if uuid in self._channels else []
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
        if name == "CHANNEL_EXECUTE" and channel is None and event.get("Application") == "park":
            return self._handover(uuid, event)
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
                trunk=self._trunk_of_originate(command),
                originator_channel_id=command.originator_channel_id,
                variables=command.variables,
            )
        elif event.get("Call-Direction") == "outbound" and self._originator(event) is not None:
            # The switch dials a leg for one of ctid's channels.
            created = self._classify(uuid, event)
        else:
            return []  # ctid's only once the dialplan hands it over (see _handover)
        self._channels[uuid] = _Channel(created.kind, created.device, created.direction)
        return [created]

    def _trunk_of_originate(self, command: Originate) -> str | None:
        if command.kind is EndpointKind.EXTENSION:
            return None
        return self._endpoints.trunk_name(command.trunk)

    def _originator(self, event: EslEvent) -> str | None:
        """The channel of ctid's whose dialling made this leg, if any."""
        for header in ("Other-Leg-Unique-ID", "variable_originating_leg_uuid"):
            other = event.get(header)
            if other and other in self._channels:
                return other
        return None

    def _handover(self, uuid: str, event: EslEvent) -> list[SwitchEvent]:
        """The dialplan parked a channel for ctid: announce it, with the number to route."""
        dialed = event.get("variable_" + HANDOVER_VARIABLE)
        if not uuid or not dialed or uuid in self._channels:
            return []
        created = attrs.evolve(self._classify(uuid, event), called_number=dialed)
        channel = _Channel(created.kind, created.device, created.direction)
        self._channels[uuid] = channel
        if event.get("Answer-State") == "answered":
            # The dialplan answered it before parking it.
            channel.answered = True
            return [created, ChannelAnswered(channel_id=uuid)]
        return [created]

    def _classify(self, uuid: str, event: EslEvent) -> ChannelCreated:
        outbound = event.get("Call-Direction") == "outbound"
        gateway = event.get("variable_sip_gateway_name")
        profile = event.get("variable_sofia_profile_name") or event.get("variable_sip_profile_name")
        channel_name = event.get("Channel-Name") or ""
        if gateway is None and channel_name.startswith("sofia/gateway/"):
            gateway = channel_name.split("/")[2]
        trunk = self._endpoints.trunk_of(gateway=gateway, profile=profile)
        trunk_name = trunk.name if trunk is not None else gateway
        caller = event.get("Caller-Caller-ID-Number") or ""
        called = event.get("Caller-Destination-Number")
        caller_name = event.get("Caller-Caller-ID-Name") or ""
        if outbound:
            dialed_user = event.get("variable_dialed_user")
            if dialed_user:
                kind, device, trunk_name = EndpointKind.EXTENSION, dialed_user, None
            elif gateway is not None or not self._endpoints.is_extension(called or ""):
                kind, device = EndpointKind.EXTERNAL, called or ""
            else:
                kind, device, trunk_name = EndpointKind.EXTENSION, called or "", None
            return ChannelCreated(
                kind=kind,
                device=device,
                direction=Direction.OUTBOUND,
                called_number=device,
                trunk=trunk_name,
                originator_channel_id=self._originator(event),
                channel_id=uuid,
                caller_number=caller,
                caller_name=caller_name,
            )
        if trunk is not None or gateway is not None:
            return ChannelCreated(
                kind=EndpointKind.EXTERNAL,
                device=caller,
                direction=Direction.INBOUND,
                called_number=called,
                trunk=trunk_name,
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
        # The switch-made bridge these two were in, whichever of them named it
        # (after a resync its id comes from show calls, not from this event's A leg).
        bridge_id = self._own_bridge_of(a) or self._own_bridge_of(b)
        events: list[SwitchEvent] = []
        for uuid in (a, b):
            if uuid and bridge_id is not None and self._own_bridge_of(uuid) == bridge_id:
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
        self,
        rows: list[Mapping[str, str]],
        pairs: Sequence[tuple[str, str]] = (),
        gateways: Mapping[str, str] | None = None,
        originated: frozenset[str] = frozenset(),
    ) -> list[ChannelInfo]:
        """Rebuild the channel table from ``show channels as json`` rows and the
        bridged pairs of ``show calls as json``; pairs that are not ctid's own
        bridges become switch-made bridges.

        ``gateways`` holds the ``sip_gateway_name`` of the legs ``gateway_legs``
        named (show channels has no variables, so the driver asks).

        Only ctid's channels are reported: those it knows, and (after ctid
        itself restarted) those in a state only ctid puts channels in. Inbound
        channels the dialplan parked while ctid was away are left out here; those
        handed to ctid are announced by ``late_handovers``, so that ctid routes them.
        ``originated`` names the ringing legs a previous ctid originated
        (``ringing_legs``, then ``ORIGIN_VARIABLE`` asked of each)."""
        rows = [row for row in rows if self._reported(row) or row.get("uuid") in originated]
        reported = {row.get("uuid", "") for row in rows}
        conferences: dict[str, tuple[str, ...]] = {}
        for row in rows:
            bridge_id = _ctid_conference(row)
            uuid = row.get("uuid", "")
            if bridge_id is not None and not self._ours(uuid):
                conferences[bridge_id] = (*conferences.get(bridge_id, ()), uuid)
        for bridge_id, members in conferences.items():
            if self._bridges.get(bridge_id) is None:
                # ctid's conference, after ctid restarted: without adoption each
                # member came back as a call of its own and the conference
                # could not be held or cleared (FreeSWITCH 1.10.12).
                self._bridges.adopt(bridge_id, members, conference=True)
        self._own = {}
        for a, b in pairs:
            if self._ours(a) or self._ours(b):
                continue
            if a in reported and b in reported:
                # Both legs are ctid's (parked, uuid_bridge...): a previous ctid
                # bridged them. Adopted into the book, the bridge takes ctid's
                # commands again; as a switch-made bridge, holding or
                # transferring the call failed with noSuchBridge (seen on
                # FreeSWITCH 1.10.12 after a ctid restart).
                self._bridges.adopt(f"fs-{a}", (a, b))
            else:
                self._own[f"fs-{a}"] = {a, b}
        infos: list[ChannelInfo] = []
        seen: dict[str, _Channel] = {}
        for row in rows:
            info = self._info_from_row(row, (gateways or {}).get(row.get("uuid", "")))
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

    def _reported(self, row: Mapping[str, str]) -> bool:
        if row.get("uuid", "") in self._channels:
            return True
        if _waiting(row):
            return False
        application = row.get("application", "")
        if application == "conference":
            return row.get("application_data", "").startswith(CONFERENCE_PREFIX)
        return application in _CTID_APPLICATIONS

    def waiting(self, rows: list[Mapping[str, str]]) -> list[str]:
        """Channels ctid does not know that the dialplan parked: perhaps handed over
        while ctid was not connected (``late_handovers`` decides, with their variable)."""
        return [
            row.get("uuid", "")
            for row in rows
            if row.get("uuid") and row.get("uuid") not in self._channels and _waiting(row)
        ]

    def late_handovers(
        self, rows: list[Mapping[str, str]], dialed: Mapping[str, str]
    ) -> list[SwitchEvent]:
        """Channels handed to ctid while it was not connected, as new calls.

        ``dialed`` holds the ``ctid_dialed`` value of each waiting channel that
        has one (``show channels`` has no variables, so the driver asks).
        """
        out: list[SwitchEvent] = []
        for row in rows:
            uuid = row.get("uuid", "")
            number = dialed.get(uuid)
            if not number or uuid in self._channels or not _waiting(row):
                continue
            info = self._info_from_row(row)
            created = ChannelCreated(
                channel_id=uuid,
                kind=info.kind,
                device=info.device,
                direction=Direction.INBOUND,
                caller_number=row.get("cid_num", ""),
                caller_name=row.get("cid_name", ""),
                called_number=number,
                trunk=info.trunk,
            )
            channel = _Channel(info.kind, info.device, Direction.INBOUND)
            self._channels[uuid] = channel
            out.append(created)
            if info.state is ChannelState.UP:
                channel.answered = True
                out.append(ChannelAnswered(channel_id=uuid))
        return out

    def ringing_legs(self, rows: list[Mapping[str, str]]) -> list[str]:
        """Outbound legs ctid does not know (it restarted) that still ring: perhaps
        its own (a MakeCall's called phone, a queue's offer to an agent). They run
        no application before they answer, so only their variable tells."""
        return [
            row.get("uuid", "")
            for row in rows
            if row.get("uuid")
            and row.get("uuid") not in self._channels
            and row.get("direction") == "outbound"
            and not row.get("application")
            and row.get("callstate", "") in _RINGING_STATES
        ]

    def fax_legs(self, rows: list[Mapping[str, str]]) -> list[str]:
        """Channels ctid does not know (it restarted) running ``rxfax``/``txfax``:
        perhaps a fax ctid started (its ``ctid_fax_id`` variable tells)."""
        return [
            row.get("uuid", "")
            for row in rows
            if row.get("uuid")
            and row.get("uuid") not in self._channels
            and row.get("application") in ("rxfax", "txfax")
        ]

    def gateway_legs(self, rows: list[Mapping[str, str]]) -> list[str]:
        """Outbound sofia legs ctid does not know (it restarted) that may be a
        gateway's: the channel name gives the profile only (``sofia/external/0612``
        on 1.10.12), so a trunk known by its gateway alone needs the variable."""
        return [
            row.get("uuid", "")
            for row in rows
            if row.get("uuid")
            and row.get("uuid") not in self._channels
            and row.get("direction") == "outbound"
            and row.get("name", "").startswith("sofia/")
            and not row.get("presence_id")
            and self._reported(row)
        ]

    def _info_from_row(self, row: Mapping[str, str], gateway: str | None = None) -> ChannelInfo:
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
        trunk_name: str | None = None
        if known is not None:
            kind, device, direction = known.kind, known.device, known.direction
        else:
            name = row.get("name", "")
            if gateway is None and name.startswith("sofia/gateway/"):
                gateway = name.split("/")[2]
            profile = name.split("/")[1] if name.startswith("sofia/") else None
            trunk = self._endpoints.trunk_of(gateway=gateway, profile=profile)
            if trunk is not None or gateway is not None:
                kind = EndpointKind.EXTERNAL
                # dest is "conference:ctid-...@profile" once the leg is in one of
                # ctid's conferences (1.10.12); initial_dest keeps the number.
                number = row.get("initial_dest") or row.get("dest", "")
                device = number if outbound else row.get("cid_num", "")
                trunk_name = trunk.name if trunk is not None else gateway
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
            # An outbound leg's dest is the SIP contact's user for a phone
            # ("1001-0x5564f595b2d0" on a real switch) or the conference it
            # is in, not a number: the number called is its device.
            called_number=device if outbound else row.get("dest") or None,
            trunk=trunk_name,
            bridge_id=self._bridges.bridge_of(uuid),
            held=callstate == "HELD",
            created=_number(row.get("created_epoch")),
        )


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _ctid_conference(row: Mapping[str, str]) -> str | None:
    """The ctid bridge whose conference the ``show channels`` row is in, or None.

    The row's ``application_data`` is the conference with its profile,
    ``ctid-<bridge id>@<profile>`` (bridge ids have no ``@``)."""
    if row.get("application") != "conference":
        return None
    name = row.get("application_data", "").split("@")[0]
    if not name.startswith(CONFERENCE_PREFIX) or len(name) == len(CONFERENCE_PREFIX):
        return None
    return name[len(CONFERENCE_PREFIX) :]


def _waiting(row: Mapping[str, str]) -> bool:
    """A channel the dialplan parked for ctid (inbound, in ``park``)."""
    return row.get("direction") == "inbound" and row.get("application") == "park"
