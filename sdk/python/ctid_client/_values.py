"""Typed values of protocol v1: ConnectionID and the results of the typed methods.

Each value converts from its wire form with ``from_wire``; a reply that does
not have the documented shape raises ``ProtocolError`` naming the field.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from ._errors import ProtocolError

__all__ = [
    "CallParty",
    "CallSnapshot",
    "ConnectionID",
    "DeviceCall",
    "Discovery",
    "MethodInfo",
    "SessionInfo",
    "SimHears",
    "SimLine",
    "SimMessageWaiting",
]

T = TypeVar("T")


def field(data: Any, key: str, kind: type[T], where: str) -> T:
    """``data[key]`` checked to be a ``kind``; ``ProtocolError`` names what is wrong."""
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{where}: expected an object, got {type(data).__name__}")
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
    return value


def optional(data: Mapping[str, Any], key: str, kind: type[T], where: str) -> T | None:
    """Like ``field`` but ``None`` when missing or null."""
    if data.get(key) is None:
        return None
    return field(data, key, kind, where)


def items(data: Any, key: str, where: str) -> list[Any]:
    return field(data, key, list, where)


def number(data: Any, key: str, where: str) -> float:
    """``data[key]`` checked to be a JSON number (an int or a float, not a bool), as a float."""
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{where}: expected an object, got {type(data).__name__}")
    value = data.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ProtocolError(f"{where}.{key}: expected a number, got {value!r}")
    return float(value)


def optional_number(data: Mapping[str, Any], key: str, where: str) -> float | None:
    """Like ``number`` but ``None`` when missing or null."""
    return None if data.get(key) is None else number(data, key, where)


def strings(data: Any, key: str, where: str) -> tuple[str, ...]:
    """``data[key]`` checked to be a list of strings."""
    values = items(data, key, where)
    if not all(isinstance(v, str) for v in values):
        raise ProtocolError(f"{where}.{key}: expected a list of strings, got {values!r}")
    return tuple(values)


def counts(data: Any, key: str, where: str) -> Mapping[str, int]:
    """``data[key]`` checked to be an object of integers, read-only."""
    value = field(data, key, dict, where)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        raise ProtocolError(f"{where}.{key}: expected an object of integers, got {value!r}")
    return MappingProxyType(dict(value))


E = TypeVar("E", bound=enum.Enum)


def choice(data: Any, key: str, kind: type[E], where: str) -> E:
    """``data[key]`` checked to be one of the string values of the enum ``kind``."""
    value = field(data, key, str, where)
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(str(m.value) for m in kind)
        raise ProtocolError(f"{where}.{key}: expected one of {known}, got {value!r}") from None


def optional_choice(data: Mapping[str, Any], key: str, kind: type[E], where: str) -> E | None:
    """Like ``choice`` but ``None`` when missing or null."""
    return None if data.get(key) is None else choice(data, key, kind, where)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConnectionID:
    """One device's connection to one call: ``{"callID": ..., "deviceID": ...}`` on the wire."""

    call_id: str
    device_id: str

    def to_wire(self) -> dict[str, str]:
        return {"callID": self.call_id, "deviceID": self.device_id}

    @classmethod
    def from_wire(cls, data: Any, where: str = "connection") -> ConnectionID:
        return cls(
            call_id=field(data, "callID", str, where), device_id=field(data, "deviceID", str, where)
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionInfo:
    """The server's answer to a login (or resume)."""

    session_id: str
    protocol_version: str
    server_version: str
    #: ``"admin"``, ``"supervisor"`` or ``"agent"``.
    role: str

    @classmethod
    def from_wire(cls, data: Any) -> SessionInfo:
        w = "session.login"
        return cls(
            session_id=field(data, "sessionID", str, w),
            protocol_version=field(data, "protocolVersion", str, w),
            server_version=field(data, "serverVersion", str, w),
            role=field(data, "role", str, w),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeviceCall:
    """One call at a device, from ``SnapshotDevice``."""

    connection: ConnectionID
    #: The device's connection state: ``initiated``, ``alerting``, ``connected``, ``hold``, ...
    local_call_state: str
    calling_device: str | None
    called_device: str | None
    #: The call's data, for a screen pop of a call already in progress.
    correlator_data: str | None = None
    user_data: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_wire(cls, data: Any) -> DeviceCall:
        w = "SnapshotDevice.snapshotData[]"
        return cls(
            connection=ConnectionID.from_wire(field(data, "connectionIdentifier", dict, w), w),
            local_call_state=field(data, "localCallState", str, w),
            calling_device=optional(data, "callingDevice", str, w),
            called_device=optional(data, "calledDevice", str, w),
            correlator_data=optional(data, "correlatorData", str, w),
            user_data=MappingProxyType(dict(optional(data, "userData", dict, w) or {})),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CallParty:
    """One device in a call, from ``SnapshotCall``."""

    device: str
    connection: ConnectionID
    local_connection_state: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CallSnapshot:
    """A call's parties and data, from ``SnapshotCall``."""

    parties: tuple[CallParty, ...]
    calling_device: str | None
    called_device: str | None
    correlator_data: str | None
    user_data: Mapping[str, Any]

    @classmethod
    def from_wire(cls, data: Any) -> CallSnapshot:
        w = "SnapshotCall"
        parties = tuple(
            CallParty(
                device=field(p, "deviceOnCall", str, f"{w}.snapshotData[]"),
                connection=ConnectionID.from_wire(
                    field(p, "callIdentifier", dict, f"{w}.snapshotData[]"),
                ),
                local_connection_state=field(p, "localConnectionState", str, w),
            )
            for p in items(data, "snapshotData", w)
        )
        return cls(
            parties=parties,
            calling_device=optional(data, "callingDevice", str, w),
            called_device=optional(data, "calledDevice", str, w),
            correlator_data=optional(data, "correlatorData", str, w),
            user_data=MappingProxyType(dict(optional(data, "userData", dict, w) or {})),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class MethodInfo:
    """One method in ``rpc.discover``."""

    name: str
    summary: str
    #: The JSON Schema of its params.
    params: Mapping[str, Any]
    roles: tuple[str, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Discovery:
    """``rpc.discover``: the server's methods and event names, from its OpenRPC document
    (``document``, as sent: each method's result schema and errors are there too)."""

    protocol_version: str
    server_version: str
    methods: tuple[MethodInfo, ...]
    events: tuple[str, ...]
    document: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_wire(cls, data: Any) -> Discovery:
        w = "rpc.discover"
        info = field(data, "info", dict, w)
        return cls(
            protocol_version=field(info, "x-protocolVersion", str, f"{w}.info"),
            server_version=field(info, "version", str, f"{w}.info"),
            methods=tuple(_method_info(m, f"{w}.methods[]") for m in items(data, "methods", w)),
            events=tuple(
                field(e, "name", str, f"{w}.x-events[]") for e in items(data, "x-events", w)
            ),
            document=MappingProxyType(data),
        )


def _method_info(m: Any, where: str) -> MethodInfo:
    """An OpenRPC method object: its params (content descriptors) as one object schema."""
    props = {}
    required = []
    for p in items(m, "params", where):
        name = field(p, "name", str, f"{where}.params[]")
        props[name] = field(p, "schema", dict, f"{where}.params[]")
        if p.get("required"):
            required.append(name)
    params: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        params["required"] = required
    summary = m.get("summary", "") if isinstance(m, dict) else ""
    return MethodInfo(
        name=field(m, "name", str, where),
        summary=summary if isinstance(summary, str) else "",
        params=MappingProxyType(params),
        roles=tuple(field(m, "x-roles", list, where)),
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class SimLine:
    """One line of the simulator's voice card (``sim.lines``)."""

    line: str
    kind: str
    state: str
    party: str | None
    off_hook: bool

    @classmethod
    def from_wire(cls, data: Any) -> SimLine:
        w = "sim.lines.lines[]"
        return cls(
            line=field(data, "line", str, w),
            kind=field(data, "kind", str, w),
            state=field(data, "state", str, w),
            party=optional(data, "party", str, w),
            off_hook=field(data, "offHook", bool, w),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class SimMessageWaiting:
    """``sim.messageWaiting``: what a phone's message-waiting lamp and display show."""

    device: str
    new_messages: int
    old_messages: int

    @classmethod
    def from_wire(cls, data: Any) -> SimMessageWaiting:
        w = "sim.messageWaiting"
        return cls(
            device=field(data, "device", str, w),
            new_messages=field(data, "newMessages", int, w),
            old_messages=field(data, "oldMessages", int, w),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class SimHears:
    """``sim.hears``: whether the listener hears the speaker, and whether it hears music."""

    hears: bool
    music: bool
