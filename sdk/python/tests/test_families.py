"""The ACD, recording, records and report methods against the real server, typed end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import anyio
import pytest
from ctid_client import (
    AgentEvent,
    AgentState,
    CstaError,
    Event,
    QueueEntryState,
    QueueFigures,
    RecordingEvent,
    RpcError,
)

from .helpers import DEADLINE, client, next_event
from .server import ServerThread

ACD: Final[dict[str, Any]] = {
    "acd": {
        "reason_codes": ["break", "lunch"],
        "queues": [
            {"name": "sales", "number": "8001", "wrap_up": "manual", "announce_interval": 0}
        ],
        "agents": [{"id": "2001", "name": "Alice", "skills": [{"queue": "sales", "level": 3}]}],
    }
}


@pytest.fixture
def acd_server(tmp_path: Path) -> Iterator[ServerThread]:
    """The simulator with an ACD (queue sales at 8001, agent 2001), call records and recording."""
    overrides = {
        **ACD,
        "server": {"state_dir": str(tmp_path)},
        "records": {"enabled": True},
    }
    with ServerThread(overrides) as running:
        yield running


async def test_an_agent_takes_a_queued_call(acd_server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(acd_server) as ctid, ctid.events() as events:
            await ctid.monitor_start(agent="2001")
            await ctid.monitor_start(queue="sales")
            await ctid.monitor_start("1001")
            assert await ctid.get_agent_state("1001") == ()
            logged_on = await ctid.set_agent_state("1001", "loggedOn", agent_id="2001")
            assert logged_on.agent_state is AgentState.NOT_READY
            assert (await ctid.set_agent_state("1001", "ready")).agent_state is AgentState.READY
            (agent,) = await ctid.get_agent_state("1001")
            assert agent.agent_id == "2001"
            assert agent.queues[0].level == 3
            assert [a.agent_state for a in await ctid.agent_list()] == [AgentState.READY]
            assert await ctid.agent_reason_codes() == ("break", "lunch")
            (sales,) = await ctid.queue_list()
            assert (sales.queue, sales.number, sales.agents_ready) == ("sales", "8001", 1)

            await ctid.sim_incoming_call("+15550100", "8001")
            delivered = await next_event(events, "DeliveredEvent")
            snapshot = await ctid.queue_snapshot("8001")
            assert snapshot.calls[0].state is QueueEntryState.OFFERED
            assert snapshot.calls[0].offered_to == ("2001",)
            ringing = delivered.connection("connection")
            assert ringing is not None
            await ctid.answer_call(ringing)
            busy = AgentEvent.from_event(await next_event(events, "AgentBusyEvent"))
            assert busy.old_state is AgentState.RESERVED
            assert busy.agent.call_id == ringing.call_id

            # Not ready while busy: pending until the call ends, then applied.
            pending = await ctid.set_agent_state("1001", "notReady", reason_code="lunch")
            assert pending.agent_state is AgentState.BUSY
            assert pending.pending_agent_state is AgentState.NOT_READY
            assert pending.pending_reason_code == "lunch"
            told = AgentEvent.from_event(await next_event(events, "agent.pending"))
            assert (told.old_state, told.new_state) == (AgentState.BUSY, AgentState.BUSY)
            assert told.agent.pending_agent_state is AgentState.NOT_READY
            with pytest.raises(CstaError) as refused:
                await ctid.set_agent_state("1001", "notReady", reason_code="nap")
            assert refused.value.csta_error == "invalidParameterValue"

            whisper = await ctid.supervisor_whisper(ringing, "1005")
            assert whisper.conferenced_call.device_id == "1005"
            assert whisper.participation_type == "whisper"
            barge = await ctid.single_step_conference_call(ringing, "1005")
            assert barge.participation_type == "active"
            await ctid.clear_connection(barge.conferenced_call)

            recording = await ctid.recording_start(ringing.call_id, tags=["complaint"])
            assert recording.state == "recording"
            assert await ctid.recording_tag(recording.recording_id, ["vip"]) == ("complaint", "vip")
            await ctid.clear_connection(ringing)
            not_ready = AgentEvent.from_event(await next_event(events, "AgentNotReadyEvent"))
            assert not_ready.agent.reason_code == "lunch"
            stopped = RecordingEvent.from_event(await next_event(events, "RecordingStoppedEvent"))
            assert stopped.recording_id == recording.recording_id

            await ctid.records_flush()
            found = await ctid.recording_search(caller="+15550100")
            assert [r.recording_id for r in found] == [recording.recording_id]
            assert found[0].tags == ("complaint", "vip")
            got = await ctid.recording_get(recording.recording_id)
            assert (got.state, got.important) == ("done", False)
            page = await ctid.records_search(number="+1555010")
            assert [r["callID"] for r in page["records"]] == [ringing.call_id]
            assert page["nextCursor"] is None
            record = page["records"][0]
            assert (record["caller"], record["queue"], record["agentID"]) == (
                "+15550100",
                "sales",
                "2001",
            )
            assert record["recordingIDs"] == [recording.recording_id]
            assert record["disposition"] == "answered"
            assert await ctid.records_get(ringing.call_id) == record
            # A call of no campaign: no campaign fields, and the campaign filters skip it.
            assert (record["campaignRecord"], record["campaignOutcome"]) == (None, None)
            assert (record["amd"], record["agentDisposition"]) == (None, None)
            none = await ctid.records_search(campaign_record=1, campaign_outcome="answered")
            assert none == {"records": [], "nextCursor": None}
            history = await ctid.records_history("+15550100", limit=5)
            assert history["calls"] == [record]
            # 555-01xx numbers are fictional: no caller information.
            assert history["callerInfo"] is None
            status = await ctid.records_status()
            assert status.database_up
            assert status.committed > 0

            figures = await _figures(events)
            assert figures.queue == "sales"
            today = (await ctid.agent_snapshot("2001")).today
            assert today.calls == 1

            # Supervisors and admins keep a recording from retention, or delete it.
            assert await ctid.recording_set_important(recording.recording_id, True) is True
            await ctid.records_flush()
            assert (await ctid.recording_get(recording.recording_id)).important is True
            with pytest.raises(RpcError) as kept:
                await ctid.recording_delete(recording.recording_id)
            assert (kept.value.code, kept.value.data) == (-32006, {"reason": "important"})
            assert await ctid.recording_set_important(recording.recording_id, False) is False
            await ctid.records_flush()
            await ctid.recording_delete(recording.recording_id)
            deleted = RecordingEvent.from_event(await next_event(events, "RecordingDeletedEvent"))
            assert (deleted.recording_id, deleted.call_id, deleted.state) == (
                recording.recording_id,
                ringing.call_id,
                "deleted",
            )
            assert (deleted.started_by, deleted.deleted_by) == ("admin", "admin (admin)")
            assert (await ctid.recording_get(recording.recording_id)).state == "deleted"


async def _figures(events: Any) -> QueueFigures:
    async for item in events:
        if isinstance(item, Event) and item.name == "queue.figures":
            figures = QueueFigures.from_event(item)
            if figures.answered_today == 1:
                return figures
    raise AssertionError("no queue.figures")


async def test_reports(acd_server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(acd_server) as ctid:
            names = {r.name for r in await ctid.report_list()}
            assert "answer-rate" in names
            report = await ctid.report_answer_rate("2027-01-15", "2027-01-16", interval="day")
            assert report.columns[:2] == ("interval", "offered")
            assert all(len(row) == len(report.columns) for row in report.rows)
