"""``report.*``: the reports of ``ctid report``, through the API (admins and supervisors).

Each report is a method (``report.answerRate``, ``report.serviceLevel``...)
taking the same parameters and returning ``{name, title, columns, rows}``.
A supervisor who supervises listed queues must ask for one of them
(``queue``), and cannot run the reports that span every queue (IVR nodes,
trunk occupancy).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, Final, Literal

import attrs

from ...naming import wire_name
from ...records.report_queries import load
from ...records.reports import REPORTS, ReportRequest, run_report
from .. import policy as on
from .. import rpc
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..rpc import RpcError
from .base import registry
from .records import records_service

ROLES: Final = frozenset({Role.ADMIN, Role.SUPERVISOR})
#: Reports that do not filter by queue.
ALL_QUEUES: Final = frozenset({"ivr-nodes", "trunk-occupancy"})


@attrs.frozen(kw_only=True)
class ReportParams:
    #: ISO 8601 times; ``to`` is exclusive. A date alone is midnight in ``timezone``.
    from_: str
    to: str
    queue: str | None = None
    agent: str | None = None
    interval: Literal["hour", "day"] | None = None
    #: Time zone of the intervals (default: ``[records] timezone``).
    timezone: str | None = None
    #: Service level threshold, seconds.
    threshold: float = 20.0


def _time(value: str, tz: str, name: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RpcError(rpc.INVALID_PARAMS, f"{name}: not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(tz))
    return moment.astimezone(dt.UTC)


def _handler(name: str) -> Any:
    async def handler(ctx: RequestContext, p: ReportParams) -> dict[str, Any]:
        assert ctx.session is not None
        records = records_service(ctx)
        credential = ctx.session.credential
        restricted = credential.role is Role.SUPERVISOR and bool(credential.queues)
        if restricted and (name in ALL_QUEUES or p.queue not in credential.queues):
            raise RpcError(
                rpc.FORBIDDEN,
                f"report {name}: supervisors see their queues "
                f"({', '.join(sorted(credential.queues))}); give one as queue",
            )
        tz = p.timezone or records.settings.timezone
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            # OSError: a name too long for a file name (found by the fuzz campaign).
            raise RpcError(rpc.INVALID_PARAMS, f"timezone: unknown time zone {tz[:64]!r}") from None
        request = ReportRequest(
            start=_time(p.from_, tz, "from"),
            end=_time(p.to, tz, "to"),
            queue=p.queue,
            agent=p.agent,
            interval=p.interval,
            timezone=tz,
            threshold=p.threshold,
        )
        if request.end <= request.start:
            raise RpcError(rpc.INVALID_PARAMS, "to must be after from")
        now = records.clock.datetime()
        data = await records.read(load, name, request, now)
        return run_report(name, data, request).to_json()

    handler.__doc__ = f"The {name} report (see docs/records.md); same parameters for every report."
    return handler


def _method_name(report: str) -> str:
    return "report." + wire_name(report.replace("-", "_"))


for _name in REPORTS:
    registry.method(
        _method_name(_name),
        params=ReportParams,
        roles=ROLES,
        target=Target.QUEUE,
        # The reports that span every queue are for those who supervise every queue.
        objects=on.every_queue() if _name in ALL_QUEUES else on.queue("queue"),
        refuse_as_forbidden=True,
    )(_handler(_name))


@registry.method("report.list", roles=ROLES, target=Target.NONE)
async def report_list(ctx: RequestContext, p: None) -> dict[str, Any]:
    """The reports there are, with the method that runs each."""
    return {"reports": [{"name": n, "method": _method_name(n)} for n in REPORTS]}
