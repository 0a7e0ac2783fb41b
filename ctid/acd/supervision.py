"""Supervisor features on an agent's live call: silent monitor, whisper (coach), barge-in.

The supervisor's phone gets a call of its own (auto-answered, like an
intercom) that the switch joins to the agent's line in the chosen mode; the
customer's call sees no event, so silent monitoring stays silent. Asking
again for the same agent switches the mode on the live call. The supervisor
leaves by hanging up (or ClearConnection on its connection), and is released
when the agent's line hangs up.

Force release is ClearConnection on the agent's connection and forcing a state
is SetAgentState, both checked by the API's role rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..calls.errors import CstaError, CstaErrorValue
from ..calls.states import ConnectionState
from ..calls.values import ConnectionID, DeviceType
from ..switch_drivers import base as sw
from .agent import Agent

if TYPE_CHECKING:
    from .engine import AcdEngine

__all__ = ["supervise", "supervised_agent"]

V = CstaErrorValue


def supervised_agent(engine: AcdEngine, active_call: ConnectionID) -> Agent:
    """The agent logged on at the device of ``active_call`` (the call to supervise)."""
    agent = engine.by_device.get(active_call.device_id)
    if agent is None:
        raise CstaError(
            V.REQUEST_INCOMPATIBLE_WITH_OBJECT,
            f"activeCall: no agent is logged on at {active_call.device_id}",
        )
    return agent


def supervise(
    engine: AcdEngine,
    *,
    active_call: ConnectionID,
    device: str,
    mode: sw.SupervisionMode,
    auto_answer: bool = True,
) -> ConnectionID:
    """Join ``device`` to the agent's call in ``mode``, or switch its mode if it is there.

    Returns the supervisor's connection (in its own supervision call).
    """
    model = engine.model
    agent = supervised_agent(engine, active_call)
    conn = model.connection(active_call)
    if conn is None:
        raise CstaError(
            V.INVALID_CONNECTION_IDENTIFIER,
            f"activeCall: no connection of {active_call.device_id} in call {active_call.call_id}",
        )
    if conn.state not in (ConnectionState.CONNECTED, ConnectionState.HOLD) or conn.leg is None:
        raise CstaError(
            V.INVALID_OBJECT_STATE,
            f"activeCall: agent {agent.agent_id} is {conn.state.value} in the call, not talking",
        )
    if device == agent.device:
        raise CstaError(V.INVALID_DEVICE_IDENTIFIER, "deviceToJoin is the agent's own device")
    if model.directory.classify(device) is not DeviceType.EXTENSION:
        raise CstaError(
            V.INVALID_DEVICE_IDENTIFIER, f"deviceToJoin: {device!r} is not an extension"
        )
    for leg in model.supervisors.get(conn.leg.channel_id, ()):
        if leg.device == device and not leg.hangup_sent and leg.connections:
            model.change_supervision(leg, mode)
            return leg.connections[0].id
    if model.device_connections(device):
        raise CstaError(V.INVALID_OBJECT_STATE, f"deviceToJoin: {device} is on another call")
    if model.link_state is not sw.LinkState.UP:
        raise CstaError(V.RESOURCE_OUT_OF_SERVICE, "the switch is not connected")
    return model.supervise(device, conn.leg, mode, auto_answer=auto_answer).id
