"""MonitorStart / MonitorStop: which events a session receives."""

from __future__ import annotations

from typing import Any

import attrs

from ...bus import MonitorKind
from ...calls.errors import CstaError, CstaErrorValue
from .. import policy as on
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from .base import registry
from .csta import CallRef, call_id_of, existing_call


@attrs.frozen(kw_only=True)
class MonitorObject:
    device_object: str | None = None
    call_object: CallRef | str | None = None
    #: ctid extensions, served by the service that registered them in
    #: ``ApiContext.monitor_topics`` (the ACD: an agent's or a queue's events).
    agent_object: str | None = None
    queue_object: str | None = None
    #: Faxes: ``"*"`` or a mailbox, served by the fax service.
    fax_object: str | None = None
    #: A voicemail box (``queue:sales``, ``agent:2001``, ``number:8100``, or ``*``).
    mailbox_object: str | None = None
    #: An outbound campaign's events (``campaign.*``), or ``"*"``: every campaign's.
    campaign_object: str | None = None


@attrs.frozen(kw_only=True)
class MonitorStartParams:
    monitor_object: MonitorObject


@registry.method(
    "MonitorStart",
    params=MonitorStartParams,
    roles=ALL_ROLES,
    target=Target.DEVICE | Target.CALL | Target.AGENT | Target.QUEUE | Target.MAILBOX,
    objects=(
        *on.device("monitorObject.deviceObject"),
        *on.call("monitorObject.callObject"),
        *on.agent("monitorObject.agentObject"),
        *on.queue("monitorObject.queueObject"),
        *on.mailbox("monitorObject.mailboxObject"),
    ),
)
async def monitor_start(ctx: RequestContext, p: MonitorStartParams) -> dict[str, Any]:
    """Receive the events of a device (``deviceObject``) or of one call (``callObject``).

    ctid extensions: ``agentObject`` (an ACD agent's events wherever it is logged
    on) and ``queueObject`` (a queue's wallboard events), when the ACD runs;
    ``mailboxObject`` (a voicemail box's ``voicemail.new``/``voicemail.changed``).
    Returns the ``monitorCrossRefID`` that every event of this monitor carries.
    Starting a monitor that the session already has returns the same id.
    """
    assert ctx.session is not None
    obj = p.monitor_object
    topics = {
        "agentObject": obj.agent_object,
        "queueObject": obj.queue_object,
        "faxObject": obj.fax_object,
        "mailboxObject": obj.mailbox_object,
        "campaignObject": obj.campaign_object,
    }
    given = [obj.device_object, obj.call_object, *topics.values()]
    if sum(value is not None for value in given) != 1:
        raise CstaError(
            CstaErrorValue.INVALID_OBJECT_TYPE,
            "monitorObject must have exactly one of deviceObject, callObject, agentObject, "
            "monitorObject must have exactly one of deviceObject, callObject, agentObject, "
            "queueObject, mailboxObject, faxObject and campaignObject",
        )
    api = ctx.api
    topic_key = next((key for key, value in topics.items() if value is not None), None)
    if topic_key is not None:
        resolver = api.monitor_topics.get(topic_key)
        if resolver is None:
            raise CstaError(
                CstaErrorValue.INVALID_OBJECT_TYPE,
                f"monitorObject.{topic_key} is not served here (no ACD, or no call records)",
            )
        value = topics[topic_key]
        assert value is not None
        kind, target = MonitorKind.TOPIC, resolver(ctx, value)
    elif obj.device_object is not None:
        device = obj.device_object
        if not api.calls.model.directory.is_known(device):
            raise CstaError(
                CstaErrorValue.INVALID_DEVICE_IDENTIFIER,
                f"monitorObject.deviceObject: no device {device!r} to monitor",
            )
        kind, target = MonitorKind.DEVICE, device
    else:
        assert obj.call_object is not None
        target = call_id_of(obj.call_object)
        existing_call(ctx, target)
        kind = MonitorKind.CALL
    log = ctx.session.log
    existing = api.bus.find_monitor(log, kind, target)
    if existing is not None:
        return {"monitorCrossRefID": existing.cross_ref_id}
    if len(log.monitors) >= api.limits.max_monitors:
        raise CstaError(
            CstaErrorValue.OVERALL_MONITOR_LIMIT_EXCEEDED,
            f"a session may hold at most {api.limits.max_monitors} monitors",
        )
    monitor = api.bus.add_monitor(log, kind, target, ctx.session.next_cross_ref_id())
    return {"monitorCrossRefID": monitor.cross_ref_id}


@attrs.frozen(kw_only=True)
class MonitorStopParams:
    monitor_cross_ref_id: str


@registry.method("MonitorStop", params=MonitorStopParams, roles=ALL_ROLES, target=Target.NONE)
async def monitor_stop(ctx: RequestContext, p: MonitorStopParams) -> dict[str, Any]:
    """Stop a monitor; its events stop at once."""
    assert ctx.session is not None
    monitor = ctx.session.log.monitors.get(p.monitor_cross_ref_id)
    if monitor is None:
        raise CstaError(
            CstaErrorValue.INVALID_CROSS_REF_ID,
            f"no monitor {p.monitor_cross_ref_id!r} in this session",
        )
    ctx.api.bus.remove_monitor(monitor)
    return {}
