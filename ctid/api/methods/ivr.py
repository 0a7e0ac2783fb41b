"""``ivr.*`` and ``routing.*``: flows, calls in the IVR, statistics, inbound routing overrides."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs
import trio

from ...config import ConfigError
from .. import rpc
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..rpc import RpcError
from .base import registry
from .outbound_routes import outbound_route_test

if TYPE_CHECKING:
    from ...ivr.inbound import InboundRouter
    from ...ivr.reloader import IvrReloader
    from ...ivr.service import IvrService

ADMIN: Final = frozenset({Role.ADMIN})
WATCHERS: Final = frozenset({Role.ADMIN, Role.SUPERVISOR})


def _ivr(ctx: RequestContext) -> IvrService:
    service = ctx.api.services.get("ivr")
    if service is None:
        raise RpcError(rpc.METHOD_NOT_FOUND, "the IVR is not running")
    return service  # type: ignore[no-any-return]


def _router(ctx: RequestContext) -> InboundRouter:
    router = ctx.api.services.get("routing")
    if router is None:
        raise RpcError(rpc.METHOD_NOT_FOUND, "inbound routing is not running")
    return router  # type: ignore[no-any-return]


def _config_failure(exc: ConfigError) -> RpcError:
    return RpcError(
        rpc.OPERATION_FAILED,
        str(exc),
        {"reason": "invalidFlow", "file": exc.file, "key": exc.key, "problem": exc.problem},
    )


@registry.method("ivr.listFlows", roles=WATCHERS, target=Target.NONE)
async def list_flows(ctx: RequestContext, p: None) -> dict[str, Any]:
    """The flows new calls start in: name, version, file, nodes, and calls in each now."""
    service = _ivr(ctx)
    now = service.calls_in_flows()
    points: dict[str, list[str]] = {}
    for point, name in service.points.items():
        points.setdefault(name, []).append(point)
    return {
        "flows": [
            {
                "name": flow.name,
                "version": flow.version,
                "file": flow.file,
                "description": flow.description,
                "start": flow.start,
                "languages": list(flow.languages),
                "nodes": {n: node.kind for n, node in flow.nodes.items()},
                "numbers": sorted(points.get(flow.name, [])),
                "callsNow": now.get(flow.name, 0),
            }
            for flow in sorted(service.flows.values(), key=lambda f: f.name)
        ]
    }


@attrs.frozen(kw_only=True)
class ValidateParams:
    #: A loaded flow's name: its file is read and checked again.
    name: str | None = None
    #: Or a flow given here, as text.
    body: str | None = None
    format: Literal["json", "yaml"] = "yaml"


@registry.method("ivr.validateFlow", params=ValidateParams, roles=ADMIN, target=Target.NONE)
async def validate_flow(ctx: RequestContext, p: ValidateParams) -> dict[str, Any]:
    """Check a flow (a loaded one by ``name``, or ``body``) without loading it.

    Returns ``valid`` and every problem with its ``file``, ``node`` and ``problem``.
    """
    from ...ivr.load import FlowError, load_flow_file, load_flow_text

    service = _ivr(ctx)
    reloader: IvrReloader = ctx.api.services["ivr.reloader"]
    known = reloader.known()
    if (p.name is None) == (p.body is None):
        raise RpcError(rpc.INVALID_PARAMS, "give exactly one of name and body")
    try:
        if p.body is not None:
            flow = load_flow_text(p.body, fmt=p.format, file="<body>", name="body", known=known)
        else:
            loaded = service.flows.get(p.name or "")
            if loaded is None or loaded.file.startswith("<"):
                raise RpcError(
                    rpc.OPERATION_FAILED, f"no flow file for {p.name!r}", {"reason": "noSuchFlow"}
                )
            path = Path(loaded.file)
            flow = await trio.to_thread.run_sync(load_flow_file, path, known)
    except FlowError as exc:
        return {"valid": False, "problems": [problem.to_wire() for problem in exc.problems]}
    return {"valid": True, "problems": [], "name": flow.name, "version": flow.version}


@registry.method("ivr.reload", roles=ADMIN, target=Target.NONE)
async def reload(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Load the flow files (and ``[ivr]``/``[routing]``) again; calls in progress keep theirs.

    If anything is wrong nothing changes, and the error names file, node and problem.
    """
    reloader: IvrReloader | None = ctx.api.services.get("ivr.reloader")
    if reloader is None:
        raise RpcError(rpc.METHOD_NOT_FOUND, "the IVR is not running")
    try:
        return await reloader.reload()
    except ConfigError as exc:
        raise _config_failure(exc) from None


@registry.method("ivr.calls", roles=WATCHERS, target=Target.NONE)
async def calls(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Every call in the IVR now: its flow, version, node and language."""
    return {"calls": _ivr(ctx).snapshot()}


@attrs.frozen(kw_only=True)
class StatisticsParams:
    flow: str | None = None
    #: A local day, YYYY-MM-DD (default: every day kept).
    day: str | None = None


@registry.method("ivr.statistics", params=StatisticsParams, roles=WATCHERS, target=Target.NONE)
async def statistics(ctx: RequestContext, p: StatisticsParams) -> dict[str, Any]:
    """Per flow and day: calls, node visits, menu choices, time in IVR, exits."""
    day = None
    if p.day is not None:
        try:
            day = _dt.date.fromisoformat(p.day)
        except ValueError:
            raise RpcError(rpc.INVALID_PARAMS, "day: expected YYYY-MM-DD") from None
    service = _ivr(ctx)
    return {
        "statistics": service.stats.report(flow=p.flow, day=day),
        "now": service.calls_in_flows(),
    }


@registry.method("routing.overrides", roles=WATCHERS, target=Target.NONE)
async def overrides(ctx: RequestContext, p: None) -> dict[str, Any]:
    """The inbound routing overrides and which are switched on."""
    return {"overrides": _router(ctx).overrides()}


@attrs.frozen(kw_only=True)
class SetOverrideParams:
    name: str
    active: bool


@registry.method("routing.setOverride", params=SetOverrideParams, roles=ADMIN, target=Target.NONE)
async def set_override(ctx: RequestContext, p: SetOverrideParams) -> dict[str, Any]:
    """Switch an override (e.g. an emergency closure) on or off; it stays so across restarts."""
    router = _router(ctx)
    try:
        await router.set_override(p.name, p.active)
    except KeyError:
        raise RpcError(
            rpc.OPERATION_FAILED, f"no override {p.name!r}", {"reason": "noSuchOverride"}
        ) from None
    return {"overrides": router.overrides()}


@attrs.frozen(kw_only=True)
class RouteTestParams:
    called_number: str
    calling_number: str = ""
    #: ``outbound``: the route an outside number ctid dials would take (ctid.outbound).
    direction: Literal["inbound", "outbound"] = "inbound"


@registry.method("routing.test", params=RouteTestParams, roles=WATCHERS, target=Target.NONE)
async def route_test(ctx: RequestContext, p: RouteTestParams) -> dict[str, Any]:
    """Where a call from ``callingNumber`` to ``calledNumber`` would go now (nothing is rung)."""
    if p.direction == "outbound":
        return outbound_route_test(ctx, p.called_number)
    router = _router(ctx)
    decision = router.table.decide(
        dnis=p.called_number, ani=p.calling_number, now=router.local_now(), active=router.active
    )
    if decision is None:
        return {"destination": None, "reason": "no rule: as dialled"}
    dest = decision.destination
    return {
        "destination": None if dest is None else {dest.kind: dest.target},
        "rejected": dest is None,
        "reason": decision.reason,
    }
