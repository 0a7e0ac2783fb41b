"""ACD agents: SetAgentState and GetAgentState (CSTA), ``agent.list``, ``agent.snapshot``
and ``agent.reasonCodes``."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from ...acd.desk import (
    agent_list,
    agent_snapshot,
    get_agent,
    get_agent_state,
    set_agent_state,
)
from ...calls.errors import CstaError, CstaErrorValue
from .. import policy as on
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from .acd_access import acd_of, check_agent_access, credential, may_see_agent, refuse, supervises
from .base import registry

Json = dict[str, Any]

#: What a supervisor may force on an agent of its queues.
SUPERVISOR_FORCES = frozenset({"loggedOff", "ready", "notReady"})


@attrs.frozen(kw_only=True)
class SetAgentStateParams:
    device: str
    requested_agent_state: Literal["loggedOn", "loggedOff", "notReady", "ready", "workingAfterCall"]
    #: The agent; may be left out for an agent already logged on at ``device``.
    agent_id: str | None = None
    #: A queue: log on to (or off from) only this one.
    group: str | None = None
    #: For ``notReady``: one of the configured reason codes.
    reason_code: str | None = None
    #: The agent's PIN, if it has one (agents logging themselves on).
    agent_password: str | None = None


@registry.method(
    "SetAgentState",
    params=SetAgentStateParams,
    roles=ALL_ROLES,
    target=Target.AGENT,
    objects=on.agent("agentID"),
)
async def set_state(ctx: RequestContext, p: SetAgentStateParams) -> Json:
    """Log an agent on at a device (hot-desking) or off, or change its state.

    ``notReady`` takes a ``reasonCode``. Asked while the agent is busy (or
    while an offered call rings), ``notReady``, ``loggedOff`` and
    ``workingAfterCall`` become the agent's *pending* state, applied when the
    call ends; the reply says so in ``pendingAgentState``.
    """
    acd = acd_of(ctx)
    engine = acd.engine
    cred = credential(ctx)
    agent_id = p.agent_id
    if agent_id is None:
        at_device = engine.by_device.get(p.device)
        agent_id = at_device.agent_id if at_device else cred.agent_id
    if agent_id is None:
        raise CstaError(
            CstaErrorValue.INVALID_AGENT_IDENTIFIER,
            f"agentID: required (no agent is logged on at {p.device})",
        )
    agent = get_agent(engine, agent_id)
    requested = p.requested_agent_state
    own = cred.agent_id == agent.agent_id
    if cred.role is Role.AGENT or (own and cred.role is not Role.ADMIN):
        if not own:
            raise refuse(f"agent {cred.name} may act only as agent {cred.agent_id}")
        if requested == "loggedOn":
            if cred.devices and p.device not in cred.devices:
                raise refuse(f"agent {cred.name} may not log on at {p.device}")
        else:
            ctx.require_device(p.device)
    elif cred.role is Role.SUPERVISOR:
        if not supervises(cred, agent.memberships):
            raise refuse(f"supervisor {cred.name} does not supervise agent {agent.agent_id}")
        if requested not in SUPERVISOR_FORCES:
            raise refuse(f"a supervisor may force only {', '.join(sorted(SUPERVISOR_FORCES))}")
    return await acd.request(
        set_agent_state,
        engine,
        agent,
        device=p.device,
        requested=requested,
        group=p.group,
        reason=p.reason_code,
        password=p.agent_password,
        check_password=cred.role is not Role.ADMIN,
        cause="requested" if own else "forced",
    )


@attrs.frozen(kw_only=True)
class GetAgentStateParams:
    device: str


@registry.method(
    "GetAgentState",
    params=GetAgentStateParams,
    roles=ALL_ROLES,
    target=Target.DEVICE,
    objects=on.device("device"),
)
async def get_state(ctx: RequestContext, p: GetAgentStateParams) -> Json:
    """The agent logged on at ``device``, with its state and pending state."""
    acd = acd_of(ctx)
    agent = acd.engine.by_device.get(p.device)
    if agent is not None and not may_see_agent(credential(ctx), agent):
        raise refuse(f"{credential(ctx).name} may not see agent {agent.agent_id}")
    if agent is None:
        ctx.require_device(p.device)
    return get_agent_state(acd.engine, p.device)


@registry.method("agent.list", roles=ALL_ROLES, target=Target.NONE)
async def list_agents(ctx: RequestContext, p: None) -> Json:
    """The agents this session may see, with state, device and queues."""
    acd = acd_of(ctx)
    cred = credential(ctx)
    visible = {a.agent_id for a in acd.engine.agents.values() if may_see_agent(cred, a)}
    return {"agents": [a for a in agent_list(acd.engine) if a["agentID"] in visible]}


@registry.method("agent.reasonCodes", roles=ALL_ROLES, target=Target.NONE)
async def reason_codes(ctx: RequestContext, p: None) -> Json:
    """The not-ready reasons an agent may give (``[acd] reason_codes``, in the configured
    order), so a toolbar offers exactly what ``SetAgentState`` accepts."""
    return {"reasonCodes": list(acd_of(ctx).engine.config.reason_codes)}


@attrs.frozen(kw_only=True)
class AgentParams:
    agent_id: str


@registry.method(
    "agent.snapshot",
    params=AgentParams,
    roles=ALL_ROLES,
    target=Target.AGENT,
    objects=on.agent("agentID"),
)
async def snapshot(ctx: RequestContext, p: AgentParams) -> Json:
    """One agent now: state, since, reason, pending state, queues, and today's figures
    (calls, talk, after-call work and not-ready time)."""
    agent = check_agent_access(ctx, p.agent_id)
    return agent_snapshot(acd_of(ctx).engine, agent)
