"""Small values of the call model: ConnectionID, device types, event causes, wire naming."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from ..naming import wire_name

__all__ = ["ConnectionID", "DeviceType", "EventCause", "to_wire", "wire_name"]


@attrs.frozen(kw_only=True)
class ConnectionID:
    """One device's connection to one call: ``{"callID": ..., "deviceID": ...}`` on the wire."""

    call_id: str
    device_id: str

    def to_wire(self) -> dict[str, str]:
        return {"callID": self.call_id, "deviceID": self.device_id}


class DeviceType(enum.Enum):
    """What a directory number is."""

    #: An inside line with a phone: agents' and staff's extensions.
    EXTENSION = "extension"
    #: An outside party reached through a trunk (its number is the device id).
    EXTERNAL = "external"
    #: A number that is not a phone: a queue or an IVR entry point, served by ctid.
    ROUTE_POINT = "routePoint"


class EventCause(enum.Enum):
    """ECMA-269 event causes used by ctid; the value is the wire name."""

    NEW_CALL = "newCall"
    MAKE_CALL = "makeCall"
    NORMAL_CLEARING = "normalClearing"
    BUSY = "busy"
    NO_ANSWER = "noAnswer"
    CALL_CANCELLED = "callCancelled"
    DEST_NOT_OBTAINABLE = "destNotObtainable"
    TRUNKS_BUSY = "trunksBusy"
    NETWORK_OUT_OF_ORDER = "networkOutOfOrder"
    SWITCHING_FUNCTION_TERMINATED = "switchingFunctionTerminated"
    CONSULTATION = "consultation"
    TRANSFER = "transfer"
    CONFERENCE = "conference"
    SINGLE_STEP_TRANSFER = "singleStepTransfer"
    SINGLE_STEP_CONFERENCE = "singleStepConference"
    REDIRECTED = "redirected"
    ALTERNATE = "alternate"
    KEY_OPERATION = "keyOperation"
    ENTERING_DISTRIBUTION = "enteringDistribution"
    DISTRIBUTED = "distributed"
    OVERFLOW = "overflow"
    QUEUE_CLEARED = "queueCleared"
    TIMEOUT = "timeout"
    SILENT_PARTICIPATION = "silentParticipation"
    ACTIVE_PARTICIPATION = "activeParticipation"
    NORMAL = "normal"
    #: ctid: a monitor ended because the agent whose device it watched logged off it.
    AGENT_LOGGED_OFF = "agentLoggedOff"


def to_wire(value: Any) -> Any:
    """Convert a model value into plain JSON/msgpack data."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, ConnectionID):
        return value.to_wire()
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if attrs.has(type(value)):
        return {
            wire_name(f.name): to_wire(getattr(value, f.name))
            for f in attrs.fields(type(value))
            if getattr(value, f.name) is not None
        }
    raise TypeError(f"cannot put {type(value).__name__} on the wire")
