"""Building the IVR and inbound routing from the configuration, wiring them into the daemon.

``install_ivr(app)`` is the one line ``App._install_services`` calls. It
checks ``[ivr]``, the flow files and ``[routing]`` (a bad one stops the start
with file, node and problem named), builds the service, hooks inbound routing
into the call model, and offers ``reload`` to SIGHUP and the API.
"""

from __future__ import annotations

from typing import Any

from ..acd.config import acd_section
from ..config import Config, ConfigError, each_problem
from ..ivr.config import IvrSettings, ivr_settings
from ..ivr.destinations import Agents, ConfiguredAgents, ConfiguredQueues, Queues
from ..ivr.inbound import InboundRouter
from ..ivr.lookup import HttpLookups, SqlLookups
from ..ivr.reloader import IvrReloader
from ..ivr.routing import RoutingTable
from ..ivr.service import IvrService
from ..ivr.silent import SilentTts
from ..ivr.tts import EspeakNg, PromptCache, TtsEngine
from ..reloading import Apply, Prepare
from .parts import Parts

__all__ = ["install_ivr"]


def _engine(settings: IvrSettings) -> TtsEngine | None:
    match settings.section.tts:
        case "espeak-ng":
            return EspeakNg(voices=settings.section.tts_voices)
        case "silent":
            return SilentTts()
    return None


def install_ivr(
    app: Parts, *, queues: Queues | None = None, agents: Agents | None = None
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
    app.reloads.section("ivr", _reload_section(app, reloader))
    return service


def _reload_section(app: Parts, reloader: IvrReloader) -> Prepare:
    """Flows, ``[ivr]`` numbers and ``[routing]`` rules (``ctid reload``)."""

    async def prepare(new: Config) -> list[ConfigError] | Apply:
        # Flows may name queues the same reload adds to the ACD.
        acd = acd_section(new) if app.acd is not None else None
        queues = reloader.queues
        exists = queues.queue_exists if acd is None else {q.name for q in acd.queues}.__contains__
        try:
            built = await app.blocking(reloader.build, new, exists)
        except ConfigError as exc:
            return each_problem(exc)

        async def apply() -> dict[str, Any]:
            settings, flows, table = built
            old = {n: f.version for n, f in reloader.service.flows.items()}
            reloader.apply(settings, flows, table)
            await reloader.service.warm(flows.values())
            changed = sorted(n for n, f in flows.items() if old.get(n) != f.version)
            return {"flows": len(flows), "changed": changed, "rules": len(table.rules)}

        return apply

    return prepare
