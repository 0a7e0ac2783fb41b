"""Wiring of outbound routing into the daemon (called from ``App._install_services``)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ..config import Config, ConfigError
from ..structure import StructureError
from .route_config import TrunkGroup, resolve_groups
from .router import OutboundRouter

if TYPE_CHECKING:
    from ..calls.model import CallModel
    from ..switch_drivers.base import SwitchDriver

__all__ = [
    "OUTBOUND_ROUTING",
    "build_outbound_router",
    "check_outbound_routing",
    "install_outbound_routing",
]

#: The key of the router in ``ApiContext.services`` (``routing.test``).
OUTBOUND_ROUTING = "outbound_routing"


def check_outbound_routing(config: Config, driver: SwitchDriver) -> dict[str, TrunkGroup]:
    """The trunk groups the routes may use; ``ConfigError`` for a line or group the
    switch does not have (``ctid check-config`` runs this too)."""
    try:
        return resolve_groups(config.outbound_routing, driver.trunk_groups)
    except StructureError as exc:
        raise ConfigError(config.file, exc.path, exc.problem) from None


def build_outbound_router(
    config: Config, driver: SwitchDriver, rng: random.Random | None = None
) -> OutboundRouter:
    groups = check_outbound_routing(config, driver)
    return OutboundRouter(
        config.outbound_routing, groups, calls_per_line=driver.calls_per_line, rng=rng
    )


def install_outbound_routing(
    config: Config, driver: SwitchDriver, model: CallModel, services: dict[str, object]
) -> OutboundRouter:
    """Route every outside number through the configured routes (if there are any)."""
    router = build_outbound_router(config, driver)
    if router.routes:
        model.outside_router = router
    services[OUTBOUND_ROUTING] = router
    return router
