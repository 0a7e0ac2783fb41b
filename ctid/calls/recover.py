"""Calls of a previous run found again on the switch: the same call ids, data and states.

After a restart the switch still has the channels of the calls that went on
while ctid was away, and the live store (``calls.keep``) still has what ctid
knew of them. ``restore_calls`` runs in the first resynchronisation, before the
bridge-based guess of ``fold.on_resync``: it groups the switch's channels by the
stored calls (a held customer alone in a bridge with music, the agent's channel
and the consultation's channel are one call and a consultation, not three calls),
gives each call back its call id, ``correlatorData``, ``userData``, facts and
its connections' states, and leaves the channels no stored call names to the
bridge-based grouping. A stored call none of whose channels is left ended
while ctid was away: it is put back without channels and listed in
``ended_while_down``; once every service has restored its own state (the ACD its
agents, the records the call's record in progress), ``clear_ended_while_down``
ends it as if its parties had hung up now (ConnectionCleared, CallCleared), so
agents go on to after-call work and the record is closed normally (the records
date its end back to the last sign of life of the previous run).

Connections whose channel ended while ctid was away are cleared (an event, as if
the party had hung up now), and a call left with one party is settled as any
call would be. A channel that was ringing and has been answered meanwhile is
folded in as answered now. What the switch lost (a bridge join, music) is asked
for again by ``fold.redo_lost_commands``, which compares ``Leg.bridge_target``
and ``Call.music`` with what the switch shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..switch_drivers import base as sw
from .keep import fact_times
from .objects import Call, Connection, Leg, Supervision
from .states import ConnectionState
from .values import EventCause

__all__ = ["clear_ended_while_down", "restore_calls"]

log = logging.getLogger(__name__)

S = ConnectionState


class RecoveringModel(Protocol):
    """What recovery uses of ``CallModel`` (no import: the model imports us through fold)."""

    calls: dict[str, Call]
    legs: dict[str, Leg]
    dirty: set[str]
    stored_calls: dict[str, dict[str, Any]]
    supervisors: dict[str, list[Leg]]
    ended_while_down: list[str]
    services_ready: bool
    from_wall: Callable[[float], float]

    def now(self) -> float: ...

    def add_connection(
        self, call: Call, device: str, state: ConnectionState, leg: Leg | None = None
    ) -> Connection: ...

    def drop(self, conn: Connection, cause: EventCause) -> None: ...

    def settle(self, call: Call) -> None: ...

    def start_supervision(self, leg: Leg, *, restored: bool = False) -> None: ...


def restore_calls(
    model: RecoveringModel, infos: Sequence[sw.ChannelInfo]
) -> tuple[set[str], list[str]]:
    """Rebuild the stored calls from ``infos`` (channels the model does not know).

    Returns the channel ids it took and the channels found answered since
    (for the caller to fold in as answers once every call is built).
    """
    stored, model.stored_calls = model.stored_calls, {}
    if not stored:
        return set(), []
    # Each stored call is either restored (and rewritten if it changed) or gone
    # (and deleted): the keeper looks at all of them at its next sync.
    model.dirty.update(stored)
    present = {info.channel_id: info for info in infos}
    taken: set[str] = set()
    answered_since: list[str] = []
    gone: list[Connection] = []
    restored: list[Call] = []
    rows = sorted(stored.values(), key=lambda r: float(r.get("created_at") or 0.0))
    for row in rows:
        try:
            call = _restore_one(model, row, present, taken, gone, answered_since)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("stored call %s could not be restored: %s", row.get("call_id"), exc)
            continue
        if call is not None:
            restored.append(call)
    ghosts = [call for call in restored if call.call_id in model.ended_while_down]
    restored = [call for call in restored if call.call_id not in model.ended_while_down]
    for call in restored:
        _adopt_bridge(model, call, present)
    for conn in gone:
        model.drop(conn, EventCause.NORMAL_CLEARING)
    supervising = _restore_supervisions(model, restored)
    for call in restored:
        if call.call_id not in supervising:
            model.settle(call)
    if ghosts:
        log.info(
            "%d stored call(s) ended while ctid was away: %s",
            len(ghosts),
            ", ".join(call.call_id for call in ghosts),
        )
        if model.services_ready:
            # The services restored before the switch came back: end them now.
            clear_ended_while_down(model)
    return taken, answered_since


def clear_ended_while_down(model: RecoveringModel) -> list[str]:
    """End the stored calls whose channels all ended while ctid was away.

    Called once the services have restored what they keep of those calls; from
    then on a call found so at a later resynchronisation is ended at once.
    Returns the ids of the calls ended.
    """
    model.services_ready = True
    ended, model.ended_while_down = model.ended_while_down, []
    for call_id in ended:
        call = model.calls.get(call_id)
        if call is None:
            continue
        for conn in list(call.connections.values()):
            model.drop(conn, EventCause.NORMAL_CLEARING)
        model.settle(call)
    return ended


def _restore_one(
    model: RecoveringModel,
    row: Mapping[str, Any],
    present: Mapping[str, sw.ChannelInfo],
    taken: set[str],
    gone: list[Connection],
    answered_since: list[str],
) -> Call | None:
    call_id = str(row["call_id"])
    if call_id in model.calls:
        return None
    # Everything is read (and a bad row refused) before the model is touched.
    conns = [
        (str(c["device"]), S(c["state"]), c.get("channel_id"), c)
        for c in row.get("connections", ())
    ]
    supervisions = {
        str(c["channel_id"]): _supervision(c["supervision"])
        for c in row.get("connections", ())
        if c.get("supervision") is not None
    }
    if len({device for device, *_ in conns}) != len(conns):
        raise ValueError("a device has two connections")
    if any(cid is not None and not isinstance(cid, str) for _, _, cid, _ in conns):
        raise ValueError("a channel id is not a string")
    # All its channels ended while ctid was away: it comes back without them, to be
    # ended once the services have their part of it back (``clear_ended_while_down``).
    ghost = not any(cid in present for _, _, cid, _ in conns)
    answered = row.get("answered_at")
    call = Call(
        call_id=call_id,
        bridge_id=str(row["bridge_id"]),
        calling_device=str(row["calling_device"]),
        called_device=str(row["called_device"]),
        direction=str(row["direction"]),
        created_at=model.from_wall(float(row["created_at"])),
        trunk=row.get("trunk"),
        answered_at=None if answered is None else model.from_wall(float(answered)),
        correlator_data=row.get("correlator_data"),
        user_data=dict(row.get("user_data") or {}),
        last_redirection_device=row.get("last_redirection_device"),
        # A call that ended meanwhile has no bridge to play music to.
        music=bool(row.get("music")) and not ghost,
        owner=row.get("owner"),
        facts=fact_times(row.get("facts") or {}, model.from_wall),
    )
    model.calls[call_id] = call
    if ghost:
        model.ended_while_down.append(call_id)
    for device, state, channel_id, stored in conns:
        if ghost:
            if state is not S.NULL:
                model.add_connection(call, device, state)
            continue
        if channel_id is None:
            # A route point's connection (a queue, an IVR): it has no channel.
            model.add_connection(call, device, state)
            continue
        info = present.get(channel_id)
        if info is None:
            if state is not S.NULL:
                gone.append(model.add_connection(call, device, state))
            continue
        leg = model.legs.get(channel_id)
        if leg is None:
            leg = Leg(
                channel_id=channel_id,
                kind=info.kind,
                device=info.device,
                direction=info.direction,
                trunk=info.trunk,
                created=True,
                bridge_id=info.bridge_id,
                offer=bool(stored.get("offer")),
                prompt=bool(stored.get("prompt")),
            )
            model.legs[channel_id] = leg
            taken.add(channel_id)
            leg.supervision = supervisions.get(channel_id)
            if leg.supervision is not None:
                model.supervisors.setdefault(leg.supervision.target_channel, []).append(leg)
        conn = model.add_connection(call, device, state, leg)
        conn.held_by_device = bool(stored.get("held_by_device"))
        if info.state is sw.ChannelState.UP:
            if state in (S.CONNECTED, S.HOLD) or (leg.prompt and state is S.INITIATED):
                leg.answered_at = model.now()
            elif channel_id not in answered_since:
                answered_since.append(channel_id)
    for device in row.get("devices_seen", ()):
        if device not in call.devices_seen:
            call.devices_seen.append(str(device))
    return call


def _supervision(stored: Mapping[str, Any]) -> Supervision:
    return Supervision(
        supervision_id=str(stored["id"]),
        target_channel=str(stored["target_channel"]),
        mode=sw.SupervisionMode(stored["mode"]),
    )


def _restore_supervisions(model: RecoveringModel, calls: Sequence[Call]) -> set[str]:
    """Join each restored supervisor that had answered to its agent again.

    The switch may still run the supervision (an Asterisk snoop in its bridge, a
    FreeSWITCH ``eavesdrop``): ``StartSupervision(restored=True)`` has the driver
    take it over. A supervisor whose agent's leg is gone is hung up, as when the
    agent hangs up (``CallModel.start_supervision``); one still ringing is joined
    when it answers. Returns the ids of the calls of supervisors kept: a
    supervisor is alone in its call by design, so they are not settled.
    """
    kept: set[str] = set()
    for call in calls:
        for conn in call.connections.values():
            leg = conn.leg
            if leg is None or leg.supervision is None or leg.hangup_sent:
                continue
            kept.add(call.call_id)
            if conn.state is S.CONNECTED and leg.answered_at is not None:
                model.start_supervision(leg, restored=True)
    return kept


def _adopt_bridge(
    model: RecoveringModel, call: Call, present: Mapping[str, sw.ChannelInfo]
) -> None:
    """Which bridge each connected party of ``call`` should be in.

    When all of them are in one switch bridge (a FreeSWITCH ``uuid_bridge`` pair
    comes back as ``fs-<uuid>``), that bridge becomes the call's: moving them into
    the stored one would cut their audio for nothing.
    """
    connected = [
        c
        for c in call.connections.values()
        if c.state is S.CONNECTED and c.leg is not None and c.leg.supervision is None
    ]
    found = {present[c.leg.channel_id].bridge_id for c in connected if c.leg is not None}
    if len(found) == 1:
        (bridge,) = found
        if bridge is not None and not any(
            other.bridge_id == bridge for other in model.calls.values() if other is not call
        ):
            call.bridge_id = bridge
    for conn in connected:
        leg = conn.leg
        assert leg is not None
        # A party in a bridge, or one who talked in the call, belongs in its
        # bridge; a caller still waiting for an answer is joined when it comes.
        in_bridge = present[leg.channel_id].bridge_id is not None
        if leg.active_connection() is conn and (
            in_bridge or (leg.answered and call.answered_at is not None)
        ):
            leg.bridge_target = call.bridge_id
