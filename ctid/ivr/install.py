"""Building the IVR and inbound routing from the configuration, wiring them into an ``App``.

``install_ivr(app)`` is the one line ``App._install_services`` calls. It
checks ``[ivr]``, the flow files and ``[routing]`` (a bad one stops the start
with file, node and problem named), builds the service, hooks inbound routing
into the call model, and offers ``reload`` to SIGHUP and the API.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from .destinations import Agents, ConfiguredAgents, ConfiguredQueues, Queues
from .flow import Flow
from .inbound import InboundRouter, routing_flows
from .load import FlowError, KnownNames
from .lookup import HttpLookups, SqlLookups
from .routing import RoutingTable
from .service import IvrService
from .silent import SilentTts
from .tts import EspeakNg, PromptCache, TtsEngine

if TYPE_CHECKING:
    from ..app import App

__all__ = ["IvrReloader", "install_ivr"]

log = logging.getLogger(__name__)


def _engine(settings: IvrSettings) -> TtsEngine | None:
    match settings.section.tts:
        case "espeak-ng":
            return EspeakNg(voices=settings.section.tts_voices)
        case "silent":
            return SilentTts()
    return None


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

    def build(self, config: Config) -> tuple[IvrSettings, dict[str, Flow], RoutingTable]:
        """Everything a (re)load needs, checked; raises ``ConfigError`` (blocking file I/O)."""
        settings = ivr_settings(config)
        try:
            flows = load_flows(settings, known_names(settings, self.queues.queue_exists))
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
            queue_exists=self.queues.queue_exists,
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


def install_ivr(
    app: App, *, queues: Queues | None = None, agents: Agents | None = None
) -> IvrService:
    """Build the IVR and inbound routing for ``app`` (not started yet) and wire them in.

    ``queues``/``agents``: the ACD's, once it provides them; by default the
    ``[ivr.queues]``/``[ivr.agents]`` tables of the configuration.
    """
    config = app.config
    settings = ivr_settings(config)
    queues = queues or ConfiguredQueues(settings.section.queues, app.control)
    agents = agents or ConfiguredAgents(settings.section.agents)
    engine = _engine(settings)
    prompts = (
        None
        if engine is None
        else PromptCache(
            engine,
            settings.state_dir / "prompts",
            threads=settings.section.tts_threads,
            blocking=app.blocking,
        )
    )
    service = IvrService(
        calls=app.calls,
        control=app.control,
        timers=app.timers,
        clock=app.clock,
        timezone=settings.timezone,
        queues=queues,
        agents=agents,
        prompts=prompts,
        http=HttpLookups(),
        sql=SqlLookups(settings.section.databases),
        state_dir=settings.state_dir,
    )
    router = InboundRouter(
        table=RoutingTable(),
        queues=queues,
        agents=agents,
        local_now=service.local_now,
        state_file=settings.state_dir / "routing-overrides.json",
        blocking=app.blocking,
    )
    reloader = IvrReloader(
        config=config,
        service=service,
        router=router,
        queues=queues,
        agents=agents,
        blocking=app.blocking,
    )
    reloader.apply(*reloader.build(config))
    app.model.inbound_router = router
    banner = app.api.services.setdefault("banner", [])
    for raw in config.sections.get("routing", {}).get("rules", []):
        flow = raw.get("destination", {}).get("flow")
        if flow and raw.get("enabled", True):
            numbers = ", ".join(raw.get("dnis", [])) or "any number"
            banner.append(f"IVR           : {numbers} -> flow {flow}")
    disabled = [r.name for r in router.table.rules if not r.enabled]
    if disabled:
        banner.append(f"Routing rules : switched off: {', '.join(disabled)}")
    app.extra_services.append(service.run)
    app.api.services["ivr"] = service
    app.api.services["ivr.reloader"] = reloader
    app.api.services["routing"] = router
    app.api.services.setdefault("reload", []).append(reloader.reload_soon)
    return service
