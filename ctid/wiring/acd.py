"""Wiring the ACD into the daemon: the one call ``App._install_services`` makes.

This is the ACD's part of the composition root (``ctid.wiring``), so it may
import every layer (the API hooks live in ``api/methods/acd_access.py``).
"""

from __future__ import annotations

from typing import Any

from ..acd import reconfigure
from ..acd.config import QueueConfig, acd_section
from ..acd.service import AcdService
from ..api.methods.acd_access import install_acd_api
from ..calls.control import CallControl
from ..config import Config, ConfigError, each_problem
from ..facts import FACT_QUEUE_PRIORITY
from ..ivr.destinations import DestinationError
from ..reloading import Apply, Prepare
from .parts import Parts

__all__ = ["AcdDestinations", "install_acd"]


class AcdDestinations:
    """The ACD's queues and agents as the IVR sees them (its ``Queues``/``Agents``)."""

    def __init__(self, service: AcdService, control: CallControl) -> None:
        self.service = service
        self.control = control

    def _queue(self, name: str) -> QueueConfig | None:
        return next((q for q in self.service.config.queues if q.name == name), None)

    def queue_exists(self, name: str) -> bool:
        return self._queue(name) is not None

    def queue_number(self, name: str) -> str | None:
        queue = self._queue(name)
        return None if queue is None else queue.points[0]

    def enter(self, call_id: str, queue: str, *, priority: int) -> None:
        config = self._queue(queue)
        if config is None:
            raise DestinationError(f"no queue {queue!r}")
        self.control.call(call_id).facts[FACT_QUEUE_PRIORITY] = priority
        self.control.route(call_id, config.points[0])

    def agent_device(self, agent_id: str) -> str | None:
        agent = self.service.engine.agents.get(agent_id)
        return None if agent is None else agent.device

    def agent_known(self, agent_id: str) -> bool:
        return agent_id in self.service.engine.agents


def install_acd(app: Parts) -> AcdService | None:
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
        # The queue by name and by number is one device to its monitors.
        app.directory.link_aliases(queue.points)
    service = AcdService(
        config,
        calls=app.calls,
        control=app.control,
        timers=app.timers,
        clock=app.clock,
        publish=app.publisher.publish,
        heard=app.publisher.wants,
    )
    # Before other extra services (demo traffic), so they find the ACD running.
    app.extra_services.insert(0, service.run)
    install_acd_api(app.api, service)
    app.reloads.section("acd", _reload_section(app, service))
    names = ", ".join(f"{q.name}" + (f" ({q.number})" if q.number else "") for q in config.queues)
    ids = [a.agent_id for a in config.agents]
    agents = f"{ids[0]}-{ids[-1]}" if len(ids) > 1 else (ids[0] if ids else "none")
    app.api.services.setdefault("banner", []).extend(
        [f"ACD queues    : {names or 'none'}", f"ACD agents    : {agents} ({len(ids)})"]
    )
    return service


def _reload_section(app: Parts, service: AcdService) -> Prepare:
    """Queues, agents, skills, strategies, schedules (``ctid reload``; ``acd.reconfigure``)."""

    async def prepare(new: Config) -> list[ConfigError] | Apply:
        try:
            config = acd_section(new)
        except ConfigError as exc:
            return each_problem(exc)
        if config is None:
            return []  # refused as a fixed setting ([acd] present or not)
        problems = reconfigure.check(service.engine, config, new.file)
        if problems:
            return problems

        async def apply() -> dict[str, Any]:
            changes = await service.request(reconfigure.apply, service.engine, config)
            service.config = config
            return changes

        return apply

    return prepare
