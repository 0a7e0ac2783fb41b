"""``voicemail.*``: mailboxes' messages, listed, fetched, heard and deleted.

Who sees which mailbox: admins every one; supervisors the mailboxes of the
queues they supervise and of those queues' agents (every mailbox if their
credential lists no queues); agents their own (``agent:<their id>``) and those
of their own numbers (``number:<a device of theirs>``). The same rule decides
``MonitorStart {"mailboxObject": ...}`` (``voicemail.new``, ``voicemail.changed``)
and the download of a message from ``GET /recordings/download?id=<messageID>``.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from ...calls.errors import CstaError, CstaErrorValue
from ...voicemail import queries
from ...voicemail.config import MAILBOX
from ...voicemail.service import VoicemailError, VoicemailService
from .. import policy as on
from .. import rpc
from ..auth import Credential, Role
from ..context import ApiContext, RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from ..rpc import RpcError
from .acd_access import refuse, supervises
from .base import registry

__all__ = ["install_voicemail_api", "may_see_mailbox"]

#: The most messages one voicemail.list returns.
MAX_LIST: Final = 500


def may_see_mailbox(api: ApiContext, cred: Credential, mailbox: str) -> bool:
    """Whether ``cred`` may see (and act on) a mailbox's messages."""
    if cred.role is Role.ADMIN:
        return True
    found = MAILBOX.fullmatch(mailbox)
    if found is None:
        return False
    kind, name = found.groups()
    if cred.role is Role.SUPERVISOR:
        if not cred.queues:
            return True
        if kind == "queue":
            return name in cred.queues
        if kind == "agent":
            acd = api.services.get("acd")
            agent = acd.engine.agents.get(name) if acd is not None else None
            return agent is not None and supervises(cred, agent.memberships)
        return False
    if kind == "agent":
        return cred.agent_id == name
    return kind == "number" and name in cred.devices


def _service(ctx: RequestContext) -> VoicemailService:
    service = ctx.api.services.get("voicemail")
    if not isinstance(service, VoicemailService):
        raise RpcError(rpc.METHOD_NOT_FOUND, "voicemail is not available (call records are off)")
    return service


def _credential(ctx: RequestContext) -> Credential:
    assert ctx.session is not None
    return ctx.session.credential


def _mailbox(value: str) -> str:
    if MAILBOX.fullmatch(value) is None:
        raise RpcError(
            rpc.INVALID_PARAMS,
            f'mailbox: expected "queue:NAME", "agent:ID" or "number:DN", not {value!r}',
        )
    return value


async def _message(ctx: RequestContext, message_id: str) -> dict[str, Any]:
    service = _service(ctx)
    row = await service.records.read(queries.get, message_id)
    if row is None:
        raise RpcError(
            rpc.OPERATION_FAILED, f"no message {message_id!r}", {"reason": "no-such-message"}
        )
    found: dict[str, Any] = row
    return found


@registry.object_check(Target.MAILBOX)
async def check_mailbox(ctx: RequestContext, value: str) -> None:
    """A mailbox (``queue:sales``) or a message of one (its id): see ``may_see_mailbox``.

    A message that is not there is left to the handler."""
    cred = _credential(ctx)
    if value == "*":
        if cred.role is Role.SUPERVISOR and not cred.queues:
            return
        raise refuse(f"{cred.name} may not act on every mailbox")
    mailbox = value
    if ":" not in value:
        service = ctx.api.services.get("voicemail")
        if not isinstance(service, VoicemailService):
            return
        row = await service.records.read(queries.get, value)
        if row is None:
            return
        mailbox = row["mailbox"]
    if not may_see_mailbox(ctx.api, cred, mailbox):
        raise refuse(f"{cred.role.value} {cred.name} may not see mailbox {mailbox}")


@attrs.frozen(kw_only=True)
class ListParams:
    mailbox: str
    unheard_only: bool = False
    limit: int = 100


