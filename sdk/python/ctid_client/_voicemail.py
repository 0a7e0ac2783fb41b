"""Voicemail boxes (docs/records.md): messages and mailboxes read into values."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from ._values import field, optional, optional_number

if TYPE_CHECKING:
    from ._event import Event

__all__ = ["VOICEMAIL_EVENT_NAMES", "Mailbox", "VoicemailEvent", "VoicemailMessage"]

#: The voicemail events: ``VoicemailEvent.from_event``.
VOICEMAIL_EVENT_NAMES: Final = frozenset({"voicemail.new", "voicemail.changed"})


def _object(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise TypeError(f"{where}: expected an object, got {type(data).__name__}")
    return data


def _user_data(data: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    value = data.get("userData") or {}
    return MappingProxyType(dict(_object(value, f"{where}.userData")))


@dataclasses.dataclass(frozen=True, kw_only=True)
class VoicemailMessage:
    """One message (``voicemail.get``, and each of ``voicemail.list``'s)."""

    message_id: str
    #: ``queue:NAME``, ``agent:ID`` or ``number:DN``.
    mailbox: str
    call_id: str | None
    caller: str | None
    called: str | None
    received_at: str | None
    duration: float | None
    size_bytes: int | None
    #: The call's data when the caller left the message.
    user_data: Mapping[str, Any]
    heard: bool
    heard_at: str | None
    heard_by: str | None
    deleted: bool
    #: The path to download it from on the API's HTTP port, with ``Authorization: Bearer``.
    download: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "voicemail.get") -> VoicemailMessage:
        data = _object(data, where)
        return cls(
            message_id=field(data, "messageID", str, where),
            mailbox=field(data, "mailbox", str, where),
            call_id=optional(data, "callID", str, where),
            caller=optional(data, "caller", str, where),
            called=optional(data, "called", str, where),
            received_at=optional(data, "receivedAt", str, where),
            duration=optional_number(data, "duration", where),
            size_bytes=optional(data, "sizeBytes", int, where),
            user_data=_user_data(data, where),
            heard=field(data, "heard", bool, where),
            heard_at=optional(data, "heardAt", str, where),
            heard_by=optional(data, "heardBy", str, where),
            deleted=field(data, "deleted", bool, where),
            download=field(data, "download", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Mailbox:
    """``voicemail.list``: a mailbox's counts and messages, newest first."""

    mailbox: str
    new_messages: int
    old_messages: int
    messages: tuple[VoicemailMessage, ...]

    @classmethod
    def from_wire(cls, data: Any, where: str = "voicemail.list") -> Mailbox:
        data = _object(data, where)
        items = data.get("messages")
        if not isinstance(items, list):
            raise TypeError(f"{where}: messages is not a list")
        return cls(
            mailbox=field(data, "mailbox", str, where),
            new_messages=field(data, "newMessages", int, where),
            old_messages=field(data, "oldMessages", int, where),
            messages=tuple(VoicemailMessage.from_wire(item, where) for item in items),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class VoicemailEvent:
    """``voicemail.new`` (a message was left) or ``voicemail.changed`` (heard, deleted)."""

    name: str
    seq: int | None
    monitor_cross_ref_id: str | None
    timestamp: str | None
    mailbox: str
    message_id: str
    #: The mailbox's counts after the change (what its lamps show).
    new_messages: int
    old_messages: int
    #: ``voicemail.changed``: ``heard`` or ``deleted``.
    change: str | None
    #: ``voicemail.new``: the caller, the number called, the call's data.
    caller: str | None
    called: str | None
    user_data: Mapping[str, Any]

    @classmethod
    def from_event(cls, event: Event) -> VoicemailEvent:
        """Read a voicemail event; ``ValueError`` for an event of another name."""
        if event.name not in VOICEMAIL_EVENT_NAMES:
            raise ValueError(f"{event.name} is not a voicemail event")
        params, w = event.params, event.name
        return cls(
            name=event.name,
            seq=event.seq,
            monitor_cross_ref_id=event.monitor_cross_ref_id,
            timestamp=event.timestamp,
            mailbox=field(params, "mailbox", str, w),
            message_id=field(params, "messageID", str, w),
            new_messages=field(params, "newMessages", int, w),
            old_messages=field(params, "oldMessages", int, w),
            change=optional(params, "change", str, w),
            caller=optional(params, "caller", str, w),
            called=optional(params, "called", str, w),
            user_data=_user_data(params, w),
        )
