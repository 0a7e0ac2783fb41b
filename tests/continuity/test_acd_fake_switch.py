"""Agents across a kill and a restart with the fake Asterisk and FreeSWITCH, which outlive ctid."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from ctid.testing import call_centre
from ctid.testing.ari_schema import AriSchema
from ctid.testing.conformance import SwitchHarness
from ctid.testing.conformance.asterisk import FakeAsteriskHarness
from ctid.testing.conformance.freeswitch import FakeFreeSwitchHarness
from ctid.testing.conformance.run import conformance_config
from ctid.testing.harness import ANCHOR_WALL

from .restart import DEADLINE, set_state, store_of, watcher

API_DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "ari" / "api-docs"


@functools.cache
def _schema() -> AriSchema:
    return AriSchema.load(API_DOCS)


HARNESSES: dict[str, Callable[[], SwitchHarness]] = {
    "asterisk": lambda: FakeAsteriskHarness(_schema()),
    "freeswitch": FakeFreeSwitchHarness,
}


def _config(harness: SwitchHarness, state: Path) -> Any:
    return conformance_config(
        harness.build_driver(),
        {
            "server": {"state_dir": str(state)},
            "records": {"enabled": True, "fsync": False},
            "acd": {
                "queues": [{"name": "sales", "ring_timeout": 10.0}],
                "reason_codes": ["lunch"],
                "agents": [
                    {"id": a, "skills": [{"queue": "sales"}]} for a in ("2001", "2002", "2003")
                ],
            },
        },
    )


@pytest.mark.parametrize("switch", sorted(HARNESSES))
async def test_agents_come_back_on_a_real_switch_protocol(
    switch: str, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    harness = HARNESSES[switch]()
    ids = ("2001", "2002", "2003")
    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            await harness.start(nursery)
            config = _config(harness, tmp_path)
            async with call_centre(
                config,
                driver=harness.build_driver(),
                anchor_wall=ANCHOR_WALL + trio.current_time(),
            ) as cc:
                admin = await watcher(cc)
                await set_state(admin, "2001", "1001", "loggedOn")
                await set_state(admin, "2001", "1001", "ready")
                await set_state(admin, "2002", "1002", "loggedOn")
                await set_state(admin, "2002", "1002", "notReady", reasonCode="lunch")
                await trio.sleep(7)
                before = {a: await admin.call("agent.snapshot", {"agentID": a}) for a in ids}
                await store_of(cc).flush()
            await trio.sleep(10)
            async with call_centre(
                config,
                driver=harness.build_driver(),
                anchor_wall=ANCHOR_WALL + trio.current_time(),
            ) as cc:
                admin = await watcher(cc)
                after = {a: await admin.call("agent.snapshot", {"agentID": a}) for a in ids}
                for agent_id in ids:
                    old, new = dict(before[agent_id]), dict(after[agent_id])
                    old_today, new_today = old.pop("today"), new.pop("today")
                    assert new == old, agent_id
                    grown = {k: new_today[k] - old_today[k] for k in new_today}
                    expected = dict.fromkeys(new_today, 0.0)
                    if agent_id == "2001":
                        expected["readyTime"] = 10.0
                    elif agent_id == "2002":
                        expected["notReadyTime"] = 10.0
                    assert grown == pytest.approx(expected), agent_id
                assert after["2001"]["agentState"] == "ready"
                assert after["2002"]["reasonCode"] == "lunch"
                # The restored agent takes a call: an outside caller to 1001 makes it busy.
                await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
                await harness.incoming_call("+15550009", "1001")
                await admin.event("DeliveredEvent", alertingDevice="1001")
                await harness.answer("1001")
                busy = await admin.event("AgentBusyEvent", agentID="2001")
                assert busy["cause"] == "directCall"
            nursery.cancel_scope.cancel()
