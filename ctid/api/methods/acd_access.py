"""Who may do what with the ACD: the role rules shared by the agent, queue and supervisor methods.

* ``admin``: everything.
* ``supervisor``: agents of the queues it supervises (``queues`` in its
  credential; none listed means every queue): their snapshots, monitors,
  listen/whisper/barge, force release, and forcing ``loggedOff``, ``ready`` or
  ``notReady``. It may not log an agent on or put it in after-call work.
* ``agent``: only itself (the credential's ``agent_id``), at its own devices;
  it sees the queues it serves.

A refused request is a CSTA ``privilegeViolationOnSpecifiedDevice`` and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection

from ...acd.agent import Agent
from ...acd.desk import get_agent, get_queue
from ...acd.engine import EVENT_NAMES
from ...acd.queue import QueueRuntime
from ...acd.service import AcdService
from ...calls.errors import CstaError, CstaErrorValue
from ..auth import Credential, Role
from ..context import ApiContext, RequestContext
from ..session import Session

__all__ = [
    "acd_of",
    "check_agent_access",
    "check_queue_access",
    "credential",
    "install_acd_api",
    "may_see_agent",
    "may_see_queue",
    "refuse",
    "supervises",
]

PRIVILEGE = CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE


def acd_of(ctx: RequestContext) -> AcdService:
    service = ctx.api.services.get("acd")
    if not isinstance(service, AcdService):
        raise CstaError(CstaErrorValue.INVALID_FEATURE, "no ACD is configured ([acd] table)")
    return service


def credential(ctx: RequestContext) -> Credential:
    assert ctx.session is not None
    return ctx.session.credential


def refuse(message: str) -> CstaError:
    return CstaError(PRIVILEGE, message)


def supervises(cred: Credential, queues: Collection[str]) -> bool:
    """Whether a supervisor's credential covers any of ``queues``."""
    return not cred.queues or bool(cred.queues.intersection(queues))


def may_see_agent(cred: Credential, agent: Agent) -> bool:
    if cred.role is Role.ADMIN or cred.agent_id == agent.agent_id:
        return True
    return cred.role is Role.SUPERVISOR and supervises(cred, agent.memberships)


def may_see_queue(cred: Credential, queue: QueueRuntime, acd: AcdService) -> bool:
    if cred.role is Role.ADMIN:
        return True
    if cred.role is Role.SUPERVISOR:
        return supervises(cred, (queue.name,))
    agent = acd.engine.agents.get(cred.agent_id or "")
    return agent is not None and queue.name in agent.memberships


def check_agent_access(ctx: RequestContext, agent_id: str) -> Agent:
    """The agent, if this session may see and supervise it; else a privilege violation."""
    acd = acd_of(ctx)
    agent = get_agent(acd.engine, agent_id)
    cred = credential(ctx)
    if not may_see_agent(cred, agent):
        raise refuse(f"{cred.role.value} {cred.name} may not act on agent {agent.agent_id}")
    return agent


def check_queue_access(ctx: RequestContext, name: str) -> QueueRuntime:
    acd = acd_of(ctx)
    queue = get_queue(acd.engine, name)
    cred = credential(ctx)
    if not may_see_queue(cred, queue, acd):
        raise refuse(f"{cred.role.value} {cred.name} may not see queue {queue.name}")
    return queue


# --------------------------------------------------------------- API hooks


def install_acd_api(api: ApiContext, acd: AcdService) -> None:
    """Wire the ACD into the API: device grants, the supervisor policy, monitor topics."""
    engine = acd.engine
    api.services["acd"] = acd
    api.services.setdefault("extra_events", []).extend(EVENT_NAMES)

    def grant(session: Session) -> list[str]:
        # An agent may act on the device it is logged on at (hot-desking).
        agent = engine.agents.get(session.credential.agent_id or "")
        return [agent.device] if agent is not None and agent.device else []

    def policy(session: Session, device: str) -> None:
        cred = session.credential
        if cred.role is not Role.SUPERVISOR:
            return
        agent = engine.by_device.get(device)
        if agent is not None and not may_see_agent(cred, agent):
            raise refuse(
                f"supervisor {cred.name} does not supervise agent {agent.agent_id} at {device}"
            )

    def agent_topic(ctx: RequestContext, value: str) -> str:
        cred = credential(ctx)
        if value == "*":
            if cred.role is Role.ADMIN or (cred.role is Role.SUPERVISOR and not cred.queues):
                return "agents"
            raise refuse(f"{cred.name} may not monitor every agent")
        return f"agent:{check_agent_access(ctx, value).agent_id}"

    def queue_topic(ctx: RequestContext, value: str) -> str:
        cred = credential(ctx)
        if value == "*":
            if cred.role is Role.ADMIN or (cred.role is Role.SUPERVISOR and not cred.queues):
                return "queues"
            raise refuse(f"{cred.name} may not monitor every queue")
        return f"queue:{check_queue_access(ctx, value).name}"

    api.device_grants.append(grant)
    api.device_policies.append(policy)
    api.monitor_topics["agentObject"] = agent_topic
    api.monitor_topics["queueObject"] = queue_topic
