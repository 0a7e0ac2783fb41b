"""The spool's encoding of ops: the very bytes the old encoder wrote.

``ops.encode`` used to build ``attrs.asdict(op)`` (a copy of every value) and dump
it; it now dumps the fields as they are. The spools of two real days written by the
old code (``kept_spool.py``) must come out byte for byte, and so must ops with every
kind of value a record's free-form fields (facts, user data) may hold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from ctid.records import ops as o
from ctid.records.journal import Journal, Position

from . import kept_spool
from .test_writer import agent_state, call_close


def old_encode(op: o.Op) -> bytes:
    """``ops.encode`` as main at 51faefd had it."""

    def default(value: Any) -> Any:
        if isinstance(value, tuple | set | frozenset):
            return list(value)
        raise TypeError(f"cannot store {type(value).__name__} in a record")

    data = attrs.asdict(op, recurse=True)  # type: ignore[arg-type]
    data["op"] = op.kind
    return json.dumps(data, separators=(",", ":"), default=default).encode()


@pytest.mark.parametrize("day", kept_spool.DAYS)
def test_every_op_of_an_old_spool_encodes_to_its_old_bytes(day: str, tmp_path: Path) -> None:
    kept_spool.unpack_spool(day, tmp_path)
    journal = Journal(tmp_path, fsync=False)
    found = journal.open()
    payloads, _ = journal.read(Position(1, 0), found.end, 1_000_000)
    journal.close()
    assert len(payloads) > 60
    for payload in payloads:
        assert o.encode(o.decode(payload)) == payload


def _every_kind() -> list[o.Op]:
    t0 = 1_800_000_000.25
    odd_facts = {
        "tuple": (1, 2.5, "x"),
        "set": {"only"},
        "frozen": frozenset({7}),
        "nested": {"a": [{"b": (None, True)}], "é": "ünïcödé \u2028"},
        "leg": o.LegRecord(
            device="1001",
            kind="extension",
            trunk=None,
            joined_at=t0,
            answered_at=None,
            ended_at=t0 + 1,
            hold_seconds=0.0,
            end_cause="normalClearing",
            failed=True,
        ),
        "float": 0.1 + 0.2,
        "big": 2**70,
    }
    return [
        call_close("c1"),
        call_close("c2", facts=odd_facts, user_data={"k": ("v",), "n": None}, legs=()),
        agent_state("s1", "ready", t0),
        agent_state("s2", "busy", t0 + 1, ("s1", t0), call="c1"),
        o.CallOpen(
            call_id="c1",
            node="n",
            run_id="r",
            direction="inbound",
            caller="1",
            called="2",
            dnis=None,
            trunk="T/1",
            started_at=t0,
        ),
        o.IvrVisitOp(
            id="v",
            call_id="c1",
            flow="f",
            version="1",
            node="m",
            node_type="menu",
            choice=None,
            at=t0,
        ),
        o.IvrRunOp(
            id="i",
            call_id="c1",
            flow="f",
            version="1",
            entered_at=t0,
            left_at=t0 + 2,
            exit="hangup",
            detail="",
        ),
        o.QueueWaitOp(id="q", call_id="c1", queue="s", seconds=1.5, outcome="answered", at=t0),
        o.RecordingOp(
            recording_id="rec",
            call_id="c1",
            node="n",
            run_id="r",
            path="/x.wav",
            format="wav",
            state="done",
            started_at=t0,
            ended_at=None,
            duration=None,
            paused_seconds=0.0,
            size_bytes=None,
            sha256=None,
            started_by="api",
            caller=None,
            called=None,
            queue=None,
            agent_id=None,
            tags=("a", "b"),
            detail="",
            important=True,
        ),
        o.RecordingDeleted(recording_id="rec", at=t0),
        o.RecordingImportant(recording_id="rec", important=False),
        o.RecordingTags(recording_id="rec", tags=()),
        o.VoicemailOp(
            message_id="m",
            mailbox="100",
            call_id=None,
            caller="1",
            called=None,
            received_at=t0,
            duration=3.0,
            path="/m.wav",
            size_bytes=10,
            user_data={"x": {"y": (1,)}},
        ),
        o.VoicemailHeard(message_id="m", at=t0, by="a"),
        o.VoicemailDeleted(message_id="m", at=t0),
        o.Heartbeat(node="n", run_id="r", at=t0),
        o.CloseInterrupted(node="n", run_id="r", at=t0, every_node=True),
        o.CallAdopt(call_id="c1", node="n", run_id="r", replaces=None),
        o.AgentStateAdopt(id="s1", node="n", run_id="r"),
    ]


def test_every_kind_encodes_to_the_old_bytes() -> None:
    ops = _every_kind()
    assert {op.kind for op in ops} == {cls.kind for cls in o._KINDS.values()}
    for op in ops:
        assert o.encode(op) == old_encode(op), op.kind


def test_a_value_no_record_can_hold_is_refused_as_before() -> None:
    op = call_close("c1", facts={"what": object()})
    with pytest.raises(TypeError, match="cannot store object in a record"):
        old_encode(op)
    with pytest.raises(TypeError, match="cannot store object in a record"):
        o.encode(op)
