"""Who may do what with the ACD: the role rules shared by the agent, queue and supervisor methods.

* ``admin``: everything.
* ``supervisor``: agents of the queues it supervises (``queues`` in its
  credential; none listed means every queue): their snapshots, monitors,
  listen/whisper/barge, force release, and forcing ``loggedOff``, ``ready`` or
  ``notReady``. It may not log an agent on or put it in after-call work.
* ``agent``: only itself (the credential's ``agent_id``), at its own devices;
  it sees the queues it serves.

A refused request is a CSTA ``privilegeViolationOnSpecifiedDevice`` and
changes nothing. The checks for agent and queue objects are registered here
(``registry.object_check``) and run before every method that names one.

Calls: a supervisor limited to some queues acts on the calls of those queues,
i.e. the calls that waited in one of them (``FACT_QUEUES_VISITED``) or are at a
device where an agent of one of them is logged on. An agent's device monitor
ends (``MonitorEndedEvent``, cause ``agentLoggedOff``) when it logs off that
device, unless the device is its own anyway.
"""

from __future__ import annotations

from collections.abc import Collection

from ...acd.agent import Agent
from ...acd.agent_states import AgentState
from ...acd.desk import get_agent, get_queue
from ...acd.engine import EVENT_NAMES
from ...acd.queue import QueueRuntime
from ...acd.service import AcdService
from ...calls.errors import CstaError, CstaErrorValue
from ...calls.model import Call
from ...calls.notices import Notice
from ...calls.values import EventCause
from ...facts import AgentStateChanged
from ..access import end_revoked_device_monitors
from ..auth import Credential, Role
from ..context import ApiContext, RequestContext
from ..policy import Target
from ..session import Session
from .base import registry

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


@registry.object_check(Target.AGENT)
async def check_agent(ctx: RequestContext, agent_id: str) -> None:
    """An agent: itself for an agent; an agent of its queues for a supervisor.

    ``"*"`` (``MonitorStart {agentObject: "*"}``) is every agent: admins and
    supervisors of every queue only.
    """
    cred = credential(ctx)
    if agent_id == "*":
        if cred.role is Role.SUPERVISOR and not cred.queues:
            return
        raise refuse(f"{cred.name} may not act on every agent")
    check_agent_access(ctx, agent_id)


@registry.object_check(Target.QUEUE)
async def check_queue(ctx: RequestContext, name: str) -> None:
    """A queue: one it supervises for a supervisor, one it serves for an agent.

    Checked without the ACD too (reports read the call records of past queues).
    """
    cred = credential(ctx)
    if cred.role is Role.SUPERVISOR:
        if name != "*" and supervises(cred, (name,)):
            return
        if not cred.queues:
            return
        raise refuse(f"supervisor {cred.name} does not supervise queue {name}")
    acd = ctx.api.services.get("acd")
    agent = acd.engine.agents.get(cred.agent_id or "") if isinstance(acd, AcdService) else None
    if agent is None or name not in agent.memberships:
        raise refuse(f"{cred.role.value} {cred.name} may not see queue {name}")


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

    def agents_queues(call: Call) -> set[str]:
        # The queues of the agents at its devices (those it waited in are the facts').
        queues: set[str] = set()
        for device in call.connections:
            agent = engine.by_device.get(device)
            if agent is not None:
                queues.update(agent.memberships)
        return queues

    def on_notice(notice: Notice) -> None:
        # An agent that logs off a phone loses it: its monitors of that phone end.
        if (
            isinstance(notice, AgentStateChanged)
            and notice.new_state == AgentState.LOGGED_OFF.value
            and notice.device is not None
        ):
            end_revoked_device_monitors(api, notice.device, EventCause.AGENT_LOGGED_OFF)

    api.device_grants.append(grant)
    api.device_policies.append(policy)
    api.call_queues.append(agents_queues)
    api.calls.notice_sinks.append(on_notice)
    api.monitor_topics["agentObject"] = agent_topic
    api.monitor_topics["queueObject"] = queue_topic
