"""The voice-card simulator's core: lines, phones, outside parties, bridges. Sans-IO.

A voice card's channels are idle, ringing, collecting digits, dialling, alerting,
connected, playing or waiting for hang-up. Its extension lines are wired to phones
(off-hook, on-hook, keys); on its outside lines simulated callers call in, and far
ends answer (people or machines), are busy or never answer, by number pattern.

``SimSwitch`` is pure: every method takes the current time, changes state,
and appends normalized events to ``events``; timeouts are kept as deadlines
that the owner serves by calling ``advance(now)`` at ``next_deadline()``. So the
same code runs on trio's real clock and on ``MockClock``.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial

from .. import base as sw
from . import fax, machines
from .config import OutsideBehaviour, OutsideRule, SimulatorConfig
from .hearing import channel_hears
from .objects import (
    Bridge,
    Channel,
    Line,
    LineState,
    Playback,
    Recording,
    SimError,
    Supervision,
)
from .trunks import Trunks

__all__ = ["Line", "LineState", "SimError", "SimSwitch"]


class SimSwitch:
    """The simulated card; see the module docstring."""

    def __init__(
        self, config: SimulatorConfig, *, sound_seconds: Callable[[str], float] | None = None
    ) -> None:
        self.config = config
        self.lines: dict[str, Line] = {
            ext: Line(name=ext, kind=sw.EndpointKind.EXTENSION) for ext in config.extensions
        }
        self.trunk_lines = [
            Line(name=f"{config.trunk_group}/{n}", kind=sw.EndpointKind.EXTERNAL)
            for n in range(1, config.trunks + 1)
        ]
        for line in self.trunk_lines:
            self.lines[line.name] = line
        self.trunks = Trunks(self.trunk_lines)
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.playbacks: dict[str, Playback] = {}
        self.recordings: dict[str, Recording] = {}
        #: Recordings that ended, with their timelines, for the driver to write out.
        self.finished_recordings: dict[str, Recording] = {}
        self.supervisions: dict[str, Supervision] = {}
        self.fax = fax.FaxBook()  # transfers in progress and the last ones finished
        self.events: deque[sw.SwitchEvent] = deque()
        self._timers: list[tuple[float, int, str, Callable[[float], None]]] = []
        self._timer_order = itertools.count()
        #: Timer key -> the order number of its one armed entry in ``_timers``. Heap
        #: entries not named here were cancelled or re-armed: they are dropped
        #: when they reach the top, so this map and the heap hold only live timers
        #: and stale ones not yet due, never the history of ended calls.
        self._armed: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._created = itertools.count(1)
        self._sound_seconds = sound_seconds or self._default_sound_seconds
        self.callee_rng = random.Random(config.callee_seed)  # draws of ``config.callees``

    def _default_sound_seconds(self, uri: str) -> float:
        return self.config.default_sound_seconds

    # ---------------------------------------------------------------- timers

    def _at(self, when: float, key: str, action: Callable[[float], None]) -> None:
        """Arm the timer ``key``; arming it again replaces its earlier deadline."""
        order = next(self._timer_order)
        self._armed[key] = order
        heapq.heappush(self._timers, (when, order, key, action))

    def _cancel(self, key: str) -> None:
        self._armed.pop(key, None)

    def _drop_stale(self) -> None:
        while self._timers and self._armed.get(self._timers[0][2]) != self._timers[0][1]:
            heapq.heappop(self._timers)

    def next_deadline(self) -> float:
        self._drop_stale()
        return self._timers[0][0] if self._timers else math.inf

    def pending_timers(self) -> int:
        """How many timers are armed (for tests and leak checks)."""
        return len(self._armed)

    def advance(self, now: float) -> None:
        """Run every timeout due at ``now``."""
        while True:
            self._drop_stale()
            if not self._timers or self._timers[0][0] > now:
                break
            _, _, key, action = heapq.heappop(self._timers)
            del self._armed[key]  # one-shot
            action(now)
        self._track_media(now)

    # --------------------------------------------------------------- helpers

    def _emit(self, event: sw.SwitchEvent) -> None:
        self.events.append(event)

    def _new_channel_id(self) -> str:
        return f"sim-{next(self._ids)}"

    def _line(self, device: str) -> Line:
        line = self.lines.get(device)
        if line is None:
            line = self.trunks.on_call(device)
        if line is None:
            raise SimError(f"no extension or outside caller {device!r}")
        return line

    def _channel(self, channel_id: str) -> Channel:
        chan = self.channels.get(channel_id)
        if chan is None:
            raise sw.CommandRejected(sw.RejectReason.NO_SUCH_CHANNEL, channel_id)
        return chan

    def _start_channel(
        self,
        line: Line,
        *,
        channel_id: str,
        direction: sw.Direction,
        device: str,
        caller_number: str,
        called_number: str | None,
        originator: str | None = None,
    ) -> Channel:
        chan = Channel(
            channel_id=channel_id,
            line=line,
            direction=direction,
            device=device,
            caller_number=caller_number,
            called_number=called_number,
            created=next(self._created),
        )
        self.channels[channel_id] = chan
        line.channel_id = channel_id
        self.trunks.channel_started(line)
        self._emit(
            sw.ChannelCreated(
                channel_id=channel_id,
                kind=line.kind,
                device=device,
                direction=direction,
                caller_number=caller_number,
                called_number=called_number,
                trunk=line.name if line.kind is sw.EndpointKind.EXTERNAL else None,
                originator_channel_id=originator,
            )
        )
        return chan

    def _end_channel(self, chan: Channel, cause: sw.HangupCause, now: float) -> None:
        """The channel is over; the line goes idle, or waits for its phone to hang up."""
        for timer in ("timeout", "answer", "hangup", "alert", "amd"):
            self._cancel(f"{timer}:{chan.channel_id}")
        fax.channel_ended(self, chan, now)
        if chan.bridge_id is not None:
            self._leave_bridge(chan)
        if chan.playback_id is not None:
            self._finish_playback(chan.playback_id, "stopped")
        for rec in list(self.recordings.values()):
            if rec.target.channel_id == chan.channel_id:
                self._finish_recording(rec, now)
        for sup in list(self.supervisions.values()):
            if chan.channel_id in (sup.supervisor, sup.target):
                del self.supervisions[sup.supervision_id]
        del self.channels[chan.channel_id]
        line = chan.line
        self.trunks.channel_ending(line)
        line.channel_id = None
        line.digits = ""
        if line.handsfree:
            line.handsfree = False
            line.off_hook = False
        if line.kind is sw.EndpointKind.EXTENSION and line.off_hook:
            line.state = LineState.WAITING_HANGUP
        else:
            line.state = LineState.IDLE
            line.party = None
            self.trunks.went_idle(line)
        self._emit(sw.ChannelHungUp(channel_id=chan.channel_id, cause=cause))

    def _answer(self, chan: Channel, now: float, *, handsfree: bool = False) -> None:
        if chan.answered:
            return
        chan.answered = True
        self._cancel(f"timeout:{chan.channel_id}")
        chan.line.state = LineState.CONNECTED
        if chan.line.kind is sw.EndpointKind.EXTENSION and not chan.line.off_hook:
            chan.line.off_hook = True
            chan.line.handsfree = handsfree
        self._emit(sw.ChannelAnswered(channel_id=chan.channel_id))
        fax.answered(self, chan, now)
        machines.answered(self, chan, now)
        if chan.behaviour_hangup_after is not None:
            self._at(
                now + chan.behaviour_hangup_after,
                f"hangup:{chan.channel_id}",
                partial(self._far_end_hangup, chan),
            )

    def _far_end_hangup(self, chan: Channel, now: float) -> None:
        if chan.channel_id in self.channels:
            self._end_channel(chan, sw.HangupCause.NORMAL, now)

    # ----------------------------------------------------- phones and callers

    def off_hook(self, device: str, now: float) -> str:
        """A phone goes off-hook: answers if ringing, else gets dial tone. Returns the channel."""
        try:
            return self._off_hook(device, now)
        finally:
            self._track_media(now)

    def _off_hook(self, device: str, now: float) -> str:
        line = self.lines.get(device)
        if line is None or line.kind is not sw.EndpointKind.EXTENSION:
            raise SimError(f"{device!r} is not an extension with a phone")
        if line.off_hook:
            raise SimError(f"phone {device} is already off-hook")
        if line.state is LineState.RINGING and line.channel_id is not None:
            chan = self.channels[line.channel_id]
            self._answer(chan, now)
            return chan.channel_id
        if line.state is not LineState.IDLE:
            raise SimError(f"phone {device} is {line.state.value}")
        line.off_hook = True
        line.state = LineState.COLLECTING
        chan = self._start_channel(
            line,
            channel_id=self._new_channel_id(),
            direction=sw.Direction.INBOUND,
            device=device,
            caller_number=device,
            called_number=None,
        )
        self._at(
            now + self.config.first_digit_timeout,
            f"timeout:{chan.channel_id}",
            partial(self._dial_timeout, chan),
        )
        return chan.channel_id

    def _dial_timeout(self, chan: Channel, now: float) -> None:
        if chan.channel_id not in self.channels or chan.line.state is not LineState.COLLECTING:
            return
        if chan.line.digits:
            self._dialed(chan, now)
        else:
            # Nothing dialled: the card drops the channel and the phone hears busy tone.
            self._end_channel(chan, sw.HangupCause.NORMAL, now)

    def _dialed(self, chan: Channel, now: float) -> None:
        number = chan.line.digits.rstrip("#")
        chan.line.digits = ""
        chan.called_number = number
        chan.line.state = LineState.DIALING
        self._cancel(f"timeout:{chan.channel_id}")
        self._emit(sw.ChannelDialed(channel_id=chan.channel_id, number=number))

    def on_hook(self, device: str, now: float) -> None:
        """A phone hangs up, or an outside caller (by number) hangs up."""
        try:
            self._on_hook(device, now)
        finally:
            self._track_media(now)

    def _on_hook(self, device: str, now: float) -> None:
        line = self._line(device)
        if line.kind is sw.EndpointKind.EXTENSION:
            if not line.off_hook:
                raise SimError(f"phone {device} is already on-hook")
            line.off_hook = False
        chan = self.channels.get(line.channel_id) if line.channel_id else None
        if chan is not None:
            self._end_channel(chan, sw.HangupCause.NORMAL, now)
        else:
            line.state = LineState.IDLE
            line.party = None
            self.trunks.went_idle(line)

    def press_digits(self, device: str, digits: str, now: float) -> None:
        """Keys pressed on a phone, or DTMF from an outside caller (by number)."""
        if not digits or not set(digits) <= set("0123456789*#ABCD"):
            raise SimError("digits must be 0-9, *, #, A-D")
        line = self._line(device)
        chan = self.channels.get(line.channel_id) if line.channel_id else None
        if chan is None:
            raise SimError(f"{device} has no call to send digits on")
        if line.state is LineState.COLLECTING:
            for digit in digits:
                line.digits += digit
                if digit == "#" or line.digits in self.lines:
                    self._dialed(chan, now)
                    return
            self._at(
                now + self.config.inter_digit_timeout,
                f"timeout:{chan.channel_id}",
                partial(self._dial_timeout, chan),
            )
            return
        if not chan.answered:
            raise SimError(f"{device} is {line.state.value}: nobody listens to digits yet")
        for digit in digits:
            self._emit(sw.DigitsReceived(channel_id=chan.channel_id, digits=digit))
            pb = self.playbacks.get(chan.playback_id) if chan.playback_id else None
            if pb is not None and pb.stop_on_digit:
                self._finish_playback(pb.playback_id, "stopped")

    def hold_key(self, device: str, now: float) -> None:
        """The phone's own hold key (toggles)."""
        line = self._line(device)
        chan = self.channels.get(line.channel_id) if line.channel_id else None
        if chan is None or not chan.answered:
            raise SimError(f"{device} has no call to hold")
        chan.music = not chan.music
        self._emit(
            sw.ChannelHeld(channel_id=chan.channel_id)
            if chan.music
            else sw.ChannelRetrieved(channel_id=chan.channel_id)
        )
        self._track_media(now)

    def incoming_call(self, calling: str, called: str, now: float, trunk: str | None = None) -> str:
        """An outside caller dials in on a free outside line; returns the channel id."""
        if self.trunks.on_call(calling) is not None:
            raise SimError(f"outside caller {calling} is already on a call")
        if trunk is not None:
            line = self.lines.get(trunk)
            if line is None or line.kind is not sw.EndpointKind.EXTERNAL:
                raise SimError(f"no outside line {trunk!r}")
            if line.state is not LineState.IDLE:
                raise SimError(f"outside line {trunk} is {line.state.value}")
        else:
            free = self.trunks.first_idle()
            if free is None:
                raise SimError("all outside lines are busy")
            line = free
        line.state = LineState.RINGING
        line.party = calling
        chan = self._start_channel(
            line,
            channel_id=self._new_channel_id(),
            direction=sw.Direction.INBOUND,
            device=calling,
            caller_number=calling,
            called_number=called,
        )
        return chan.channel_id

    # ----------------------------------------------------------- switch side

    def execute(self, cmd: sw.SwitchCommand, now: float) -> None:
        """Carry out a ctid command; raises ``CommandRejected`` as a switch would."""
        try:
            self._execute(cmd, now)
        finally:
            self._track_media(now)

    def _execute(self, cmd: sw.SwitchCommand, now: float) -> None:
        match cmd:
            case sw.Originate():
                self._originate(cmd, now)
            case sw.Answer():
                chan = self._channel(cmd.channel_id)
                if chan.answered:
                    raise sw.CommandRejected(sw.RejectReason.INVALID_STATE, "already answered")
                self._answer(chan, now, handsfree=chan.direction is sw.Direction.OUTBOUND)
            case sw.Ring():
                self._channel(cmd.channel_id)
            case sw.Hangup():
                self._end_channel(self._channel(cmd.channel_id), cmd.cause, now)
            case sw.BridgeAdd():
                chan = self._channel(cmd.channel_id)
                if chan.bridge_id == cmd.bridge_id:
                    return
                if chan.bridge_id is not None:
                    self._leave_bridge(chan)
                bridge = self.bridges.get(cmd.bridge_id)
                if bridge is None:
                    bridge = self.bridges[cmd.bridge_id] = Bridge(bridge_id=cmd.bridge_id)
                bridge.members.append(chan.channel_id)
                chan.bridge_id = bridge.bridge_id
                self._emit(sw.BridgeJoined(bridge_id=bridge.bridge_id, channel_id=chan.channel_id))
            case sw.BridgeRemove():
                chan = self._channel(cmd.channel_id)
                if chan.bridge_id != cmd.bridge_id:
                    raise sw.CommandRejected(
                        sw.RejectReason.INVALID_STATE, f"{cmd.channel_id} is not in {cmd.bridge_id}"
                    )
                self._leave_bridge(chan)
            case sw.BridgeDestroy():
                for ending in list(self.recordings.values()):
                    if ending.target.bridge_id == cmd.bridge_id:
                        # A recording of the call's mix ends with the call.
                        self._finish_recording(ending, now)
                bridge = self.bridges.pop(cmd.bridge_id, None)
                if bridge is None:
                    return  # destroying a bridge that never got members is a no-op
                for member in list(bridge.members):
                    chan = self.channels[member]
                    chan.bridge_id = None
                    self._emit(sw.BridgeLeft(bridge_id=bridge.bridge_id, channel_id=member))
                self._emit(sw.BridgeDestroyed(bridge_id=bridge.bridge_id))
            case sw.StartMusic() | sw.StopMusic():
                on = isinstance(cmd, sw.StartMusic)
                if cmd.target.bridge_id is not None:
                    bridge = self.bridges.get(cmd.target.bridge_id)
                    if bridge is None:
                        # Music into a bridge nobody is in yet: remember it for when they come.
                        bridge = self.bridges[cmd.target.bridge_id] = Bridge(
                            bridge_id=cmd.target.bridge_id
                        )
                    bridge.music = on
                else:
                    assert cmd.target.channel_id is not None
                    self._channel(cmd.target.channel_id).music = on
            case sw.Play():
                self._play(cmd, now)
            case sw.StopPlayback():
                if cmd.playback_id not in self.playbacks:
                    raise sw.CommandRejected(sw.RejectReason.NO_SUCH_PLAYBACK, cmd.playback_id)
                self._finish_playback(cmd.playback_id, "stopped")
            case sw.SendDigits():
                chan = self._channel(cmd.channel_id)
                chan.line.heard_digits.extend(d for d in cmd.digits if d != ",")
            case sw.StartRecording():
                self._start_recording(cmd, now)
            case sw.TrackRecording():
                # The simulator lives in ctid: a recording it still has is known.
                if cmd.recording_id not in self.recordings:
                    raise sw.CommandRejected(sw.RejectReason.NO_SUCH_RECORDING, cmd.recording_id)
            case sw.PauseRecording() | sw.ResumeRecording() | sw.StopRecording():
                rec = self.recordings.get(cmd.recording_id)
                if rec is None:
                    raise sw.CommandRejected(sw.RejectReason.NO_SUCH_RECORDING, cmd.recording_id)
                if isinstance(cmd, sw.PauseRecording):
                    if rec.paused_at is None:
                        rec.paused_at = now
                elif isinstance(cmd, sw.ResumeRecording):
                    if rec.paused_at is not None:
                        rec.pauses.append((rec.paused_at, now))
                        rec.paused_at = None
                else:
                    self._finish_recording(rec, now)
            case sw.ReceiveFax() | sw.SendFax() | sw.StopFax():
                fax.command(self, cmd, now)
            case sw.StartSupervision():
                for cid in (cmd.supervisor_channel_id, cmd.target_channel_id):
                    self._channel(cid)
                self.supervisions[cmd.supervision_id] = Supervision(
                    supervision_id=cmd.supervision_id,
                    supervisor=cmd.supervisor_channel_id,
                    target=cmd.target_channel_id,
                    mode=cmd.mode,
                )
            case sw.ChangeSupervision():
                sup = self.supervisions.get(cmd.supervision_id)
                if sup is None:
                    raise sw.CommandRejected(sw.RejectReason.INVALID_STATE, "no such supervision")
                sup.mode = cmd.mode
            case sw.StopSupervision():
                self.supervisions.pop(cmd.supervision_id, None)
            case sw.SetMessageWaiting():
                line = self.lines.get(cmd.device)
                if line is None or line.kind is not sw.EndpointKind.EXTENSION:
                    raise sw.CommandRejected(sw.RejectReason.INVALID_DESTINATION, cmd.device)
                line.message_waiting = (cmd.new, cmd.old)
            case _:
                raise sw.CommandRejected(sw.RejectReason.NOT_SUPPORTED, type(cmd).__name__)

    def _originate(self, cmd: sw.Originate, now: float) -> None:
        if cmd.channel_id in self.channels:
            raise sw.CommandRejected(sw.RejectReason.INVALID_STATE, f"{cmd.channel_id} exists")
        if cmd.kind is sw.EndpointKind.EXTENSION:
            line = self.lines.get(cmd.device)
            if line is None or line.kind is not sw.EndpointKind.EXTENSION:
                raise sw.CommandRejected(sw.RejectReason.INVALID_DESTINATION, cmd.device)
            if line.state is not LineState.IDLE or line.unplugged:
                # Like a real switch: the channel is made and fails at once.
                self._emit(
                    sw.ChannelCreated(
                        channel_id=cmd.channel_id,
                        kind=line.kind,
                        device=cmd.device,
                        direction=sw.Direction.OUTBOUND,
                        caller_number=cmd.caller_number,
                        called_number=cmd.device,
                        originator_channel_id=cmd.originator_channel_id,
                    )
                )
                cause = sw.HangupCause.UNREACHABLE if line.unplugged else sw.HangupCause.BUSY
                self._emit(sw.ChannelHungUp(channel_id=cmd.channel_id, cause=cause))
                return
            chan = self._start_channel(
                line,
                channel_id=cmd.channel_id,
                direction=sw.Direction.OUTBOUND,
                device=cmd.device,
                caller_number=cmd.caller_number,
                called_number=cmd.device,
                originator=cmd.originator_channel_id,
            )
            line.state = LineState.RINGING
            self._emit(sw.ChannelAlerting(channel_id=chan.channel_id))
            if cmd.auto_answer:
                self._at(
                    now + self.config.auto_answer_delay,
                    f"answer:{chan.channel_id}",
                    partial(self._auto_answer, chan),
                )
            self._ring_timeout(chan, now, min(cmd.timeout, self.config.ring_timeout))
            return
        line = self.trunks.first_idle(cmd.trunk)
        if line is None:
            self._emit(
                sw.ChannelCreated(
                    channel_id=cmd.channel_id,
                    kind=sw.EndpointKind.EXTERNAL,
                    device=cmd.device,
                    direction=sw.Direction.OUTBOUND,
                    caller_number=cmd.caller_number,
                    called_number=cmd.device,
                    originator_channel_id=cmd.originator_channel_id,
                )
            )
            self._emit(sw.ChannelHungUp(channel_id=cmd.channel_id, cause=sw.HangupCause.CONGESTION))
            return
        line.state = LineState.DIALING
        line.party = cmd.device
        chan = self._start_channel(
            line,
            channel_id=cmd.channel_id,
            direction=sw.Direction.OUTBOUND,
            device=cmd.device,
            caller_number=cmd.caller_number,
            called_number=cmd.device,
            originator=cmd.originator_channel_id,
        )
        rule = machines.party(self, chan, cmd)
        self._at(
            now + self.config.dial_delay,
            f"alert:{chan.channel_id}",
            partial(self._far_end, chan, rule, cmd.timeout),
        )

    def _far_end(self, chan: Channel, rule: OutsideRule, timeout: float, now: float) -> None:
        if chan.channel_id not in self.channels:
            return
        behaviour = rule.behaviour
        if behaviour is OutsideBehaviour.UNREACHABLE:
            self._end_channel(chan, sw.HangupCause.UNREACHABLE, now)
            return
        if behaviour is OutsideBehaviour.OUT_OF_ORDER:
            self._end_channel(chan, sw.HangupCause.FAILED, now)
            return
        if behaviour is OutsideBehaviour.BUSY:
            self._end_channel(chan, sw.HangupCause.BUSY, now)
            return
        chan.line.state = LineState.ALERTING
        self._emit(sw.ChannelAlerting(channel_id=chan.channel_id))
        if behaviour is OutsideBehaviour.REJECT:
            key = f"answer:{chan.channel_id}"
            self._at(now + rule.answer_after, key, partial(self._reject, chan))
        elif behaviour is OutsideBehaviour.ANSWER:
            chan.behaviour_hangup_after = rule.hangup_after
            key = f"answer:{chan.channel_id}"
            self._at(now + rule.answer_after, key, partial(self._auto_answer, chan))
        self._ring_timeout(chan, now, timeout)

    def _reject(self, chan: Channel, now: float) -> None:
        if chan.channel_id in self.channels:
            self._end_channel(chan, sw.HangupCause.REJECTED, now)

    def _ring_timeout(self, chan: Channel, now: float, timeout: float) -> None:
        self._at(now + timeout, f"timeout:{chan.channel_id}", partial(self._no_answer, chan))

    def _no_answer(self, chan: Channel, now: float) -> None:
        if chan.channel_id in self.channels and not chan.answered:
            self._end_channel(chan, sw.HangupCause.NO_ANSWER, now)

    def _auto_answer(self, chan: Channel, now: float) -> None:
        if chan.channel_id in self.channels and not chan.answered:
            self._answer(chan, now, handsfree=chan.line.kind is sw.EndpointKind.EXTENSION)

    # ----------------------------------------------------------------- media

    def _leave_bridge(self, chan: Channel) -> None:
        bridge = self.bridges.get(chan.bridge_id) if chan.bridge_id else None
        chan.bridge_id = None
        if bridge is not None and chan.channel_id in bridge.members:
            bridge.members.remove(chan.channel_id)
            self._emit(sw.BridgeLeft(bridge_id=bridge.bridge_id, channel_id=chan.channel_id))

    def _targets(self, target: sw.MediaTarget) -> list[Channel]:
        if target.channel_id is not None:
            return [self._channel(target.channel_id)]
        assert target.bridge_id is not None
        bridge = self.bridges.get(target.bridge_id)
        if bridge is None:
            raise sw.CommandRejected(sw.RejectReason.NO_SUCH_BRIDGE, target.bridge_id)
        return [self.channels[m] for m in bridge.members]

    def _play(self, cmd: sw.Play, now: float) -> None:
        chans = self._targets(cmd.target)
        duration = sum(self._sound_seconds(uri) for uri in cmd.media)
        pb = Playback(
            playback_id=cmd.playback_id,
            target=cmd.target,
            stop_on_digit=cmd.stop_on_digit,
            ends_at=now + duration,
        )
        self.playbacks[pb.playback_id] = pb
        for chan in chans:
            if chan.playback_id is not None and chan.playback_id in self.playbacks:
                self._finish_playback(chan.playback_id, "stopped")
            chan.playback_id = pb.playback_id
            if chan.line.state is LineState.CONNECTED:
                chan.line.state = LineState.PLAYING
        self._emit(sw.PlaybackStarted(playback_id=pb.playback_id))
        self._at(
            pb.ends_at,
            f"playback:{pb.playback_id}",
            partial(self._playback_done, pb.playback_id),
        )

    def _playback_done(self, playback_id: str, now: float) -> None:
        self._finish_playback(playback_id, "done")

    def _finish_playback(self, playback_id: str, reason: str) -> None:
        pb = self.playbacks.pop(playback_id, None)
        if pb is None:
            return
        self._cancel(f"playback:{playback_id}")
        for chan in self.channels.values():
            if chan.playback_id == playback_id:
                chan.playback_id = None
                if chan.line.state is LineState.PLAYING:
                    chan.line.state = LineState.CONNECTED
        self._emit(sw.PlaybackFinished(playback_id=playback_id, reason=reason))

    def _start_recording(self, cmd: sw.StartRecording, now: float) -> None:
        self._targets(cmd.target)
        if cmd.recording_id in self.recordings:
            raise sw.CommandRejected(sw.RejectReason.INVALID_STATE, f"{cmd.recording_id} exists")
        if cmd.format != "wav":
            raise sw.CommandRejected(sw.RejectReason.NOT_SUPPORTED, f"format {cmd.format}")
        rec = Recording(
            recording_id=cmd.recording_id,
            target=cmd.target,
            path=f"{cmd.path}.{cmd.format}",
            started_at=now,
        )
        rec.segments.append((now, self._heard(rec)))
        self.recordings[cmd.recording_id] = rec
        self._emit(sw.RecordingStarted(recording_id=cmd.recording_id))

    def _heard(self, rec: Recording) -> tuple[str, ...]:
        """The parties a recording hears now (nobody while paused or while music plays)."""
        if rec.paused_at is not None:
            return ()
        target = rec.target
        if target.bridge_id is not None:
            bridge_id: str | None = target.bridge_id
        else:
            chan = self.channels.get(target.channel_id or "")
            if chan is None:
                return ()
            if chan.bridge_id is None:
                return () if chan.music else (chan.device,)
            bridge_id = chan.bridge_id
        bridge = self.bridges.get(bridge_id or "")
        if bridge is None or bridge.music:
            return ()
        heard = []
        for member in bridge.members:
            chan = self.channels.get(member)
            if chan is not None and not chan.music:
                heard.append(chan.device)
        return tuple(heard)

    def _track_media(self, now: float) -> None:
        """Note what each recording hears, if it changed (for the audio in the file)."""
        for rec in self.recordings.values():
            heard = self._heard(rec)
            if not rec.segments or rec.segments[-1][1] != heard:
                if rec.segments and rec.segments[-1][0] == now:
                    rec.segments[-1] = (now, heard)
                else:
                    rec.segments.append((now, heard))

    def _finish_recording(self, rec: Recording, now: float) -> None:
        self._track_media(now)
        self.recordings.pop(rec.recording_id, None)
        if rec.paused_at is not None:
            rec.pauses.append((rec.paused_at, now))
            rec.paused_at = None
        rec.ended_at = now
        self.finished_recordings[rec.recording_id] = rec
        self._emit(
            sw.RecordingFinished(
                recording_id=rec.recording_id, path=rec.path, duration=now - rec.started_at
            )
        )

    # ----------------------------------------------------------- inspection

    def hears(self, listener: str, speaker: str) -> bool:
        """Whether ``listener``'s line hears ``speaker``'s (by extension or outside number).

        The rules are those of the media model in ``simulator.hearing``.
        """
        a = self._line(listener)
        b = self._line(speaker)
        ca = self.channels.get(a.channel_id) if a.channel_id else None
        cb = self.channels.get(b.channel_id) if b.channel_id else None
        if ca is None or cb is None:
            return False
        return channel_hears(self, ca, cb)

    def hears_music(self, device: str) -> bool:
        line = self._line(device)
        chan = self.channels.get(line.channel_id) if line.channel_id else None
        if chan is None:
            return False
        if chan.music:
            return True
        bridge = self.bridges.get(chan.bridge_id) if chan.bridge_id else None
        return bridge is not None and bridge.music

    def line_state(self, device: str) -> LineState:
        return self._line(device).state

    def snapshot(self) -> sw.Resynchronized:
        """Every channel and bridge as it stands (what a reconnecting driver reports)."""
        chans = []
        for chan in self.channels.values():
            if chan.answered:
                state = sw.ChannelState.UP
            elif chan.line.state is LineState.COLLECTING:
                state = sw.ChannelState.DIALING
            elif chan.line.state in (LineState.RINGING, LineState.ALERTING):
                state = sw.ChannelState.RINGING
            else:
                state = sw.ChannelState.DOWN
            chans.append(
                sw.ChannelInfo(
                    channel_id=chan.channel_id,
                    kind=chan.line.kind,
                    device=chan.device,
                    direction=chan.direction,
                    state=state,
                    caller_number=chan.caller_number,
                    called_number=chan.called_number,
                    trunk=chan.line.name if chan.line.kind is sw.EndpointKind.EXTERNAL else None,
                    bridge_id=chan.bridge_id,
                    held=chan.music,
                    created=chan.created,
                )
            )
        bridges = [
            sw.BridgeInfo(bridge_id=b.bridge_id, channel_ids=tuple(b.members), music=b.music)
            for b in self.bridges.values()
            if b.members
        ]
        return sw.Resynchronized(channels=tuple(chans), bridges=tuple(bridges))

    def busy_lines(self) -> Iterable[Line]:
        return (line for line in self.lines.values() if line.state is not LineState.IDLE)
