"""The agent's side of campaigns: dispositions and previews; who may see a campaign.

``campaign.setDisposition``, ``campaign.previewDial`` and ``campaign.previewSkip``
are for the agent who handled the call (or is shown the preview); a
supervisor may act for the agents of the queues it supervises, an admin for
anyone. Errors as in ``campaign.*``: -32602 for bad input (a code not in the
campaign's ``dispositions`` names ``params.disposition``), -32006 with
``data.reason`` (``noSuchAttempt``, ``notYourCall``, ``noSuchPreview``,
``notYourPreview``, ``dialFailed``, ``noDialler``).
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from ...calls.errors import CstaError, CstaErrorValue
from .. import rpc
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..rpc import RpcError
from .acd_access import credential, refuse, supervises
from .base import registry
from .campaign import EVERYONE, _run, _service
from .record_ids import check_record_id

__all__ = ["campaign_topic", "check_campaign_access"]

#: Longest skip reason (it is kept in the record's ``disposition``).
MAX_REASON: Final = 32


def _agent_of(ctx: RequestContext) -> str | None:
    """The agent a request acts as: the session's for an agent, None for the others."""
    cred = credential(ctx)
    if cred.role is Role.AGENT:
        if cred.agent_id is None:
            raise refuse(f"{cred.name} is no agent")
        return cred.agent_id
    return None


def check_campaign_access(ctx: RequestContext, queue: str | None) -> None:
    """A supervisor limited to some queues acts only on campaigns of those queues."""
    cred = credential(ctx)
    if cred.role is Role.SUPERVISOR and queue is not None and not supervises(cred, (queue,)):
        raise refuse(f"supervisor {cred.name} does not supervise queue {queue}")


def campaign_topic(ctx: RequestContext, value: str) -> str:
    """``MonitorStart {campaignObject: NAME | "*"}``: admins, and supervisors of the
    campaign's queue (``"*"``: supervisors of every queue)."""
    cred = credential(ctx)
    if cred.role is Role.AGENT:
        raise refuse(f"agent {cred.name} may not monitor campaigns")
    if value == "*":
        if cred.role is Role.ADMIN or not cred.queues:
            return "campaigns"
        raise refuse(f"{cred.name} may not monitor every campaign")
    service = ctx.api.services.get("campaigns")
    queue = getattr(service, "campaign_queues", {}).get(value)
    if queue is None:
        raise CstaError(
            CstaErrorValue.INVALID_OBJECT_TYPE,
            f"monitorObject.campaignObject: no campaign {value!r}",
        )
    check_campaign_access(ctx, queue)
    return f"campaign:{value}"


@attrs.frozen(kw_only=True)
class DispositionParams:
    #: The call (live or ended); or ``record``: the record's latest call.
    call_id: str | None = None
    record: int | None = None
    disposition: str


@registry.method(
    "campaign.setDisposition", params=DispositionParams, roles=EVERYONE, target=Target.NONE
)
async def set_disposition(ctx: RequestContext, p: DispositionParams) -> dict[str, Any]:
    """Give a campaign call the agent's disposition code (one of the campaign's
    ``dispositions``): kept in the record and the call record; a retry rule named
    after the code dials the record again."""
    if (p.call_id is None) == (p.record is None):
        raise RpcError(
            rpc.INVALID_PARAMS,
            "invalid params: params: give exactly one of callID and record",
            {"path": "params", "problem": "give exactly one of callID and record"},
        )
    if p.record is not None:
        check_record_id(p.record)
    service = _service(ctx)
    agent = _agent_of(ctx)
    result: dict[str, Any] = await _run(
        service.set_disposition(
            p.call_id,
            p.record,
            p.disposition,
            agent,
            check=lambda queue: check_campaign_access(ctx, queue),
        )
    )
    return result


@attrs.frozen(kw_only=True)
class PreviewParams:
    record: int


@registry.method("campaign.previewDial", params=PreviewParams, roles=EVERYONE, target=Target.NONE)
async def preview_dial(ctx: RequestContext, p: PreviewParams) -> dict[str, Any]:
    """Dial the record on preview to the agent: its phone calls the number (as MakeCall),
    the record's data as the call's ``userData``. Returns ``{record, callID}``."""
    service = _service(ctx)
    await _check_preview(ctx, p.record)
    result: dict[str, Any] = await _run(service.preview_dial(p.record, _agent_of(ctx)))
    return result


@attrs.frozen(kw_only=True)
class PreviewSkipParams:
    record: int
    reason: str


@registry.method(
    "campaign.previewSkip", params=PreviewSkipParams, roles=EVERYONE, target=Target.NONE
)
async def preview_skip(ctx: RequestContext, p: PreviewSkipParams) -> dict[str, Any]:
    """Skip the record on preview, with a reason (1 to 32 characters): it ends
    ``skipped`` and the agent is ready again."""
    if not 1 <= len(p.reason) <= MAX_REASON:
        raise RpcError(
            rpc.INVALID_PARAMS,
            f"invalid params: params.reason: give 1 to {MAX_REASON} characters",
            {"path": "params.reason", "problem": f"give 1 to {MAX_REASON} characters"},
        )
    service = _service(ctx)
    await _check_preview(ctx, p.record)
    result: dict[str, Any] = await _run(service.preview_skip(p.record, _agent_of(ctx), p.reason))
    return result


async def _check_preview(ctx: RequestContext, record: int) -> None:
    check_record_id(record)
    service = _service(ctx)
    dialler = service.dialler
    desk = dialler.previews if dialler is not None else None
    preview = desk.previews.get(record) if desk is not None else None
    if preview is not None:
        check_campaign_access(ctx, service.campaign_queues.get(preview.campaign))
