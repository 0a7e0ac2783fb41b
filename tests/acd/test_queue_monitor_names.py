"""A queue is one device under its name and its number: monitors of either see its calls."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from acdkit import acd_centre, agent, call_in, centre, log_on, queue

CALLER = "+15550001"


@pytest.mark.parametrize("dialled", ["8001", "sales"])
async def test_queued_event_reaches_monitors_of_the_queue_by_name_and_by_number(
    dialled: str, autojump_clock: Any
) -> None:
    config = centre(
        {
            "queues": [queue("sales", number="8001"), queue("support", number="8002")],
            "agents": [agent("2001", "sales")],
        }
    )
    async with acd_centre(config) as cc:
        admin = await cc.client()
        by_name, by_number, other = await cc.client(), await cc.client(), await cc.client()
        name_ref = (
            await by_name.call("MonitorStart", {"monitorObject": {"deviceObject": "sales"}})
        )["monitorCrossRefID"]
        number_ref = (
            await by_number.call("MonitorStart", {"monitorObject": {"deviceObject": "8001"}})
        )["monitorCrossRefID"]
        await other.call("MonitorStart", {"monitorObject": {"deviceObject": "8002"}})
        call_id = await call_in(admin, CALLER, dialled)
        for client, ref in ((by_name, name_ref), (by_number, number_ref)):
            queued = await client.event("QueuedEvent")
            assert queued["monitorCrossRefID"] == ref
            assert queued["queuedConnection"] == {"callID": call_id, "deviceID": dialled}
            assert queued["queue"] == dialled
            assert queued["callingDevice"] == CALLER
            assert queued["numberQueued"] == 1
        # The agent answers: both names see the call leave the queue, once each.
        await log_on(admin, "2001", "1001")
        await trio.sleep(1)
        cc.sim.off_hook("1001")
        await cc.settle()
        # Both names see the same events, in the same order, the call's once each.
        assert by_name.names() == by_number.names()
        calls_seen = [n for n in by_name.names() if n[0].isupper()]
        assert calls_seen == ["QueuedEvent", "DeliveredEvent", "EstablishedEvent", "DivertedEvent"]
        # Another queue's monitor saw nothing of it.
        assert other.names() == []
