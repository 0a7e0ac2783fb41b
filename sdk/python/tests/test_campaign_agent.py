"""Campaigns from the agent's side against the real server: a preview skipped, one dialled
and given a disposition, the campaign's events typed, ``report.campaign``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import anyio
import pytest
from ctid_client import (
    AgentState,
    CampaignFigures,
    CampaignPreview,
    CampaignStateEvent,
    DispositionResult,
    OutboundReserve,
    PreviewSkipped,
    RpcError,
)

from .helpers import DEADLINE, client, next_event
from .server import ServerThread

ALICE: Final = "sdk-campaign-alice-0123456789"
EVERY_DAY: Final = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture
def preview_server(tmp_path: Path) -> Iterator[ServerThread]:
    overrides = {
        "server": {"state_dir": str(tmp_path)},
        "records": {"enabled": True},
        "acd": {
            "queues": [{"name": "sales", "number": "8001", "wrap_up": 0}],
            "agents": [{"id": "2001", "skills": [{"queue": "sales"}]}],
        },
        "auth": {
            "tokens": [{"role": "agent", "name": "alice", "token": ALICE, "agent_id": "2001"}]
        },
        "campaigns": [
            {
                "name": "survey",
                "queue": "sales",
                "mode": "preview",
                "windows": [{"days": EVERY_DAY, "start": "00:00", "end": "24:00"}],
                "dispositions": ["sale", "noSale"],
                "preview_timeout": 600,
            }
        ],
    }
    with ServerThread(overrides) as running:
        yield running


async def test_preview_skip_dial_and_disposition(preview_server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with (
            client(preview_server) as admin,
            client(preview_server, token=ALICE) as alice,
            admin.events("campaign.started", "campaign.figures", "campaign.stopped") as watching,
            alice.events("campaign.preview") as previews,
        ):
            await admin.campaign_import_list(
                "survey", "l", "phone", "name,phone\nAnn,5550101\nBob,5550102\n"
            )
            await admin.monitor_start(campaign="survey")
            await alice.monitor_start(agent="2001")
            for state in ("loggedOn", "ready"):
                await admin.set_agent_state("1001", state, agent_id="2001")
            await admin.campaign_set_state("survey", "running")
            started = CampaignStateEvent.from_event(await next_event(watching, "campaign.started"))
            assert started == CampaignStateEvent(
                campaign="survey", state="running", mode="preview", queue="sales"
            )

            first = CampaignPreview.from_event(await next_event(previews, "campaign.preview"))
            assert (first.campaign, first.record, first.number) == ("survey", 1, "5550101")
            assert dict(first.data) == {"name": "Ann"}
            assert (first.agent_id, first.callback, first.attempts) == ("2001", False, 0)
            assert (first.timeout, first.timeout_action) == (600.0, "dial")
            assert first.dispositions == ("sale", "noSale")
            # The agent's state shows the campaign holding her, and the record.
            held = await alice.agent_snapshot("2001")
            assert (held.agent_state, held.call_id) == (AgentState.RESERVED, None)
            assert held.outbound_reserve == OutboundReserve(campaign="survey", record=1)
            skipped = await alice.campaign_preview_skip(1, "knownCustomer")
            assert skipped == PreviewSkipped(record=1, status="skipped", reason="knownCustomer")

            second = CampaignPreview.from_event(await next_event(previews, "campaign.preview"))
            assert (second.record, dict(second.data)) == (2, {"name": "Bob"})
            dialled = await alice.campaign_preview_dial(2)
            assert dialled.record == 2
            with pytest.raises(RpcError) as info:
                await alice.campaign_set_disposition("nope", call_id=dialled.call_id)
            assert info.value.code == -32602
            result = await alice.campaign_set_disposition("sale", call_id=dialled.call_id)
            assert result == DispositionResult(
                campaign="survey",
                record=2,
                call_id=dialled.call_id,
                disposition="sale",
                status="dialling",
                next_attempt_at=None,
            )
            with pytest.raises(RpcError) as info:
                await alice.campaign_preview_dial(1)
            assert info.value.code == -32006
            assert info.value.data == {"reason": "noSuchPreview"}

            figures = CampaignFigures.from_event(await next_event(watching, "campaign.figures"))
            assert figures.campaign == "survey"
            assert figures.dialled >= 0
            await admin.campaign_set_state("survey", "stopped")
            stopped = CampaignStateEvent.from_event(await next_event(watching, "campaign.stopped"))
            assert stopped.state == "stopped"

            report = await admin.report_campaign("survey", "2000-01-01", "2100-01-01")
            row = report.records()[0]
            assert (row["campaign"], row["records"], row["recordsAttempted"]) == ("survey", 2, 0)
            assert row["listPenetration"] == 0.0
