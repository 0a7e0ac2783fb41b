"""An agent's desk on the ACD: log on at a phone, get ready, answer a queued call, wrap up.

python agent_desk.py ws://127.0.0.1:8765/v1 TOKEN 2001 1001

With `ctid demo --no-traffic` (agents 2001-2010 may log on at 1001-1010), ring the
queue from another terminal, e.g. `sim.incomingCall {"callingNumber": "+15550100",
"calledNumber": "8001"}`. The agent answers, talks, hangs up, does its after-call
work (the queue's wrap-up), and logs off. An admin token may log any agent on; an
agent's own token (with `agent_id`) may log only itself on.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from ctid_client import (
    AGENT_EVENT_NAMES,
    AgentEvent,
    AgentState,
    Client,
    SessionRestarted,
)


async def desk(
    url: str, token: str, agent_id: str, phone: str, *, ready: Callable[[], None] | None = None
) -> list[str]:
    """Work one queued call as ``agent_id`` at ``phone``; returns the agent states seen."""
    states: list[str] = []
    async with Client(url, token=token) as ctid, ctid.events() as events:
        # A device monitor brings the phone's calls and the agent events of whoever logs on there.
        await ctid.monitor_start(phone)
        await ctid.set_agent_state(phone, "loggedOn", agent_id=agent_id)
        await ctid.set_agent_state(phone, "ready")
        if ready is not None:
            ready()  # (for the tests: a customer rings the queue now)
        async for item in events:
            if isinstance(item, SessionRestarted):
                # Events were lost: read the agent's state again (calls: SnapshotDevice).
                (agent,) = await ctid.get_agent_state(phone)
                print(f"  (re-read) {agent.agent_id} is {agent.agent_state}")
                continue
            if item.name in AGENT_EVENT_NAMES:
                change = AgentEvent.from_event(item)
                states.append(change.new_state)
                print(
                    f"{change.agent.agent_id}: {change.old_state} -> {change.new_state} "
                    f"({change.cause})"
                )
                if change.new_state is AgentState.WORKING_AFTER_CALL:
                    # After-call work: notes in the CRM; then end it, and go home.
                    await ctid.set_agent_state(phone, "ready")
                    await ctid.set_agent_state(phone, "loggedOff")
                elif change.new_state is AgentState.LOGGED_OFF:
                    return states
            elif item.name == "DeliveredEvent" and item["alertingDevice"] == phone:
                data = dict(item.get("userData") or {})
                print(f"{item['callingDevice']} rings (queue {data.get('ctid.queue')})")
                ringing = item.connection("connection")
                assert ringing is not None
                await ctid.answer_call(ringing)
            elif item.name == "EstablishedEvent" and item["answeringDevice"] == phone:
                connection = item.connection("establishedConnection")
                assert connection is not None
                print(f"talking to {item['callingDevice']}; hanging up")
                await ctid.clear_connection(connection)
    return states


def main(argv: list[str]) -> int:
    url, token, agent_id, phone = argv
    asyncio.run(desk(url, token, agent_id, phone))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
