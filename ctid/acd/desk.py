"""What agents and supervisors ask of the ACD: log on and off, change state, snapshots.

Every request validates first and raises ``CstaError`` with the ECMA-269
error before changing anything (``invalidAgentIdentifier``,
``invalidAgentState``, ``invalidAgentPassword``, ``invalidAgentGroup``,
``invalidDeviceIdentifier``, ``invalidParameterValue``). Who may ask for what
is the API's business (``api/methods/agent.py``); this module only knows the
agents.

A request for ``notReady``, ``loggedOff`` or ``workingAfterCall`` from an agent
who is ``busy`` or ``reserved`` becomes its *pending* state, applied when the
call (or the offer) ends; ``ready`` then cancels a pending state.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any, Final, Literal

from ..calls.errors import CstaError, CstaErrorValue
from ..calls.values import DeviceType
from .agent import Agent
from .agent_states import AgentState, AgentTrigger
from .entry_states import EntryState
from .queue import QueueRuntime
from .wallboard import figures_params

if TYPE_CHECKING:
    from .core import AcdCore

#: A ctid extension: an agent asked for a state it takes when its call ends (or
#: changed its mind); CSTA says so only in the SetAgentState reply.
PENDING_EVENT: Final = "agent.pending"

#: The event that tells an agent's new state (but a log-on: ``AgentLoggedOnEvent``).
STATE_EVENTS: Final = {
    AgentState.LOGGED_OFF: "AgentLoggedOffEvent",
    AgentState.NOT_READY: "AgentNotReadyEvent",
    AgentState.READY: "AgentReadyEvent",
    AgentState.BUSY: "AgentBusyEvent",
    AgentState.WORKING_AFTER_CALL: "AgentWorkingAfterCallEvent",
    # A ctid extension: CSTA has no agent state for "an offered call rings".
    AgentState.RESERVED: "agent.reserved",
}
#: Every event the ACD publishes (listed by rpc.discover).
EVENT_NAMES: Final = (
    "AgentLoggedOnEvent",
    *STATE_EVENTS.values(),
    PENDING_EVENT,
    "queue.figures",
    "queue.allBusy",
)

__all__ = [
    "EVENT_NAMES",
    "PENDING_EVENT",
    "REQUESTABLE",
    "STATE_EVENTS",
    "agent_list",
    "agent_snapshot",
    "get_agent",
    "get_agent_state",
    "get_queue",
    "publish_agent_event",
    "queue_list",
    "queue_snapshot",
    "set_agent_state",
]

A = AgentState
T = AgentTrigger
V = CstaErrorValue

Requested = Literal["loggedOn", "loggedOff", "notReady", "ready", "workingAfterCall"]
#: The states SetAgentState accepts.
REQUESTABLE: Final = ("loggedOn", "loggedOff", "notReady", "ready", "workingAfterCall")
_ON_A_CALL: Final = (A.BUSY, A.RESERVED)


def get_agent(engine: AcdCore, agent_id: str) -> Agent:
    agent = engine.agents.get(agent_id)
    if agent is None:
        raise CstaError(V.INVALID_AGENT_IDENTIFIER, f"agentID: no agent {agent_id!r}")
    return agent


def get_queue(engine: AcdCore, name: str) -> QueueRuntime:
    queue = engine.queues.get(name) or engine.points.get(name)
    if queue is None:
        raise CstaError(V.INVALID_DEVICE_IDENTIFIER, f"no queue {name!r}")
    return queue


def set_agent_state(
    engine: AcdCore,
    agent: Agent,
    *,
    device: str,
    requested: Requested,
    group: str | None = None,
    reason: str | None = None,
    password: str | None = None,
    check_password: bool = True,
    cause: str = "requested",
) -> dict[str, Any]:
    """SetAgentState; returns the agent's state (and pending state) afterwards."""
    if group is not None and group not in agent.memberships:
        raise CstaError(
            V.INVALID_AGENT_GROUP,
            f"group: agent {agent.agent_id} is not a member of {group!r} "
            f"(its queues: {', '.join(sorted(agent.memberships)) or 'none'})",
        )
    if requested == "loggedOn":
        _log_on(engine, agent, device, group, password, check_password, cause)
        return _result(agent)
    if not agent.logged_on:
        raise CstaError(V.INVALID_AGENT_STATE, f"agent {agent.agent_id} is logged off")
    if device != agent.device:
        raise CstaError(
            V.INVALID_DEVICE_IDENTIFIER,
            f"device: agent {agent.agent_id} is logged on at {agent.device}, not {device}",
        )
    if reason is not None and requested != "notReady":
        raise CstaError(V.INVALID_PARAMETER_VALUE, "reasonCode goes only with notReady")
    state, pending = agent.state, agent.pending
    if requested == "loggedOff":
        _log_off(engine, agent, group, cause)
    elif requested == "ready":
        _ready(engine, agent, cause)
    elif requested == "notReady":
        engine.check_reason(reason)
        _not_ready(engine, agent, reason, cause)
    else:
        _work(engine, agent, cause)
    if agent.state is state and agent.pending != pending:
        # Supervisors and the agent's other screens learn of it now, not at the call's end.
        publish_agent_event(engine, agent, PENDING_EVENT, state, cause)
    return _result(agent)


