"""``fax.*``: send faxes, find them, stop them; upload and download documents over HTTP.

Admins and supervisors use fax (agents do not: a fax goes out in the
company's name). A supervisor limited to some queues sees the faxes of the
mailboxes named like those queues. Agents only watch (``MonitorStart
{"faxObject": <mailbox>}``) the mailboxes named like queues they may watch.

HTTP routes on the API port, with ``Authorization: Bearer <token>`` like
recording downloads:

* ``POST /fax/documents?name=<optional name>`` with a PDF or TIFF body: the
  document, made fax-ready; answers ``201`` with its ``documentID``.
* ``GET /fax/download?id=<faxID>&format=tiff|pdf`` (a fax's image) or
  ``?document=<documentID or name>&format=tiff|pdf`` (a document).
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Final

import attrs

from ... import faximage
from ...calls.errors import CstaError, CstaErrorValue
from ...fax import store
from ...fax.mail import MAX_ADDRESSES, addresses, check_address
from ...fax.service import FaxError, FaxService
from ...recording import files
from ...structure import KEY
from .. import rpc
from ..auth import Role
from ..context import ApiContext, RequestContext
from ..policy import Target
from ..rpc import RpcError
from ..server import HttpHandler, HttpRequest, HttpResponse
from .base import registry
from .params import utc_time

__all__ = ["download_route", "fax_topic", "upload_route"]

#: Who may use fax.
FAX_ROLES: Final = frozenset({Role.ADMIN, Role.SUPERVISOR})
#: Seconds fax.get and fax.search wait for pending row changes.
WRITE_WAIT: Final = 2.0


def _service(ctx: RequestContext | ApiContext) -> FaxService:
    api = ctx.api if isinstance(ctx, RequestContext) else ctx
    service = api.services.get("fax")
    if not isinstance(service, FaxService):
        raise RpcError(rpc.METHOD_NOT_FOUND, "fax is not available (it needs [records])")
    return service


def _fail(exc: FaxError) -> RpcError:
    return RpcError(rpc.OPERATION_FAILED, exc.message, {"reason": exc.reason})


@attrs.frozen(kw_only=True)
class SendParams:
    #: One number, or a list of numbers (a batch with per-number status).
    to: str | list[str]
    documents: list[str]
    header: str | None = None
    #: ``callerId`` on the wire, as issue 15 names it.
    caller_id: str | None = attrs.field(default=None, metadata={KEY: "callerId"})
    retries: int | None = None
    mailbox: str = "outbox"
    #: Where the result is mailed (an address or a list; needs ``[fax.email]``).
    email_to: str | list[str] | None = None


@registry.method("fax.send", params=SendParams, roles=FAX_ROLES, target=Target.NONE)
async def send(ctx: RequestContext, p: SendParams) -> dict[str, Any]:
    """Send documents (ids or names) to a number, or to a list of numbers (a batch).

    Returns ``{faxID}`` for one number; ``{batchID, faxes: [{to, faxID}]}`` for a list.
    Busy lines, no answer and failed transfers are tried again ``retries`` times.
    """
    assert ctx.session is not None
    numbers = [p.to] if isinstance(p.to, str) else list(p.to)
    for number in numbers:
        if not number or len(number) > 64 or not all(c.isdigit() or c in "+*#" for c in number):
            raise RpcError(rpc.INVALID_PARAMS, f"to: not a phone number: {number!r}")
    if p.retries is not None and not 0 <= p.retries <= 10:
        raise RpcError(rpc.INVALID_PARAMS, "retries: 0 to 10")
    if p.header is not None and len(p.header) > 100:
        raise RpcError(rpc.INVALID_PARAMS, "header: at most 100 characters")
    if len(p.documents) > 20:
        raise RpcError(rpc.INVALID_PARAMS, "documents: at most 20")
    service = _service(ctx)
    email_to = _email_to(service, p.email_to)
    try:
        batch_id, made = await service.send(
            numbers,
            p.documents,
            user=ctx.session.credential.name,
            header=p.header,
            caller_id=p.caller_id,
            retries=p.retries,
            mailbox=p.mailbox,
            batch=not isinstance(p.to, str),
            email_to=email_to,
        )
    except FaxError as exc:
        raise _fail(exc) from None
    if isinstance(p.to, str):
        return {"faxID": made[0].fax_id}
    return {"batchID": batch_id, "faxes": [{"to": af.remote, "faxID": af.fax_id} for af in made]}


def _email_to(service: FaxService, value: str | list[str] | None) -> tuple[str, ...]:
    """``fax.send emailTo``, checked."""
    if value is None:
        return ()
    found = addresses(value)
    if not 1 <= len(found) <= MAX_ADDRESSES:
        raise RpcError(rpc.INVALID_PARAMS, f"emailTo: 1 to {MAX_ADDRESSES} addresses")
    for address in found:
        if not check_address(address):
            raise RpcError(rpc.INVALID_PARAMS, f"emailTo: not an address: {address!r}")
    if service.settings.email is None:
        raise RpcError(
            rpc.OPERATION_FAILED,
            "emailTo: no mail relay is configured ([fax.email] host)",
            {"reason": "no-email-relay"},
        )
    return tuple(dict.fromkeys(found))


@attrs.frozen(kw_only=True)
class FaxParams:
    fax_id: str


async def _row(service: FaxService, fax_id: str) -> dict[str, Any]:
    row: dict[str, Any] | None = await service.records.read(store.get_fax, fax_id)
    if row is None:
        raise RpcError(rpc.OPERATION_FAILED, f"no fax {fax_id!r}", {"reason": "no-such-fax"})
    return row


@registry.method("fax.get", params=FaxParams, roles=FAX_ROLES, target=Target.NONE)
async def get_fax(ctx: RequestContext, p: FaxParams) -> dict[str, Any]:
    """One fax: state, pages, attempts, T.30 result, download paths."""
    service = _service(ctx)
    await service.wait_written()
    row = await _row(service, p.fax_id)
    mine = mailboxes_of(ctx)
    if mine is not None and row["mailbox"] not in mine:
        raise RpcError(rpc.FORBIDDEN, f"you may not see fax {p.fax_id}")
    return store.to_wire(row)


@registry.method("fax.cancel", params=FaxParams, roles=FAX_ROLES, target=Target.NONE)
async def cancel(ctx: RequestContext, p: FaxParams) -> dict[str, Any]:
    """Stop a fax that waits for a line or a retry, or is being sent (the call ends)."""
    try:
        af = await _service(ctx).cancel(p.fax_id)
    except FaxError as exc:
        raise _fail(exc) from None
    return {"faxID": af.fax_id, "state": "cancelled" if af.state == "cancelled" else af.state}


#: Tags on one fax at most, and characters in one tag.
MAX_TAGS: Final = 32
MAX_TAG_CHARS: Final = 64


@attrs.frozen(kw_only=True)
class TagParams:
    fax_id: str
    tags: list[str]


@registry.method("fax.tag", params=TagParams, roles=FAX_ROLES, target=Target.NONE)
async def tag(ctx: RequestContext, p: TagParams) -> dict[str, Any]:
    """Add tags to a fax (in progress or finished); returns all its tags. A fax tagged
    ``important`` is kept whatever ``[fax] retention_days`` says."""
    for i, text in enumerate(p.tags):
        if not text or len(text) > MAX_TAG_CHARS:
            raise RpcError(rpc.INVALID_PARAMS, f"tags[{i}]: 1 to {MAX_TAG_CHARS} characters")
    service = _service(ctx)
    await service.wait_written()
    row = await _row(service, p.fax_id)
    mine = mailboxes_of(ctx)
    if mine is not None and row["mailbox"] not in mine:
        raise RpcError(rpc.FORBIDDEN, f"you may not see fax {p.fax_id}")
    if row["state"] == "deleted":
        raise RpcError(rpc.OPERATION_FAILED, f"fax {p.fax_id} was deleted", {"reason": "deleted"})
    tags = list(dict.fromkeys((*(row["tags"] or ()), *p.tags)))
    if len(tags) > MAX_TAGS:
        raise RpcError(rpc.INVALID_PARAMS, f"tags: a fax has {MAX_TAGS} tags at most")
    await service.set_tags(p.fax_id, tags)
    return {"faxID": p.fax_id, "tags": tags}


@attrs.frozen(kw_only=True)
class SearchParams:
    from_: str | None = None
    to: str | None = None
    direction: str | None = None
    number: str | None = None
    local_number: str | None = None
    state: str | None = None
    mailbox: str | None = None
    batch_id: str | None = None
    min_pages: int | None = None
    max_pages: int | None = None
    tags: list[str] = attrs.field(factory=list)
    email_status: str | None = None
    limit: int = 100


@registry.method("fax.search", params=SearchParams, roles=FAX_ROLES, target=Target.NONE)
async def search(ctx: RequestContext, p: SearchParams) -> dict[str, Any]:
    """Faxes by date range (``from``/``to``), direction, numbers, state, mailbox, batch,
    pages and tags; newest first, at most ``limit`` (1000 at most)."""
    if p.direction not in (None, "in", "out"):
        raise RpcError(rpc.INVALID_PARAMS, "direction: in or out")
    if p.email_status not in (None, "pending", "sent", "failed"):
        raise RpcError(rpc.INVALID_PARAMS, "emailStatus: pending, sent or failed")
    service = _service(ctx)
    await service.wait_written()
    query = store.FaxQuery(
        start=utc_time(p.from_, "from"),
        end=utc_time(p.to, "to"),
        direction=p.direction,
        number=p.number,
        local_number=p.local_number,
        state=p.state,
        mailbox=p.mailbox,
        batch_id=p.batch_id,
        min_pages=p.min_pages,
        max_pages=p.max_pages,
        tags=tuple(p.tags),
        email_status=p.email_status,
        limit=max(1, min(p.limit, 1000)),
        only_mailboxes=mailboxes_of(ctx),
    )
    rows = await service.records.read(store.search, query)
    return {"faxes": [store.to_wire(row) for row in rows]}


# ------------------------------------------------------------------ monitor


def mailboxes_of(ctx: RequestContext) -> frozenset[str] | None:
    """The mailboxes a user may see: None for all (admins, supervisors of every
    queue); a supervisor limited to queues sees the mailboxes named like them."""
    assert ctx.session is not None
    credential = ctx.session.credential
    if credential.role is Role.SUPERVISOR and credential.queues:
        return frozenset(credential.queues)
    return None


def fax_topic(ctx: RequestContext, value: str) -> str:
    """``MonitorStart {"faxObject": "*"}`` (every fax) or a mailbox name."""
    assert ctx.session is not None
    if not value:
        raise CstaError(CstaErrorValue.INVALID_OBJECT_TYPE, "faxObject: '*' or a mailbox")
    role = ctx.session.credential.role
    queue_topic = ctx.api.monitor_topics.get("queueObject")
    if role is Role.AGENT and queue_topic is not None and value != "*":
        # An agent may watch the mailbox of a queue it may watch (its team's faxes).
        queue_topic(ctx, value)
        return f"fax:{value}"
    mine = mailboxes_of(ctx)
    if role not in FAX_ROLES or (mine is not None and value not in mine):
        raise CstaError(
            CstaErrorValue.PRIVILEGE_VIOLATION_ON_SPECIFIED_DEVICE,
            f"{ctx.session.credential.name} may not monitor faxes of {value}",
        )
    return f"fax:{value}"


# --------------------------------------------------------------------- HTTP


def _credential(api: ApiContext, request: HttpRequest) -> Any:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return api.auth.check(token.strip()) if scheme.lower() == "bearer" else None


_UNAUTHORISED: Final = HttpResponse(
    status=401,
    body=b'{"error": "send Authorization: Bearer <token>"}',
    headers=(("www-authenticate", 'Bearer realm="ctid"'),),
)


def upload_route(api: ApiContext) -> HttpHandler:
    """``POST /fax/documents?name=...`` with a PDF or TIFF body."""

    async def upload(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse.json(405, {"error": "use POST"})
        credential = _credential(api, request)
        if credential is None:
            return _UNAUTHORISED
        if credential.role not in FAX_ROLES:
            return HttpResponse.json(403, {"error": "you may not upload fax documents"})
        service = api.services.get("fax")
        if not isinstance(service, FaxService) or request.read_body is None:
            return HttpResponse.json(404, {"error": "fax is not available"})
        names = urllib.parse.parse_qs(request.query).get("name")
        name = names[0] if names else None
        if name is not None and (not name or len(name) > 128):
            return HttpResponse.json(400, {"error": "name: 1 to 128 characters"})
        try:
            data = await request.read_body(service.settings.max_upload_bytes)
        except ValueError as exc:
            return HttpResponse.json(413, {"error": str(exc)})
        if not data:
            return HttpResponse.json(400, {"error": "send the document as the request body"})
        try:
            row = await service.upload(data, name=name, user=credential.name)
        except FaxError as exc:
            status = 409 if exc.reason == "name-taken" else 400
            return HttpResponse.json(status, {"error": exc.message, "reason": exc.reason})
        return HttpResponse(status=201, body=json.dumps(store.document_to_wire(row)).encode())

    return upload


def download_route(api: ApiContext) -> HttpHandler:
    """``GET /fax/download?id=<faxID>|document=<id or name>&format=tiff|pdf``."""

    async def download(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponse.json(405, {"error": "use GET"})
        credential = _credential(api, request)
        if credential is None:
            return _UNAUTHORISED
        if credential.role not in FAX_ROLES:
            return HttpResponse.json(403, {"error": "you may not fetch faxes"})
        service = api.services.get("fax")
        if not isinstance(service, FaxService):
            return HttpResponse.json(404, {"error": "fax is not available"})
        query = urllib.parse.parse_qs(request.query)
        fmt = (query.get("format") or ["tiff"])[0]
        if fmt not in ("tiff", "pdf"):
            return HttpResponse.json(400, {"error": "format: tiff or pdf"})
        fax_id = (query.get("id") or [""])[0]
        document = (query.get("document") or [""])[0]
        relative = None
        name = fax_id or document
        if fax_id:
            await service.wait_written()
            row = await service.records.read(store.get_fax, fax_id)
            if row is not None and row["state"] != "deleted":
                relative = row["path"]
        elif document:
            row = await service.records.read(store.get_document, document)
            if row is not None:
                relative, name = row["path"], row["document_id"]
        if relative is None:
            return HttpResponse.json(404, {"error": f"no fax image {name!r} to download"})
        try:
            path = files.resolve(service.directory, relative)
            data = await service.blocking(path.read_bytes)
            if fmt == "pdf":
                data = await service.blocking(faximage.tiff_to_pdf, data)
        except (OSError, ValueError):
            return HttpResponse.json(404, {"error": f"the file of {name} is missing"})
        return HttpResponse(
            status=200,
            body=data,
            content_type="application/pdf" if fmt == "pdf" else "image/tiff",
            headers=(("content-disposition", f'attachment; filename="{name}.{fmt[:4]}"'),),
        )

    return download
