"""Wiring of outbound routing into the daemon (called from ``App._install_services``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..calls.control import CallControl
from ..calls.outbound_routes import TrunkGroup, resolve_groups
from ..config import Config, raise_problems, structure_error
from ..facts import FACT_QUEUE_PRIORITY
from ..structure import Problems, StructureError
from .campaign_config import CampaignSpec, OutboundSettings, check_spec, outbound_settings
from .dialler import Dialler
from .pacer import AgentView
from .router import OutboundRouter
from .service import CampaignService

if TYPE_CHECKING:
    from ..calls.model import CallModel
    from ..switch_drivers.base import SwitchDriver

__all__ = [
    "CAMPAIGNS",
    "OUTBOUND_ROUTING",
    "build_outbound_router",
    "campaign_settings",
    "check_campaigns",
    "check_outbound_routing",
    "install_campaigns",
    "install_dialler",
    "install_outbound_routing",
]

#: The key of the router in ``ApiContext.services`` (``routing.test``).
OUTBOUND_ROUTING = "outbound_routing"
#: The key of the campaign service in ``ApiContext.services``.
CAMPAIGNS = "campaigns"


def check_outbound_routing(config: Config, driver: SwitchDriver) -> dict[str, TrunkGroup]:
    """The trunk groups the routes may use; ``ConfigError`` for a line or group the
    switch does not have (``ctid check-config`` runs this too)."""
    try:
        return resolve_groups(config.outbound_routing, driver.trunk_groups)
    except StructureError as exc:
        raise structure_error(config.file, exc) from None


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


def campaign_settings(config: Config) -> tuple[OutboundSettings, list[CampaignSpec]]:
    """``[outbound]`` and ``[[campaigns]]``, checked; ``ConfigError`` names the key (every
    problem of every campaign, not only the first)."""
    problems = Problems()
    settings, specs = _read_campaigns(config, problems)
    raise_problems(config.file, problems)
    return settings, list(specs.values())


def _read_campaigns(
    config: Config, problems: Problems
) -> tuple[OutboundSettings, dict[int, CampaignSpec]]:
    # Every campaign by its place in the file (salvaged: what a problem left out stands in
    # with a default), the problems noted: one bad campaign hides none of the others.
    settings = OutboundSettings()
    with problems.check():
        settings = outbound_settings(config.sections.get("outbound"))
    raw = config.sections.get("campaigns", [])
    if not isinstance(raw, list):
        problems.add("campaigns", "expected an array of tables ([[campaigns]])")
        raw = []
    specs: dict[int, CampaignSpec] = {}
    for i, item in enumerate(raw):
        path = f"campaigns[{i}]"
        spec = problems.salvage(CampaignSpec, item, path)
        with problems.check():
            check_spec(spec, path)
        if any(s.name == spec.name for s in specs.values()):
            problems.add(f"{path}.name", f"campaign {spec.name!r} is listed twice")
        specs[i] = spec
    return settings, specs


def check_campaigns(config: Config, queues: list[str]) -> None:
    """``ctid check-config``: the tables, and each campaign's queue among the ACD's."""
    problems = Problems()  # every campaign's, not only the first
    _, specs = _read_campaigns(config, problems)
    for i, spec in specs.items():
        if spec.queue not in queues:
            problems.add(
                f"campaigns[{i}].queue",
                f"no queue {spec.queue!r} in [acd] (queues: {', '.join(queues) or 'none'})",
            )
    if specs and not config.sections.get("records", {}).get("enabled", True):
        problems.add("campaigns", "campaigns need call records ([records] enabled)")
    raise_problems(config.file, problems)


def install_campaigns(
    config: Config,
    *,
    services: dict[str, Any],
    now: Callable[[], float],
    queue_names: list[str],
    live_queues: Callable[[], list[str]] | None = None,
) -> CampaignService | None:
    """The campaign service, when call records are on (its data lives in their database).
    The caller starts its ``run``. ``live_queues``: the ACD's queues as they are now
    (a reload changes them), else ``queue_names``."""
    settings, specs = campaign_settings(config)
    check_campaigns(config, queue_names)
    records = services.get("records")
    if records is None:
        return None
    service = CampaignService(
        read=records.read,
        now=now,
        settings=settings,
        configured=specs,
        queues=live_queues or (lambda: queue_names),
    )
    ivr = config.sections.get("ivr", {})
    numbers = ivr.get("numbers", {}) if isinstance(ivr, dict) else {}
    service.ivr_numbers = {str(k): str(v) for k, v in numbers.items()}
    services[CAMPAIGNS] = service
    return service


class AcdAgents:
    """The ACD as the dialler sees it (``dialler.AgentPool``, ``preview.AgentDesk``)."""

    def __init__(self, engine: Any, queue_numbers: Callable[[str], str | None]) -> None:
        self._engine = engine
        self._queue_numbers = queue_numbers

    def free_agents(self, queue: str) -> int:
        from ..acd.agent_states import AgentState

        return sum(
            1
            for agent in self._engine.agents.values()
            if agent.state is AgentState.READY and queue in agent.active
        )

    def offered(self, call_id: str) -> bool:
        return any(
            agent.offer is not None and agent.offer.call_id == call_id
            for agent in self._engine.agents.values()
        )

    def queue_number(self, queue: str) -> str | None:
        return self._queue_numbers(queue)

    def ready_agents(self, queue: str) -> list[str]:
        from ..acd.agent_states import AgentState

        ready = [
            agent
            for agent in self._engine.agents.values()
            if agent.state is AgentState.READY and queue in agent.active
        ]
        ready.sort(key=lambda agent: (agent.ready_since, agent.agent_id))
        return [agent.agent_id for agent in ready]

    def reserve(self, agent_id: str, campaign: str, record: int) -> str | None:
        from ..acd.blend import reserve

        agent = self._engine.agents.get(agent_id)
        if agent is None or not reserve(self._engine, agent, campaign, record):
            return None
        return str(agent.device)

    def release(self, agent_id: str, campaign: str) -> None:
        from ..acd.agent_states import AgentState, AgentTrigger

        agent = self._engine.agents.get(agent_id)
        if agent is None or agent.state is not AgentState.RESERVED or agent.offer is not None:
            return
        if agent.outbound is None or agent.outbound.campaign != campaign:
            return  # another campaign holds it now
        self._engine.free(agent, AgentTrigger.OFFER_ENDED, cause="outboundReleased")

    def states(self, queue: str) -> dict[str, int]:
        """Agents of ``queue`` logged on, by state (``campaign.figures``)."""
        counts: dict[str, int] = {}
        for agent in self._engine.agents.values():
            if queue in agent.active:
                counts[agent.state.value] = counts.get(agent.state.value, 0) + 1
        return counts

    def agent_views(self, queue: str) -> list[AgentView]:
        from ..acd.agent_states import AgentState

        now = self._engine.now()
        ready = AgentState.READY
        # One comprehension, positional tuples: a pacing round runs this over every agent.
        return [
            AgentView(
                agent.config.agent_id,
                agent.state is ready,
                None if (answered := agent.answered_at) is None else now - answered,
            )
            for agent in self._engine.agents.values()
            if queue in agent.active
        ]


class CampaignCalls:
    """The calls as the dialler sees them (``dialler.CallPort``)."""

    def __init__(self, control: CallControl, sync: Callable[[], None], csta: Any = None) -> None:
        self._control = control
        self._csta = csta
        self.sync = sync

    def facts(self, call_id: str) -> dict[str, Any] | None:
        call = self._control.model.calls.get(call_id)
        if call is None:
            return None
        self._control.model.dirty.add(call_id)
        return call.facts

    def agent_dial(self, device: str, number: str, *, user_data: Any, facts: Any) -> str:
        """The agent's phone calls ``number`` (a MakeCall that rings the agent first,
        unless it answers by itself); raises ``CstaError`` as MakeCall does."""
        conn = self._csta.make_call(device, number, user_data=user_data)
        call = self._control.call(conn.call_id)
        call.facts.update(facts)
        self.sync()
        return call.call_id

    def dial_out(self, number: str, **kwargs: Any) -> str:
        return self._control.dial_out(number, **kwargs)

    def to_number(self, call_id: str, number: str) -> None:
        self._control.route(call_id, number)

    def to_queue(self, call_id: str, number: str, priority: int) -> None:
        self._control.call(call_id).facts[FACT_QUEUE_PRIORITY] = priority
        self._control.route(call_id, number)

    def play(self, call_id: str, media: list[str]) -> str:
        return self._control.play(call_id, media)

    def hang_up(self, call_id: str) -> None:
        self._control.hang_up(call_id)

    def set_fact(self, call_id: str, key: str, value: Any) -> None:
        self._control.call(call_id).facts[key] = value


def install_dialler(
    service: CampaignService,
    *,
    control: CallControl,
    sync: Callable[[], None],
    acd_engine: Any,
    queue_numbers: Callable[[str], str | None],
    csta: Any = None,
    publish: Callable[..., None] | None = None,
    heard: Callable[..., bool] | None = None,
) -> Dialler:
    """The dialler of ``service``: its sinks go on the calls, its ``run`` with the services."""
    agents = AcdAgents(acd_engine, queue_numbers)
    calls = CampaignCalls(control, sync, csta)
    dialler = Dialler(
        read=service.read,
        calls=calls,
        agents=agents,
        utcnow=service.utcnow,
        zone_prefixes=dict(service.settings.zone_prefixes),
        desk=agents if csta is not None else None,
        agent_calls=calls if csta is not None else None,
        publish=publish,
        agent_states=agents.states,
        figures_interval=acd_engine.config.wallboard_interval,
        heard=heard,
    )
    if csta is not None:
        # Blended agents: the ACD asks the campaigns before an inbound call (``blend``).
        acd_engine.outbound = dialler.blend
    ivr_numbers = config_numbers(service)
    dialler.flow_numbers = {flow: number for number, flow in reversed(ivr_numbers.items())}
    service.dialler = dialler
    return dialler


def config_numbers(service: CampaignService) -> dict[str, str]:
    """``[ivr] numbers`` (number -> flow), which agentless campaigns with a flow call."""
    return dict(service.ivr_numbers)
