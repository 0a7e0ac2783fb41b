"""Folding switch events into the call model, in the switch's order.

``CallModel.apply`` dispatches each normalized switch event to one of these
functions: a channel created, dialled, alerting, answered, hung up, held by
its phone, digits from it, the link's state, and the resynchronisation after
a reconnect (``on_resync``), which reconciles the model with what the switch
has and carries out again the commands the lost link swallowed.

Like the model they are pure: they change the model, emit through it, and
queue switch commands on it. They reach it through ``FoldingModel``, the
narrow public interface below, and never import ``model`` (which imports
them).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from ..switch_drivers import base as sw
from ..switch_drivers.amd import AmdResult
from .events import (
    ConnectionClearedEvent,
    CstaEvent,
    EstablishedEvent,
    HeldEvent,
    RetrievedEvent,
    ServiceInitiatedEvent,
    SystemStatusEvent,
)
from .notices import ANSWERED_BY, AnswerClassified, DigitsDetected, Notice
from .objects import Call, Connection, Emitted, Leg
from .recover import RecoveringModel, restore_calls
from .states import ConnectionState, Trigger
from .values import EventCause

__all__ = [
    "FoldingModel",
    "on_alerting",
    "on_amd",
    "on_answered",
    "on_created",
    "on_dialed",
    "on_digits",
    "on_held",
    "on_hung_up",
    "on_link",
    "on_resync",
]

log = logging.getLogger(__name__)

S = ConnectionState


class FoldingModel(RecoveringModel, Protocol):
    """What the folds use of ``CallModel``: its state, its state changes and its outputs."""

    link_state: sw.LinkState
    outbox: list[Emitted]
    inbound_router: Callable[[Call], str | None] | None

    def command(self, cmd: sw.SwitchCommand) -> None: ...

    def notify(self, notice: Notice) -> None: ...

    def emit(
        self, event: CstaEvent, calls: Iterable[Call] = (), extra_devices: Iterable[str] = ()
    ) -> None: ...

    def new_call(
        self, *, calling: str, called: str, direction: str, trunk: str | None = None
    ) -> Call: ...

    def remember(self, channel_id: str, call: Call) -> None: ...

    def transition(self, conn: Connection, trigger: Trigger) -> None: ...

    def detach(self, conn: Connection) -> None: ...

    def clear(self, conn: Connection, cause: EventCause) -> None: ...

    def fail(self, conn: Connection, cause: EventCause) -> None: ...

    def bridge(self, call: Call, leg: Leg) -> None: ...

    def route(self, call: Call, number: str, *, from_leg: Leg | None = None) -> None: ...

    def dialed(self, conn: Connection, number: str) -> None: ...

    def delivered(self, conn: Connection) -> None: ...

    def answered(self, conn: Connection) -> None: ...

    def withdraw_other_offers(self, winner: Connection) -> None: ...

    def start_supervision(self, leg: Leg, *, restored: bool = False) -> None: ...

    def leg_gone(self, leg: Leg) -> None: ...


#: Hang-up causes that mean "the call never reached this party", as opposed to a
#: party leaving: they turn an unanswered connection into ``fail``.
_FAILURE_CAUSES = {
    sw.HangupCause.BUSY: EventCause.BUSY,
    sw.HangupCause.NO_ANSWER: EventCause.NO_ANSWER,
    sw.HangupCause.REJECTED: EventCause.BUSY,
    sw.HangupCause.UNREACHABLE: EventCause.DEST_NOT_OBTAINABLE,
    sw.HangupCause.CONGESTION: EventCause.TRUNKS_BUSY,
    sw.HangupCause.FAILED: EventCause.NETWORK_OUT_OF_ORDER,
}

_CLEAR_CAUSES = {
    sw.HangupCause.NORMAL: EventCause.NORMAL_CLEARING,
    sw.HangupCause.CANCELLED: EventCause.CALL_CANCELLED,
    sw.HangupCause.ANSWERED_ELSEWHERE: EventCause.NORMAL_CLEARING,
    sw.HangupCause.SHUTDOWN: EventCause.SWITCHING_FUNCTION_TERMINATED,
}

#: States of a connection that has not been answered yet.
_UNANSWERED = (S.NULL, S.INITIATED, S.ALERTING)

#: What clients see of the switch link. Trying to connect is still "disabled":
#: a driver that retries with backoff goes CONNECTING/DOWN over and over, which
#: clients must not see as flapping; "initializing" means connected and syncing.
_LINK_STATUS = {
    sw.LinkState.UP: "normal",
    sw.LinkState.SYNCING: "initializing",
    sw.LinkState.CONNECTING: "disabled",
    sw.LinkState.DOWN: "disabled",
}


def on_link(model: FoldingModel, event: sw.LinkStateChanged) -> None:
    before = _LINK_STATUS[model.link_state]
    model.link_state = event.state
    if _LINK_STATUS[event.state] == before:
        return  # one SystemStatusEvent per change that clients can see
    status = SystemStatusEvent(system_status=_LINK_STATUS[event.state], detail=event.detail or None)
    model.outbox.append(
        Emitted(event=status, calls=(), devices=(), local_states={}, at=model.now(), broadcast=True)
    )


def on_created(model: FoldingModel, ev: sw.ChannelCreated) -> None:
    leg = model.legs.get(ev.channel_id)
    if leg is not None:
        # One of ours: ctid's Originate made it.
        leg.created = True
        leg.trunk = ev.trunk
        if leg.hangup_sent:
            model.command(sw.Hangup(channel_id=leg.channel_id, cause=sw.HangupCause.CANCELLED))
            return
        for conn in leg.connections:
            call = conn.call
            if call.trunk is None and ev.trunk is not None:
                call.trunk = ev.trunk
            if leg.prompt and conn.state is S.NULL:
                # MakeCall's calling device is being prompted or auto-answers.
                model.transition(conn, Trigger.INITIATE)
                model.emit(
                    ServiceInitiatedEvent(
                        initiated_connection=conn.id,
                        initiating_device=conn.device,
                        cause=EventCause.MAKE_CALL,
                        correlator_data=call.correlator_data,
                        user_data=call.user_data,
                    ),
                    [call],
                )
        return
    leg = Leg(
        channel_id=ev.channel_id,
        kind=ev.kind,
        device=ev.device,
        direction=ev.direction,
        trunk=ev.trunk,
        created=True,
    )
    model.legs[leg.channel_id] = leg
    origin = model.legs.get(ev.originator_channel_id) if ev.originator_channel_id else None
    if origin is not None and origin.active_connection() is not None:
        # The switch itself dialled this leg for a call we know (its dialplan).
        active = origin.active_connection()
        assert active is not None
        call = active.call
        if ev.device not in call.connections:
            model.add_connection(call, ev.device, S.NULL, leg)
        return
    if ev.kind is sw.EndpointKind.EXTERNAL:
        # A call from outside on a trunk: the caller is connected to the
        # switch already; ctid routes it by the number dialled (DNIS).
        called = ev.called_number or ""
        call = model.new_call(calling=ev.device, called=called, direction="inbound", trunk=ev.trunk)
        model.remember(leg.channel_id, call)
        model.add_connection(call, ev.device, S.CONNECTED, leg)
        model.command(sw.Ring(channel_id=leg.channel_id))
        target = called
        if model.inbound_router is not None:
            target = model.inbound_router(call) or called
        model.route(call, target, from_leg=leg)
        return
    # A phone went off-hook.
    call = model.new_call(calling=ev.device, called=ev.called_number or "", direction="internal")
    model.remember(leg.channel_id, call)
    conn = model.add_connection(call, ev.device, S.NULL, leg)
    model.transition(conn, Trigger.INITIATE)
    model.emit(
        ServiceInitiatedEvent(initiated_connection=conn.id, initiating_device=ev.device),
        [call],
    )
    if ev.called_number:
        model.dialed(conn, ev.called_number)


def on_dialed(model: FoldingModel, ev: sw.ChannelDialed) -> None:
    leg = model.legs.get(ev.channel_id)
    if leg is None:
        return
    conn = leg.active_connection()
    if conn is not None and conn.state is S.INITIATED:
        model.dialed(conn, ev.number)


def on_alerting(model: FoldingModel, ev: sw.ChannelAlerting) -> None:
    leg = model.legs.get(ev.channel_id)
    if leg is None or leg.hangup_sent:
        # A leg ctid is hanging up rang before the hang-up reached the switch.
        return
    for conn in list(leg.connections):
        if conn.state is S.NULL and not leg.prompt:
            model.transition(conn, Trigger.ALERT)
            model.delivered(conn)


def on_answered(model: FoldingModel, ev: sw.ChannelAnswered) -> None:
    leg = model.legs.get(ev.channel_id)
    if leg is None or leg.answered:
        return
    leg.answered_at = model.now()
    if leg.hangup_sent:
        # Answered before ctid's hang-up reached the switch (a MakeCall
        # cleared at once): the call is over, nothing more may start.
        return
    for conn in list(leg.connections):
        call = conn.call
        if conn.state is S.INITIATED and leg.prompt:
            # MakeCall: the calling device answered its prompt; now dial.
            model.bridge(call, leg)
            model.dialed(conn, call.called_device)
        elif not leg.prompt and conn.state in (S.NULL, S.ALERTING, S.QUEUED):
            if conn.state is S.NULL:
                # Answered without ringing first (auto-answer): it alerted too.
                model.transition(conn, Trigger.ALERT)
                model.delivered(conn)
            if leg.offer:
                model.withdraw_other_offers(conn)
            model.transition(conn, Trigger.CONNECT)
            model.answered(conn)
            if leg.supervision is not None:
                model.start_supervision(leg)


def on_hung_up(model: FoldingModel, ev: sw.ChannelHungUp) -> None:
    leg = model.legs.pop(ev.channel_id, None)
    if leg is None:
        return
    model.leg_gone(leg)
    calls = []
    for conn in list(leg.connections):
        calls.append(conn.call)
        failure = _FAILURE_CAUSES.get(ev.cause)
        cleared = _CLEAR_CAUSES.get(ev.cause, EventCause.NORMAL_CLEARING)
        unanswered = not leg.answered and conn.state in _UNANSWERED
        if leg.offer and unanswered:
            # An offer that was not taken (no answer, busy, withdrawn) leaves
            # the call as if it had not been made; the owner offers it again.
            if conn.state is S.NULL:
                # It never rang (a busy phone refuses at once): there is no
                # state to leave, but its device's monitors and the call's
                # owner must still hear that it is gone.
                model.detach(conn)
                model.emit(
                    ConnectionClearedEvent(
                        dropped_connection=conn.id,
                        releasing_device=conn.device,
                        cause=failure or cleared,
                    ),
                    [conn.call],
                    [conn.device],
                )
            else:
                model.clear(conn, failure or cleared)
        elif failure is not None and unanswered:
            model.fail(conn, failure)
        else:
            model.drop(conn, cleared)
    for call in calls:
        model.settle(call)


def on_held(model: FoldingModel, ev: sw.ChannelHeld | sw.ChannelRetrieved, *, held: bool) -> None:
    leg = model.legs.get(ev.channel_id)
    if leg is None:
        return
    if held:
        conn = leg.active_connection()
        if conn is not None and conn.state is S.CONNECTED:
            # The phone holds by itself; the switch plays the music.
            model.transition(conn, Trigger.HOLD)
            conn.held_by_device = True
            model.emit(
                HeldEvent(
                    held_connection=conn.id,
                    holding_device=conn.device,
                    cause=EventCause.KEY_OPERATION,
                ),
                [conn.call],
            )
    else:
        for conn in leg.connections:
            if conn.state is S.HOLD and conn.held_by_device:
                model.transition(conn, Trigger.RETRIEVE)
                conn.held_by_device = False
                model.emit(
                    RetrievedEvent(
                        retrieved_connection=conn.id,
                        retrieving_device=conn.device,
                        cause=EventCause.KEY_OPERATION,
                    ),
                    [conn.call],
                )
                break


def on_digits(model: FoldingModel, ev: sw.DigitsReceived) -> None:
    leg = model.legs.get(ev.channel_id)
    if leg is None:
        return
    conn = leg.active_connection()
    if conn is not None and conn.state is S.CONNECTED:
        model.notify(
            DigitsDetected(call_id=conn.call.call_id, device=conn.device, digits=ev.digits)
        )


def on_amd(model: FoldingModel, ev: AmdResult) -> None:
    """Who answered an outside call: a fact of the call, and a notice for its owner."""
    leg = model.legs.get(ev.channel_id)
    conn = leg.active_connection() if leg is not None else None
    if conn is None:
        return
    conn.call.facts[ANSWERED_BY] = ev.result.value
    model.notify(
        AnswerClassified(call_id=conn.call.call_id, device=conn.device, answered_by=ev.result.value)
    )


def on_resync(model: FoldingModel, ev: sw.Resynchronized) -> None:
    """Reconcile with what the switch has after a reconnect."""
    present = {info.channel_id: info for info in ev.channels}
    # Legs ctid knows that the switch no longer has ended while the link was down.
    for channel_id, leg in list(model.legs.items()):
        if channel_id not in present and leg.created:
            on_hung_up(
                model,
                sw.ChannelHungUp(channel_id=channel_id, cause=sw.HangupCause.FAILED, detail="lost"),
            )
    # After a restart: the calls the live store kept, with their ids and data.
    unknown = [info for info in ev.channels if info.channel_id not in model.legs]
    restored, answered_since = restore_calls(model, unknown)
    # Before folding in what changed meanwhile (which asks for what it needs).
    redo_lost_commands(model, present, ev.bridges)
    for channel_id in answered_since:
        on_answered(model, sw.ChannelAnswered(channel_id=channel_id))
    by_bridge: dict[str, list[sw.ChannelInfo]] = {}
    for info in ev.channels:
        if info.channel_id in restored:
            continue
        known = model.legs.get(info.channel_id)
        if known is not None:
            known.created = True
            known.bridge_id = info.bridge_id
            if info.state is sw.ChannelState.UP and not known.answered:
                on_answered(model, sw.ChannelAnswered(channel_id=info.channel_id))
            continue
        by_bridge.setdefault(info.bridge_id or f"solo:{info.channel_id}", []).append(info)
    # Channels ctid has never seen (calls made while it was away) become calls.
    for members in by_bridge.values():
        first = members[0]
        calling, called, direction, trunk = recovered_parties(members)
        call = model.new_call(calling=calling, called=called, direction=direction, trunk=trunk)
        for info in members:
            leg = Leg(
                channel_id=info.channel_id,
                kind=info.kind,
                device=info.device,
                direction=info.direction,
                trunk=info.trunk,
                created=True,
                bridge_id=info.bridge_id,
                bridge_target=info.bridge_id,
            )
            if info.state is sw.ChannelState.UP:
                leg.answered_at = model.now()
            model.legs[info.channel_id] = leg
            if info.device in call.connections:
                continue
            state = {
                sw.ChannelState.UP: S.HOLD if info.held else S.CONNECTED,
                sw.ChannelState.RINGING: S.ALERTING,
                sw.ChannelState.DIALING: S.INITIATED,
                sw.ChannelState.DOWN: S.NULL,
            }[info.state]
            conn = model.add_connection(call, info.device, state, leg)
            if state is S.ALERTING:
                model.delivered(conn)
            elif (
                state is S.CONNECTED
                and info.direction is sw.Direction.OUTBOUND
                # MakeCall's calling phone is an outbound leg too, but it did not
                # answer the call: records would name it the answering party.
                and info.device != call.calling_device
            ):
                call.answered_at = model.now()
                model.emit(
                    EstablishedEvent(
                        established_connection=conn.id,
                        answering_device=conn.device,
                        calling_device=call.calling_device,
                        called_device=call.called_device,
                    ),
                    [call],
                )
        if first.bridge_id is not None:
            call.bridge_id = first.bridge_id


def recovered_parties(members: Sequence[sw.ChannelInfo]) -> tuple[str, str, str, str | None]:
    """(calling, called, direction, trunk) of a call found on the switch after a restart.

    The switch lists a call's legs in no particular order. The calling party is
    an inbound leg (a phone that dialled, an outside caller); failing that (every
    leg was originated by ctid, as MakeCall's are), the leg whose number another
    leg shows as its caller id. MakeCall rings the calling phone with the called
    number as caller id and the called phone with the calling one, so its legs
    show each other's number: then the leg the switch made first is the caller.
    """
    calling = next((m for m in members if m.direction is sw.Direction.INBOUND), None)
    if calling is None:
        shown = [
            m for m in members if any(o.caller_number == m.device for o in members if o is not m)
        ]
        # MakeCall's two legs show each other's number: the calling phone's came first.
        shown.sort(key=lambda m: math.inf if m.created is None else m.created)
        calling = shown[0] if shown else None
    external = next((m for m in members if m.kind is sw.EndpointKind.EXTERNAL), None)
    trunk = external.trunk if external is not None else None
    if calling is None:
        # One leg alone, or nothing tells: the leg's caller id called it.
        first = members[0]
        return first.caller_number, first.device, _direction(first, external), trunk
    others = [m for m in members if m is not calling]
    called = (calling.called_number if calling.direction is sw.Direction.INBOUND else None) or (
        others[0].device if others else (calling.called_number or "")
    )
    return calling.device, called, _direction(calling, external), trunk


def _direction(calling: sw.ChannelInfo, external: sw.ChannelInfo | None) -> str:
    if calling.kind is sw.EndpointKind.EXTERNAL:
        return "inbound"
    return "internal" if external is None else "outbound"


def redo_lost_commands(
    model: FoldingModel, present: Mapping[str, sw.ChannelInfo], bridges: Iterable[sw.BridgeInfo]
) -> None:
    """After a reconnect, ask again for what the switch does not show.

    Commands in flight when the link broke (answering a caller, joining a
    call's bridge, music on hold) are lost, and no event will ever say so;
    left alone, the parties of a call would not hear each other.
    """
    call_bridges = {call.bridge_id for call in model.calls.values()}
    for channel_id, leg in model.legs.items():
        info = present.get(channel_id)
        if info is None or leg.hangup_sent:
            continue
        if leg.answer_sent and info.state is not sw.ChannelState.UP:
            model.command(sw.Answer(channel_id=channel_id))
        if leg.bridge_target is not None and info.bridge_id != leg.bridge_target:
            model.command(sw.BridgeAdd(bridge_id=leg.bridge_target, channel_id=channel_id))
        elif leg.bridge_target is None and info.bridge_id in call_bridges:
            assert info.bridge_id is not None
            model.command(sw.BridgeRemove(bridge_id=info.bridge_id, channel_id=channel_id))
    music = {b.bridge_id: b.music for b in bridges}
    for call in model.calls.values():
        if call.music and not music.get(call.bridge_id, False):
            model.command(sw.StartMusic(target=sw.MediaTarget.bridge(call.bridge_id)))
        elif not call.music and music.get(call.bridge_id, False):
            model.command(sw.StopMusic(target=sw.MediaTarget.bridge(call.bridge_id)))
