"""Consistency checks of a CallModel's indexes, for tests and long simulations.

The model keeps the same facts in several places for speed (calls -> connections,
device -> connections, leg -> connections). These checks say where they disagree.
"""

from __future__ import annotations

from .model import CallModel
from .states import ConnectionState
from .values import DeviceType

__all__ = ["problems"]


def problems(model: CallModel) -> list[str]:
    """Every inconsistency found (an empty list when all is well)."""
    out = []
    seen = set()
    for call_id, call in model.calls.items():
        if call.call_id != call_id:
            out.append(f"call {call_id} is filed under another id")
        for device, conn in call.connections.items():
            seen.add(id(conn))
            if conn.device != device or conn.call is not call:
                out.append(f"{call_id}/{device}: connection filed under the wrong call or device")
            waiting_at_point = model.directory.classify(device) is DeviceType.ROUTE_POINT
            if conn.state is ConnectionState.NULL and conn.leg is None and not waiting_at_point:
                # (At a route point the call waits for its service to act.)
                out.append(f"{call_id}/{device}: a null connection with no leg is never cleaned up")
            if conn not in model.by_device.get(device, []):
                out.append(f"{call_id}/{device}: missing from the device index")
            leg = conn.leg
            if leg is not None:
                if conn not in leg.connections:
                    out.append(f"{call_id}/{device}: its leg {leg.channel_id} does not list it")
                if model.legs.get(leg.channel_id) is not leg:
                    out.append(f"{call_id}/{device}: its leg {leg.channel_id} is not known")
        active = [c for c in call.connections.values() if c.state is not ConnectionState.FAIL]
        if not active and not call.ending:
            out.append(f"{call_id}: a call with no live connection is still open")
    for device, conns in model.by_device.items():
        for conn in conns:
            if id(conn) not in seen:
                out.append(f"device index of {device} holds a connection of no open call")
    for channel_id, leg in model.legs.items():
        live = [c for c in leg.connections if c.state is not ConnectionState.HOLD]
        if len(live) > 1:
            out.append(f"leg {channel_id} is active in {len(live)} calls at once")
        for conn in leg.connections:
            if id(conn) not in seen:
                out.append(f"leg {channel_id} carries a connection of no open call")
    return out
