"""``recording.*``: record calls on demand, pause for card numbers, find and fetch recordings.

Who may do what: admins any call; supervisors the calls of the queues they
supervise (all queues if their credential lists none); agents the calls at
their own devices. The same rule decides which recordings a user finds with
``recording.search`` and may download from ``GET /recordings/download?id=...``
(with ``Authorization: Bearer <token>``) on the API port.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO, Final

import attrs
import trio

from ... import facts as f
from ...recording import files
from ...recording.search import RecordingQuery, search
from ...recording.service import ActiveRecording, RecordingError, RecordingService
from ...records.lookup import recording_row
from ...records.service import RecordsService
from ...records.wire import recording_to_wire
from .. import policy as on
from .. import rpc
from ..auth import Credential, Role
from ..context import ApiContext, RequestContext
from ..policy import Target
from ..registry import ALL_ROLES
from ..rpc import RpcError
from ..server import HttpHandler, HttpRequest, HttpResponse
from .base import registry
from .params import utc_time

__all__ = ["DownloadFinder", "Downloadable", "download_route", "may_control"]

#: Seconds recording.tag waits for pending records to reach the database.
TAG_WAIT: Final = 2.0
#: Bytes of a recording read and sent at a time by a download.
DOWNLOAD_CHUNK: Final = 64 * 1024


def may_control(
    credential: Credential,
    *,
    call_devices: Iterable[str],
    own_devices: Iterable[str],
    queue: str | None,
    agent_id: str | None,
) -> bool:
    """Whether a user may record a call, or see and fetch its recording."""
    if credential.role is Role.ADMIN:
        return True
    if credential.role is Role.SUPERVISOR:
        return not credential.queues or (queue is not None and queue in credential.queues)
    if agent_id is not None and credential.agent_id == agent_id:
        return True
    return bool(set(call_devices) & set(own_devices))


def _service(ctx: RequestContext) -> RecordingService:
    service = ctx.api.services.get("recording")
    if not isinstance(service, RecordingService):
        raise RpcError(rpc.METHOD_NOT_FOUND, "recording is not available")
    return service


def _records(ctx: RequestContext) -> RecordsService:
    service = ctx.api.services.get("records")
    if not isinstance(service, RecordsService):
        raise RpcError(rpc.METHOD_NOT_FOUND, "recordings are searched in the call records: off")
    return service


def _fail(exc: RecordingError) -> RpcError:
    return RpcError(rpc.OPERATION_FAILED, exc.message, {"reason": exc.reason})


def _forbidden(what: str) -> RpcError:
    return RpcError(rpc.FORBIDDEN, f"you may not {what}")


def _wire(rec: ActiveRecording) -> dict[str, Any]:
    return {
        "recordingID": rec.recording_id,
        "callID": rec.call_id,
        "state": rec.state,
        "startedBy": rec.started_by,
        "tags": list(rec.tags),
    }


def _check_call(ctx: RequestContext, call_id: str) -> None:
    assert ctx.session is not None
    call = ctx.api.calls.model.calls.get(call_id)
    if call is None:
        raise RpcError(rpc.OPERATION_FAILED, f"no call {call_id!r}", {"reason": "no-such-call"})
    queue = call.facts.get(f.FACT_QUEUE)
    agent = call.facts.get(f.FACT_AGENT)
    if not may_control(
        ctx.session.credential,
        call_devices=call.connections,
        own_devices=ctx.own_devices(),
        queue=str(queue) if queue is not None else None,
        agent_id=str(agent) if agent is not None else None,
    ):
        raise _forbidden(f"record call {call_id}")


def _check_active(ctx: RequestContext, rec: ActiveRecording) -> None:
    assert ctx.session is not None
    if not may_control(
        ctx.session.credential,
        call_devices=rec.devices,
        own_devices=ctx.own_devices(),
        queue=rec.queue,
        agent_id=rec.agent_id,
    ):
        raise _forbidden(f"control recording {rec.recording_id}")


@attrs.frozen(kw_only=True)
class StartParams:
    call_id: str
    tags: list[str] = attrs.field(factory=list)


@registry.method(
    "recording.start",
    params=StartParams,
    roles=ALL_ROLES,
    target=Target.CALL,
    objects=on.call("callID"),
    refuse_as_forbidden=True,
)
async def start(ctx: RequestContext, p: StartParams) -> dict[str, Any]:
    """Record a call (everyone in it) from now until it ends or ``recording.stop``.

    Returns the ``recordingID``; ``RecordingStartedEvent`` follows on the call.
    """
    assert ctx.session is not None
    service = _service(ctx)
    _check_call(ctx, p.call_id)
    try:
        rec = await service.start(
            p.call_id, started_by=ctx.session.credential.name, tags=tuple(p.tags)
        )
    except RecordingError as exc:
        raise _fail(exc) from None
    return _wire(rec)


@attrs.frozen(kw_only=True)
class RecordingParams:
    recording_id: str


async def _control(ctx: RequestContext, recording_id: str, action: str) -> dict[str, Any]:
    service = _service(ctx)
    rec = service.active.get(recording_id)
    if rec is None:
        raise RpcError(
            rpc.OPERATION_FAILED,
            f"no recording {recording_id!r} in progress",
            {"reason": "no-such-recording"},
        )
    _check_active(ctx, rec)
    try:
        if action == "pause":
            rec = await service.pause(recording_id)
        elif action == "resume":
            rec = await service.resume(recording_id)
        else:
            rec = await service.stop(recording_id)
    except RecordingError as exc:
        raise _fail(exc) from None
    return _wire(rec)


@registry.method(
    "recording.pause",
    params=RecordingParams,
    roles=ALL_ROLES,
    target=Target.RECORDING,
    objects=on.recording("recordingID"),
    refuse_as_forbidden=True,
)
async def pause(ctx: RequestContext, p: RecordingParams) -> dict[str, Any]:
    """Record silence from now on (while a card number is given), until ``recording.resume``."""
    return await _control(ctx, p.recording_id, "pause")


@registry.method(
    "recording.resume",
    params=RecordingParams,
    roles=ALL_ROLES,
    target=Target.RECORDING,
    objects=on.recording("recordingID"),
    refuse_as_forbidden=True,
)
async def resume(ctx: RequestContext, p: RecordingParams) -> dict[str, Any]:
    """Record the call's audio again after ``recording.pause``."""
    return await _control(ctx, p.recording_id, "resume")


