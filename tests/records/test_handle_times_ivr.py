"""``report.handleTimes`` counts calls a person answered, not calls the IVR served alone.

A real run: a caller reaches an IVR flow, presses nothing, and the flow hangs up on
them (exit ``selfService``: disposition ``answered``, but no person answered, so the
record has no ``answered_at``); another caller hangs up in the menu
(``abandonedInIvr``); a third is answered by extension 1001 and talks 40 s. Only the
third is an answered call for handle times. The first is what distinguishes
``disposition in ANSWERED and answered_at is not None`` from ``or`` (mutation
testing, docs/testing.md).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import trio

from ctid.records.schema import calls
from ctid.testing import call_centre, sim_config
from ctid.testing.harness import ANCHOR_WALL

FRONT = "4008001234"
FLOW = {
    "start": "menu",
    "nodes": {
        "menu": {
            "type": "menu",
            "prompt": {"tts": "Sales 1, support 2."},
            "choices": {"1": "bye"},
            "on_failure": "bye",
        },
        "bye": {"type": "hangup"},
    },
}


def _iso(wall: float) -> str:
    return dt.datetime.fromtimestamp(wall, dt.UTC).isoformat()


def _config(tmp_path: Path) -> Any:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.json").write_text(json.dumps(FLOW), encoding="utf-8")
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path / "state")},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 3600},
            "ivr": {"flows_dir": str(flows), "tts": "silent"},
            "routing": {
                "rules": [{"name": "front", "dnis": [FRONT], "destination": {"flow": "main"}}]
            },
        }
    )


async def test_a_caller_who_hangs_up_in_the_ivr_is_not_an_answered_call(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with call_centre(_config(tmp_path)) as cc:
        client = await cc.client()
        # Caller 1 says nothing: the menu gives up and the flow hangs up on them.
        await client.call("sim.incomingCall", {"callingNumber": "+15550009", "calledNumber": FRONT})
        await trio.sleep(120)
        # Caller 2 hangs up in the menu after 3 s.
        await client.call("sim.incomingCall", {"callingNumber": "+15550001", "calledNumber": FRONT})
        await trio.sleep(3)
        await client.call("sim.onHook", {"device": "+15550001"})
        await trio.sleep(1)
        # Caller 3: 1001 answers after 2 s of ringing and talks 40 s.
        await client.call(
            "sim.incomingCall", {"callingNumber": "+15550002", "calledNumber": "1001"}
        )
        await trio.sleep(2)
        await client.call("sim.offHook", {"device": "1001"})
        await trio.sleep(40)
        await client.call("sim.onHook", {"device": "1001"})
        await trio.sleep(1)
        records = cc.app.api.services["records"]
        await records.wait_committed()
        with records.engine.connect() as conn:
            rows = {
                r.caller: r for r in conn.execute(sa.select(calls).order_by(calls.c.started_at))
            }
        day = {"from": _iso(ANCHOR_WALL - 3600), "to": _iso(ANCHOR_WALL + 3600)}
        handle = await client.call("report.handleTimes", day)

    # What the records say (the report's input).
    served, gone, person = rows["+15550009"], rows["+15550001"], rows["+15550002"]
    assert (served.disposition, served.ivr_exit, served.answered_at) == (
        "answered",
        "selfService",
        None,
    )
    assert (gone.disposition, gone.ivr_exit, gone.answered_at) == ("abandonedInIvr", "hangup", None)
    assert person.answered_at is not None
    assert (person.disposition, person.talk_seconds) == ("answered", 40.0)
    assert handle == {
        "name": "handle-times",
        "title": "Average handle, talk, hold, after-call work and wait time (answered calls)",
        "columns": ["answered", "avgHandle", "avgTalk", "avgHold", "avgAcw", "avgWait"],
        # One answered call (the self-served one would make it 2 and halve the averages); it
        # never waited in a queue, so no wait.
        "rows": [[1, 40.0, 40.0, 0.0, 0.0, None]],
    }
