"""``records.search``, ``records.get``, ``records.history``: call records and a number's history.

Who sees what (docs/security.md):

* ``admin``: every record.
* ``supervisor``: the records of the queues it supervises (none listed: all).
* ``agent``: ``records.search`` and ``records.get`` find only its own calls
  (the records naming its agent id); ``records.history`` only for a number
  that is in a call at one of its devices right now (the screen pop), and then
  that number's whole history.

The scope is applied in the query, so a search never leaks what it filters
out; an explicit ``agent``/``queue`` that is not the caller's is refused
before anything is read (the access table's agent and queue checks).
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

from ...callerinfo import CALLER_INFO_SCHEMA, CallerInfo
from ...calls.errors import CstaError
from ...records.history import (
    MAX_LIMIT,
    WILDCARDS,
    CursorError,
    HistoryQuery,
    SearchQuery,
    decode_cursor,
    get_record,
    history,
    search,
)
from .. import policy as on
from .. import rpc
from ..auth import Credential, Role
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from ..rpc import RpcError
from .base import registry
from .params import utc_time
from .record_ids import check_record_id
from .records import records_service

__all__ = ["CampaignOutcome", "caller_info_of", "check_number"]

#: Longest number or prefix taken (E.164 has at most 15 digits; room for a trunk prefix).
MAX_NUMBER: Final = 64
#: How a campaign's attempt ends (``ctid.outbound.campaign_config.OUTCOMES``; a test
#: keeps the two the same).
CampaignOutcome = Literal[
    "answered", "machine", "busy", "noAnswer", "failed", "abandoned", "dnc", "invalidNumber"
]


def _number(value: str, name: str) -> str:
    if not value or len(value) > MAX_NUMBER:
        raise RpcError(rpc.INVALID_PARAMS, f"{name}: want 1 to {MAX_NUMBER} characters")
    if WILDCARDS.intersection(value):
        raise RpcError(rpc.INVALID_PARAMS, f"{name}: a number, not a pattern ({value[:64]!r})")
    return value


def _record_id(value: int | None) -> int | None:
    return None if value is None else check_record_id(value, "params.campaignRecord")


def _limit(value: int) -> int:
    if not 1 <= value <= MAX_LIMIT:
        raise RpcError(rpc.INVALID_PARAMS, f"limit: want 1 to {MAX_LIMIT}")
    return value


def _credential(ctx: RequestContext) -> Credential:
    assert ctx.session is not None
    return ctx.session.credential


def _queues_of(cred: Credential) -> frozenset[str] | None:
    """The queues a supervisor is limited to (None: not limited)."""
    if cred.role is Role.SUPERVISOR and cred.queues:
        return frozenset(cred.queues)
    return None


def caller_info_of(ctx: RequestContext, number: str) -> dict[str, Any] | None:
    """The caller information of an outside number, if ``[numbers]`` has it on."""
    lookup = ctx.api.services.get("caller_info")
    if not isinstance(lookup, CallerInfo):
        return None
    return lookup.lookup(number)


_S: Final = {"type": "string"}
_S_OR_NULL: Final = {"type": ["string", "null"]}
_N_OR_NULL: Final = {"type": ["number", "null"]}
#: One leg of a record (``record_to_wire``).
LEG_SCHEMA: Final = {
    "title": "CallRecordLeg",
    "type": "object",
    "properties": {
        "device": _S,
        "kind": _S,
        "trunk": _S_OR_NULL,
        "joinedAt": _S,
        "answeredAt": _S_OR_NULL,
        "endedAt": _S,
        "holdSeconds": {"type": "number"},
        "endCause": _S,
        "failed": {"type": "boolean"},
    },
    "required": ["device", "kind", "joinedAt", "endedAt", "holdSeconds", "endCause", "failed"],
}
#: A call record as ``record_to_wire`` makes it (times ISO 8601 UTC).
RECORD_SCHEMA: Final = {
    "title": "CallRecord",
    "type": "object",
    "properties": {
        "callID": _S,
        "node": _S,
        "state": {"enum": ["open", "closed"]},
        "direction": _S,
        "caller": _S,
        "called": _S,
        **dict.fromkeys(
            (
                "dnis",
                "trunk",
                "queue",
                "queueOutcome",
                "agentID",
                "agentDevice",
                "answeredBy",
                "campaign",
                "campaignOutcome",
                "amd",
                "agentDisposition",
                "faxID",
                "ivrFlow",
                "ivrExit",
                "answeredAt",
                "ivrEnteredAt",
                "ivrLeftAt",
                "queueEnteredAt",
                "queueLeftAt",
                "endedAt",
                "disposition",
                "endCause",
                "mergedInto",
                "correlatorData",
            ),
            _S_OR_NULL,
        ),
        "campaignRecord": {"type": ["integer", "null"]},
        "startedAt": _S,
        **dict.fromkeys(("waitSeconds", "holdSeconds", "talkSeconds", "acwSeconds"), _N_OR_NULL),
        "recordingIDs": {"type": "array", "items": _S},
        "userData": {"type": "object"},
        "legs": {"type": "array", "items": LEG_SCHEMA},
    },
    "required": ["callID", "state", "direction", "caller", "called", "startedAt", "legs"],
}
#: What every records method may answer besides the common errors.
ERRORS: Final = (
    (rpc.METHOD_NOT_FOUND, "call records are off ([records] enabled = false)"),
    (rpc.OPERATION_FAILED, "no such record (data.reason: no-such-record)"),
)


@attrs.frozen(kw_only=True)
class SearchParams:
    #: ISO 8601 times: calls started from ``from`` (inclusive) to ``to`` (exclusive).
    from_: str | None = None
    to: str | None = None
    #: The caller or called number, full or as a prefix (``"+86138"``).
    number: str | None = None
    agent: str | None = None
    queue: str | None = None
    campaign: str | None = None
    #: A campaign's list record: its attempts (``campaign.get`` and previews name records).
    campaign_record: int | None = None
    #: How a campaign's attempt ended (``ctid.outbound.campaign_config.OUTCOMES``).
    campaign_outcome: CampaignOutcome | None = None
    disposition: str | None = None
    direction: Literal["inbound", "outbound", "internal"] | None = None
    limit: int = 100
    #: ``nextCursor`` of the previous page.
    cursor: str | None = None


@registry.method(
    "records.search",
    params=SearchParams,
    roles=ALL_ROLES,
    target=Target.AGENT | Target.QUEUE,
    objects=(*on.agent("agent"), *on.queue("queue")),
    refuse_as_forbidden=True,
    result={
        "type": "object",
        "properties": {
            "records": {"type": "array", "items": RECORD_SCHEMA},
            "nextCursor": _S_OR_NULL,
        },
        "required": ["records", "nextCursor"],
    },
    errors=ERRORS,
)
async def search_records(ctx: RequestContext, p: SearchParams) -> dict[str, Any]:
    """Call records with their legs, newest first, one page at a time.

    ``number`` matches the caller or the called number, full or as a prefix.
    ``nextCursor`` (null on the last page) asks for the next page. Agents find
    their own calls, supervisors their queues'.
    """
    cred = _credential(ctx)
    after = None
    if p.cursor is not None:
        try:
            after = decode_cursor(p.cursor)
        except CursorError as exc:
            raise RpcError(rpc.INVALID_PARAMS, f"cursor: {exc}") from None
    query = SearchQuery(
        start=utc_time(p.from_, "from"),
        end=utc_time(p.to, "to"),
        number=None if p.number is None else _number(p.number, "number"),
        agent=p.agent,
        queue=p.queue,
        campaign=p.campaign,
        campaign_record=_record_id(p.campaign_record),
        campaign_outcome=p.campaign_outcome,
        disposition=p.disposition,
        direction=p.direction,
        limit=_limit(p.limit),
        after=after,
        # An agent without an agent id has no calls of its own.
        only_agent=(cred.agent_id or "") if cred.role is Role.AGENT else None,
        only_queues=_queues_of(cred),
    )
    records, cursor = await records_service(ctx).read(search, query)
    return {"records": records, "nextCursor": cursor}


@attrs.frozen(kw_only=True)
class GetParams:
    call_id: str


@registry.method(
    "records.get",
    params=GetParams,
    roles=ALL_ROLES,
    target=Target.CALL,
    objects=on.call("callID"),
    refuse_as_forbidden=True,
    result=RECORD_SCHEMA,
    errors=ERRORS,
)
async def get(ctx: RequestContext, p: GetParams) -> dict[str, Any]:
    """One call's record with its legs (agents: their own calls; supervisors: their queues')."""
    cred = _credential(ctx)
    record: dict[str, Any] | None = await records_service(ctx).read(get_record, p.call_id)
    if record is None:
        raise RpcError(
            rpc.OPERATION_FAILED,
            f"no record of call {p.call_id[:64]!r}",
            {"reason": "no-such-record"},
        )
    queues = _queues_of(cred)
    refused = (cred.role is Role.AGENT and record["agentID"] != (cred.agent_id or "")) or (
        queues is not None and record["queue"] not in queues
    )
    # A call in progress was checked before the handler ran (its open record
    # does not name its queue or agent yet).
    if refused and p.call_id not in ctx.api.calls.model.calls:
        raise RpcError(rpc.FORBIDDEN, f"{cred.name} may not see the record of {p.call_id[:64]!r}")
    return record


@attrs.frozen(kw_only=True)
class HistoryParams:
    #: The number as it appears in call records (the caller or called party).
    number: str
    limit: int = 20


@registry.method(
    "records.history",
    params=HistoryParams,
    roles=ALL_ROLES,
    target=Target.NUMBER,
    objects=on.number("number"),
    refuse_as_forbidden=True,
    result={
        "type": "object",
        "properties": {
            "number": _S,
            "callerInfo": {"anyOf": [CALLER_INFO_SCHEMA, {"type": "null"}]},
            "calls": {"type": "array", "items": RECORD_SCHEMA},
        },
        "required": ["number", "callerInfo", "calls"],
    },
    errors=ERRORS,
)
async def number_history(ctx: RequestContext, p: HistoryParams) -> dict[str, Any]:
    """A number's previous calls, newest first, with where the number is from.

    Each call is a full record (agent, queue, disposition, recording ids, the
    ``userData`` it carried). Agents may ask only about a number in a call at
    one of their devices; supervisors see their queues' calls.
    """
    cred = _credential(ctx)
    query = HistoryQuery(
        number=_number(p.number, "number"), limit=_limit(p.limit), only_queues=_queues_of(cred)
    )
    calls = await records_service(ctx).read(history, query)
    return {"number": p.number, "callerInfo": caller_info_of(ctx, p.number), "calls": calls}


@registry.object_check(Target.NUMBER)
async def check_number(ctx: RequestContext, number: str) -> None:
    """A number: for an agent, one in a call at its devices now; for a supervisor limited
    to some queues, not one that is in calls of other queues only."""
    cred = _credential(ctx)
    assert ctx.session is not None
    live = [
        call
        for call in ctx.api.calls.model.calls.values()
        if number in call.connections or number in (call.calling_device, call.called_device)
    ]
    if cred.role is Role.AGENT:
        devices = ctx.own_devices()
        if any(devices.intersection(call.connections) for call in live):
            return
        raise RpcError(
            rpc.FORBIDDEN, f"agent {cred.name} may look up only a number in a call at its devices"
        )
    if cred.role is Role.SUPERVISOR and cred.queues and live:
        for call in live:
            try:
                ctx.api.check_call(ctx.session, call)
            except CstaError:
                continue
            return
        raise RpcError(
            rpc.FORBIDDEN, f"supervisor {cred.name}: {number} is in calls of other queues"
        )
