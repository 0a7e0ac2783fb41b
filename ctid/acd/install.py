"""Wiring the ACD into the daemon: the one call ``App._install_services`` makes.

This is the ACD's part of the composition root, so like ``app.py`` it may
import every layer (the API hooks live in ``api/methods/acd_access.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import ConfigError
from .config import acd_section
from .service import AcdService

if TYPE_CHECKING:
    from ..app import App

__all__ = ["install_acd"]


def install_acd(app: App) -> AcdService | None:
    """Build the ACD from ``[acd]`` (None without that table) and wire it in."""
    config = acd_section(app.config)
    if config is None:
        return None
    for queue in config.queues:
        for point in queue.points:
            try:
                app.directory.add_route_point(point, "acd")
            except ValueError as exc:
                raise ConfigError(app.config.file, f"acd.queues.{queue.name}", str(exc)) from None
    service = AcdService(
        config,
        calls=app.calls,
        control=app.control,
        timers=app.timers,
        clock=app.clock,
        publish=app.publisher.publish,
    )
    # Before other extra services (demo traffic), so they find the ACD running.
    app.extra_services.insert(0, service.run)
    from ..api.methods.acd_access import install_acd_api

    install_acd_api(app.api, service)
    names = ", ".join(f"{q.name}" + (f" ({q.number})" if q.number else "") for q in config.queues)
    ids = [a.agent_id for a in config.agents]
    agents = f"{ids[0]}-{ids[-1]}" if len(ids) > 1 else (ids[0] if ids else "none")
    app.api.services.setdefault("banner", []).extend(
        [f"ACD queues    : {names or 'none'}", f"ACD agents    : {agents} ({len(ids)})"]
    )
    return service
