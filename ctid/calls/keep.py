"""Calls written to the live store as they change, so a restarted ctid finds them again.

What ctid knows of a call and the switch does not (its callID, ``correlatorData``,
``userData``, facts, which channels carry which connection in which CSTA state)
is kept in the live store (``ctid.livestate``) under two kinds of rows:

* ``call``, keyed by ctid's call id: the call as ``call_row`` describes it;
* ``leg``, keyed by the switch's channel id: the calls that channel carries
  (``{"call_id": first, "call_ids": [...]}``; a consulting phone's one channel
  carries two calls).

``CallKeeper.sync`` runs after every step of the call service (an event folded
in, a request served): it looks only at the calls the model marked as changed
(``CallModel.dirty``), builds their rows, and puts the rows that differ from what
it last wrote, so a call whose state did not change costs no write. ``put`` never
blocks (the store writes behind the caller's back). A call that ended is deleted
with its legs.

Times are trio times in the model and wall-clock seconds in the rows (the trio
clock starts again with each process). After a restart, ``fold.on_resync`` hands
the rows loaded at start-up to ``calls.recover``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .objects import Call, Leg

__all__ = [
    "KIND_CALL",
    "KIND_LEG",
    "CallKeeper",
    "KeptModel",
    "LiveRows",
    "call_row",
]

log = logging.getLogger(__name__)

KIND_CALL = "call"
KIND_LEG = "leg"


class LiveRows(Protocol):
    """The part of ``ctid.livestate.store.LiveStore`` the keeper uses."""

    def load(self, kind: str) -> dict[str, dict[str, Any]]: ...

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None: ...

    def delete(self, kind: str, key: str) -> None: ...


class KeptModel(Protocol):
    """What the keeper uses of ``CallModel`` (a protocol: no import circle with it)."""

    calls: dict[str, Call]
    legs: dict[str, Leg]
    dirty: set[str]
    stored_calls: dict[str, dict[str, Any]]


def _is_time_fact(key: str, value: object) -> bool:
    # Facts named ``*_at`` are trio times (ctid.facts); they are stored as wall time.
    return key.endswith("_at") and isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """A copy of ``value`` that JSON can carry (client data is JSON already; a fact
    may be anything a service wrote). A copy, so a later change shows as a change."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def call_row(call: Call, to_wall: Callable[[float], float]) -> dict[str, Any]:
    """The stored form of ``call`` (see the module docstring)."""
    connections = []
    for device, conn in call.connections.items():
        leg = conn.leg
        connections.append(
            {
                "device": device,
                "state": conn.state.value,
                "channel_id": leg.channel_id if leg is not None else None,
                "held_by_device": conn.held_by_device,
                "offer": bool(leg is not None and leg.offer),
                "prompt": bool(leg is not None and leg.prompt),
                **_supervision(leg),
            }
        )
    facts = {
        key: to_wall(value) if _is_time_fact(key, value) else value
        for key, value in call.facts.items()
    }
    return {
        "call_id": call.call_id,
        "bridge_id": call.bridge_id,
        "calling_device": call.calling_device,
        "called_device": call.called_device,
        "direction": call.direction,
        "trunk": call.trunk,
        "created_at": to_wall(call.created_at),
        "answered_at": None if call.answered_at is None else to_wall(call.answered_at),
        "correlator_data": call.correlator_data,
        "user_data": _plain(call.user_data) if call.user_data else {},
        "facts": _plain(facts) if facts else {},
        "last_redirection_device": call.last_redirection_device,
        "music": call.music,
        "owner": call.owner,
        "devices_seen": list(call.devices_seen),
        "connections": connections,
    }


def _supervision(leg: Leg | None) -> dict[str, Any]:
    """A supervisor's leg: what it supervises and how (restored by ``calls.recover``)."""
    if leg is None or leg.supervision is None:
        return {}
    sup = leg.supervision
    return {
        "supervision": {
            "id": sup.supervision_id,
            "target_channel": sup.target_channel,
            "mode": sup.mode.value,
        }
    }


def row_legs(row: Mapping[str, Any]) -> list[str]:
    """The channel ids of a stored call's connections, in order, without repeats."""
    out: list[str] = []
    for conn in row.get("connections", ()):
        channel_id = conn.get("channel_id")
        if isinstance(channel_id, str) and channel_id not in out:
            out.append(channel_id)
    return out


def fact_times(facts: Mapping[str, Any], from_wall: Callable[[float], float]) -> dict[str, Any]:
    """Stored facts with their ``*_at`` times back on this process's trio clock."""
    return {
        key: from_wall(value) if _is_time_fact(key, value) and math.isfinite(value) else value
        for key, value in facts.items()
    }


class CallKeeper:
    """Writes the model's calls to the live store as they change (see the module docstring)."""

    def __init__(self, store: LiveRows, to_wall: Callable[[float], float]) -> None:
        self.store = store
        self.to_wall = to_wall
        #: What was last written for each call still open.
        self._rows: dict[str, dict[str, Any]] = {}
        #: Channel id -> the calls last written for it.
        self._legs: dict[str, list[str]] = {}
        self.puts = 0

    def load(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """The ``call`` and ``leg`` rows stored before this start (read once, before serving)."""
        calls = self.store.load(KIND_CALL)
        legs = self.store.load(KIND_LEG)
        return calls, legs

    def adopt(self, model: KeptModel) -> None:
        """Start from what the store holds, and give it to the model to recover from.

        Each stored call is either restored by the model's first resynchronisation
        (and rewritten if it changed) or dropped there and deleted by the next
        ``sync``: ``recover`` marks them all changed once it has decided.
        """
        stored_calls, stored_legs = self.load()
        self._rows.update(stored_calls)
        for channel_id, row in stored_legs.items():
            ids = [str(i) for i in (row.get("call_ids") or [row.get("call_id")]) if i]
            if any(i in stored_calls for i in ids):
                self._legs[channel_id] = ids
            else:
                self.store.delete(KIND_LEG, channel_id)  # its calls are gone already
        model.stored_calls = dict(stored_calls)

    def sync(self, model: KeptModel) -> None:
        """Write what changed in the calls the model marked since the last sync."""
        if not model.dirty:
            return
        dirty, model.dirty = model.dirty, set()
        touched_legs: set[str] = set()
        for call_id in dirty:
            call = model.calls.get(call_id)
            before = self._rows.get(call_id)
            if call is None:
                if before is not None:
                    del self._rows[call_id]
                    self.store.delete(KIND_CALL, call_id)
                    touched_legs.update(row_legs(before))
                continue
            row = call_row(call, self.to_wall)
            if row == before:
                continue
            self._rows[call_id] = row
            self.store.put(KIND_CALL, call_id, row)
            self.puts += 1
            # A leg's row changes only when a call gains or loses it.
            legs = set(row_legs(row))
            touched_legs.update(legs if before is None else legs ^ set(row_legs(before)))
        for channel_id in touched_legs:
            self._sync_leg(model, channel_id)

    def _sync_leg(self, model: KeptModel, channel_id: str) -> None:
        leg = model.legs.get(channel_id)
        calls: list[str] = []
        if leg is not None:
            for conn in leg.connections:
                if conn.call.call_id in model.calls and conn.call.call_id not in calls:
                    calls.append(conn.call.call_id)
        if calls == self._legs.get(channel_id, []):
            return
        if calls:
            self._legs[channel_id] = calls
            self.store.put(KIND_LEG, channel_id, {"call_id": calls[0], "call_ids": calls})
        else:
            self._legs.pop(channel_id, None)
            self.store.delete(KIND_LEG, channel_id)
