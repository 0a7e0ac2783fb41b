"""What the records service asks the database to do: writes as frozen values.

Each op travels through the spool as one JSON object (``encode``/``decode``)
and is applied by ``bulk.apply`` (a batch at a time; ``store.apply_one`` one
op). Every op is idempotent, because after a crash the spool is replayed from
its start and the database may already have some of it: inserts of rows with
ids ctid chose are "insert unless present", updates set values rather than add
to them.

Times are seconds since the Unix epoch (wall clock), as the records service
converts trio times with the daemon's ``WallClock``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs

__all__ = [
    "AgentStateOp",
    "CallAdopt",
    "CallClose",
    "CallOpen",
    "CloseInterrupted",
    "Heartbeat",
    "IvrRunOp",
    "IvrVisitOp",
    "LegRecord",
    "Op",
    "QueueWaitOp",
    "RecordingDeleted",
    "RecordingImportant",
    "RecordingOp",
    "RecordingTags",
    "VoicemailDeleted",
    "VoicemailHeard",
    "VoicemailOp",
    "decode",
    "encode",
]


class Op:
    """Base of database writes."""

    __slots__ = ()
    kind: ClassVar[str]


@attrs.frozen(kw_only=True)
class CallOpen(Op):
    """A call started (so a daemon that dies with it open can close it later)."""

    kind: ClassVar[str] = "callOpen"
    call_id: str
    node: str
    run_id: str
    direction: str
    caller: str
    called: str
    dnis: str | None
    trunk: str | None
    started_at: float


@attrs.frozen(kw_only=True)
class LegRecord:
    """One party's stint in a call."""

    device: str
    kind: str
    trunk: str | None
    joined_at: float
    answered_at: float | None
    ended_at: float
    hold_seconds: float
    end_cause: str
    failed: bool


@attrs.frozen(kw_only=True)
class CallClose(Op):
    """The call detail record of a call that ended."""

    kind: ClassVar[str] = "callClose"
    call_id: str
    node: str
    run_id: str
    direction: str
    caller: str
    called: str
    dnis: str | None
    trunk: str | None
    queue: str | None
    queue_outcome: str | None
    agent_id: str | None
    agent_device: str | None
    answered_by: str | None
    ivr_flow: str | None
    ivr_exit: str | None
    started_at: float
    answered_at: float | None
    ivr_entered_at: float | None
    ivr_left_at: float | None
    queue_entered_at: float | None
    queue_left_at: float | None
    ended_at: float
    wait_seconds: float | None
    hold_seconds: float
    talk_seconds: float
    disposition: str
    end_cause: str
    merged_into: str | None
    recording_ids: tuple[str, ...]
    correlator_data: str | None
    user_data: Mapping[str, Any]
    facts: Mapping[str, Any]
    legs: tuple[LegRecord, ...]


@attrs.frozen(kw_only=True)
class AgentStateOp(Op):
    """An agent entered ``state``; the row ``previous_id`` (if any) ends now."""

    kind: ClassVar[str] = "agentState"
    id: str
    node: str
    run_id: str
    agent_id: str
    device: str | None
    state: str
    previous_state: str
    reason_code: str | None
    call_id: str | None
    queues: tuple[str, ...]
    started_at: float
    previous_id: str | None = None
    previous_started_at: float | None = None


@attrs.frozen(kw_only=True)
class IvrVisitOp(Op):
    kind: ClassVar[str] = "ivrVisit"
    id: str
    call_id: str
    flow: str
    version: str
    node: str
    node_type: str
    choice: str | None
    at: float


@attrs.frozen(kw_only=True)
class IvrRunOp(Op):
    kind: ClassVar[str] = "ivrRun"
    id: str
    call_id: str
    flow: str
    version: str
    entered_at: float
    left_at: float
    exit: str
    detail: str


@attrs.frozen(kw_only=True)
class QueueWaitOp(Op):
    kind: ClassVar[str] = "queueWait"
    id: str
    call_id: str
    queue: str
    seconds: float
    outcome: str
    at: float


@attrs.frozen(kw_only=True)
class RecordingOp(Op):
    """A recording's metadata as it stands now (written whole each time it changes)."""

    kind: ClassVar[str] = "recording"
    recording_id: str
    call_id: str | None
    node: str
    run_id: str
    path: str
    format: str
    state: str
    started_at: float
    ended_at: float | None
    duration: float | None
    paused_seconds: float
    size_bytes: int | None
    sha256: str | None
    started_by: str
    caller: str | None
    called: str | None
    queue: str | None
    agent_id: str | None
    tags: tuple[str, ...]
    detail: str
    #: Spool files written before this field existed decode as not important.
    important: bool = False


@attrs.frozen(kw_only=True)
class RecordingDeleted(Op):
    """Retention (or ``recording.delete``) removed a recording's file."""

    kind: ClassVar[str] = "recordingDeleted"
    recording_id: str
    at: float