def _result(agent: Agent) -> dict[str, Any]:
    pending = agent.pending
    return {
        "agentState": agent.state.value,
        "reasonCode": agent.reason,
        "pendingAgentState": pending[0].value if pending else None,
        "pendingReasonCode": pending[1] if pending else None,
    }


def _log_on(
    engine: AcdCore,
    agent: Agent,
    device: str,
    group: str | None,
    password: str | None,
    check_password: bool,
    cause: str,
) -> None:
    if agent.logged_on:
        raise CstaError(
            V.INVALID_AGENT_STATE, f"agent {agent.agent_id} is already logged on at {agent.device}"
        )
    if engine.model.directory.classify(device) is not DeviceType.EXTENSION:
        raise CstaError(V.INVALID_DEVICE_IDENTIFIER, f"device: {device!r} is not an extension")
    if agent.config.devices and device not in agent.config.devices:
        allowed = ", ".join(sorted(agent.config.devices))
        raise CstaError(
            V.INVALID_DEVICE_IDENTIFIER,
            f"device: agent {agent.agent_id} may log on only at {allowed}",
        )
    other = engine.by_device.get(device)
    if other is not None:
        raise CstaError(
            V.INVALID_OBJECT_STATE, f"device: agent {other.agent_id} is logged on at {device}"
        )
    pin = agent.config.pin
    if (
        check_password
        and pin is not None
        and (password is None or not hmac.compare_digest(password.encode(), pin.encode()))
    ):
        raise CstaError(
            V.INVALID_AGENT_PASSWORD, f"agentPassword: wrong PIN for agent {agent.agent_id}"
        )
    agent.device = device
    engine.by_device[device] = agent
    agent.logged_groups = None if group is None else frozenset({group})
    engine.transition(agent, T.LOG_ON, cause=cause)
    engine.set_active(agent, engine.scheduled_groups(agent, engine.now()))


def _log_off(engine: AcdCore, agent: Agent, group: str | None, cause: str) -> None:
    if group is not None:
        groups = agent.wanted_groups()
        if group not in groups:
            raise CstaError(
                V.INVALID_AGENT_GROUP, f"group: agent {agent.agent_id} is not logged on to {group}"
            )
        if len(groups) > 1:
            # Leaving one group of several: the agent stays logged on to the others.
            agent.logged_groups = groups - {group}
            engine.set_active(agent, engine.scheduled_groups(agent, engine.now()))
            return
    if agent.state in _ON_A_CALL:
        agent.pending = (A.LOGGED_OFF, None)
    elif agent.state is A.WORKING_AFTER_CALL:
        engine.end_wrap_up(agent, T.LOG_OFF, cause=cause)
    else:
        engine.log_off(agent, cause=cause)


def _ready(engine: AcdCore, agent: Agent, cause: str) -> None:
    state = agent.state
    if state in _ON_A_CALL:
        agent.pending = None
    elif state is A.WORKING_AFTER_CALL:
        engine.end_wrap_up(agent, T.READY, cause=cause)
    elif state is A.NOT_READY:
        engine.free(agent, T.READY, cause=cause)


def _not_ready(engine: AcdCore, agent: Agent, reason: str | None, cause: str) -> None:
    state = agent.state
    if state in _ON_A_CALL:
        agent.pending = (A.NOT_READY, reason)
    elif state is A.WORKING_AFTER_CALL:
        engine.end_wrap_up(agent, T.NOT_READY, reason, cause=cause)
    elif state is not A.NOT_READY or agent.reason != reason:
        engine.transition(agent, T.NOT_READY, reason=reason, cause=cause)


def _work(engine: AcdCore, agent: Agent, cause: str) -> None:
    state = agent.state
    if state in _ON_A_CALL:
        agent.pending = (A.WORKING_AFTER_CALL, None)
    elif state in (A.READY, A.NOT_READY):
        # Manual after-call work: no timer, the agent ends it.
        engine.transition(agent, T.WORK, cause=cause)


def get_agent_state(engine: AcdCore, device: str) -> dict[str, Any]:
    """GetAgentState: the agent logged on at ``device`` (CSTA's ``agentStateList``)."""
    if engine.model.directory.classify(device) is None:
        raise CstaError(V.INVALID_DEVICE_IDENTIFIER, f"device: no device {device!r}")
    agent = engine.by_device.get(device)
    if agent is None:
        return {"agentStateList": []}
    item = agent_snapshot(engine, agent)
    item["loggedOnState"] = True
    return {"agentStateList": [item]}


# ------------------------------------------------------------------ snapshots


