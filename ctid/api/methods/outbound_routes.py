"""Outbound routing as the API shows it: the outbound half of ``routing.test``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...calls.values import DeviceType
from .. import rpc
from ..context import RequestContext
from ..rpc import RpcError

if TYPE_CHECKING:
    from ...outbound.router import OutboundRouter

__all__ = ["outbound_route_test"]


def outbound_route_test(ctx: RequestContext, number: str) -> dict[str, Any]:
    """The route, digits and line a call to the outside ``number`` would take now.

    Nothing is dialled and round-robin hunting does not move.
    """
    router: OutboundRouter | None = ctx.api.services.get("outbound_routing")
    if router is None:
        raise RpcError(rpc.METHOD_NOT_FOUND, "outbound routing is not running")
    model = ctx.api.calls.model
    if model.directory.classify(number) is not DeviceType.EXTERNAL:
        raise RpcError(rpc.INVALID_PARAMS, f"calledNumber: {number!r} is not an outside number")
    if not router.routes:
        return {
            "direction": "outbound",
            "calledNumber": number,
            "route": None,
            "trunkGroup": None,
            "hunt": None,
            "dial": number,
            "line": None,
            "freeLines": [],
            "reason": "no outbound routes: as dialled, on the switch's default line",
        }
    return router.explain(number, model.calls_on_line).to_wire()
