"""Managing recordings: ``recording.setImportant`` (kept whatever retention says) and
``recording.delete`` (supervisors for their queues, admins; an audit line and a
``RecordingDeletedEvent``), on real calls recorded by the simulator."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import trio

from ctid import facts as f
from ctid.records.schema import recordings
from ctid.testing import RpcErrorReply

from .test_recording import (
    AGENT_TOKEN,
    SUPERVISOR_TOKEN,
    answered_call,
    centre,
    finished,
    hang_up,
    http,
    rows,
    services,
)

DAY = 86400.0


def states(cc: object) -> dict[str, tuple[str, bool]]:
    return {r.recording_id: (r.state, r.important) for r in rows(cc, recordings)}  # type: ignore[arg-type]


@pytest.mark.slow
async def test_important_recordings_outlive_retention(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, record="all", retention_days=1, retention_interval=600) as (
        cc,
        admin,
    ):
        recording, _ = services(cc)
        first = await answered_call(cc, admin, "5550001", "1001", {f.FACT_QUEUE: "sales"})
        second = await answered_call(cc, admin, "5550002", "1002")
        third = await answered_call(cc, admin, "5550003", "1003")
        await trio.sleep(10)
        by_call = {rec.call_id: rid for rid, rec in recording.active.items()}
        rec1, rec2, rec3 = by_call[first], by_call[second], by_call[third]
        # One marked while it is recorded: the mark is written with the finished row.
        assert await admin.call("recording.setImportant", {"id": rec2, "important": True}) == {
            "recordingID": rec2,
            "important": True,
        }
        for caller in ("5550001", "5550002", "5550003"):
            await hang_up(cc, admin, caller)
        await finished(cc)
        # And one marked once it is in the database.
        reply = await admin.call("recording.setImportant", {"id": rec1, "important": True})
        assert reply == {"recordingID": rec1, "important": True}
        await finished(cc)
        assert states(cc) == {rec1: ("done", True), rec2: ("done", True), rec3: ("done", False)}
        got = await admin.call("recording.get", {"recordingID": rec1})
        assert got["important"] is True

        await trio.sleep(DAY + 700)
        await finished(cc)
        assert states(cc) == {rec1: ("done", True), rec2: ("done", True), rec3: ("deleted", False)}
        paths = {r.recording_id: recording.directory / r.path for r in rows(cc, recordings)}
        assert paths[rec1].exists() and paths[rec2].exists() and not paths[rec3].exists()

        # No longer important: the next sweep takes it.
        await admin.call("recording.setImportant", {"id": rec1, "important": False})
        await trio.sleep(700)
        await finished(cc)
        assert states(cc) == {
            rec1: ("deleted", False),
            rec2: ("done", True),
            rec3: ("deleted", False),
        }
        assert not paths[rec1].exists() and paths[rec2].exists()
        with pytest.raises(RpcErrorReply) as gone:
            await admin.call("recording.setImportant", {"id": rec1, "important": True})
        assert (gone.value.code, gone.value.data) == (-32006, {"reason": "deleted"})


async def test_delete_by_a_supervisor_with_audit_and_event(
    tmp_path: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async with centre(tmp_path, record="all") as (cc, admin):
        recording, _ = services(cc)
        sue = await cc.client(token=SUPERVISOR_TOKEN)
        ann = await cc.client(token=AGENT_TOKEN)
        await ann.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        sales = await answered_call(cc, admin, "5550001", "1001", {f.FACT_QUEUE: "sales"})
        other = await answered_call(cc, admin, "5550002", "1002", {f.FACT_QUEUE: "support"})
        await trio.sleep(5)
        by_call = {rec.call_id: rid for rid, rec in recording.active.items()}
        rec_sales, rec_other = by_call[sales], by_call[other]

        # In progress: stop it first.
        with pytest.raises(RpcErrorReply) as busy:
            await sue.call("recording.delete", {"id": rec_sales})
        assert (busy.value.code, busy.value.data) == (-32006, {"reason": "in-progress"})
        await hang_up(cc, admin, "5550001")
        await hang_up(cc, admin, "5550002")
        await finished(cc)
        paths = {r.recording_id: recording.directory / r.path for r in rows(cc, recordings)}

        # Agents may not; a supervisor only for the queues it supervises.
        for client, rid in ((ann, rec_sales), (sue, rec_other)):
            with pytest.raises(RpcErrorReply) as refused:
                await client.call("recording.delete", {"id": rid})
            assert refused.value.code == -32005
        with pytest.raises(RpcErrorReply) as unknown:
            await sue.call("recording.delete", {"id": "no-such-recording"})
        assert (unknown.value.code, unknown.value.data) == (-32006, {"reason": "no-such-recording"})

        # Important recordings are not deleted until unmarked.
        await admin.call("recording.setImportant", {"id": rec_sales, "important": True})
        await finished(cc)
        with pytest.raises(RpcErrorReply) as kept:
            await sue.call("recording.delete", {"id": rec_sales})
        assert (kept.value.code, kept.value.data) == (-32006, {"reason": "important"})
        assert paths[rec_sales].exists()
        await sue.call("recording.setImportant", {"id": rec_sales, "important": False})
        await finished(cc)

        with caplog.at_level(logging.WARNING, logger="ctid.recording.service"):
            reply = await sue.call("recording.delete", {"id": rec_sales})
        assert reply == {"recordingID": rec_sales, "state": "deleted"}
        audit = [r.getMessage() for r in caplog.records if "AUDIT" in r.getMessage()]
        assert audit == [f"AUDIT recording {rec_sales} deleted by sue (supervisor)"]
        event = await ann.event("RecordingDeletedEvent")
        assert {
            k: v for k, v in event.items() if k not in ("monitorCrossRefID", "seq", "timestamp")
        } == {
            "recordingID": rec_sales,
            "callID": sales,
            "state": "deleted",
            "startedBy": "policy:all",
            "deletedBy": "sue (supervisor)",
        }
        assert not paths[rec_sales].exists() and paths[rec_other].exists()
        (row,) = [r for r in rows(cc, recordings) if r.recording_id == rec_sales]
        assert (row.state, row.deleted_at is not None) == ("deleted", True)
        assert (await sue.call("recording.get", {"recordingID": rec_sales}))["state"] == "deleted"
        status, _, _ = await http(cc, f"/recordings/download?id={rec_sales}", SUPERVISOR_TOKEN)
        assert status == 404
        assert recording.deleted_total == 1

        with pytest.raises(RpcErrorReply) as again:
            await sue.call("recording.delete", {"id": rec_sales})
        assert (again.value.code, again.value.data) == (-32006, {"reason": "deleted"})
        # The admin may delete any queue's recording.
        await admin.call("recording.delete", {"id": rec_other})
        await finished(cc)
        assert not paths[rec_other].exists()
        assert {r.recording_id: r.state for r in rows(cc, recordings)} == {
            rec_sales: "deleted",
            rec_other: "deleted",
        }
