"""``report.campaign``: a campaign's attempts, contacts, dispositions, abandon rate,
agent occupancy, contacts per agent hour and list penetration (``ctid.outbound.report``).

Admins, and supervisors of the campaign's queue (others: -32005). The result has
the shape of the other reports: ``{name, title, columns, rows}`` (one row).
"""

from __future__ import annotations

from typing import Any

import attrs

from ...outbound.report import CampaignReportRequest, campaign_report, load
from .. import rpc
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..rpc import RpcError
from .base import registry
from .campaign import MANAGERS, _run, _service
from .params import utc_time


@attrs.frozen(kw_only=True)
class CampaignReportParams:
    campaign: str
    #: ISO 8601 times (``Z`` or an offset; none means UTC); ``to`` is exclusive.
    from_: str
    to: str


@registry.method("report.campaign", params=CampaignReportParams, roles=MANAGERS, target=Target.NONE)
async def report_campaign(ctx: RequestContext, p: CampaignReportParams) -> dict[str, Any]:
    """A campaign's results over ``[from, to)`` from the call records (docs/outbound.md)."""
    service = _service(ctx)
    start = utc_time(p.from_, "from")
    end = utc_time(p.to, "to")
    assert start is not None
    assert end is not None
    if end <= start:
        raise RpcError(rpc.INVALID_PARAMS, "to must be after from")
    spec = await _run(service.spec(p.campaign))
    assert ctx.session is not None
    cred = ctx.session.credential
    if cred.role is Role.SUPERVISOR and cred.queues and spec.queue not in cred.queues:
        raise RpcError(
            rpc.FORBIDDEN,
            f"report campaign: supervisors see the campaigns of their queues "
            f"({', '.join(sorted(cred.queues))})",
        )
    request = CampaignReportRequest(campaign=p.campaign, queue=spec.queue, start=start, end=end)
    data = await service.read(load, request, service.utcnow())
    return campaign_report(data, request).to_json()
