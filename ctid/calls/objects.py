"""The call model's objects: calls, connections, legs, supervisions, and emitted events.

They are plain mutable records (``attrs.define``) that only ``CallModel`` and
the functions folding switch events into it (``calls.fold``) change; services
read them. ``Emitted`` is the frozen envelope of a CSTA event on its way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..switch_drivers import base as sw
from .events import CstaEvent
from .states import ConnectionState
from .values import ConnectionID

__all__ = ["Call", "Connection", "Emitted", "Leg", "Supervision"]

S = ConnectionState


@attrs.frozen(kw_only=True)
class Emitted:
    """A CSTA event with what the bus needs to route it to monitors."""

    event: CstaEvent
    #: Calls it concerns (for call monitors).
    calls: tuple[str, ...]
    #: Devices it concerns (for device monitors).
    devices: tuple[str, ...]
    #: Each device's connection state in the call, for ``localConnectionInfo``.
    local_states: Mapping[str, str]
    #: trio time it happened.
    at: float
    #: Goes to every session regardless of monitors (system status).
    broadcast: bool = False


@attrs.define(eq=False)
class Supervision:
    """A supervisor's leg listening to another leg (an agent's) and maybe speaking to it.

    The supervisor's leg is never put in a bridge of the call model: the switch
    joins it to its target with ``StartSupervision`` once it has answered, so
    the supervised call's parties see no event and silent monitoring stays silent.
    """

    supervision_id: str
    #: The supervised leg (the agent's phone).
    target_channel: str
    mode: sw.SupervisionMode
    #: ``StartSupervision`` has been sent (the supervisor answered).
    started: bool = False


@attrs.define(eq=False)
class Leg:
    """A switch channel as the model knows it."""

    channel_id: str
    kind: sw.EndpointKind
    device: str
    direction: sw.Direction
    trunk: str | None = None
    #: The switch has reported the channel (ctid creates legs before it does).
    created: bool = False
    answered_at: float | None = None
    #: The bridge the switch says the channel is in.
    bridge_id: str | None = None
    #: The bridge ctid last asked the switch to put it in.
    bridge_target: str | None = None
    #: ctid asked for it to be hung up.
    hangup_sent: bool = False
    #: ctid asked the switch to answer it.
    answer_sent: bool = False
    #: It rings MakeCall's calling device (its answer starts the call).
    prompt: bool = False
    #: It offers a call to an agent for a route point's owner (ACD): when one offer
    #: of a call is answered the others stop, and a failed offer is cleared, not failed.
    offer: bool = False
    #: It is a supervisor's leg listening to another leg (see ``Supervision``).
    supervision: Supervision | None = None
    connections: list[Connection] = attrs.field(factory=list)

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    def active_connection(self) -> Connection | None:
        """The connection on this leg that is not on hold, if any."""
        for conn in self.connections:
            if conn.state is not S.HOLD:
                return conn
        return None


@attrs.define(eq=False)
class Connection:
    """One device's relationship to one call, with its CSTA state."""

    call: Call
    device: str
    state: ConnectionState
    leg: Leg | None = None
    #: The phone itself holds the call (its hold key), rather than ctid.
    held_by_device: bool = False

    @property
    def id(self) -> ConnectionID:
        return ConnectionID(call_id=self.call.call_id, device_id=self.device)


@attrs.define(eq=False)
class Call:
    """A call: its connections and the data that travels with it."""

    call_id: str
    bridge_id: str
    calling_device: str
    called_device: str
    direction: str
    created_at: float
    trunk: str | None = None
    answered_at: float | None = None
    correlator_data: str | None = None
    user_data: dict[str, Any] = attrs.field(factory=dict)
    last_redirection_device: str | None = None
    #: Music on hold is playing into the bridge.
    music: bool = False
    #: ctid asked the remaining party's leg to hang up; the call is ending.
    ending: bool = False
    #: The route point whose service (IVR, ACD) holds the call: a caller waiting
    #: alone in its care is not released.
    owner: str | None = None
    #: Facts services record about the call for its call record (queue, agent,
    #: IVR flow, times entered/left...). Not sent to clients; see CallEnded.
    facts: dict[str, Any] = attrs.field(factory=dict)
    connections: dict[str, Connection] = attrs.field(factory=dict)
    #: Every device that ever had a connection, in order (for records).
    devices_seen: list[str] = attrs.field(factory=list)
    #: Devices cleared since the call was last stable, who see its CallClearedEvent.
    closing_devices: set[str] = attrs.field(factory=set)

    def other_connections(self, device: str) -> list[Connection]:
        return [c for d, c in self.connections.items() if d != device]
