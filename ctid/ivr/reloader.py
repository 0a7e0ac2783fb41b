"""Reloading the IVR's flows, ``[ivr]`` and ``[routing]`` while calls are up.

``IvrReloader`` checks ``[ivr]``, the flow files and ``[routing]`` (a bad one
changes nothing and names file, node and problem) and swaps them in for new
calls; ``ctid.wiring.ivr`` builds it with the service and offers its
``reload`` to SIGHUP and the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from ..blocking import Blocking, in_thread
from ..config import Config, ConfigError, load_config
from .config import (
    IvrSettings,
    flow_config_error,
    ivr_settings,
    known_names,
    load_flows,
    routing_table,
)
from .destinations import Agents, Queues
from .flow import Flow
from .inbound import InboundRouter, routing_flows
from .load import FlowError, KnownNames
from .routing import RoutingTable
from .service import IvrService

__all__ = ["IvrReloader"]

log = logging.getLogger(__name__)


class IvrReloader:
    """Re-reads the flows (and ``[ivr]``/``[routing]`` from the file) for new calls."""

    def __init__(
        self,
        *,
        config: Config,
        service: IvrService,
        router: InboundRouter,
        queues: Queues,
        agents: Agents,
        blocking: Blocking = in_thread,
    ) -> None:
        self.blocking = blocking
        self.config = config
        self.service = service
        self.router = router
        self.queues = queues
        self.agents = agents
        self.reloads = 0
        self._background_done = trio.Event()

    def known(self) -> KnownNames:
        """What flows may name: the queues and databases of the running daemon."""
        return known_names(ivr_settings(self.config), self.queues.queue_exists)

    def build(
        self, config: Config, queue_exists: Callable[[str], bool] | None = None
    ) -> tuple[IvrSettings, dict[str, Flow], RoutingTable]:
        """Everything a (re)load needs, checked; raises ``ConfigError`` (blocking file I/O).

        ``queue_exists``: the queues flows may name (default: the running ones).
        """
        settings = ivr_settings(config)
        queue_exists = queue_exists or self.queues.queue_exists
        try:
            flows = load_flows(settings, known_names(settings, queue_exists))
        except FlowError as exc:
            raise flow_config_error(exc) from None
        directory = self.service.model.directory
        for number, name in settings.section.numbers.items():
            if name not in flows:
                raise ConfigError(config.file, f"ivr.numbers.{number}", f"no flow {name!r}")
            owner = directory.route_points.get(number)
            if number in directory.extensions or (owner is not None and owner != "ivr"):
                what = "an extension" if owner is None else f"served by {owner}"
                raise ConfigError(
                    config.file, f"ivr.numbers.{number}", f"{number} is already {what}"
                )
        table = routing_table(
            config,
            flow_exists=flows.__contains__,
            queue_exists=queue_exists,
            # A configured agent is a destination whether or not it is logged on now.
            agent_exists=lambda a: a in settings.section.agents or self.agents.agent_known(a),
        )
        return settings, flows, table

    def apply(self, settings: IvrSettings, flows: dict[str, Flow], table: RoutingTable) -> None:
        self.router.table = table
        self.service.set_flows(flows | routing_flows(table), settings.section.numbers)

    async def reload(self) -> dict[str, Any]:
        """Load again; on any problem nothing changes and ``ConfigError`` says what."""

        def read() -> tuple[IvrSettings, dict[str, Flow], RoutingTable]:
            config = self.config
            if Path(config.file).is_file():
                config = load_config(config.file)
            return self.build(config)

        settings, flows, table = await self.blocking(read)
        old = {n: f.version for n, f in self.service.flows.items()}
        self.apply(settings, flows, table)
        await self.service.warm(flows.values())
        self.reloads += 1
        changed = sorted(n for n, f in flows.items() if old.get(n) != f.version)
        log.info("IVR reloaded: %d flows, changed: %s", len(flows), ", ".join(changed) or "none")
        return {"flows": {n: f.version for n, f in flows.items()}, "changed": changed}

    def reload_soon(self) -> None:
        """For SIGHUP: reload in the background; a failure is logged, nothing changes."""
        nursery = self.service._nursery
        if nursery is not None:
            nursery.start_soon(self._logged)

    async def _logged(self) -> None:
        try:
            await self.reload()
        except ConfigError as exc:
            log.error("IVR reload refused, the old flows stay: %s", exc)
        finally:
            self._background_done.set()
            self._background_done = trio.Event()

    async def wait_background_reload(self) -> None:
        """Wait until the next background (SIGHUP) reload has finished, well or not."""
        await self._background_done.wait()
