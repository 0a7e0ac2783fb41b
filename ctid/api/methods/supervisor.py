"""Supervisor features: SingleStepConferenceCall (silent or active) and ``supervisor.whisper``.

Asking again for an agent already supervised from ``deviceToJoin`` switches
the mode on the live call: silent, whisper (the agent hears the supervisor,
the customer does not) and barge-in (``participationType: "active"``).
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

from ...acd.supervision import supervise, supervised_agent
from ...switch_drivers import base as sw
from .. import policy as on
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from .acd_access import acd_of, credential, refuse, supervises
from .base import registry
from .csta import ConnectionRef

Json = dict[str, Any]

#: Listening, whispering and barging in are for supervisors (and admins), never agents.
SUPERVISORS: Final = frozenset({Role.ADMIN, Role.SUPERVISOR})


@attrs.frozen(kw_only=True)
class SingleStepConferenceParams:
    #: The agent's connection in the call to join.
    active_call: ConnectionRef
    #: The supervisor's phone.
    device_to_join: str
    participation_type: Literal["silent", "active"] = "active"


@attrs.frozen(kw_only=True)
class WhisperParams:
    active_call: ConnectionRef
    device_to_join: str


async def _join(
    ctx: RequestContext,
    ref: ConnectionRef,
    device: str,
    mode: sw.SupervisionMode,
    participation: str,
) -> Json:
    acd = acd_of(ctx)
    cred = credential(ctx)
    active = ref.value()
    agent = supervised_agent(acd.engine, active)
    if cred.role is Role.AGENT:
        raise refuse(f"agent {cred.name} may not supervise calls")
    if cred.role is Role.SUPERVISOR:
        if not supervises(cred, agent.memberships):
            raise refuse(f"supervisor {cred.name} does not supervise agent {agent.agent_id}")
        if cred.devices and device not in cred.devices:
            raise refuse(f"supervisor {cred.name} may not use device {device}")
    conn = await acd.request(supervise, acd.engine, active_call=active, device=device, mode=mode)
    # The reply echoes the client's word for the mode (``active``, not the switch's ``barge``).
    return {"conferencedCall": conn.to_wire(), "participationType": participation}


@registry.method(
    "SingleStepConferenceCall",
    params=SingleStepConferenceParams,
    roles=SUPERVISORS,
    target=Target.CALL | Target.DEVICE,
    objects=(*on.connection("activeCall"), *on.device("deviceToJoin")),
)
async def single_step_conference(ctx: RequestContext, p: SingleStepConferenceParams) -> Json:
    """Join a supervisor's phone to an agent's call: ``silent`` (listen only) or
    ``active`` (barge-in: everybody hears everybody).

    The supervisor's phone answers by itself; ``conferencedCall`` is its connection.
    """
    mode = (
        sw.SupervisionMode.SILENT if p.participation_type == "silent" else sw.SupervisionMode.BARGE
    )
    return await _join(ctx, p.active_call, p.device_to_join, mode, p.participation_type)


@registry.method(
    "supervisor.whisper",
    params=WhisperParams,
    roles=SUPERVISORS,
    target=Target.CALL | Target.DEVICE,
    objects=(*on.connection("activeCall"), *on.device("deviceToJoin")),
)
async def whisper(ctx: RequestContext, p: WhisperParams) -> Json:
    """Coach an agent: the agent hears the supervisor, the customer does not (ctid extension)."""
    return await _join(ctx, p.active_call, p.device_to_join, sw.SupervisionMode.WHISPER, "whisper")