def _today(engine: AcdCore, agent: Agent) -> dict[str, Any]:
    """Today's figures, counting the current state up to now (without changing the books)."""
    day = agent.day
    times = {
        "talk": day.talk,
        "acw": day.acw,
        "not_ready": day.not_ready,
        "ready": day.ready,
        "reserved": day.reserved,
    }
    bucket = {
        A.BUSY: "talk",
        A.WORKING_AFTER_CALL: "acw",
        A.NOT_READY: "not_ready",
        A.READY: "ready",
        A.RESERVED: "reserved",
    }.get(agent.state)
    if bucket is not None:
        times[bucket] += max(0.0, engine.now() - agent.accounted)
    return {
        "calls": day.calls,
        "talkTime": round(times["talk"], 3),
        "acwTime": round(times["acw"], 3),
        "notReadyTime": round(times["not_ready"], 3),
        "readyTime": round(times["ready"], 3),
        "reservedTime": round(times["reserved"], 3),
        "ringNoAnswer": day.rona,
    }


def _outbound_reserve(agent: Agent) -> dict[str, Any] | None:
    """The campaign holding a ``reserved`` agent with no offer (``blend``), and the record
    it shows the agent (None until shown)."""
    held = agent.outbound
    if held is None or agent.state is not A.RESERVED or agent.offer is not None:
        return None
    return {"campaign": held.campaign, "record": held.record}


def agent_snapshot(engine: AcdCore, agent: Agent) -> dict[str, Any]:
    """An agent's whole state: the payload of ``agent.snapshot`` and of every agent event."""
    pending = agent.pending
    return {
        "agentID": agent.agent_id,
        "agentName": agent.config.name,
        "agentDevice": agent.device,
        "agentState": agent.state.value,
        "since": engine.clock.iso(agent.since),
        "reasonCode": agent.reason,
        "pendingAgentState": pending[0].value if pending else None,
        "pendingReasonCode": pending[1] if pending else None,
        "callID": agent.offer.call_id if agent.offer else agent.call_id,
        "outboundReserve": _outbound_reserve(agent),
        "autoAnswer": agent.config.auto_answer,
        "queues": [
            {
                "queue": m.queue,
                "penalty": m.penalty,
                "level": m.level,
                "schedule": m.config.schedule,
                "active": m.active,
            }
            for m in agent.memberships.values()
        ],
        "today": _today(engine, agent),
    }


def agent_list(engine: AcdCore) -> list[dict[str, Any]]:
    return [
        {
            "agentID": a.agent_id,
            "agentName": a.config.name,
            "agentDevice": a.device,
            "agentState": a.state.value,
            "reasonCode": a.reason,
            "queues": sorted(a.memberships),
        }
        for a in engine.agents.values()
    ]


def queue_list(engine: AcdCore) -> list[dict[str, Any]]:
    return [
        {
            "queue": q.name,
            "number": q.config.number,
            "strategy": q.config.strategy,
            "waiting": len(q.callers_waiting()),
            "agentsLoggedOn": len(q.members),
            "agentsReady": q.ready,
        }
        for q in engine.queues.values()
    ]


def queue_snapshot(engine: AcdCore, queue: QueueRuntime) -> dict[str, Any]:
    """A queue now: its calls with wait times and priorities, its agents by state, its figures."""
    now = engine.now()
    entries = sorted(queue.entries.values(), key=lambda e: (-e.priority, e.seq))
    calls = []
    for e in entries:
        listed = e.entry_id in queue.waiting
        calls.append(
            {
                "callID": e.call_id,
                "callingDevice": e.caller,
                "priority": e.priority,
                "state": e.state.value,
                "position": queue.position(e) if listed else None,
                "waitSeconds": round(now - e.entered_at, 3),
                "offeredTo": sorted(e.offers),
                "callbackCall": e.callback_call if e.state is EntryState.CALLING_BACK else None,
            }
        )
    agents: dict[str, list[str]] = {}
    for agent in queue.members.values():
        agents.setdefault(agent.state.value, []).append(agent.agent_id)
    out = figures_params(engine, queue)
    out.update(
        {
            "number": queue.config.number,
            "strategy": queue.config.strategy,
            "serviceLevelSeconds": queue.config.service_level_seconds,
            "calls": calls,
            "agents": {state: sorted(ids) for state, ids in sorted(agents.items())},
        }
    )
    return out


def publish_agent_event(
    engine: AcdCore, agent: Agent, name: str, old: AgentState, cause: str
) -> None:
    """An agent event: the agent's whole snapshot, with ``oldState``/``newState`` and why.

    It reaches monitors of the agent's device, of the agent (``agentObject``),
    of every agent (``agentObject: "*"``) and of each of its queues.
    """
    devices = (agent.device,) if agent.device else ()
    topics = (f"agent:{agent.agent_id}", "agents", *(f"queue:{q}" for q in agent.memberships))
    if not engine.heard(devices=devices, topics=topics):
        return  # nobody to tell: no snapshot to build
    params = agent_snapshot(engine, agent)
    params["oldState"] = old.value
    params["newState"] = agent.state.value
    if cause:
        params["cause"] = cause
    engine.publish(name, params, devices=devices, topics=topics)
