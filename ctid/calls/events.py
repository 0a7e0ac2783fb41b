"""CSTA events (ECMA-269/323 names), as frozen values.

The call model creates these and nothing else does. ``to_params()`` gives the
wire form: attribute names in lowerCamel (``calling_device`` ->
``callingDevice``), ``None`` left out. The per-delivery fields
(``monitorCrossRefID``, ``seq``, ``timestamp``, ``localConnectionInfo``) are
added by the bus and the API, not stored here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from .values import ConnectionID, EventCause, to_wire, wire_name

__all__ = [
    "CallClearedEvent",
    "CallInformationEvent",
    "ConferencedEvent",
    "ConnectionClearedEvent",
    "ConnectionPair",
    "CstaEvent",
    "DeliveredEvent",
    "DigitsGeneratedEvent",
    "DivertedEvent",
    "EstablishedEvent",
    "FailedEvent",
    "HeldEvent",
    "MonitorEndedEvent",
    "OriginatedEvent",
    "QueuedEvent",
    "RetrievedEvent",
    "ServiceInitiatedEvent",
    "SystemStatusEvent",
    "TransferredEvent",
]


def _user_data(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if value is None else dict(value)


class CstaEvent:
    """Base of CSTA events. Concrete events are not subclassed further."""

    __slots__ = ()
    #: The JSON-RPC notification method name.
    name: ClassVar[str]

    def to_params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in attrs.fields(type(self)):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is not None:
                out[wire_name(f.name)] = to_wire(value)
        return out


@attrs.frozen(kw_only=True)
class ConnectionPair:
    """An old connection and the one that replaced it (transfer and conference)."""

    old_connection: ConnectionID
    new_connection: ConnectionID


@attrs.frozen(kw_only=True)
class ServiceInitiatedEvent(CstaEvent):
    """A device started to make a call (off-hook, or MakeCall prompting it)."""

    name: ClassVar[str] = "ServiceInitiatedEvent"
    initiated_connection: ConnectionID
    initiating_device: str
    cause: EventCause = EventCause.NEW_CALL
    correlator_data: str | None = None
    user_data: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)


@attrs.frozen(kw_only=True)
class OriginatedEvent(CstaEvent):
    """The calling device finished dialling; the call is on its way to ``called_device``."""

    name: ClassVar[str] = "OriginatedEvent"
    originated_connection: ConnectionID
    calling_device: str
    called_device: str
    cause: EventCause = EventCause.NEW_CALL
    correlator_data: str | None = None
    user_data: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)


@attrs.frozen(kw_only=True)
class DeliveredEvent(CstaEvent):
    """The call is alerting at ``alerting_device``; carries the call's data (screen pop)."""

    name: ClassVar[str] = "DeliveredEvent"
    connection: ConnectionID
    alerting_device: str
    calling_device: str
    called_device: str
    last_redirection_device: str | None = None
    trunk: str | None = None
    cause: EventCause = EventCause.NEW_CALL
    correlator_data: str | None = None
    user_data: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)
    #: Where an outside caller is from (``[numbers]``; set by ``ctid.publish``):
    #: country, region, carrier, time zones. Absent for inside callers.
    caller_info: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)


@attrs.frozen(kw_only=True)
class EstablishedEvent(CstaEvent):
    """``answering_device`` answered the call."""

    name: ClassVar[str] = "EstablishedEvent"
    established_connection: ConnectionID
    answering_device: str
    calling_device: str
    called_device: str
    last_redirection_device: str | None = None
    cause: EventCause = EventCause.NEW_CALL
    correlator_data: str | None = None
    user_data: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)


@attrs.frozen(kw_only=True)
class HeldEvent(CstaEvent):
    name: ClassVar[str] = "HeldEvent"
    held_connection: ConnectionID
    holding_device: str
    cause: EventCause = EventCause.NORMAL


@attrs.frozen(kw_only=True)
class RetrievedEvent(CstaEvent):
    name: ClassVar[str] = "RetrievedEvent"
    retrieved_connection: ConnectionID
    retrieving_device: str
    cause: EventCause = EventCause.NORMAL