@attrs.frozen(kw_only=True)
class RecordingImportant(Op):
    """A recording is (or is no longer) kept whatever retention says."""

    kind: ClassVar[str] = "recordingImportant"
    recording_id: str
    important: bool


@attrs.frozen(kw_only=True)
class VoicemailOp(Op):
    """A voicemail message was left (its file is complete)."""

    kind: ClassVar[str] = "voicemail"
    message_id: str
    mailbox: str
    call_id: str | None
    caller: str | None
    called: str | None
    received_at: float
    duration: float | None
    path: str
    size_bytes: int | None
    user_data: dict[str, Any]


@attrs.frozen(kw_only=True)
class VoicemailHeard(Op):
    """Someone listened to a message (or marked it heard)."""

    kind: ClassVar[str] = "voicemailHeard"
    message_id: str
    at: float
    by: str


@attrs.frozen(kw_only=True)
class VoicemailDeleted(Op):
    """A message's audio was deleted (by a user or by retention); its row stays."""

    kind: ClassVar[str] = "voicemailDeleted"
    message_id: str
    at: float


@attrs.frozen(kw_only=True)
class RecordingTags(Op):
    """A recording's tags are now ``tags`` (set, not added: replaying is harmless)."""

    kind: ClassVar[str] = "recordingTags"
    recording_id: str
    tags: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Heartbeat(Op):
    """The daemon is alive (bounds how long its open calls lasted if it dies)."""

    kind: ClassVar[str] = "heartbeat"
    node: str
    run_id: str
    at: float


@attrs.frozen(kw_only=True)
class CloseInterrupted(Op):
    """At start-up: close what earlier runs of ``node`` left open (they died).

    ``every_node``: what earlier runs of any node left open (a hot-standby cluster,
    where this node took over: the lease says every other node has stopped).
    """

    kind: ClassVar[str] = "closeInterrupted"
    node: str
    run_id: str
    at: float
    every_node: bool = False


@attrs.frozen(kw_only=True)
class CallAdopt(Op):
    """At start-up, before ``CloseInterrupted``: a call an earlier run left open goes on
    (live state kept it), so this run owns its row; ``replaces`` is the row this run
    opened for the same call under a new id before it knew, removed."""

    kind: ClassVar[str] = "callAdopt"
    call_id: str
    node: str
    run_id: str
    replaces: str | None = None


@attrs.frozen(kw_only=True)
class AgentStateAdopt(Op):
    """At start-up, before ``CloseInterrupted``: an agent's state row an earlier run
    (of this node, or of a dead node this one took over from) left open goes on in
    this run, which ends it at the agent's next change."""

    kind: ClassVar[str] = "agentStateAdopt"
    id: str
    node: str
    run_id: str


_KINDS: dict[str, type[Op]] = {
    cls.kind: cls
    for cls in (
        CallOpen,
        CallClose,
        AgentStateOp,
        IvrVisitOp,
        IvrRunOp,
        QueueWaitOp,
        RecordingOp,
        RecordingDeleted,
        RecordingImportant,
        VoicemailOp,
        VoicemailHeard,
        VoicemailDeleted,
        RecordingTags,
        Heartbeat,
        CloseInterrupted,
        CallAdopt,
        AgentStateAdopt,
    )
}


#: Each kind's fields in the order ``attrs`` defines them (and ``attrs.asdict`` lists them).
_FIELDS: dict[type[Op], tuple[str, ...]] = {
    cls: tuple(field.name for field in attrs.fields(cls))  # type: ignore[arg-type]
    for cls in _KINDS.values()
}


def encode(op: Op) -> bytes:
    """``op`` as the spool keeps it: a JSON object of its fields and ``"op": kind``.

    The bytes are those of ``json.dumps(attrs.asdict(op) | {"op": kind})`` (what the
    spool always held, so old and new spools read alike), without ``asdict``'s copy
    of every value: JSON writes tuples as lists, and the values ``asdict`` would have
    turned into dicts or lists (attrs classes such as ``LegRecord``, sets) are turned
    into the same by ``_json_default`` as the encoder meets them.
    """
    data = {name: getattr(op, name) for name in _FIELDS[type(op)]}
    data["op"] = op.kind
    return _ENCODER.encode(data).encode()


def _json_default(value: Any) -> Any:
    if attrs.has(type(value)):
        return {field.name: getattr(value, field.name) for field in attrs.fields(type(value))}
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in a record")


_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), default=_json_default)


def decode(payload: bytes) -> Op:
    data = json.loads(payload)
    kind = data.pop("op")
    cls = _KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown record kind {kind!r}")
    if cls is CallClose:
        data["legs"] = tuple(LegRecord(**leg) for leg in data["legs"])
        data["recording_ids"] = tuple(data["recording_ids"])
    elif cls is AgentStateOp:
        data["queues"] = tuple(data["queues"])
    elif cls is RecordingOp or cls is RecordingTags:
        data["tags"] = tuple(data["tags"])
    return cls(**data)
