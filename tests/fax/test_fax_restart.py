"""Faxes across a kill -9: none is left in progress for ever."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import trio

from ctid import faximage
from ctid.fax.recover import INTERRUPTED, plan
from ctid.ids import IdFactory
from ctid.testing import call_centre, sim_config
from ctid.testing.harness import ANCHOR_WALL

from ..continuity.restart import EventTap
from .test_fax_send import service, upload

FLOW = {
    "start": "take",
    "nodes": {
        "take": {"type": "faxReceive", "mailbox": "orders", "next": "bye", "on_failure": "bye"},
        "bye": {"type": "hangup"},
    },
}


def config(tmp_path: Path) -> Any:
    flows = tmp_path / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "faxin.json").write_text(json.dumps(FLOW), encoding="utf-8")
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path / "state")},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "ivr": {"flows_dir": str(flows), "tts": "silent"},
            "routing": {
                "rules": [
                    {"name": "faxin", "dnis": ["4008000000"], "destination": {"flow": "faxin"}}
                ]
            },
            "fax": {"max_lines": 1, "retries": 1, "retry_delay": 30},
        }
    )


async def test_a_kill_closes_faxes_on_a_line_and_resumes_the_waiting_ones(
    tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tap = EventTap(monkeypatch)
    cfg = config(tmp_path)
    async with call_centre(cfg, ids=IdFactory("a", deterministic=True)) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
        await upload(cc, faximage.make_fax_tiff(["one", "two", "three"]), name="doc")
        batch = await admin.call(
            "fax.send", {"to": ["5550013290", "5550023290", "5550033290"], "documents": ["doc"]}
        )
        sending, *waiting = [f["faxID"] for f in batch["faxes"]]
        await admin.call(
            "sim.incomingCall", {"callingNumber": "5554443290", "calledNumber": "4008000000"}
        )
        await admin.event("fax.progress", faxID=sending, pages=1)
        # The caller's first page came first (the events are taken in order).
        received = next(
            e["params"]["faxID"]
            for e in admin.events
            if e["method"] == "fax.progress" and e["params"]["direction"] == "in"
        )
        await service(cc).wait_written()
        # kill -9: the context ends without the services' graceful stop.
    tap.events.clear()
    await trio.sleep(60)
    async with call_centre(
        cfg, ids=IdFactory("b", deterministic=True), anchor_wall=ANCHOR_WALL + trio.current_time()
    ) as cc:
        admin = await cc.client()
        fax = service(cc)
        # Closed at start-up, before any client could ask.
        failed = {e["faxID"]: e for e in tap.named("fax.failed")}
        assert set(failed) == {sending, received}
        for fax_id, direction in ((sending, "out"), (received, "in")):
            event = failed[fax_id]
            assert (event["direction"], event["state"], event["resultCode"]) == (
                direction,
                "failed",
                None,
            )
            assert (event["resultText"], event["willRetry"]) == (INTERRUPTED, False)
            row = await admin.call("fax.get", {"faxID": fax_id})
            assert (row["state"], row["resultText"]) == ("failed", INTERRUPTED)
            # A sent fax keeps the image it was sending; a received one has none.
            assert (row["download"] is None) == (direction == "in")
            assert row["endedAt"] is not None
        assert fax.failed_total == {"in": 1, "out": 1}
        await fax.wait_idle()
        for fax_id in waiting:
            row = await admin.call("fax.get", {"faxID": fax_id})
            assert (row["state"], row["attempts"], row["pages"]) == ("completed", 1, 3)
            assert row["callID"].startswith("b-")
        done = [e["faxID"] for e in tap.named("fax.completed")]
        assert done == waiting
        left = await admin.call("fax.search", {"state": "sending"})
        assert left["faxes"] == []


def test_the_plan_resumes_only_own_waiting_faxes_with_attempts_left() -> None:
    def row(**changes: Any) -> dict[str, Any]:
        base = {
            "fax_id": "f",
            "state": "queued",
            "direction": "out",
            "requested_by": "admin",
            "path": "out/x.tif",
            "attempts": 1,
            "max_attempts": 3,
        }
        return {**base, **changes}

    rows = [
        row(fax_id="waits"),
        row(fax_id="ivr", requested_by="ivr"),
        row(fax_id="spent", attempts=3),
        row(fax_id="sending", state="sending"),
        row(fax_id="dialing", state="dialing"),
        row(fax_id="in", direction="in", state="receiving", path=None),
    ]
    found = plan(rows)
    assert [r["fax_id"] for r in found.resume] == ["waits"]
    assert [r["fax_id"] for r in found.interrupted] == ["ivr", "spent", "sending", "dialing", "in"]