@registry.method(
    "recording.stop",
    params=RecordingParams,
    roles=ALL_ROLES,
    target=Target.RECORDING,
    objects=on.recording("recordingID"),
    refuse_as_forbidden=True,
)
async def stop(ctx: RequestContext, p: RecordingParams) -> dict[str, Any]:
    """Stop recording; ``RecordingStoppedEvent`` follows when the file is complete."""
    return await _control(ctx, p.recording_id, "stop")


@attrs.frozen(kw_only=True)
class TagParams:
    recording_id: str
    tags: list[str]


@registry.method(
    "recording.tag",
    params=TagParams,
    roles=ALL_ROLES,
    target=Target.RECORDING,
    objects=on.recording("recordingID"),
    refuse_as_forbidden=True,
)
async def tag(ctx: RequestContext, p: TagParams) -> dict[str, Any]:
    """Add tags to a recording (in progress or finished); returns all its tags."""
    service = _service(ctx)
    rec = service.active.get(p.recording_id)
    if rec is not None:
        _check_active(ctx, rec)
        tags = tuple(dict.fromkeys((*rec.tags, *p.tags)))
        service.set_tags(rec, tags)
        return {"recordingID": p.recording_id, "tags": list(tags)}
    records = _records(ctx)
    # A recording that just finished may still be on its way to the database;
    # a database that is down must not hang this session, so wait only a little.
    with trio.move_on_after(TAG_WAIT):
        await records.wait_committed()
    row = await _row_for(ctx, records, p.recording_id)
    tags = tuple(dict.fromkeys((*(row["tags"] or ()), *p.tags)))
    from ...records.ops import RecordingTags

    records.submit(RecordingTags(recording_id=p.recording_id, tags=tags))
    return {"recordingID": p.recording_id, "tags": list(tags)}


async def _row_for(ctx: RequestContext, records: RecordsService, recording_id: str) -> Any:
    assert ctx.session is not None
    row = await records.read(recording_row, recording_id)
    if row is None:
        raise RpcError(
            rpc.OPERATION_FAILED, f"no recording {recording_id!r}", {"reason": "no-such-recording"}
        )
    _check_row(ctx, row, recording_id)
    return row


def _check_row(ctx: RequestContext, row: Any, recording_id: str) -> None:
    assert ctx.session is not None
    if not may_control(
        ctx.session.credential,
        call_devices=row["devices"],
        own_devices=ctx.own_devices(),
        queue=row["queue"],
        agent_id=row["agent_id"],
    ):
        raise _forbidden(f"see recording {recording_id}")


