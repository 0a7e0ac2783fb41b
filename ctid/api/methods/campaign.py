"""``campaign.*`` and ``dnc.*``: outbound campaigns, their lists, callbacks, do-not-call lists.

Errors: bad input is -32602 with the path; a campaign operation that cannot be
done is -32006 with ``data.reason`` (``noSuchCampaign``, ``campaignExists``,
``listExists``, ``badList``, ``noSuchRecord``, ``campaignsOff``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from ...calls.errors import CstaError, CstaErrorValue
from ...outbound.campaign_config import CampaignSpec, check_spec
from ...outbound.service import CampaignError
from ...structure import KEY, StructureError
from .. import rpc
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..rpc import RpcError
from .base import registry
from .record_ids import check_record_id

if TYPE_CHECKING:
    from ...outbound.service import CampaignService

MANAGERS: Final = frozenset({Role.ADMIN, Role.SUPERVISOR})
EVERYONE: Final = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AGENT})


def _service(ctx: RequestContext) -> CampaignService:
    service = ctx.api.services.get("campaigns")
    if service is None:
        raise RpcError(
            rpc.OPERATION_FAILED,
            "campaigns need call records: turn on [records] enabled",
            {"reason": "campaignsOff"},
        )
    return service  # type: ignore[no-any-return]


async def _run(call: Any) -> Any:
    """Await a service call, turning its refusals into JSON-RPC errors."""
    try:
        return await call
    except StructureError as exc:
        raise RpcError(
            rpc.INVALID_PARAMS,
            f"invalid params: {exc}",
            {"path": exc.path, "problem": exc.problem},
        ) from None
    except CampaignError as exc:
        raise RpcError(
            rpc.OPERATION_FAILED, str(exc), {"reason": exc.reason, **exc.details}
        ) from None


def _check_queue(ctx: RequestContext, name: str) -> None:
    """A supervisor limited to some queues acts only on campaigns of those queues."""
    service = ctx.api.services.get("campaigns")
    queue = getattr(service, "campaign_queues", {}).get(name)
    cred = ctx.session.credential if ctx.session is not None else None
    if cred is None or cred.role is not Role.SUPERVISOR or queue is None or not cred.queues:
        return
    if queue not in cred.queues:
        raise CstaError(
            CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE,
            f"supervisor {cred.name} does not supervise queue {queue}",
        )


def _text(value: str | list[str]) -> str:
    """A file's text: one string, or (over the 16 KB string limit) a list of chunks."""
    return value if isinstance(value, str) else "".join(value)


@registry.method("campaign.create", params=CampaignSpec, roles=MANAGERS, target=Target.NONE)
async def create(ctx: RequestContext, p: CampaignSpec) -> dict[str, Any]:
    """Define a campaign (stored; it starts ``stopped``). Returns what ``campaign.get`` does."""
    service = _service(ctx)

    async def go() -> dict[str, Any]:
        return await service.create(check_spec(p, "params", camel=True))

    result: dict[str, Any] = await _run(go())
    return result


@attrs.frozen(kw_only=True)
class UpdateParams:
    name: str
    #: The definition's keys to change (lowerCamel, as ``campaign.create`` takes them).
    changes: dict[str, Any]


@registry.method("campaign.update", params=UpdateParams, roles=MANAGERS, target=Target.NONE)
async def update(ctx: RequestContext, p: UpdateParams) -> dict[str, Any]:
    """Change a campaign's definition (pacing limits, windows, retries...); checked whole.
    A running campaign uses it from its next pacing round (live)."""
    _check_queue(ctx, p.name)
    result: dict[str, Any] = await _run(_service(ctx).update(p.name, p.changes))
    return result


@attrs.frozen(kw_only=True)
class NameParams:
    name: str


@registry.method("campaign.get", params=NameParams, roles=MANAGERS, target=Target.NONE)
async def get(ctx: RequestContext, p: NameParams) -> dict[str, Any]:
    """A campaign: its definition, state, records by status, and each list's counts."""
    _check_queue(ctx, p.name)
    result: dict[str, Any] = await _run(_service(ctx).get(p.name))
    return result


@registry.method("campaign.list", roles=MANAGERS, target=Target.NONE)
async def list_campaigns(ctx: RequestContext, p: None) -> dict[str, Any]:
    """Every campaign: name, mode, queue, state, where it is defined, records by status."""
    return {"campaigns": await _run(_service(ctx).list())}


@attrs.frozen(kw_only=True)
class ImportListParams:
    campaign: str
    #: The list's name (unique in the campaign).
    list_name: str = attrs.field(metadata={KEY: "list"})
    number_column: str
    csv: str | list[str]


