"""The SDK against docs/protocol-examples.md: replies and events the server really sent.

- every recorded reply parses into the typed method's value (every method with a
  recorded reply must have a sample in ``test_calls.SAMPLES``);
- every event the server can send (``rpc.discover``'s list, the ACD's, and every
  documented one) is one the SDK knows, and every recorded ACD or recording
  event reads into its typed value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ctid_client import (
    ACD_EVENT_NAMES,
    AGENT_EVENT_NAMES,
    CALL_EVENT_NAMES,
    CAMPAIGN_EVENT_NAMES,
    EVENT_NAMES,
    FAX_EVENT_NAMES,
    RECORDING_EVENT_NAMES,
    VOICEMAIL_EVENT_NAMES,
    AgentEvent,
    AgentSnapshot,
    AgentState,
    CampaignFigures,
    CampaignPreview,
    CampaignStateEvent,
    FaxEvent,
    QueueAllBusy,
    QueueFigures,
    QueueSnapshot,
    Recording,
    RecordingEvent,
    Report,
    VoicemailEvent,
)
from ctid_client._events import event_from_wire

from ctid.acd.agent_states import AgentState as ServerAgentState
from ctid.acd.engine import EVENT_NAMES as ACD_SERVER_EVENTS
from ctid.api.methods.discover import event_names

from .test_calls import SAMPLES

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol-examples.md"


def _sections(part: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for chunk in re.split(r"^### `", part, flags=re.M)[1:]:
        name = chunk[: chunk.index("`")]
        out[name] = [json.loads(m) for m in re.findall(r"```json\n(.*?)```", chunk, flags=re.S)]
    return out


_methods, _events = DOC.read_text().split("\n## Events\n")
METHODS = _sections(_methods)
EVENTS = _sections(_events)
REPLIES = {
    name: block["result"]
    for name, blocks in METHODS.items()
    for block in blocks
    if isinstance(block, dict) and "result" in block
}
BUILDERS = {call.method: call for call in SAMPLES}


def test_the_document_has_what_this_test_reads() -> None:
    assert len(REPLIES) > 60
    assert len(EVENTS) >= 30


#: The client calls these itself; the document shortens rpc.discover's reply ("[...]").
NOT_PARSED = {"session.login", "session.resume", "session.refresh", "rpc.discover"}


@pytest.mark.parametrize("method", sorted(set(REPLIES) - NOT_PARSED))
def test_every_recorded_reply_parses_into_the_typed_value(method: str) -> None:
    assert method in BUILDERS, f"{method}: no typed method (add a sample to test_calls.SAMPLES)"
    BUILDERS[method].parse(REPLIES[method])  # a ProtocolError names the field


def test_acd_replies_read_into_values() -> None:
    snapshot = BUILDERS["agent.snapshot"].parse(REPLIES["agent.snapshot"])
    assert isinstance(snapshot, AgentSnapshot)
    assert snapshot.agent_state is AgentState.NOT_READY
    assert snapshot.reason_code == "break"
    assert snapshot.queues[0].queue == "sales"
    assert snapshot.today.acw_time == 1.0
    (logged_on,) = BUILDERS["GetAgentState"].parse(REPLIES["GetAgentState"])
    assert logged_on.agent_device == "1001"
    queue = BUILDERS["queue.snapshot"].parse(REPLIES["queue.snapshot"])
    assert isinstance(queue, QueueSnapshot)
    assert queue.calls[0].offered_to == ("2001",)
    assert queue.agents == {"reserved": ("2001",)}
    assert queue.estimated_wait == 180.0
    supervision = BUILDERS["SingleStepConferenceCall"].parse(REPLIES["SingleStepConferenceCall"])
    assert supervision.conferenced_call.device_id == "1005"
    assert supervision.participation_type == "silent"


def test_a_report_reads_its_rows_by_column() -> None:
    report = Report.from_wire(
        {
            "name": "answer-rate",
            "title": "t",
            "columns": ["interval", "offered", "answered", "abandoned", "answerRate"],
            "rows": [["2027-01-15T08:00:00.000Z", 4, 3, 1, 0.75]],
        }
    )
    assert report.records()[0]["answerRate"] == 0.75
    assert BUILDERS["report.agents"].parse(REPLIES["report.agents"]).columns[0] == "agent"


def test_the_agent_states_are_the_servers() -> None:
    assert {s.value for s in AgentState} == {s.value for s in ServerAgentState}


def test_every_event_the_server_sends_is_known() -> None:
    sent = set(event_names()) | set(ACD_SERVER_EVENTS) | set(EVENTS)
    assert sent - EVENT_NAMES == set()
    assert set(ACD_SERVER_EVENTS) == ACD_EVENT_NAMES


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_recorded_event_reads_into_its_value(name: str) -> None:
    for block in EVENTS[name]:
        event = event_from_wire(block["method"], block["params"])
        assert event.name == name
        if name in AGENT_EVENT_NAMES:
            agent_event = AgentEvent.from_event(event)
            assert agent_event.agent.agent_state is agent_event.new_state
        elif name == "queue.figures":
            assert QueueFigures.from_event(event).queue == "sales"
        elif name == "queue.allBusy":
            assert QueueAllBusy.from_event(event).all_busy is True
        elif name in RECORDING_EVENT_NAMES:
            assert RecordingEvent.from_event(event).recording_id == block["params"]["recordingID"]
        elif name == "recording.available":
            assert Recording.from_wire(event.params).recording_id == block["params"]["recordingID"]
        elif name == "record.callClosed":
            assert event.params["callID"] == block["params"]["callID"]
            assert [leg["device"] for leg in event.params["legs"]]
        elif name in FAX_EVENT_NAMES:
            assert FaxEvent.from_event(event).fax_id == block["params"]["faxID"]
        elif name == "campaign.preview":
            preview = CampaignPreview.from_event(event)
            assert (preview.campaign, preview.record) == ("survey", block["params"]["record"])
        elif name == "campaign.figures":
            assert CampaignFigures.from_event(event).campaign == block["params"]["campaign"]
        elif name in CAMPAIGN_EVENT_NAMES:
            assert CampaignStateEvent.from_event(event).state == block["params"]["state"]
        elif name in VOICEMAIL_EVENT_NAMES:
            message = VoicemailEvent.from_event(event)
            assert (message.message_id, message.mailbox) == (
                block["params"]["messageID"],
                block["params"]["mailbox"],
            )
        else:
            assert name in CALL_EVENT_NAMES


def test_a_reader_refuses_an_event_of_another_name() -> None:
    delivered = event_from_wire("DeliveredEvent", {"seq": 1})
    for reader in (
        AgentEvent.from_event,
        QueueFigures.from_event,
        RecordingEvent.from_event,
        FaxEvent.from_event,
        CampaignPreview.from_event,
        CampaignFigures.from_event,
        CampaignStateEvent.from_event,
    ):
        with pytest.raises(ValueError, match="DeliveredEvent"):
            reader(delivered)