@registry.method(
    "voicemail.list",
    params=ListParams,
    roles=ALL_ROLES,
    target=Target.MAILBOX,
    objects=on.mailbox("mailbox"),
    refuse_as_forbidden=True,
)
async def list_messages(ctx: RequestContext, p: ListParams) -> dict[str, Any]:
    """A mailbox's messages, newest first, with its counts of new and old ones."""
    mailbox = _mailbox(p.mailbox)
    if not 1 <= p.limit <= MAX_LIST:
        raise RpcError(rpc.INVALID_PARAMS, f"limit: from 1 to {MAX_LIST}")
    service = _service(ctx)
    await service.records.wait_committed()
    rows = await service.records.read(queries.listing, mailbox, p.unheard_only, p.limit)
    new, old = service.counts.get(mailbox, (0, 0))
    return {
        "mailbox": mailbox,
        "newMessages": new,
        "oldMessages": old,
        "messages": [queries.to_wire(row) for row in rows],
    }


@attrs.frozen(kw_only=True)
class MessageParams:
    message_id: str


@registry.method(
    "voicemail.get",
    params=MessageParams,
    roles=ALL_ROLES,
    target=Target.MAILBOX,
    objects=on.mailbox("messageID"),
    refuse_as_forbidden=True,
)
async def get_message(ctx: RequestContext, p: MessageParams) -> dict[str, Any]:
    """One message, with its download path (deleted ones too, marked so)."""
    return queries.to_wire(await _message(ctx, p.message_id))


@registry.method(
    "voicemail.markHeard",
    params=MessageParams,
    roles=ALL_ROLES,
    target=Target.MAILBOX,
    objects=on.mailbox("messageID"),
    refuse_as_forbidden=True,
)
async def mark_heard(ctx: RequestContext, p: MessageParams) -> dict[str, Any]:
    """Mark a message heard (downloading it does not); the lamps follow."""
    service = _service(ctx)
    await service.records.wait_committed()
    row = await _message(ctx, p.message_id)
    if row["deleted_at"] is not None:
        raise RpcError(
            rpc.OPERATION_FAILED, f"message {p.message_id} was deleted", {"reason": "deleted"}
        )
    service.mark_heard(row, by=_credential(ctx).name)
    await service.records.wait_committed()
    return {"messageID": p.message_id, "heard": True}


@registry.method(
    "voicemail.delete",
    params=MessageParams,
    roles=ALL_ROLES,
    target=Target.MAILBOX,
    objects=on.mailbox("messageID"),
    refuse_as_forbidden=True,
)
async def delete_message(ctx: RequestContext, p: MessageParams) -> dict[str, Any]:
    """Delete a message's audio; its metadata stays, marked deleted."""
    service = _service(ctx)
    await service.records.wait_committed()
    row = await _message(ctx, p.message_id)
    cred = _credential(ctx)
    try:
        await service.delete(row, by=f"{cred.name} ({cred.role.value})")
    except VoicemailError as exc:
        raise RpcError(rpc.OPERATION_FAILED, exc.message, {"reason": exc.reason}) from None
    await service.records.wait_committed()
    return {"messageID": p.message_id, "deleted": True}


def install_voicemail_api(api: ApiContext, service: VoicemailService) -> None:
    """Wire voicemail into the API: the service, its monitor topic, its downloads."""
    from .recording import Downloadable

    api.services["voicemail"] = service

    def topic(ctx: RequestContext, value: str) -> str:
        cred = _credential(ctx)
        if value == "*":
            if cred.role is Role.ADMIN or (cred.role is Role.SUPERVISOR and not cred.queues):
                return "mailboxes"
            raise refuse(f"{cred.name} may not monitor every mailbox")
        if MAILBOX.fullmatch(value) is None:
            raise CstaError(
                CstaErrorValue.INVALID_OBJECT_TYPE,
                f'mailboxObject: expected "queue:NAME", "agent:ID" or "number:DN", not {value!r}',
            )
        if not may_see_mailbox(api, cred, value):
            raise refuse(f"{cred.role.value} {cred.name} may not see mailbox {value}")
        return f"mailbox:{value}"

    api.monitor_topics["mailboxObject"] = topic

    async def download(cred: Credential, message_id: str) -> Downloadable | None:
        row = await service.records.read(queries.get, message_id)
        if row is None:
            return None
        if row["deleted_at"] is not None:
            return Downloadable(path=None, name=f"{message_id}.wav", allowed=True)
        allowed = may_see_mailbox(api, cred, row["mailbox"])
        try:
            path = service.file_path(row)
        except ValueError:
            path = None
        return Downloadable(path=path, name=f"{message_id}.wav", allowed=allowed)

    api.services.setdefault("downloads", []).append(download)
