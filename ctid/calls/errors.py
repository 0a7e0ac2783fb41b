"""CSTA service failures, named by their ECMA-269 error values.

A ``CstaError`` raised while validating or carrying out a CSTA service becomes
a JSON-RPC error whose ``data.cstaError`` is ``value`` (e.g.
``invalidConnectionIdentifier``). Validation happens before any state changes,
so a refused request leaves everything as it was.
"""

from __future__ import annotations

import enum

__all__ = ["CstaError", "CstaErrorValue"]


class CstaErrorValue(enum.Enum):
    """ECMA-269 §12.2 error values used by ctid; the value is the wire name."""

    # -- operation errors
    GENERIC = "generic"
    REQUEST_INCOMPATIBLE_WITH_OBJECT = "requestIncompatibleWithObject"
    VALUE_OUT_OF_RANGE = "valueOutOfRange"
    OBJECT_NOT_KNOWN = "objectNotKnown"
    INVALID_CALLING_DEVICE = "invalidCallingDevice"
    INVALID_CALLED_DEVICE = "invalidCalledDevice"
    PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE = "privilegeViolationOnSpecifiedDevice"
    PRIVILEGE_VIOLATION_ON_CALLED_DEVICE = "privilegeViolationOnCalledDevice"
    PRIVILEGE_VIOLATION_ON_CALLING_DEVICE = "privilegeViolationOnCallingDevice"
    INVALID_CALL_IDENTIFIER = "invalidCallIdentifier"
    INVALID_DEVICE_IDENTIFIER = "invalidDeviceIdentifier"
    INVALID_CONNECTION_IDENTIFIER = "invalidConnectionIdentifier"
    INVALID_DESTINATION = "invalidDestination"
    INVALID_FEATURE = "invalidFeature"
    INVALID_CROSS_REF_ID = "invalidCrossRefID"
    INVALID_OBJECT_TYPE = "invalidObjectType"
    # -- operation errors of the agent services (SetAgentState, GetAgentState)
    INVALID_AGENT_IDENTIFIER = "invalidAgentIdentifier"
    INVALID_AGENT_PASSWORD = "invalidAgentPassword"
    INVALID_AGENT_STATE = "invalidAgentState"
    INVALID_AGENT_GROUP = "invalidAgentGroup"
    INVALID_PARAMETER_VALUE = "invalidParameterValue"
    # -- state incompatibility errors
    INVALID_OBJECT_STATE = "invalidObjectState"
    NO_ACTIVE_CALL = "noActiveCall"
    NO_HELD_CALL = "noHeldCall"
    NO_CALL_TO_CLEAR = "noCallToClear"
    NO_CONNECTION_TO_CLEAR = "noConnectionToClear"
    NO_CALL_TO_ANSWER = "noCallToAnswer"
    # -- system resource availability errors
    SERVICE_BUSY = "serviceBusy"
    RESOURCE_BUSY = "resourceBusy"
    RESOURCE_OUT_OF_SERVICE = "resourceOutOfService"
    NETWORK_BUSY = "networkBusy"
    OVERALL_MONITOR_LIMIT_EXCEEDED = "overallMonitorLimitExceeded"


class CstaError(Exception):
    """A CSTA service failed; ``value`` is the ECMA-269 error, ``message`` says what and why."""

    def __init__(self, value: CstaErrorValue, message: str) -> None:
        super().__init__(message)
        self.value = value
        self.message = message
