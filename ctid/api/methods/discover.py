"""``rpc.discover``: the machine-readable list of methods and events."""

from __future__ import annotations

from typing import Any

from ... import PROTOCOL_VERSION
from ...calls import events as csta_events
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES, json_schema
from .base import registry


def describe_methods() -> list[dict[str, Any]]:
    out = []
    for spec in sorted(registry.methods.values(), key=lambda s: s.name):
        out.append(
            {
                "name": spec.name,
                "summary": spec.summary,
                "params": json_schema(spec.params) if spec.params else {"type": "object"},
                "roles": sorted(r.value for r in spec.roles),
            }
        )
    return out


def event_names() -> list[str]:
    names = set()
    for obj in vars(csta_events).values():
        name = getattr(obj, "name", None)
        if isinstance(obj, type) and isinstance(name, str) and name.endswith("Event"):
            names.add(name)
    return sorted(names)


@registry.method("rpc.discover", roles=ALL_ROLES, target=Target.NONE)
async def discover(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Every method with its parameter schema and roles, and every event name."""
    return {
        "protocolVersion": PROTOCOL_VERSION,
        "serverVersion": ctx.api.server_version,
        "methods": describe_methods(),
        "events": event_names() + sorted(ctx.api.services.get("extra_events", [])),
    }
