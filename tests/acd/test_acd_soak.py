"""Seeded random traffic and requests against the real daemon, checking the ACD's invariants.

Callers ring and hang up, phones answer, dial and hold, agents change state,
supervisors join in any mode, the switch link drops and comes back; after
every step the invariants below must hold. Run with 200 seeds while the ACD
was written (it found two call-model crashes); three run here.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import trio
from acdkit import acd_centre, agent, centre, queue

from ctid.acd.agent_states import AgentState
from ctid.acd.desk import set_agent_state
from ctid.acd.engine import AcdEngine
from ctid.acd.entry_states import EntryState
from ctid.acd.supervision import supervise
from ctid.calls.errors import CstaError
from ctid.calls.values import ConnectionID
from ctid.switch_drivers import base as sw
from ctid.switch_drivers.simulator.core import SimError

A = AgentState
PHONES = {f"{2000 + n}": f"{1000 + n}" for n in range(1, 7)}


def _check(engine: AcdEngine) -> None:
    """What must hold between any two steps."""
    for queue_ in engine.queues.values():
        waiting = [e for e in queue_.waiting if e.state is EntryState.WAITING]
        for member in queue_.members.values():
            # The router's invariant: nobody is ready while a caller waits for them.
            assert not (member.state is A.READY and waiting), (queue_.name, member.agent_id)
        counts = {s: n for s, n in queue_.counts.items() if n}
        actual: dict[AgentState, int] = {}
        for member in queue_.members.values():
            actual[member.state] = actual.get(member.state, 0) + 1
        assert counts == actual, queue_.name
        for free in queue_.strategy.free_agents():
            assert free.state is A.READY
            assert queue_.name in free.active
    for a in engine.agents.values():
        if a.state is A.RESERVED:
            assert a.offer is not None
        if a.state is A.LOGGED_OFF:
            assert a.device is None
            assert not a.active
        else:
            assert engine.by_device[a.device or ""] is a
    for entry in engine.entries.values():
        assert entry.state not in (EntryState.ANSWERED, EntryState.ABANDONED)
        for offered in entry.offers.values():
            assert offered.state in (A.RESERVED, A.BUSY, A.NOT_READY, A.READY)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_day(autojump_clock: Any, seed: int) -> None:
    rng = random.Random(seed)
    config = centre(
        {
            "queues": [
                queue(
                    "sales",
                    strategy="round-robin",
                    wrap_up=5.0,
                    max_wait=120.0,
                    callback_digit="1",
                    announce_interval=20.0,
                    overflow=[{"when": "timeout", "action": "queue", "target": "support"}],
                ),
                queue("support", strategy="ring-all", wrap_up="manual", max_length=3),
            ],
            "agents": [
                agent("2001", "sales"),
                agent("2002", "sales", "support"),
                agent("2003", "support", auto_answer=True),
                agent("2004", "sales", "support"),
                agent("2005", "sales"),
                agent("2006", "support"),
            ],
        },
        trunks=12,
    )
    async with acd_centre(config) as cc:
        acd = cc.app.acd
        assert acd is not None
        engine = acd.engine
        sim = cc.sim
        callers = [f"+1555{n:07d}" for n in range(40)]
        for _ in range(400):
            action = rng.random()
            try:
                if action < 0.2:
                    sim.incoming_call(rng.choice(callers), rng.choice(["sales", "support"]))
                elif action < 0.35:
                    phone = rng.choice(list(PHONES.values()))
                    if sim.line_state(phone).value == "ringing":
                        sim.off_hook(phone)
                    elif sim.card.lines[phone].off_hook:
                        sim.on_hook(phone)
                elif action < 0.45:
                    sim.on_hook(rng.choice(callers))
                elif action < 0.5:
                    sim.press_digits(rng.choice(callers), "1")
                elif action < 0.52:
                    busy = [a for a in engine.agents.values() if a.state is A.BUSY and a.call_id]
                    if busy:
                        target = rng.choice(busy)
                        active = ConnectionID(
                            call_id=target.call_id or "", device_id=target.device or ""
                        )
                        await acd.request(
                            supervise,
                            engine,
                            active_call=active,
                            device="1009",
                            mode=rng.choice(list(sw.SupervisionMode)),
                        )
                elif action < 0.53:
                    sim.hold_key(rng.choice(list(PHONES.values())))
                elif action < 0.535:
                    # The switch link is lost for a few seconds, then resynchronised.
                    sim.drop_link()
                    await trio.sleep(rng.uniform(0, 5))
                    sim.restore_link()
                elif action < 0.55:
                    phone = rng.choice(list(PHONES.values()))
                    if not sim.card.lines[phone].off_hook:
                        sim.off_hook(phone)
                        sim.press_digits(phone, rng.choice(list(PHONES.values())))
                else:
                    agent_id = rng.choice(list(PHONES))
                    requested = rng.choice(
                        ["loggedOn", "ready", "ready", "notReady", "loggedOff", "workingAfterCall"]
                    )
                    await acd.request(
                        set_agent_state,
                        engine,
                        engine.agents[agent_id],
                        device=PHONES[agent_id],
                        requested=requested,
                        reason="break" if requested == "notReady" else None,
                        check_password=False,
                    )
            except (SimError, CstaError):
                pass  # a person too late, or a request refused: both leave things as they were
            await trio.sleep(rng.expovariate(1 / 8))
            _check(engine)
        # Everyone goes home: phones down, agents ready, and the queues empty out.
        for phone in PHONES.values():
            if sim.card.lines[phone].off_hook:
                sim.on_hook(phone)
        await trio.sleep(600)
        _check(engine)
        assert all(q.today.offered >= q.today.answered for q in engine.queues.values())
