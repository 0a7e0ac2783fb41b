"""Who may call a method, and on what: the access policy every registered method declares.

A method's policy is its ``roles`` and the objects it acts on, each an
``ObjectRef``: a kind (``Target``) and where its id is in the params (a wire
path such as ``"callToBeAnswered"`` or ``"monitorObject.deviceObject"``). The
dispatcher checks every object against the caller before the handler runs
(``api.access``), so a handler cannot forget a check, and ``docs/security.md``
prints the same table (``scripts/gen-security-doc``, ``make docs``).

This module is data only: it imports nothing from the rest of the API.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from ..structure import field_key

__all__ = [
    "EVERY",
    "ObjectRef",
    "Target",
    "agent",
    "call",
    "connection",
    "device",
    "every_queue",
    "mailbox",
    "queue",
    "recording",
    "resolve",
]


class Target(enum.Flag):
    """The kinds of object a method acts on (``NONE``: no object, the role alone decides)."""

    NONE = 0
    DEVICE = enum.auto()
    CALL = enum.auto()
    QUEUE = enum.auto()
    AGENT = enum.auto()
    RECORDING = enum.auto()
    #: A voicemail box (``queue:sales``) or a message in one (by its id).
    MAILBOX = enum.auto()

    @property
    def label(self) -> str:
        if not self:
            return "none"
        return " | ".join((m.name or "").lower() for m in Target if m and m in self)


@attrs.frozen
class ObjectRef:
    """One object a request acts on: its kind and where its id is in the params."""

    target: Target
    #: Wire path of the value, dot-separated (``"activeCall"``, ``"monitorObject.callObject"``),
    #: or ``EVERY`` for a method that acts on every object of the kind (checked as ``"*"``).
    path: str
    #: True for the call of a connection: a call that no longer exists is left to the
    #: handler to report (the switch's own ``invalidConnectionIdentifier``).
    part_of_connection: bool = False

    def describe(self) -> str:
        kind = (self.target.name or "").lower()
        if self.path == EVERY:
            return f"every {kind}"
        if self.part_of_connection:
            kind = f"{kind} of connection"
        return f"{kind} `{self.path}`"


#: The path of an object that is every object of its kind (e.g. a report over all queues).
EVERY = "*"


def device(path: str) -> tuple[ObjectRef, ...]:
    return (ObjectRef(Target.DEVICE, path),)


def call(path: str) -> tuple[ObjectRef, ...]:
    return (ObjectRef(Target.CALL, path),)


def connection(path: str) -> tuple[ObjectRef, ...]:
    """A ConnectionID: its device and its call are both checked."""
    return (ObjectRef(Target.DEVICE, path), ObjectRef(Target.CALL, path, part_of_connection=True))


def queue(path: str) -> tuple[ObjectRef, ...]:
    return (ObjectRef(Target.QUEUE, path),)


def every_queue() -> tuple[ObjectRef, ...]:
    """Every queue at once: only for admins and supervisors of every queue."""
    return (ObjectRef(Target.QUEUE, EVERY),)


def agent(path: str) -> tuple[ObjectRef, ...]:
    return (ObjectRef(Target.AGENT, path),)


def recording(path: str) -> tuple[ObjectRef, ...]:
    return (ObjectRef(Target.RECORDING, path),)


def mailbox(path: str) -> tuple[ObjectRef, ...]:
    return (ObjectRef(Target.MAILBOX, path),)


def resolve(params: Any, ref: ObjectRef) -> str | None:
    """The id ``ref`` names in parsed ``params`` (None if the optional value is absent).

    A ConnectionID or call reference (attrs values with ``call_id``/``device_id``)
    gives its ``callID`` for a call and its ``deviceID`` for a device.
    """
    if ref.path == EVERY:
        return EVERY
    value = params
    for key in ref.path.split("."):
        if value is None:
            return None
        value = getattr(value, _attribute(type(value), key))
    if value is None or isinstance(value, str):
        return value
    name = "call_id" if ref.target is Target.CALL else "device_id"
    found = getattr(value, name, None)
    if found is not None and not isinstance(found, str):
        raise TypeError(f"{ref.path}: {name} is not a string")
    return found


def _attribute(cls: type, key: str) -> str:
    if not attrs.has(cls):
        raise TypeError(f"{cls.__name__} has no field {key!r}")
    for f in attrs.fields(cls):
        if field_key(f, "camel") == key:
            return str(f.name)
    raise TypeError(f"{cls.__name__} has no field {key!r}")