@registry.method("campaign.importList", params=ImportListParams, roles=MANAGERS, target=Target.NONE)
async def import_list(ctx: RequestContext, p: ImportListParams) -> dict[str, Any]:
    """Add a list (CSV with a header) to a campaign: malformed rows by line, duplicates,
    numbers already listed; every other row becomes a record."""
    result: dict[str, Any] = await _run(
        _service(ctx).import_list(p.campaign, p.list_name, p.number_column, _text(p.csv))
    )
    return result


@attrs.frozen(kw_only=True)
class CallbackParams:
    record: int
    #: ISO 8601 with a time zone (``2027-01-15T14:30:00+01:00`` or ``...Z``).
    at: str
    agent_only: bool = False


@registry.method(
    "campaign.scheduleCallback", params=CallbackParams, roles=EVERYONE, target=Target.NONE
)
async def schedule_callback(ctx: RequestContext, p: CallbackParams) -> dict[str, Any]:
    """Book a callback of a record at ``at``: offered to the caller's agent only
    (``agentOnly``, agents only) or to any agent of the campaign."""
    check_record_id(p.record)
    try:
        at = dt.datetime.fromisoformat(p.at.replace("Z", "+00:00"))
    except ValueError:
        raise RpcError(
            rpc.INVALID_PARAMS,
            "invalid params: params.at: expected an ISO 8601 time with a zone",
            {"path": "params.at", "problem": "expected an ISO 8601 time with a zone"},
        ) from None
    if at.tzinfo is None:
        raise RpcError(
            rpc.INVALID_PARAMS,
            "invalid params: params.at: give the time zone (Z or +HH:MM)",
            {"path": "params.at", "problem": "give the time zone (Z or +HH:MM)"},
        )
    agent = None
    if p.agent_only:
        assert ctx.session is not None
        agent = ctx.session.credential.agent_id
        if agent is None:
            raise RpcError(
                rpc.INVALID_PARAMS,
                "invalid params: params.agentOnly: this session is no agent's",
                {"path": "params.agentOnly", "problem": "this session is no agent's"},
            )
    result: dict[str, Any] = await _run(
        _service(ctx).schedule_callback(p.record, at.astimezone(dt.UTC), agent)
    )
    return result


@attrs.frozen(kw_only=True)
class DncParams:
    numbers: list[str]
    #: A campaign's list; absent: the global list.
    campaign: str | None = None
    note: str = ""


@registry.method("dnc.add", params=DncParams, roles=MANAGERS, target=Target.NONE)
async def dnc_add(ctx: RequestContext, p: DncParams) -> dict[str, Any]:
    """Put numbers on the global do-not-call list or a campaign's; never dialled again."""
    result: dict[str, Any] = await _run(_service(ctx).dnc_add(p.numbers, p.campaign, p.note))
    return result


@attrs.frozen(kw_only=True)
class DncRemoveParams:
    numbers: list[str]
    campaign: str | None = None


@registry.method("dnc.remove", params=DncRemoveParams, roles=MANAGERS, target=Target.NONE)
async def dnc_remove(ctx: RequestContext, p: DncRemoveParams) -> dict[str, Any]:
    """Take numbers off the global do-not-call list or a campaign's."""
    result: dict[str, Any] = await _run(_service(ctx).dnc_remove(p.numbers, p.campaign))
    return result


@attrs.frozen(kw_only=True)
class DncImportParams:
    csv: str | list[str]
    number_column: str
    campaign: str | None = None
    note: str = ""


@registry.method("dnc.import", params=DncImportParams, roles=MANAGERS, target=Target.NONE)
async def dnc_import(ctx: RequestContext, p: DncImportParams) -> dict[str, Any]:
    """Add the numbers of a CSV file (with a header) to a do-not-call list."""
    result: dict[str, Any] = await _run(
        _service(ctx).dnc_import(_text(p.csv), p.number_column, p.campaign, p.note)
    )
    return result


@attrs.frozen(kw_only=True)
class DncCheckParams:
    number: str


@registry.method("dnc.check", params=DncCheckParams, roles=EVERYONE, target=Target.NONE)
async def dnc_check(ctx: RequestContext, p: DncCheckParams) -> dict[str, Any]:
    """Whether a number is on a do-not-call list, and on which (``*``: the global one)."""
    result: dict[str, Any] = await _run(_service(ctx).dnc_check(p.number))
    return result


@attrs.frozen(kw_only=True)
class SetStateParams:
    name: str
    state: Literal["running", "paused", "stopped"]


@registry.method("campaign.setState", params=SetStateParams, roles=MANAGERS, target=Target.NONE)
async def set_state(ctx: RequestContext, p: SetStateParams) -> dict[str, Any]:
    """Start (``running``), pause, resume (``running`` again) or stop a campaign's dialling.
    Every mode dials: preview, progressive, predictive and agentless."""
    _check_queue(ctx, p.name)
    result: dict[str, Any] = await _run(_service(ctx).set_state(p.name, p.state))
    return result