@registry.method(
    "recording.get",
    params=RecordingParams,
    roles=ALL_ROLES,
    target=Target.RECORDING,
    objects=on.recording("recordingID"),
    refuse_as_forbidden=True,
)
async def get_recording(ctx: RequestContext, p: RecordingParams) -> dict[str, Any]:
    """One recording's metadata, with its download path."""
    return recording_to_wire(await _row_for(ctx, _records(ctx), p.recording_id))


#: Who may protect or delete recordings: supervisors (their queues' calls) and admins.
MANAGERS: Final = frozenset({Role.ADMIN, Role.SUPERVISOR})


@attrs.frozen(kw_only=True)
class ImportantParams:
    id: str
    important: bool


@registry.method(
    "recording.setImportant",
    params=ImportantParams,
    roles=MANAGERS,
    target=Target.RECORDING,
    objects=on.recording("id"),
    refuse_as_forbidden=True,
)
async def set_important(ctx: RequestContext, p: ImportantParams) -> dict[str, Any]:
    """Keep a recording whatever the retention rules say (or no longer)."""
    service = _service(ctx)
    rec = service.active.get(p.id)
    if rec is not None:
        _check_active(ctx, rec)
        service.set_important(rec, p.important)
        return {"recordingID": p.id, "important": p.important}
    records = _records(ctx)
    with trio.move_on_after(TAG_WAIT):
        await records.wait_committed()
    row = await _row_for(ctx, records, p.id)
    if row["state"] == "deleted":
        raise RpcError(rpc.OPERATION_FAILED, f"recording {p.id} was deleted", {"reason": "deleted"})
    from ...records.ops import RecordingImportant

    records.submit(RecordingImportant(recording_id=p.id, important=p.important))
    return {"recordingID": p.id, "important": p.important}


@attrs.frozen(kw_only=True)
class DeleteParams:
    id: str


@registry.method(
    "recording.delete",
    params=DeleteParams,
    roles=MANAGERS,
    target=Target.RECORDING,
    objects=on.recording("id"),
    refuse_as_forbidden=True,
)
async def delete_recording(ctx: RequestContext, p: DeleteParams) -> dict[str, Any]:
    """Delete a finished recording's audio (the metadata stays, state ``deleted``)."""
    assert ctx.session is not None
    service = _service(ctx)
    if p.id in service.active:
        raise RpcError(
            rpc.OPERATION_FAILED,
            f"recording {p.id} is in progress: stop it first",
            {"reason": "in-progress"},
        )
    records = _records(ctx)
    with trio.move_on_after(TAG_WAIT):
        await records.wait_committed()
    row = await _row_for(ctx, records, p.id)
    if row["state"] == "deleted":
        raise RpcError(
            rpc.OPERATION_FAILED, f"recording {p.id} was already deleted", {"reason": "deleted"}
        )
    if row["important"]:
        raise RpcError(
            rpc.OPERATION_FAILED,
            f"recording {p.id} is important: recording.setImportant false first",
            {"reason": "important"},
        )
    credential = ctx.session.credential
    try:
        await service.delete(row, by=f"{credential.name} ({credential.role.value})")
    except RecordingError as exc:
        raise _fail(exc) from None
    # Answer once the database says so: a recording.get right after sees "deleted".
    with trio.move_on_after(TAG_WAIT):
        await records.wait_committed()
    return {"recordingID": p.id, "state": "deleted"}


@attrs.frozen(kw_only=True)
class SearchParams:
    #: ISO 8601 times: recordings started from ``from`` (inclusive) to ``to`` (exclusive).
    from_: str | None = None
    to: str | None = None
    agent_id: str | None = None
    caller: str | None = None
    called: str | None = None
    queue: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    tags: list[str] = attrs.field(factory=list)
    limit: int = 100


@registry.method("recording.search", params=SearchParams, roles=ALL_ROLES, target=Target.NONE)
async def search_recordings(ctx: RequestContext, p: SearchParams) -> dict[str, Any]:
    """Recordings by date range, agent, caller, called number, queue, duration and tags.

    Newest first, at most ``limit`` (1000 at most). Supervisors find only
    their queues' recordings, agents only their own.
    """
    assert ctx.session is not None
    records = _records(ctx)
    credential = ctx.session.credential
    only_queues = None
    only_agent = None
    only_devices = None
    if credential.role is Role.SUPERVISOR and credential.queues:
        only_queues = frozenset(credential.queues)
    elif credential.role is Role.AGENT:
        only_agent = credential.agent_id or ""
        only_devices = frozenset(ctx.own_devices())
    query = RecordingQuery(
        start=utc_time(p.from_, "from"),
        end=utc_time(p.to, "to"),
        agent_id=p.agent_id,
        caller=p.caller,
        called=p.called,
        queue=p.queue,
        min_duration=p.min_duration,
        max_duration=p.max_duration,
        tags=tuple(p.tags),
        limit=max(1, min(p.limit, 1000)),
        only_queues=only_queues,
        only_agent=only_agent,
        only_devices=only_devices,
    )
    rows = await records.read(search, query)
    return {"recordings": [recording_to_wire(row) for row in rows]}


