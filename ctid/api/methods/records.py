"""``records.*``: the state of call records (admin), for operators and tests."""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs
import trio

from ...records.service import RecordsService
from .. import rpc
from ..auth import Role
from ..context import RequestContext
from ..policy import Target
from ..rpc import RpcError
from .base import registry

ADMIN: Final = frozenset({Role.ADMIN})


def records_service(ctx: RequestContext) -> RecordsService:
    service = ctx.api.services.get("records")
    if not isinstance(service, RecordsService):
        raise RpcError(rpc.METHOD_NOT_FOUND, "call records are off ([records] enabled = false)")
    return service


@registry.method("records.status", roles=ADMIN, target=Target.NONE)
async def status(ctx: RequestContext, p: None) -> dict[str, Any]:
    """The record writer: records submitted, waiting in the spool, committed, dropped."""
    stats = records_service(ctx).writer.statistics()
    return {
        "submitted": stats.submitted,
        "spooled": stats.spooled,
        "spoolBytes": stats.spool_bytes,
        "committed": stats.committed,
        "dropped": stats.dropped,
        "rejected": stats.rejected,
        "databaseUp": stats.db_up,
        "databaseError": stats.db_error,
    }


@attrs.frozen(kw_only=True)
class FlushParams:
    #: ``database``: wait until committed; ``spool``: until safe on disk.
    until: Literal["database", "spool"] = "database"
    timeout: float = 10.0


@registry.method("records.flush", params=FlushParams, roles=ADMIN, target=Target.NONE)
async def flush(ctx: RequestContext, p: FlushParams) -> dict[str, Any]:
    """Wait until every record made so far is in the database (or in the spool)."""
    writer = records_service(ctx).writer
    with trio.move_on_after(p.timeout):
        if p.until == "database":
            await writer.wait_committed()
        else:
            await writer.wait_spooled()
        return {}
    raise RpcError(
        rpc.OPERATION_FAILED,
        f"records not in the {p.until} after {p.timeout} s",
        {"reason": "timeout", "databaseError": writer.db_error},
    )
