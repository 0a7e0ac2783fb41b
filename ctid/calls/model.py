"""The call model: switch events in, CSTA events and switch commands out.

``CallModel`` holds every call, connection and leg ctid knows (the objects are
in ``calls.objects``). It is pure: no trio, no I/O. Its owner
(``calls.service``) feeds it switch events in order with ``apply()``, which
folds each in through ``calls.fold``, runs the switch commands it returns, and
publishes what it put in ``outbox``. CSTA service requests (``calls.services``) validate against
it, then mutate it through the same primitives, so every CSTA event comes out
of ``emit`` here and nowhere else.

The mapping onto the switch: each call owns one bridge (``Call.bridge_id``).
A connected party's leg is in its call's bridge; a held party's leg is out of
it and the bridge plays music to whoever is left. One leg can carry several
connections (a phone that holds one call and consults on another is still one
line), but at most one of them is not on hold.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from ..ids import IdFactory
from ..switch_drivers import base as sw
from ..switch_drivers.amd import AmdResult
from . import fold
from .directory import Directory
from .events import (
    CallClearedEvent,
    ConnectionClearedEvent,
    CstaEvent,
    DeliveredEvent,
    EstablishedEvent,
    FailedEvent,
    HeldEvent,
    OriginatedEvent,
    RetrievedEvent,
)
from .notices import (
    CallArrived,
    CallEnded,
    FaxDone,
    FaxProgressed,
    FaxToneHeard,
    Notice,
    PlaybackDone,
    RecordingDone,
)
from .objects import Call, Connection, Emitted, Leg, Supervision
from .outside import OutsideDial, OutsideRefused, OutsideRouter
from .states import ConnectionState, Trigger, next_state
from .values import ConnectionID, DeviceType, EventCause

__all__ = ["Call", "CallModel", "Connection", "Emitted", "Leg", "Supervision"]

log = logging.getLogger(__name__)

S = ConnectionState


class CallModel:
    """Every call ctid knows, folded from switch events in order."""

    def __init__(
        self,
        *,
        ids: IdFactory,
        directory: Directory,
        now: Callable[[], float],
        ring_timeout: float = 45.0,
    ) -> None:
        self.ids = ids
        self.directory = directory
        self.now = now
        self.ring_timeout = ring_timeout
        self.calls: dict[str, Call] = {}
        self.legs: dict[str, Leg] = {}
        #: device -> its connections in every call.
        self.by_device: dict[str, list[Connection]] = {}
        self.link_state = sw.LinkState.DOWN
        #: CSTA events for clients, in order; the owner drains it.
        self.outbox: list[Emitted] = []
        #: Internal notices for ctid's services, in order; the owner drains it.
        self.notices: list[Notice] = []
        self._commands: list[sw.SwitchCommand] = []
        #: Called with a call just before its CallEnded notice is built, so the
        #: service that held it (ACD, IVR) can write its last facts: a caller who
        #: hangs up while waiting ends the call inside ``apply``, before any sink
        #: hears of it. Hooks must only read the model and write ``Call.facts``.
        self.ending_hooks: list[Callable[[Call], None]] = []
        #: Supervised channel -> the supervisors' legs listening to it.
        self.supervisors: dict[str, list[Leg]] = {}
        #: The call each recently created switch-made channel started (bounded),
        #: so whoever made the switch create it can learn its call id.
        self.channel_calls: OrderedDict[str, str] = OrderedDict()
        #: Inbound routing (set by the routing service): given a new call from a
        #: trunk, the number to send it to instead of the one dialled (None: as
        #: dialled). It runs before the call goes anywhere, so a blacklisted
        #: caller never reaches a phone, a queue or a menu.
        self.inbound_router: Callable[[Call], str | None] | None = None
        #: Outbound routing (set by ``ctid.outbound``): the digits and the line for
        #: every outside number ctid dials. None: as dialled, on the driver's default line.
        self.outside_router: OutsideRouter | None = None
        #: Ids of calls that changed since the live store last looked (``calls.keep``).
        self.dirty: set[str] = set()
        #: The calls stored by the previous run (``calls.keep``), keyed by call id,
        #: until the first resynchronisation restores or drops them (``calls.recover``).
        self.stored_calls: dict[str, dict[str, Any]] = {}
        #: Stored calls whose channels all ended while ctid was away, put back
        #: until the services have restored their part (``calls.recover``).
        self.ended_while_down: list[str] = []
        #: Set once the services restored their state: such calls then end at once.
        self.services_ready = False
        #: Turns a stored wall-clock time into this run's trio time (set with ``stored_calls``).
        self.from_wall: Callable[[float], float] = lambda wall: wall

    # ------------------------------------------------------------------ output

    def take_commands(self) -> list[sw.SwitchCommand]:
        cmds, self._commands = self._commands, []
        return cmds

    def command(self, cmd: sw.SwitchCommand) -> None:
        self._commands.append(cmd)

    def emit(
        self, event: CstaEvent, calls: Iterable[Call] = (), extra_devices: Iterable[str] = ()
    ) -> None:
        local: dict[str, str] = {}
        call_ids = []
        aliases = self.directory.aliases
        for call in calls:
            call_ids.append(call.call_id)
            self.dirty.add(call.call_id)
            for device, conn in call.connections.items():
                # ``_value_`` is ``value`` without Enum's Python-level property (every
                # connection of every event: issue 14).
                state = conn.state._value_
                local.setdefault(device, state)
                # A route point with several names (a queue's name and number) is one
                # device: its monitors under any name see the call.
                for alias in aliases(device):
                    local.setdefault(alias, state)
        for device in extra_devices:
            local.setdefault(device, S.NULL.value)
            for alias in aliases(device):
                local.setdefault(alias, S.NULL.value)
        self.outbox.append(
            Emitted(
                event=event,
                calls=tuple(call_ids),
                devices=tuple(local),
                local_states=local,
                at=self.now(),
            )
        )

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)

    # ------------------------------------------------------------ primitives

    def new_call(
        self, *, calling: str, called: str, direction: str, trunk: str | None = None
    ) -> Call:
        call_id = self.ids.new("c")
        call = Call(
            call_id=call_id,
            bridge_id=f"{call_id}-b",
            calling_device=calling,
            called_device=called,
            direction=direction,
            created_at=self.now(),
            trunk=trunk,
        )
        self.calls[call_id] = call
        self.dirty.add(call_id)
        return call

    def add_connection(
        self, call: Call, device: str, state: ConnectionState, leg: Leg | None = None
    ) -> Connection:
        if device in call.connections:
            raise ValueError(f"{device} already has a connection in call {call.call_id}")
        conn = Connection(call=call, device=device, state=state, leg=leg)
        call.connections[device] = conn
        if device not in call.devices_seen:
            call.devices_seen.append(device)
        self.by_device.setdefault(device, []).append(conn)
        if leg is not None:
            leg.connections.append(conn)
        return conn

    def transition(self, conn: Connection, trigger: Trigger) -> None:
        conn.state = next_state(conn.state, trigger)

    def detach(self, conn: Connection) -> None:
        """Remove a connection from its call, its leg and the device index (no event)."""
        call = conn.call
        if call.connections.get(conn.device) is conn:
            del call.connections[conn.device]
        if conn.leg is not None and conn in conn.leg.connections:
            conn.leg.connections.remove(conn)
        conns = self.by_device.get(conn.device)
        if conns is not None and conn in conns:
            conns.remove(conn)
            if not conns:
                del self.by_device[conn.device]
        call.closing_devices.add(conn.device)

    def move(self, conn: Connection, to_call: Call) -> ConnectionID:
        """Move a connection to another call (transfer, conference); returns its old id."""
        old = conn.id
        del conn.call.connections[conn.device]
        conn.call = to_call
        if conn.device in to_call.connections:
            raise ValueError(f"{conn.device} already has a connection in {to_call.call_id}")
        to_call.connections[conn.device] = conn
        if conn.device not in to_call.devices_seen:
            to_call.devices_seen.append(conn.device)
        return old

    def clear(self, conn: Connection, cause: EventCause) -> None:
        """Clear a connection with a ConnectionClearedEvent."""
        self.transition(conn, Trigger.CLEAR)
        call = conn.call
        self.detach(conn)
        self.emit(
            ConnectionClearedEvent(
                dropped_connection=conn.id, releasing_device=conn.device, cause=cause
            ),
            [call],
            [conn.device],
        )

    def drop(self, conn: Connection, cause: EventCause) -> None:
        """Take a connection out of its call: ConnectionClearedEvent, or silently if it
        is still ``null`` (nobody was told of it: a ring not yet reported by the switch)."""
        if conn.state is S.NULL:
            self.detach(conn)
        else:
            self.clear(conn, cause)

    def fail(self, conn: Connection, cause: EventCause) -> None:
        """A connection that could not be reached: state ``fail`` and a FailedEvent."""
        self.transition(conn, Trigger.FAIL)
        if conn.leg is not None and conn in conn.leg.connections:
            conn.leg.connections.remove(conn)
        conn.leg = None
        call = conn.call
        self.emit(
            FailedEvent(
                failed_connection=conn.id,
                failing_device=conn.device,
                calling_device=call.calling_device,
                called_device=call.called_device,
                cause=cause,
            ),
            [call],
        )

    def hangup_leg(self, leg: Leg, cause: sw.HangupCause = sw.HangupCause.NORMAL) -> None:
        if not leg.hangup_sent:
            leg.hangup_sent = True
            if leg.created:
                self.command(sw.Hangup(channel_id=leg.channel_id, cause=cause))
            # A leg ctid created but the switch has not reported yet is hung up
            # when its ChannelCreated arrives (see _on_created).

    def bridge(self, call: Call, leg: Leg) -> None:
        """Put ``leg`` into ``call``'s bridge (answering an offered inbound leg first)."""
        if leg.supervision is not None:
            return  # the switch joins a supervisor to its target, not to a bridge
        if leg.direction is sw.Direction.INBOUND and not leg.answered and not leg.answer_sent:
            leg.answer_sent = True
            self.command(sw.Answer(channel_id=leg.channel_id))
        if leg.bridge_target != call.bridge_id:
            leg.bridge_target = call.bridge_id
            self.command(sw.BridgeAdd(bridge_id=call.bridge_id, channel_id=leg.channel_id))

    def unbridge(self, call: Call, leg: Leg) -> None:
        if leg.bridge_target == call.bridge_id:
            leg.bridge_target = None
            self.command(sw.BridgeRemove(bridge_id=call.bridge_id, channel_id=leg.channel_id))

    def music(self, call: Call, on: bool) -> None:
        if call.music != on:
            call.music = on
            target = sw.MediaTarget.bridge(call.bridge_id)
            self.command(sw.StartMusic(target=target) if on else sw.StopMusic(target=target))

    def hold(self, conn: Connection, cause: EventCause = EventCause.NORMAL) -> None:
        """ctid holds ``conn``: its leg leaves the bridge and the others get music."""
        self.transition(conn, Trigger.HOLD)
        call = conn.call
        if conn.leg is not None:
            self.unbridge(call, conn.leg)
        if any(c.state is S.CONNECTED for c in call.connections.values()):
            self.music(call, True)
        self.emit(
            HeldEvent(held_connection=conn.id, holding_device=conn.device, cause=cause), [call]
        )

    def retrieve(self, conn: Connection, cause: EventCause = EventCause.NORMAL) -> None:
        self.transition(conn, Trigger.RETRIEVE)
        conn.held_by_device = False
        call = conn.call
        self.music(call, False)
        if conn.leg is not None:
            self.bridge(call, conn.leg)
        self.emit(
            RetrievedEvent(
                retrieved_connection=conn.id, retrieving_device=conn.device, cause=cause
            ),
            [call],
        )

    def originate(
        self,
        call: Call,
        device: str,
        kind: sw.EndpointKind,
        *,
        auto_answer: bool = False,
        timeout: float | None = None,
        caller_number: str | None = None,
        originator: Leg | None = None,
        prompt: bool = False,
        offer: bool = False,
        dial: str | None = None,
        trunk: str | None = None,
        detect_machines: bool = False,
    ) -> Connection:
        """Ring ``device`` for ``call``: a new leg and a connection in state ``null``.

        ``dial`` is what the switch is sent instead of ``device`` (an outside
        number after outbound routing), on outside line ``trunk``;
        ``detect_machines`` asks the switch who answers (``amd.AmdResult``).
        """
        leg = Leg(
            channel_id=self.ids.new("ch"),
            kind=kind,
            device=device,
            direction=sw.Direction.OUTBOUND,
            trunk=trunk,
            prompt=prompt,
            offer=offer,
        )
        self.legs[leg.channel_id] = leg
        conn = self.add_connection(call, device, S.NULL, leg)
        self.command(
            sw.Originate(
                channel_id=leg.channel_id,
                kind=kind,
                device=device if dial is None else dial,
                caller_number=caller_number if caller_number is not None else call.calling_device,
                timeout=self.ring_timeout if timeout is None else timeout,
                auto_answer=auto_answer,
                trunk=trunk,
                originator_channel_id=originator.channel_id if originator else None,
                detect_machines=detect_machines,
            )
        )
        return conn

    def dial_outside(
        self,
        call: Call,
        number: str,
        *,
        originator: Leg | None = None,
        timeout: float | None = None,
        caller_number: str | None = None,
        detect_machines: bool = False,
    ) -> Connection:
        """Ring the outside ``number`` for ``call`` through outbound routing.

        The connection keeps the number as dialled (what clients see); the switch
        gets the routed digits on the chosen line. A number no route takes, or
        whose lines are all busy, fails at once and nothing reaches the switch.
        """
        dial: OutsideDial | OutsideRefused = OutsideDial(number=number, line=None)
        if self.outside_router is not None:
            dial = self.outside_router(number, self.calls_on_line)
        if isinstance(dial, OutsideRefused):
            conn = self.add_connection(call, number, S.NULL)
            call.facts["outboundRefused"] = dial.reason
            self.fail(conn, dial.cause)
            self.settle(call)
            return conn
        conn = self.originate(
            call,
            number,
            sw.EndpointKind.EXTERNAL,
            originator=originator,
            timeout=timeout,
            caller_number=caller_number,
            dial=dial.number,
            trunk=dial.line,
            detect_machines=detect_machines,
        )
        if dial.route is not None:
            call.facts["outboundRoute"] = dial.route
        return conn

    def calls_on_line(self, line: str) -> int:
        """How many channels an outside line carries now (ctid's and the switch's)."""
        return sum(1 for leg in self.legs.values() if leg.trunk == line)

    def supervise(
        self, device: str, target: Leg, mode: sw.SupervisionMode, *, auto_answer: bool = True
    ) -> Connection:
        """Ring ``device`` (a supervisor's phone) to listen to ``target`` (an agent's leg).

        The supervisor gets a call of its own (its events reach the supervisor's
        monitors only); once it answers, the switch joins it to ``target`` in
        ``mode``. It ends when either leg hangs up.
        """
        call = self.new_call(calling=target.device, called=device, direction="internal")
        conn = self.originate(call, device, sw.EndpointKind.EXTENSION, auto_answer=auto_answer)
        assert conn.leg is not None
        conn.leg.supervision = Supervision(
            supervision_id=self.ids.new("sv"), target_channel=target.channel_id, mode=mode
        )
        self.supervisors.setdefault(target.channel_id, []).append(conn.leg)
        return conn

    def change_supervision(self, leg: Leg, mode: sw.SupervisionMode) -> None:
        """Switch a supervisor between silent, whisper and barge on a live call."""
        sup = leg.supervision
        if sup is None:
            raise ValueError(f"leg {leg.channel_id} is not a supervisor's")
        if sup.mode is mode:
            return
        sup.mode = mode
        if sup.started:
            self.command(sw.ChangeSupervision(supervision_id=sup.supervision_id, mode=mode))

    def start_supervision(self, leg: Leg, *, restored: bool = False) -> None:
        """Join an answered supervisor's ``leg`` to its target (``restored``: again,
        after a restart, on a switch that may still run it)."""
        sup = leg.supervision
        assert sup is not None
        target = self.legs.get(sup.target_channel)
        if target is None or target.hangup_sent:
            self.hangup_leg(leg)
            return
        sup.started = True
        self.command(
            sw.StartSupervision(
                supervision_id=sup.supervision_id,
                supervisor_channel_id=leg.channel_id,
                target_channel_id=sup.target_channel,
                mode=sup.mode,
                restored=restored,
            )
        )

    def leg_gone(self, leg: Leg) -> None:
        """A leg hung up: supervisors listening to it hang up too."""
        for supervisor in self.supervisors.pop(leg.channel_id, ()):
            self.hangup_leg(supervisor)
        sup = leg.supervision
        if sup is not None:
            legs = self.supervisors.get(sup.target_channel)
            if legs is not None and leg in legs:
                legs.remove(leg)
                if not legs:
                    del self.supervisors[sup.target_channel]

    def route(self, call: Call, number: str, *, from_leg: Leg | None = None) -> None:
        """Send ``call`` on to ``number``: ring it, hand it to a route point, or fail."""
        kind = self.directory.classify(number)
        if kind is DeviceType.EXTENSION:
            self.originate(call, number, sw.EndpointKind.EXTENSION, originator=from_leg)
        elif kind is DeviceType.EXTERNAL:
            self.dial_outside(call, number, originator=from_leg)
        elif kind is DeviceType.ROUTE_POINT:
            # The route point's owner (ACD, IVR) takes it from here.
            self.add_connection(call, number, S.NULL)
            self.notify(
                CallArrived(
                    call_id=call.call_id,
                    route_point=number,
                    calling_device=call.calling_device,
                    called_device=number,
                    trunk=call.trunk,
                )
            )
        else:
            conn = self.add_connection(call, number, S.NULL)
            self.fail(conn, EventCause.DEST_NOT_OBTAINABLE)
            self.settle(call)

    def settle(self, call: Call) -> None:
        """After a party left: end the call, or hang up a party left alone in it."""
        if call.call_id not in self.calls:
            return
        live = [c for c in call.connections.values() if c.state is not S.FAIL]
        failed = [c for c in call.connections.values() if c.state is S.FAIL]
        if len(live) >= 2 or (len(live) == 1 and live[0].state is S.INITIATED):
            call.closing_devices.clear()
            return
        if len(live) == 1:
            only = live[0]
            leg = only.leg
            if call.owner is not None and leg is not None:
                # The route point's service decides what happens to a waiting caller.
                call.closing_devices.clear()
                return
            # A phone whose call failed stays off-hook hearing busy tone until it
            # hangs up; anybody else left alone in a call is released.
            if failed and leg is not None and leg.kind is sw.EndpointKind.EXTENSION:
                call.closing_devices.clear()
                return
            if leg is not None and len(leg.connections) == 1 and not leg.hangup_sent:
                call.ending = True
                self.hangup_leg(leg)
                return
            if leg is not None and leg.hangup_sent:
                return
            # The party shares its line with another call (consultation) or has
            # none (a route point): just take it out of this call.
            if leg is not None:
                self.unbridge(call, leg)
            self.drop(only, EventCause.NORMAL_CLEARING)
        for conn in list(call.connections.values()):
            if conn.state is S.FAIL:
                self.detach(conn)
        self.end_call(call)

    def end_call(self, call: Call, cause: EventCause = EventCause.NORMAL_CLEARING) -> None:
        for hook in self.ending_hooks:
            hook(call)
        for conn in list(call.connections.values()):
            self.detach(conn)
        devices = sorted(call.closing_devices)
        self.emit(CallClearedEvent(cleared_call=call.call_id, cause=cause), [call], devices)
        del self.calls[call.call_id]
        if call.music:
            call.music = False
        self.command(sw.BridgeDestroy(bridge_id=call.bridge_id))
        self.notify(
            CallEnded(
                call_id=call.call_id,
                calling_device=call.calling_device,
                called_device=call.called_device,
                trunk=call.trunk,
                direction=call.direction,
                created_at=call.created_at,
                answered_at=call.answered_at,
                ended_at=self.now(),
                cause=cause.value,
                correlator_data=call.correlator_data,
                user_data=dict(call.user_data),
                devices=tuple(call.devices_seen),
                facts=dict(call.facts),
            )
        )

    # ----------------------------------------------------------- switch events

    def apply(self, event: sw.SwitchEvent) -> list[sw.SwitchCommand]:
        """Fold one switch event in; returns the switch commands it calls for."""
        match event:
            case sw.ChannelCreated():
                fold.on_created(self, event)
            case sw.ChannelDialed():
                fold.on_dialed(self, event)
            case sw.ChannelAlerting():
                fold.on_alerting(self, event)
            case sw.ChannelAnswered():
                fold.on_answered(self, event)
            case sw.ChannelHungUp():
                fold.on_hung_up(self, event)
            case sw.ChannelHeld():
                fold.on_held(self, event, held=True)
            case sw.ChannelRetrieved():
                fold.on_held(self, event, held=False)
            case sw.DigitsReceived():
                fold.on_digits(self, event)
            case sw.BridgeJoined():
                leg = self.legs.get(event.channel_id)
                if leg is not None:
                    leg.bridge_id = event.bridge_id
            case sw.BridgeLeft():
                leg = self.legs.get(event.channel_id)
                if leg is not None and leg.bridge_id == event.bridge_id:
                    leg.bridge_id = None
            case sw.BridgeDestroyed():
                pass
            case sw.PlaybackStarted():
                pass
            case sw.PlaybackFinished():
                self.notify(PlaybackDone(playback_id=event.playback_id, reason=event.reason))
            case sw.RecordingStarted():
                pass
            case sw.RecordingFinished():
                self.notify(
                    RecordingDone(
                        recording_id=event.recording_id, path=event.path, duration=event.duration
                    )
                )
            case sw.RecordingFailed():
                self.notify(
                    RecordingDone(
                        recording_id=event.recording_id,
                        path=None,
                        duration=0.0,
                        failed=True,
                        detail=event.detail,
                    )
                )
            case sw.FaxProgress():
                self.notify(FaxProgressed(fax_id=event.fax_id, pages=event.pages))
            case sw.FaxFinished():
                self.notify(
                    FaxDone(
                        fax_id=event.fax_id,
                        success=event.success,
                        pages=event.pages,
                        result_code=event.result_code,
                        result_text=event.result_text,
                        path=event.path,
                        remote_station_id=event.remote_station_id,
                        bit_rate=event.bit_rate,
                    )
                )
            case sw.FaxToneDetected():
                leg = self.legs.get(event.channel_id)
                conn = leg.active_connection() if leg is not None else None
                if conn is not None:
                    self.notify(FaxToneHeard(call_id=conn.call.call_id, device=conn.device))
            case AmdResult():
                fold.on_amd(self, event)
            case sw.LinkStateChanged():
                fold.on_link(self, event)
            case sw.Resynchronized():
                fold.on_resync(self, event)
            case _:
                log.debug("ignoring switch event %r", event)
        return self.take_commands()

    def remember(self, channel_id: str, call: Call) -> None:
        self.channel_calls[channel_id] = call.call_id
        if len(self.channel_calls) > 4096:
            self.channel_calls.popitem(last=False)

    def dialed(self, conn: Connection, number: str) -> None:
        call = conn.call
        call.called_device = number
        if self.directory.classify(number) is DeviceType.EXTERNAL:
            call.direction = "outbound"
        self.transition(conn, Trigger.CONNECT)
        self.emit(
            OriginatedEvent(
                originated_connection=conn.id,
                calling_device=conn.device,
                called_device=number,
                correlator_data=call.correlator_data,
                user_data=call.user_data,
            ),
            [call],
        )
        if number == conn.device:
            # A phone that calls itself finds itself busy. A call holds one
            # connection per device, so the failure is reported on the caller's
            # own connection, which stays up (busy tone) until the handset goes down.
            self.emit(
                FailedEvent(
                    failed_connection=conn.id,
                    failing_device=conn.device,
                    calling_device=conn.device,
                    called_device=number,
                    cause=EventCause.BUSY,
                ),
                [call],
            )
            return
        self.route(call, number, from_leg=conn.leg)

    def delivered(self, conn: Connection) -> None:
        call = conn.call
        self.emit(
            DeliveredEvent(
                connection=conn.id,
                alerting_device=conn.device,
                calling_device=call.calling_device,
                called_device=call.called_device,
                last_redirection_device=call.last_redirection_device,
                trunk=call.trunk,
                correlator_data=call.correlator_data,
                user_data=call.user_data,
            ),
            [call],
        )

    def withdraw_other_offers(self, winner: Connection) -> None:
        """Ring-all: the first agent to answer takes the call; the others stop ringing."""
        for other in list(winner.call.connections.values()):
            leg = other.leg
            if other is winner or leg is None or not leg.offer or leg.answered:
                continue
            self.unbridge(winner.call, leg)
            self.drop(other, EventCause.NORMAL_CLEARING)
            if not leg.connections:
                self.hangup_leg(leg, sw.HangupCause.ANSWERED_ELSEWHERE)

    def answered(self, conn: Connection) -> None:
        """``conn`` (now connected) answered: EstablishedEvent, then join the parties."""
        call = conn.call
        if call.answered_at is None:
            call.answered_at = self.now()
        self.emit(
            EstablishedEvent(
                established_connection=conn.id,
                answering_device=conn.device,
                calling_device=call.calling_device,
                called_device=call.called_device,
                last_redirection_device=call.last_redirection_device,
                correlator_data=call.correlator_data,
                user_data=call.user_data,
            ),
            [call],
        )
        self.join_connected(call)

    def join_connected(self, call: Call) -> None:
        """Put every connected party's leg into the call's bridge."""
        # A supervisor's leg is joined by the switch (StartSupervision), never bridged.
        connected = [
            c
            for c in call.connections.values()
            if c.state is S.CONNECTED and c.leg and c.leg.supervision is None
        ]
        if len(connected) >= 2:
            self.music(call, False)
        for c in connected:
            assert c.leg is not None
            self.bridge(call, c.leg)

    # --------------------------------------------------------------- queries

    def connection(self, cid: ConnectionID) -> Connection | None:
        call = self.calls.get(cid.call_id)
        return None if call is None else call.connections.get(cid.device_id)

    def device_connections(self, device: str) -> list[Connection]:
        return list(self.by_device.get(device, ()))
