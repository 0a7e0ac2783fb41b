"""``rpc.discover``: the API as an OpenRPC 1.3 document.

Every method with its params (one content descriptor per field of the
method's params class, the class the dispatcher validates requests with), its
result, its errors and the roles that may call it (``x-roles``); the events as
``x-events`` with their params' schemas (the CSTA event classes; the events
services publish by name only have an open object). ``scripts/gen_types.py``
generates the SDKs' types from this document, and ``tests/protocol/test_openrpc.py``
validates it against the OpenRPC meta-schema.
"""

from __future__ import annotations

import typing
from typing import Any, Final

import attrs

from ... import PROTOCOL_VERSION
from ...callerinfo import CALLER_INFO_SCHEMA
from ...calls import events as csta_events
from ...structure import field_key
from .. import rpc
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES, MethodSpec, json_schema
from .base import registry

__all__ = ["OPENRPC_VERSION", "event_names", "openrpc_document"]

#: The OpenRPC specification version the document follows.
OPENRPC_VERSION: Final = "1.3.2"

#: What every method may answer (docs/protocol.md, "Errors").
_LOGIN: Final = (rpc.LOGIN_REQUIRED, "log in first")
_PARAMS: Final = (rpc.INVALID_PARAMS, "invalid params")
_FORBIDDEN: Final = (rpc.FORBIDDEN, "your role may not call this method")
_CSTA: Final = (rpc.CSTA_ERROR, "CSTA error: data.cstaError has the ECMA-269 value")


def _csta_events() -> dict[str, type]:
    out = {}
    for obj in vars(csta_events).values():
        name = getattr(obj, "name", None)
        if isinstance(obj, type) and isinstance(name, str) and name.endswith("Event"):
            out[name] = obj
    return out


def event_names() -> list[str]:
    return sorted(_csta_events())


def _present_or_absent(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional event field is left out, never null: drop the null option."""
    options = schema.get("anyOf")
    if options is None:
        return schema
    rest = [o for o in options if o != {"type": "null"}]
    return rest[0] if len(rest) == 1 else {**schema, "anyOf": rest}


#: Event fields whose values the event classes type only as mappings.
_FIELD_SCHEMAS: Final = {"callerInfo": CALLER_INFO_SCHEMA}


def _event_schema(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props = {}
    required = []
    for f in attrs.fields(cls):
        key = field_key(f, "camel")
        props[key] = _FIELD_SCHEMAS.get(key) or _present_or_absent(json_schema(hints[f.name]))
        if f.default is attrs.NOTHING:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


#: What the API adds to each event it delivers (docs/protocol.md, "Events").
_DELIVERY: Final = {
    "monitorCrossRefID": {"type": "string"},
    "seq": {"type": "integer"},
    "timestamp": {"type": "string"},
    "localConnectionInfo": {"type": "string"},
}


def _describe_events(extra: list[str]) -> list[dict[str, Any]]:
    classes = _csta_events()
    out = []
    for name in sorted(set(classes) | set(extra)):
        cls = classes.get(name)
        if cls is not None:
            doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
            schema = _event_schema(cls)
        else:
            doc, schema = "", {"type": "object", "properties": {}}
        schema["properties"] = {**schema["properties"], **_DELIVERY}
        entry: dict[str, Any] = {"name": name, "params": schema}
        if doc:
            entry["summary"] = doc
        out.append(entry)
    return out


def _params(spec: MethodSpec) -> list[dict[str, Any]]:
    if spec.params is None:
        return []
    whole = json_schema(spec.params)
    required = set(whole.get("required", ()))
    out = []
    for key, schema in whole["properties"].items():
        descriptor: dict[str, Any] = {"name": key, "schema": schema, "required": key in required}
        doc = schema.get("description")
        if doc:
            descriptor["description"] = doc
        out.append(descriptor)
    return out


def _result(spec: MethodSpec) -> dict[str, Any]:
    declared = spec.result
    if isinstance(declared, dict):
        schema = declared
    elif declared is not None:
        schema = json_schema(declared)
    else:
        try:
            annotation = typing.get_type_hints(spec.handler).get("return", Any)
            schema = json_schema(annotation)
        except (NameError, TypeError):
            schema = {}
    return {"name": "result", "schema": schema}


def _errors(spec: MethodSpec) -> list[dict[str, Any]]:
    errors: list[tuple[int, str]] = []
    if spec.login_required:
        errors.append(_LOGIN)
    if spec.params is not None:
        errors.append(_PARAMS)
    if spec.roles != ALL_ROLES or spec.refuse_as_forbidden:
        errors.append(_FORBIDDEN)
    if spec.name[:1].isupper() or (spec.target != Target.NONE and not spec.refuse_as_forbidden):
        errors.append(_CSTA)
    errors.extend(spec.errors)
    return [{"code": code, "message": message} for code, message in dict(errors).items()]


def _method(spec: MethodSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": spec.name,
        "paramStructure": "either",
        "params": _params(spec),
        "result": _result(spec),
        "errors": _errors(spec),
        "x-roles": sorted(r.value for r in spec.roles),
    }
    if spec.summary:
        out["summary"] = spec.summary
    return out


def openrpc_document(server_version: str, extra_events: list[str]) -> dict[str, Any]:
    """The OpenRPC document of this ctid (every family's methods, the events it publishes)."""
    # The families are imported lazily (issue 14's start-up); a document made before
    # anything asked for the whole registry (scripts/gen_types.py) must still list them all.
    from . import load_all

    load_all()
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": "ctid",
            "version": server_version,
            "description": "CSTA-style call control, ACD, IVR, recording and call records "
            "over JSON-RPC 2.0 (docs/protocol.md).",
            "x-protocolVersion": PROTOCOL_VERSION,
        },
        "methods": [_method(s) for s in sorted(registry.methods.values(), key=lambda s: s.name)],
        "x-events": _describe_events(extra_events),
    }


#: The document's own shape, for the SDKs' generated types (the meta-schema is the full one).
_DOCUMENT: Final = {
    "type": "object",
    "properties": {
        "openrpc": {"type": "string"},
        "info": {"type": "object"},
        "methods": {"type": "array", "items": {"type": "object"}},
        "x-events": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["openrpc", "info", "methods", "x-events"],
}


@registry.method("rpc.discover", roles=ALL_ROLES, target=Target.NONE, result=_DOCUMENT)
async def discover(ctx: RequestContext, p: None) -> dict[str, Any]:
    """This API as an OpenRPC 1.3 document: methods with params, result, errors and roles
    (``x-roles``), and the events with their params (``x-events``)."""
    return openrpc_document(
        ctx.api.server_version, sorted(ctx.api.services.get("extra_events", []))
    )
