"""Every strategy through the simulator and the API: whose phone rings."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from acdkit import acd_centre, call_in, centre, log_on, snapshot

CALLER = "+15550001"


def _config(strategy: str, **extra: Any) -> Any:
    # Listed 2003, 2002, 2001: ``linear`` and ``round-robin`` go in that order.
    return centre(
        {
            "queues": [{"name": "sales", "strategy": strategy, "ring_timeout": 10.0, **extra}],
            "agents": [
                {"id": "2003", "skills": [{"queue": "sales", "level": 5}]},
                {"id": "2002", "skills": [{"queue": "sales", "level": 9}]},
                {"id": "2001", "skills": [{"queue": "sales", "level": 2}]},
            ],
        }
    )


DEVICE = {"2001": "1001", "2002": "1002", "2003": "1003"}


async def _set(admin: Any, agent_id: str, state: str) -> None:
    params = {"device": DEVICE[agent_id], "requestedAgentState": state}
    if state == "notReady":
        params["reasonCode"] = "break"
    await admin.call("SetAgentState", params)


async def _take(cc: Any, admin: Any, agent_id: str, caller: str, talk: float) -> None:
    """``agent_id`` (the only ready agent) takes a call from ``caller``, talks, hangs up,
    and goes on a break (asked for while busy: a pending state)."""
    await _set(admin, agent_id, "ready")
    await call_in(admin, caller, "sales")
    await trio.sleep(1)
    cc.sim.off_hook(DEVICE[agent_id])
    await trio.sleep(1)
    await _set(admin, agent_id, "notReady")
    await trio.sleep(talk)
    cc.sim.on_hook(DEVICE[agent_id])
    await trio.sleep(1)


async def _history(cc: Any, admin: Any) -> None:
    """Today so far: 2003 took one call of 100 s (from +15550100), 2002 one of 200 s,
    2001 two of 10 s. Then they became ready in the order 2001, 2002, 2003."""
    for agent_id, device in DEVICE.items():
        await log_on(admin, agent_id, device, ready=False)
    await _take(cc, admin, "2003", "+15550100", 100)
    await _take(cc, admin, "2002", "+15550101", 200)
    await _take(cc, admin, "2001", "+15550102", 10)
    await _take(cc, admin, "2001", "+15550103", 10)
    for agent_id in ("2001", "2002", "2003"):
        await _set(admin, agent_id, "ready")
        await trio.sleep(1)


async def _work(cc: Any, device: str, talk: float) -> None:
    """The agent at ``device`` takes the ringing call, talks ``talk`` seconds, hangs up."""
    cc.sim.off_hook(device)
    await trio.sleep(talk)
    cc.sim.on_hook(device)
    await trio.sleep(1)


def _ringing(cc: Any) -> list[str]:
    return [d for d in ("1001", "1002", "1003") if cc.sim.line_state(d).value == "ringing"]


@pytest.mark.parametrize(
    ("strategy", "rings"),
    [
        ("linear", ["1003"]),  # 2003, listed first
        ("fewest-calls", ["1002"]),  # 2002 and 2003 took one call; 2002 was ready first
        ("least-talk-time", ["1001"]),  # 2001: 20 s today
        ("longest-idle", ["1001"]),  # 2001 has been ready longest
        ("skill-level", ["1002"]),  # 2002: level 9
        ("ring-all", ["1001", "1002", "1003"]),
        ("random", ["1002"]),  # what seed 1 draws
        ("last-agent", ["1003"]),  # the caller spoke with 2003 this morning
    ],
)
async def test_whose_phone_rings(autojump_clock: Any, strategy: str, rings: list[str]) -> None:
    async with acd_centre(_config(strategy, last_agent_fallback="linear")) as cc:
        admin = await cc.client()
        await _history(cc, admin)
        # "+15550100" called before and spoke with 2003.
        await call_in(admin, "+15550100", "sales")
        await trio.sleep(1)
        assert _ringing(cc) == rings


async def test_round_robin_turns_through_the_agents(autojump_clock: Any) -> None:
    async with acd_centre(_config("round-robin")) as cc:
        admin = await cc.client()
        for agent_id, device in (("2003", "1003"), ("2001", "1001"), ("2002", "1002")):
            await log_on(admin, agent_id, device)
        answered = []
        for n in range(5):
            await call_in(admin, f"+1555010{n}", "sales")
            await trio.sleep(1)
            (device,) = _ringing(cc)
            answered.append(device)
            await _work(cc, device, 5)
        assert answered == ["1003", "1002", "1001", "1003", "1002"]


async def test_last_agent_falls_back_when_that_agent_is_busy(autojump_clock: Any) -> None:
    async with acd_centre(_config("last-agent", last_agent_fallback="skill-level")) as cc:
        admin = await cc.client()
        await _history(cc, admin)
        await _set(admin, "2003", "notReady")
        await call_in(admin, "+15550100", "sales")
        await trio.sleep(1)
        assert _ringing(cc) == ["1002"]  # 2003 is on a break: skill-level decides


async def test_callers_are_remembered_only_for_last_agent_and_as_far_back_as_it_looks(
    autojump_clock: Any,
) -> None:
    async with acd_centre(_config("longest-idle")) as cc:
        admin = await cc.client()
        await _history(cc, admin)
        assert cc.app.acd is not None and not cc.app.acd.engine.last_served
    async with acd_centre(_config("last-agent", last_agent_days=0.5)) as cc:
        admin = await cc.client()
        await _history(cc, admin)
        engine = cc.app.acd.engine if cc.app.acd is not None else None
        assert engine is not None
        assert list(engine.last_served) == ["+15550100", "+15550101", "+15550102", "+15550103"]
        await trio.sleep(12 * 3600)  # half a day on: the next answer forgets the old ones
        await call_in(admin, "+15550104", "sales")
        await trio.sleep(1)
        (device,) = _ringing(cc)
        cc.sim.off_hook(device)
        await trio.sleep(1)
        assert list(engine.last_served) == ["+15550104"]


async def test_today_figures_restart_at_midnight(autojump_clock: Any) -> None:
    async with acd_centre(_config("fewest-calls")) as cc:
        admin = await cc.client()
        await _history(cc, admin)
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert (q["offeredToday"], q["answeredToday"]) == (4, 4)
        # Tests start at 08:00 UTC: midnight is 16 h later.
        await trio.sleep(16 * 3600)
        q = await admin.call("queue.snapshot", {"queue": "sales"})
        assert (q["offeredToday"], q["answeredToday"]) == (0, 0)
        snap = await snapshot(admin, "2003")
        assert snap["today"]["calls"] == 0
        assert snap["today"]["talkTime"] == 0.0
        assert snap["agentState"] == "ready"