# ------------------------------------------------------------ HTTP download


def _open_binary(path: Path) -> BinaryIO:
    return path.open("rb")


@attrs.frozen
class Downloadable:
    """Audio another service (voicemail) serves through the recordings' route.

    ``path`` None: gone (deleted, or outside its directory); ``allowed``: the
    credential may fetch it."""

    path: Path | None
    name: str
    allowed: bool


#: Finds audio of another kind by id: None if it is not of that kind.
DownloadFinder = Callable[[Credential, str], Awaitable[Downloadable | None]]


def download_route(api: ApiContext) -> HttpHandler:
    """``GET /recordings/download?id=<recordingID>`` with ``Authorization: Bearer <token>``.

    Ids that are not recordings are offered to ``api.services["downloads"]`` (voicemail
    messages), which say whether the credential may have them."""

    async def download(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponse.json(405, {"error": "use GET"})
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        credential = api.auth.check(token.strip()) if scheme.lower() == "bearer" else None
        if credential is None:
            return HttpResponse(
                status=401,
                body=b'{"error": "send Authorization: Bearer <token>"}',
                headers=(("www-authenticate", 'Bearer realm="ctid"'),),
            )
        recording_id = (urllib.parse.parse_qs(request.query).get("id") or [""])[0]
        records = api.services.get("records")
        service = api.services.get("recording")
        if not isinstance(records, RecordsService) or not isinstance(service, RecordingService):
            return HttpResponse.json(404, {"error": "recordings are not kept"})
        row = await records.read(recording_row, recording_id)
        if row is None:
            finders: list[DownloadFinder] = api.services.get("downloads", [])
            for find in finders:
                other = await find(credential, recording_id)
                if other is None:
                    continue
                if not other.allowed:
                    return HttpResponse.json(403, {"error": "not yours to download"})
                if other.path is None:
                    break
                return await _stream(request, service, other.path, other.name, "audio/wav")
        if row is None or row["state"] in ("deleted", "recording", "paused", "failed"):
            return HttpResponse.json(404, {"error": f"no recording {recording_id!r} to download"})
        own = set(credential.devices)
        if not may_control(
            credential,
            call_devices=row["devices"],
            own_devices=own,
            queue=row["queue"],
            agent_id=row["agent_id"],
        ):
            return HttpResponse.json(403, {"error": "not your recording"})
        try:
            path = files.resolve(service.directory, row["path"])
        except ValueError:
            return HttpResponse.json(404, {"error": f"the file of {recording_id} is missing"})
        content_type = "audio/wav" if row["format"] == "wav" else "application/octet-stream"
        return await _stream(
            request, service, path, f"{recording_id}.{row['format']}", content_type
        )

    return download


async def _stream(
    request: HttpRequest, service: RecordingService, path: Path, filename: str, content_type: str
) -> HttpResponse:
    """A file as a download, one chunk in memory at a time."""
    try:
        size = (await service.blocking(path.stat)).st_size
    except OSError:
        return HttpResponse.json(404, {"error": f"the file of {filename} is missing"})

    async def chunks() -> AsyncIterator[bytes]:
        # The file is read up to the length announced.
        left = size
        with await service.blocking(_open_binary, path) as file:
            while left > 0:
                chunk = await service.blocking(file.read, min(DOWNLOAD_CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    return HttpResponse(
        status=200,
        length=size,
        chunks=chunks if request.method == "GET" else None,
        content_type=content_type,
        headers=(("content-disposition", f'attachment; filename="{filename}"'),),
    )


@registry.object_check(Target.RECORDING)
async def check_recording(ctx: RequestContext, recording_id: str) -> None:
    """A recording: of a call the caller may record (``may_control``), in progress or kept.

    One not found (or not yet in the call records) is left to the handler.
    """
    service = ctx.api.services.get("recording")
    rec = service.active.get(recording_id) if isinstance(service, RecordingService) else None
    if rec is not None:
        _check_active(ctx, rec)
        return
    records = ctx.api.services.get("records")
    if isinstance(records, RecordsService):
        row = await records.read(recording_row, recording_id)
        if row is not None:
            _check_row(ctx, row, recording_id)