@attrs.frozen(kw_only=True)
class ConnectionClearedEvent(CstaEvent):
    """``releasing_device`` left the call."""

    name: ClassVar[str] = "ConnectionClearedEvent"
    dropped_connection: ConnectionID
    releasing_device: str
    cause: EventCause = EventCause.NORMAL_CLEARING


@attrs.frozen(kw_only=True)
class CallClearedEvent(CstaEvent):
    """The call is over: every connection is cleared."""

    name: ClassVar[str] = "CallClearedEvent"
    cleared_call: str
    cause: EventCause = EventCause.NORMAL_CLEARING


@attrs.frozen(kw_only=True)
class TransferredEvent(CstaEvent):
    """``transferring_device`` left; its held and active calls' other parties are joined.

    The resulting call keeps the id of ``primary_old_call`` (the held call, normally
    the customer's), and with it the call's data.
    """

    name: ClassVar[str] = "TransferredEvent"
    primary_old_call: str
    secondary_old_call: str | None
    transferring_device: str
    transferred_to_device: str
    transferred_connections: tuple[ConnectionPair, ...] = ()
    cause: EventCause = EventCause.TRANSFER
    correlator_data: str | None = None
    user_data: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)


@attrs.frozen(kw_only=True)
class ConferencedEvent(CstaEvent):
    """``conferencing_device`` joined its held and active calls into one."""

    name: ClassVar[str] = "ConferencedEvent"
    primary_old_call: str
    secondary_old_call: str | None
    conferencing_device: str
    added_party: str
    conference_connections: tuple[ConnectionPair, ...] = ()
    cause: EventCause = EventCause.CONFERENCE
    correlator_data: str | None = None
    user_data: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)


@attrs.frozen(kw_only=True)
class DivertedEvent(CstaEvent):
    """The call left ``diverting_device`` for ``new_destination`` before being answered."""

    name: ClassVar[str] = "DivertedEvent"
    connection: ConnectionID
    diverting_device: str
    new_destination: str
    calling_device: str
    called_device: str
    last_redirection_device: str | None = None
    cause: EventCause = EventCause.REDIRECTED


@attrs.frozen(kw_only=True)
class FailedEvent(CstaEvent):
    """The call could not reach ``failing_device`` (busy, no answer, unreachable)."""

    name: ClassVar[str] = "FailedEvent"
    failed_connection: ConnectionID
    failing_device: str
    calling_device: str
    called_device: str
    cause: EventCause = EventCause.BUSY


@attrs.frozen(kw_only=True)
class QueuedEvent(CstaEvent):
    """The call waits at ``queue`` (an ACD group or route point)."""

    name: ClassVar[str] = "QueuedEvent"
    queued_connection: ConnectionID
    queue: str
    calling_device: str
    called_device: str
    number_queued: int | None = None
    cause: EventCause = EventCause.ENTERING_DISTRIBUTION
    correlator_data: str | None = None
    user_data: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)


@attrs.frozen(kw_only=True)
class DigitsGeneratedEvent(CstaEvent):
    name: ClassVar[str] = "DigitsGeneratedEvent"
    connection: ConnectionID
    digits_generated_list: str


@attrs.frozen(kw_only=True)
class CallInformationEvent(CstaEvent):
    """The call's attached data changed (AssociateData, or a service such as the IVR)."""

    name: ClassVar[str] = "CallInformationEvent"
    call_id: str
    device: str | None = None
    correlator_data: str | None = None
    user_data: Mapping[str, Any] | None = attrs.field(default=None, converter=_user_data)


@attrs.frozen(kw_only=True)
class MonitorEndedEvent(CstaEvent):
    name: ClassVar[str] = "MonitorEndedEvent"
    cause: EventCause = EventCause.NORMAL


@attrs.frozen(kw_only=True)
class SystemStatusEvent(CstaEvent):
    """The switch link: ``normal`` (up), ``disabled`` (down) or ``initializing`` (syncing)."""

    name: ClassVar[str] = "SystemStatusEvent"
    system_status: str
    detail: str | None = None
