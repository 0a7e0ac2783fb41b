"""ACD queues: ``queue.list`` and ``queue.snapshot``."""

from __future__ import annotations

from typing import Any

import attrs

from ...acd.desk import queue_list, queue_snapshot
from .. import policy as on
from ..context import RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from .acd_access import acd_of, check_queue_access, credential, may_see_queue
from .base import registry

Json = dict[str, Any]


@registry.method("queue.list", roles=ALL_ROLES, target=Target.NONE)
async def list_queues(ctx: RequestContext, p: None) -> Json:
    """The queues this session may see, with their waiting calls and agents now."""
    acd = acd_of(ctx)
    cred = credential(ctx)
    engine = acd.engine
    visible = {q.name for q in engine.queues.values() if may_see_queue(cred, q, acd)}
    return {"queues": [q for q in queue_list(engine) if q["queue"] in visible]}


@attrs.frozen(kw_only=True)
class QueueParams:
    #: The queue's name or number.
    queue: str


@registry.method(
    "queue.snapshot",
    params=QueueParams,
    roles=ALL_ROLES,
    target=Target.QUEUE,
    objects=on.queue("queue"),
)
async def snapshot(ctx: RequestContext, p: QueueParams) -> Json:
    """A queue now: waiting calls (wait, priority, position), agents by state, longest
    wait, calls offered/answered/abandoned today, service level today, estimated wait."""
    queue = check_queue_access(ctx, p.queue)
    return queue_snapshot(acd_of(ctx).engine, queue)
