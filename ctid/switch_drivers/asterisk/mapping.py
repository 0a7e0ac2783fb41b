"""The sans-IO core of the Asterisk driver: ARI events in, normalized switch events out.

``AriMapper`` is fed the decoded ARI event messages in the order the
WebSocket delivered them (``feed``) and returns, for each, the normalized
``SwitchEvent``s it means plus ``Effect``s: small requests to the I/O shell
(stop a playback on a digit, follow a channel that left Stasis alive, give up
the app name). It folds the events into its own model of channels and bridges,
so it never asks Asterisk for a channel per event, and it reports each change
once (``ChannelAnswered`` once, whether ``ChannelStateChange`` or ``Dial``
said it first). ``resync`` turns ``GET /channels`` and ``GET /bridges`` into
``Resynchronized`` and rebases the model on them.

The shell tells the mapper what ctid asked for before it asks Asterisk
(``expect_originate``, ``expect_playback``, ``expect_recording``, ...), since
the events of a request can arrive before its HTTP answer.

One mapper per driver; no I/O, no clock, no trio. Its parts: ``names`` (ctid's
marks on ARI objects), ``effects``, ``model`` (its records) and ``resync``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence

import attrs

from ctid.switch_drivers.asterisk import amd
from ctid.switch_drivers.asterisk.effects import (
    ApplicationLost,
    Effect,
    FaxReturned,
    FollowChannel,
    Output,
    StartAmd,
    StopPlaybackOnDigit,
)
from ctid.switch_drivers.asterisk.endpoints import (
    DIAL_FAILURES,
    EndpointConfig,
    endpoint_of,
    hangup_cause,
)
from ctid.switch_drivers.asterisk.fax import FAX_STASIS_ARG, FaxVariables
from ctid.switch_drivers.asterisk.model import (
    _STATES,
    JSON,
    _Bridge,
    _Channel,
    _Expected,
    _Playback,
)
from ctid.switch_drivers.asterisk.names import (
    ORIGIN_VARIABLE,
    ORIGINATE_ARG,
    SNOOP_ARG,
    SUPERVISION_BRIDGE,
)
from ctid.switch_drivers.asterisk.resync import Resync
from ctid.switch_drivers.base import (
    BridgeDestroyed,
    BridgeJoined,
    BridgeLeft,
    ChannelAlerting,
    ChannelAnswered,
    ChannelCreated,
    ChannelHeld,
    ChannelHungUp,
    ChannelRetrieved,
    ChannelState,
    DigitsReceived,
    Direction,
    EndpointKind,
    HangupCause,
    MediaTarget,
    Originate,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
    SwitchEvent,
)

__all__ = [
    "ORIGINATE_ARG",
    "ORIGIN_VARIABLE",
    "SNOOP_ARG",
    "SUPERVISION_BRIDGE",
    "ApplicationLost",
    "AriMapper",
    "Effect",
    "FaxReturned",
    "FollowChannel",
    "Output",
    "StartAmd",
    "StopPlaybackOnDigit",
]

log = logging.getLogger(__name__)


class AriMapper(Resync):
    """Folds one ARI event stream into normalized switch events; see the module docstring."""

    def __init__(self, *, config: EndpointConfig, app: str) -> None:
        self._config = config
        self._app = app
        self._channels: dict[str, _Channel] = {}
        self._bridges: dict[str, _Bridge] = {}
        self._expected: dict[str, _Expected] = {}
        self._internal_channels: set[str] = set()
        self._internal_bridges: set[str] = set()
        self._playbacks: dict[str, _Playback] = {}
        self._recordings: dict[str, str] = {}  # ARI recording name -> recording_id
        self._transfers: dict[str, str] = {}  # transferer channel id -> target exten
        #: Channels sent to the fax context: channel id -> (fax id, file).
        self._faxes: dict[str, tuple[str, str]] = {}
        self._fax_variables = FaxVariables()
        #: How many events of each type were dropped as noise or unknown.
        self.ignored: Counter[str] = Counter()
        self._handlers: dict[str, Callable[[JSON], list[Output]]] = {
            "StasisStart": self._stasis_start,
            "StasisEnd": self._stasis_end,
            "ChannelCreated": self._channel_seen,
            "ChannelStateChange": self._channel_seen,
            "Dial": self._dial,
            "ChannelDtmfReceived": self._dtmf,
            "ChannelHangupRequest": self._hangup_request,
            "ChannelDestroyed": self._destroyed,
            "ChannelVarset": self._varset,
            "ChannelEnteredBridge": self._entered_bridge,
            "ChannelLeftBridge": self._left_bridge,
            "BridgeCreated": self._bridge_created,
            "BridgeDestroyed": self._bridge_destroyed,
            "BridgeMerged": self._bridge_merged,
            "ChannelHold": self._hold,
            "ChannelUnhold": self._unhold,
            "BridgeBlindTransfer": self._blind_transfer,
            "PlaybackStarted": self._playback_started,
            "PlaybackFinished": self._playback_finished,
            "RecordingStarted": self._recording_started,
            "RecordingFinished": self._recording_finished,
            "RecordingFailed": self._recording_failed,
            "ApplicationReplaced": self._replaced,
        }

    # ------------------------------------------------------------ what ctid asks

    def held_objects(self) -> dict[str, int]:
        """What the mapper tracks, by kind (see ``SwitchDriver.held_objects``)."""
        return {
            "channels": len(self._channels),
            "bridges": len(self._bridges),
            "expected originates": len(self._expected),
            "internal channels": len(self._internal_channels),
            "internal bridges": len(self._internal_bridges),
            "playbacks": len(self._playbacks),
            "recordings": len(self._recordings),
            "transfers": len(self._transfers),
        }

    def expect_originate(self, command: Originate) -> None:
        """ctid is about to originate ``command.channel_id``."""
        trunk = None
        if command.kind is EndpointKind.EXTERNAL:
            trunk = self._config.trunk_name(command.trunk)
        self._expected[command.channel_id] = _Expected(
            kind=command.kind,
            device=command.device,
            trunk=trunk,
            caller_number=command.caller_number,
            caller_name=command.caller_name,
            originator=command.originator_channel_id,
            variables=dict(command.variables),
            detect_machines=command.detect_machines,
        )

    def forget_originate(self, channel_id: str) -> None:
        """The originate was refused: no channel will come."""
        self._expected.pop(channel_id, None)

    def originate_unreachable(self, channel_id: str, detail: str) -> list[SwitchEvent]:
        """Asterisk refused to make the channel of a phone it cannot reach (500
        "Allocation failed": a PJSIP endpoint with no registered contact). Told as
        the switch would tell any unreachable phone: created, then hung up
        ``UNREACHABLE``, so the call fails as on FreeSWITCH (destNotObtainable)."""
        expected = self._expected.pop(channel_id, None)
        if expected is None or channel_id in self._channels:
            return []
        created = ChannelCreated(
            channel_id=channel_id,
            kind=expected.kind,
            device=expected.device,
            direction=Direction.OUTBOUND,
            caller_number=expected.caller_number,
            caller_name=expected.caller_name,
            called_number=expected.device if expected.kind is EndpointKind.EXTERNAL else None,
            trunk=expected.trunk,
            originator_channel_id=expected.originator,
            variables=dict(expected.variables),
        )
        return [
            created,
            ChannelHungUp(channel_id=channel_id, cause=HangupCause.UNREACHABLE, detail=detail),
        ]

    def expect_internal_channel(self, channel_id: str) -> None:
        """A channel the driver makes for itself (a snoop): never reported."""
        self._internal_channels.add(channel_id)

    def supervision_bridges_left(self, kept: Collection[str]) -> list[str]:
        """Supervision bridges (a previous ctid's) with none of ctid's channels left in
        them, other than ``kept``: a supervisor not taken over hung up, or never came back."""
        return [
            bridge_id
            for bridge_id, bridge in self._bridges.items()
            if bridge_id.startswith(SUPERVISION_BRIDGE)
            and bridge_id not in kept
            and not any(c in self._channels for c in bridge.channels)
        ]

    def expect_internal_bridge(self, bridge_id: str) -> None:
        """A bridge the driver makes for itself (supervision): never reported."""
        self._internal_bridges.add(bridge_id)

    def expect_playback(self, playback_id: str, target: MediaTarget, stop_on_digit: bool) -> None:
        self._playbacks[playback_id] = _Playback(
            channel_id=target.channel_id, bridge_id=target.bridge_id, stop_on_digit=stop_on_digit
        )

    def playback_stopping(self, playback_id: str) -> None:
        """ctid stops the playback: its end is reported as ``stopped``."""
        playback = self._playbacks.get(playback_id)
        if playback is not None:
            playback.stopping = True

    def forget_playback(self, playback_id: str) -> None:
        self._playbacks.pop(playback_id, None)

    def expect_recording(self, recording_id: str, name: str) -> None:
        """ctid records under the ARI name ``name``."""
        self._recordings[name] = recording_id

    def recording_name(self, recording_id: str) -> str | None:
        """The ARI name of ctid's recording, if it is live."""
        for name, rid in self._recordings.items():
            if rid == recording_id:
                return name
        return None

    def forget_recording(self, name: str) -> None:
        self._recordings.pop(name, None)

    def set_music(self, bridge_id: str, on: bool) -> None:
        """Music on hold started or stopped in a bridge (no ARI event says so)."""
        bridge = self._bridges.get(bridge_id)
        if bridge is not None:
            bridge.music = on

    def knows_bridge(self, bridge_id: str) -> bool:
        return bridge_id in self._bridges

    def note_bridge(self, bridge_id: str) -> None:
        """ctid created the bridge (its ``BridgeCreated`` may come later)."""
        self._bridges.setdefault(bridge_id, _Bridge())

    def channel_bridge(self, channel_id: str) -> str | None:
        """The bridge the channel is in, as far as the events said."""
        channel = self._channels.get(channel_id)
        return channel.bridge_id if channel else None

    def channel_vanished(self, channel_id: str) -> list[Output]:
        """A followed channel was already gone: report its end."""
        channel = self._channels.get(channel_id)
        if channel is None:
            return []
        return self._end(channel, cause=0, detail="left Stasis and ended unseen")

    # --------------------------------------------------------------------- feed

    def feed(self, message: JSON) -> list[Output]:
        """Fold one ARI event message in; return what it means, in order."""
        kind = message.get("type")
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            self.ignored[str(kind)] += 1
            return []
        return handler(message)

    # -------------------------------------------------------------- channels

    def _describe(self, ch: JSON, args: Sequence[str] = ()) -> _Channel | None:
        """A new channel's model, or ``None`` if it is internal."""
        cid = ch["id"]
        if cid in self._internal_channels or (args and args[0] == SNOOP_ARG):
            self._internal_channels.add(cid)
            return None
        if cid.endswith(";2") and (cid[:-2] in self._channels or cid[:-2] in self._expected):
            # The dialplan half of a Local channel ctid originated (Asterisk names it
            # "<id>;2"): the far end's side, no party of its own. Taken for a new call
            # on the lab's Asterisk 22.10.1, it was routed out again through the same
            # Local trunk, over and over.
            self._internal_channels.add(cid)
            return None
        state = _STATES.get(ch.get("state", "Unknown"), ChannelState.DOWN)
        expected = self._expected.pop(cid, None)
        caller = ch.get("caller") or {}
        if expected is not None:
            return _Channel(
                id=cid,
                kind=expected.kind,
                device=expected.device,
                direction=Direction.OUTBOUND,
                trunk=expected.trunk,
                caller_number=expected.caller_number,
                caller_name=expected.caller_name,
                called_number=expected.device if expected.kind is EndpointKind.EXTERNAL else None,
                state=state,
                offered=False,
                awaits_stasis=True,
                amd="wanted" if expected.detect_machines else "",
            )
        exten = (ch.get("dialplan") or {}).get("exten") or ""
        called = exten if exten not in ("", "s") else None
        endpoint = endpoint_of(ch.get("name", ""))
        classified = self._config.classify(endpoint)
        direction = Direction.OUTBOUND if args and args[0] == ORIGINATE_ARG else Direction.INBOUND
        if classified is not None and classified.kind is EndpointKind.EXTENSION:
            kind, device, trunk = EndpointKind.EXTENSION, classified.extension or "", None
        elif classified is not None:
            kind, device, trunk = EndpointKind.EXTERNAL, caller.get("number", ""), classified.trunk
            if direction is Direction.OUTBOUND:
                device = called or (ch.get("connected") or {}).get("number", "")
        else:
            # An endpoint no rule claims (a Local channel, another technology):
            # an outside party whose "trunk" is the endpoint itself.
            kind, device, trunk = EndpointKind.EXTERNAL, caller.get("number", ""), endpoint
        return _Channel(
            id=cid,
            kind=kind,
            device=device,
            direction=direction,
            trunk=trunk,
            caller_number=caller.get("number", ""),
            caller_name=caller.get("name", ""),
            called_number=called,
            state=state,
            offered=ch.get("state") == "Ring",
        )

    def _created(
        self,
        channel: _Channel,
        ch: JSON,
        *,
        originator: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> list[Output]:
        self._channels[channel.id] = channel
        out: list[Output] = [
            ChannelCreated(
                channel_id=channel.id,
                kind=channel.kind,
                device=channel.device,
                direction=channel.direction,
                caller_number=channel.caller_number,
                caller_name=channel.caller_name,
                called_number=channel.called_number,
                trunk=channel.trunk,
                originator_channel_id=originator,
                variables=dict(variables or {}),
            )
        ]
        out.extend(self._state_changed(channel, ch.get("state", "")))
        return out

    def _known_or_new(
        self,
        ch: JSON,
        *,
        args: Sequence[str] = (),
        originator: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> tuple[_Channel | None, list[Output]]:
        channel = self._channels.get(ch["id"])
        if channel is not None:
            return channel, []
        expected = self._expected.get(ch["id"])
        channel = self._describe(ch, args)
        if channel is None:
            return None, []
        if expected is not None:
            originator = expected.originator
            variables = expected.variables
        return channel, self._created(channel, ch, originator=originator, variables=variables)

    def _state_changed(self, channel: _Channel, ari_state: str) -> list[Output]:
        state = _STATES.get(ari_state)
        if state is None:
            return []
        channel.state = state
        if ari_state == "Ringing" and not channel.offered:
            return self._alerting(channel)
        if state is ChannelState.UP:
            return self._answered(channel)
        return []

    def _alerting(self, channel: _Channel) -> list[Output]:
        if channel.alerted or channel.answered:
            return []
        channel.alerted = True
        return [ChannelAlerting(channel_id=channel.id)]

    def _answered(self, channel: _Channel) -> list[Output]:
        if channel.answered:
            return []
        if channel.awaits_stasis and not channel.in_stasis:
            # Up (ChannelStateChange, Dial ANSWER) a moment before StasisStart:
            # ctid may not bridge it yet (422), so "answered" waits for the app.
            channel.answer_pending = True
            return []
        if channel.amd == "wanted":
            # In the app and answered: AMD listens first; the answer waits for its verdict.
            channel.answer_pending = True
            channel.amd = "running"
            return [StartAmd(channel.id)]
        if channel.amd == "running":
            channel.answer_pending = True
            return []
        channel.answer_pending = False
        channel.answered = True
        channel.state = ChannelState.UP
        return [ChannelAnswered(channel_id=channel.id)]

    def amd_failed(self, channel_id: str, why: str) -> list[Output]:
        """Detection could not start on ``channel_id``: answered now, verdict ``unknown``."""
        channel = self._channels.get(channel_id)
        if channel is None or channel.amd not in ("wanted", "running"):
            return []
        channel.amd = ""
        return [*self._answered(channel), amd.undetected(channel_id, why)]

    def fax_started(self, channel_id: str, fax_id: str, path: str) -> None:
        """The shell sent ``channel_id`` to the fax context (before ``continue``)."""
        self._faxes[channel_id] = (fax_id, path)

    def fax_not_started(self, channel_id: str) -> None:
        self._faxes.pop(channel_id, None)
        self._fax_variables.forget(channel_id)

    def _varset(self, event: JSON) -> list[Output]:
        # Most of the event stream: only a channel in the fax context is looked at.
        cid = (event.get("channel") or {}).get("id")
        if cid in self._faxes:
            self._fax_variables.varset(cid, str(event.get("variable")), str(event.get("value")))
        else:
            self.ignored["ChannelVarset"] += 1
        return []

    def _stasis_start(self, event: JSON) -> list[Output]:
        ch = event["channel"]
        args = [str(a) for a in event.get("args", [])]
        replaced = (event.get("replace_channel") or {}).get("id")
        known = self._channels.get(ch["id"])
        if known is not None:
            known.in_stasis = True
            verdict: list[Output] = []
            if known.amd == "running":  # back from the AMD context
                known.amd = ""
                verdict.append(amd.returned(known.id, args))
            out = self._answered(known) if known.answer_pending else []
            out.extend(verdict)
            faxing = self._faxes.get(known.id)
            if args[:1] == [FAX_STASIS_ARG] and faxing is not None and args[1:2] == [faxing[0]]:
                del self._faxes[known.id]
                self._fax_variables.forget(known.id)
                out.append(FaxReturned(known.id, faxing[0], faxing[1]))
            return out + self._state_changed(known, ch.get("state", ""))
        originator = None
        variables: dict[str, str] = dict(ch.get("channelvars") or {})
        if args:
            variables["STASIS_ARGS"] = ",".join(args)
        target = self._transfers.pop(replaced, None) if replaced else None
        if replaced:
            originator = replaced
        channel, out = self._known_or_new(ch, args=args, originator=originator, variables=variables)
        if channel is not None:
            channel.in_stasis = True
            if channel.answer_pending:
                out.extend(self._answered(channel))
        if channel is not None and target is not None:
            # A transfer's new leg (a Local channel into the dialplan): its
            # party is the transfer target, known only by number.
            channel.kind = self._config.number_kind(target)
            channel.device = target
            channel.called_number = target
            channel.trunk = None
            created = out[0]
            assert isinstance(created, ChannelCreated)
            out[0] = attrs.evolve(
                created, kind=channel.kind, device=target, called_number=target, trunk=None
            )
        return out

    def _stasis_end(self, event: JSON) -> list[Output]:
        cid = event["channel"]["id"]
        self._internal_channels.discard(cid)  # a snoop ends with its Stasis
        channel = self._channels.get(cid)
        if channel is None:
            return []
        channel.in_stasis = False
        if not channel.hangup_requested:
            return [FollowChannel(channel.id)]
        # Hung up: this is its end. A ChannelDestroyed may follow, or may not:
        # Asterisk sends none after StasisEnd to an app that got the channel from
        # Stasis() alone, nor for a channel that a phone's own transfer replaced
        # (both seen on 22.10.1). A late one is ignored, the channel is unknown.
        cause = channel.hangup_cause or 16
        return self._end(channel, cause=cause, detail=f"{cause} (hang-up request)")

    def _channel_seen(self, event: JSON) -> list[Output]:
        ch = event["channel"]
        channel, out = self._known_or_new(ch)
        if channel is None or out:
            return out
        return self._state_changed(channel, ch.get("state", ""))

    def _dial(self, event: JSON) -> list[Output]:
        peer = event["peer"]
        caller = event.get("caller")
        originator = caller["id"] if caller else None
        channel, out = self._known_or_new(peer, originator=originator)
        if channel is None:
            return out
        status = event.get("dialstatus", "")
        if status == "RINGING":
            out.extend(self._alerting(channel))
        elif status == "ANSWER":
            out.extend(self._answered(channel))
        elif status in DIAL_FAILURES:
            channel.dial_failure = status
        return out

    def _dtmf(self, event: JSON) -> list[Output]:
        channel = self._channels.get(event["channel"]["id"])
        if channel is None:
            return []
        out: list[Output] = [DigitsReceived(channel_id=channel.id, digits=str(event["digit"]))]
        for playback_id, playback in self._playbacks.items():
            on_target = playback.channel_id == channel.id or (
                playback.bridge_id is not None and playback.bridge_id == channel.bridge_id
            )
            if playback.stop_on_digit and on_target and not playback.stopping:
                playback.stopping = True
                out.append(StopPlaybackOnDigit(playback_id))
        return out

    def _hangup_request(self, event: JSON) -> list[Output]:
        channel = self._channels.get(event["channel"]["id"])
        if channel is not None:
            channel.hangup_requested = True
            if not event.get("soft"):  # ARI's own DELETE is a soft request, cause 32
                channel.hangup_cause = int(event.get("cause") or channel.hangup_cause)
        return []

    def _destroyed(self, event: JSON) -> list[Output]:
        ch = event["channel"]
        cid = ch["id"]
        if cid in self._internal_channels:
            self._internal_channels.discard(cid)
            return []
        out: list[Output] = []
        channel = self._channels.get(cid)
        if channel is None:
            if cid not in self._expected:
                return []
            # An originate that died before any other event: still report it.
            channel, out = self._known_or_new(ch)
            if channel is None:
                return out
        detail = f"{event.get('cause', 0)} {event.get('cause_txt', '')}".strip()
        tech = int(event.get("tech_cause") or 0)
        if tech:
            detail += f" (SIP {tech})"
        return out + self._end(
            channel, cause=int(event.get("cause", 0)), detail=detail, tech_cause=tech
        )

    def _end(
        self, channel: _Channel, *, cause: int, detail: str, tech_cause: int = 0
    ) -> list[Output]:
        out: list[Output] = []
        if channel.bridge_id is not None:
            out.extend(self._leave(channel, channel.bridge_id))
        rang = channel.alerted or channel.answered or channel.direction is Direction.INBOUND
        normalized = hangup_cause(cause, tech_cause, rang=rang)
        if channel.dial_failure and cause in (0, 16) and not channel.answered:
            normalized = DIAL_FAILURES[channel.dial_failure]
        if channel.answer_pending and not channel.in_stasis and not channel.hangup_requested:
            # Answered, but it never reached ctid's application, and nobody asked
            # for the hang-up (ctid's own DELETE is a hangup request): Asterisk
            # could not run Stasis() for it (app_stasis not loaded). Whatever
            # cause Asterisk gives, the call failed and must say so.
            normalized = HangupCause.FAILED
            detail = f"{detail}; answered but never entered Stasis application {self._app!r}"
            log.warning(
                "channel %s was answered but never entered the Stasis application %r "
                "(is app_stasis loaded? 'module show like app_stasis' on Asterisk)",
                channel.id,
                self._app,
            )
        del self._channels[channel.id]
        self._transfers.pop(channel.id, None)
        faxing = self._faxes.pop(channel.id, None)
        if faxing is not None:
            out.append(self._fax_variables.ended(channel.id, *faxing))
        out.append(ChannelHungUp(channel_id=channel.id, cause=normalized, detail=detail))
        return out

    def _hold(self, event: JSON) -> list[Output]:
        channel = self._channels.get(event["channel"]["id"])
        if channel is None or channel.held:
            return []
        channel.held = True
        return [ChannelHeld(channel_id=channel.id)]

    def _unhold(self, event: JSON) -> list[Output]:
        channel = self._channels.get(event["channel"]["id"])
        if channel is None or not channel.held:
            return []
        channel.held = False
        return [ChannelRetrieved(channel_id=channel.id)]

    def _blind_transfer(self, event: JSON) -> list[Output]:
        # Nothing changes yet: the transferer's replacement arrives as a
        # StasisStart with replace_channel, the other moves as bridge events.
        # Remember the target so the replacement leg gets the right device.
        if event.get("result") == "Success":
            self._transfers[event["channel"]["id"]] = str(event["exten"])
        return []

    def _replaced(self, event: JSON) -> list[Output]:
        return [ApplicationLost("ApplicationReplaced: another connection took the app name")]

    # --------------------------------------------------------------- bridges

    def _join(self, channel: _Channel, bridge_id: str) -> list[Output]:
        if channel.bridge_id == bridge_id:
            return []
        out: list[Output] = []
        if channel.bridge_id is not None:
            out.extend(self._leave(channel, channel.bridge_id))
        channel.bridge_id = bridge_id
        self._bridges.setdefault(bridge_id, _Bridge()).channels.add(channel.id)
        if bridge_id not in self._internal_bridges:
            out.append(BridgeJoined(bridge_id=bridge_id, channel_id=channel.id))
        return out

    def _leave(self, channel: _Channel, bridge_id: str) -> list[Output]:
        if channel.bridge_id != bridge_id:
            return []
        channel.bridge_id = None
        bridge = self._bridges.get(bridge_id)
        if bridge is not None:
            bridge.channels.discard(channel.id)
        if bridge_id in self._internal_bridges:
            return []
        return [BridgeLeft(bridge_id=bridge_id, channel_id=channel.id)]

    def _entered_bridge(self, event: JSON) -> list[Output]:
        ch = event.get("channel")
        bridge_id = event["bridge"]["id"]
        self._bridges.setdefault(bridge_id, _Bridge())
        if ch is None:
            return []
        channel, out = self._known_or_new(ch)
        if channel is None:
            return out
        return out + self._join(channel, bridge_id)

    def _left_bridge(self, event: JSON) -> list[Output]:
        channel = self._channels.get(event["channel"]["id"])
        if channel is None:
            return []
        return self._leave(channel, event["bridge"]["id"])

    def _bridge_created(self, event: JSON) -> list[Output]:
        self._bridges.setdefault(event["bridge"]["id"], _Bridge())
        return []

    def _bridge_destroyed(self, event: JSON) -> list[Output]:
        bridge_id = event["bridge"]["id"]
        out: list[Output] = []
        bridge = self._bridges.pop(bridge_id, None)
        for cid in sorted(bridge.channels if bridge else ()):
            channel = self._channels.get(cid)
            if channel is not None and channel.bridge_id == bridge_id:
                channel.bridge_id = None
                if bridge_id not in self._internal_bridges:
                    out.append(BridgeLeft(bridge_id=bridge_id, channel_id=cid))
        if bridge_id in self._internal_bridges:
            self._internal_bridges.discard(bridge_id)
            return out
        out.append(BridgeDestroyed(bridge_id=bridge_id))
        return out

    def _bridge_merged(self, event: JSON) -> list[Output]:
        into = event["bridge"]["id"]
        out: list[Output] = []
        for cid in event["bridge_from"].get("channels", []):
            channel = self._channels.get(cid)
            if channel is not None:
                out.extend(self._join(channel, into))
        return out

    # ------------------------------------------------------- playbacks, recordings

    def _playback_started(self, event: JSON) -> list[Output]:
        playback_id = event["playback"]["id"]
        if playback_id not in self._playbacks:
            return []
        return [PlaybackStarted(playback_id=playback_id)]

    def _playback_finished(self, event: JSON) -> list[Output]:
        playback = event["playback"]
        mine = self._playbacks.pop(playback["id"], None)
        if mine is None:
            return []
        if playback.get("state") == "failed":
            reason = "failed"
        elif mine.stopping:
            reason = "stopped"
        else:
            reason = "done"
        return [PlaybackFinished(playback_id=playback["id"], reason=reason)]

    def _recording_started(self, event: JSON) -> list[Output]:
        rid = self._recordings.get(event["recording"]["name"])
        return [RecordingStarted(recording_id=rid)] if rid else []

    def _recording_finished(self, event: JSON) -> list[Output]:
        recording = event["recording"]
        rid = self._recordings.pop(recording["name"], None)
        if rid is None:
            return []
        return [
            RecordingFinished(
                recording_id=rid,
                path=f"{recording['name']}.{recording['format']}",
                duration=float(recording.get("duration", 0)),
            )
        ]

    def _recording_failed(self, event: JSON) -> list[Output]:
        recording = event["recording"]
        rid = self._recordings.pop(recording["name"], None)
        if rid is None:
            return []
        return [RecordingFailed(recording_id=rid, detail=str(recording.get("cause", "")))]
