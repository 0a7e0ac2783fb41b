"""Calls up across a takeover: kill -9 the active node of a real pair (PostgreSQL, fake
Asterisk process); the standby takes over with every call as it was.

A call on hold and a consultation keep their callIDs and userData, and RetrieveCall
and TransferCall work on the new active node; callers waiting in a queue keep their
order and their wait time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trio

from ctid.records import db
from ctid.records.schema import live_state

from ..postgres import PostgresServer
from ..records.daemon import Daemon
from .test_chaos import ADVERTISED, node_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ACD = """
[[acd.queues]]
name = "sales"
number = "8001"
ring_timeout = 60.0

[[acd.agents]]
id = "2001"
skills = [{queue = "sales"}]
"""


def _stored(url: str) -> dict[tuple[str, str], dict[str, Any]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(live_state.c.kind, live_state.c.key, live_state.c.value))
            return {(r.kind, r.key): json.loads(r.value) for r in rows}
    finally:
        engine.dispose()


def _states(snapshot: dict[str, Any]) -> dict[str, str]:
    return {d["deviceOnCall"]: d["localConnectionState"] for d in snapshot["snapshotData"]}


async def test_calls_on_hold_in_consultation_and_in_queue_survive_a_takeover(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    from ..conformance.test_switch_process import FakeSwitchProcess

    database = postgres.url(postgres.create_database())
    switch = FakeSwitchProcess(
        "asterisk", "--password", "fake-ari-password", "--extensions", "1001-1006"
    )
    await switch.start()
    configs = {}
    for name in ADVERTISED:
        path = node_config(tmp_path, name, switch, database)
        path.write_text(path.read_text() + ACD)
        configs[name] = path
    try:
        async with trio.open_nursery() as nursery:
            a = Daemon(configs["a"])
            await a.start(nursery)
            await a.wait_line("node 'a' is active")
            b = Daemon(configs["b"])
            await b.start(nursery)
            await b.wait_line(f"the active node is {ADVERTISED['a']}")
            client = await a.client(nursery)
            for device in ("1002", "1003", "1004"):
                await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
            # A customer on hold at 1002.
            await switch.sim(
                "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1002"}
            )
            held = (await client.event("DeliveredEvent", alertingDevice="1002"))["connection"][
                "callID"
            ]
            await switch.sim("sim.offHook", {"device": "1002"})
            await client.event("EstablishedEvent", answeringDevice="1002")
            await client.call(
                "AssociateData", {"existingCall": held, "userData": {"customer": "C-1"}}
            )
            await client.call("HoldCall", {"callToBeHeld": {"callID": held, "deviceID": "1002"}})
            await client.event("HeldEvent")
            # A customer at 1003, who consults 1004.
            await switch.sim(
                "sim.incomingCall", {"callingNumber": "5550002", "calledNumber": "1003"}
            )
            first = (await client.event("DeliveredEvent", alertingDevice="1003"))["connection"][
                "callID"
            ]
            await switch.sim("sim.offHook", {"device": "1003"})
            await client.event("EstablishedEvent", answeringDevice="1003")
            await client.call(
                "AssociateData",
                {"existingCall": first, "userData": {"customer": "C-2"}, "correlatorData": "k2"},
            )
            await client.call(
                "ConsultationCall",
                {"existingCall": {"callID": first, "deviceID": "1003"}, "consultedDevice": "1004"},
            )
            await client.event("DeliveredEvent", alertingDevice="1004")
            await switch.sim("sim.offHook", {"device": "1004"})
            established = await client.event("EstablishedEvent", answeringDevice="1004")
            second = established["establishedConnection"]["callID"]
            # Two callers waiting in the queue (the agent is logged on, not ready).
            await client.call(
                "SetAgentState",
                {"agentID": "2001", "device": "1005", "requestedAgentState": "loggedOn"},
            )
            for caller in ("5550003", "5550004"):
                await switch.sim(
                    "sim.incomingCall", {"callingNumber": caller, "calledNumber": "8001"}
                )
                await trio.sleep(0.5)
            before = await client.call("queue.snapshot", {"queue": "sales"})
            assert [c["callingDevice"] for c in before["calls"]] == ["5550003", "5550004"]
            agent_before = await client.call("agent.snapshot", {"agentID": "2001"})
            # What a kill -9 keeps: wait until the live state has reached PostgreSQL.
            with trio.fail_after(30):
                while True:
                    rows = _stored(database)
                    calls = {k: v for (kind, k), v in rows.items() if kind == "call"}
                    entries = [k for (kind, k) in rows if kind == "queue_entry"]
                    done = (
                        held in calls
                        and {c["device"]: c["state"] for c in calls[held]["connections"]}
                        == {"5550001": "connected", "1002": "hold"}
                        and second in calls
                        and len(entries) == 2
                    )
                    if done:
                        break
                    await trio.sleep(0.1)

            killed = time.monotonic()
            assert await a.kill() == -9
            await b.wait_line("node 'b' is active")
            took = time.monotonic() - killed
            other = await b.client(nursery)
            snap = await other.call("SnapshotCall", {"snapshotObject": held})
            assert _states(snap) == {"5550001": "connected", "1002": "hold"}
            assert snap["userData"] == {"customer": "C-1"}
            snap = await other.call("SnapshotCall", {"snapshotObject": first})
            assert _states(snap) == {"5550002": "connected", "1003": "hold"}
            assert (snap["userData"], snap["correlatorData"]) == ({"customer": "C-2"}, "k2")
            snap = await other.call("SnapshotCall", {"snapshotObject": second})
            assert _states(snap) == {"1003": "connected", "1004": "connected"}
            after = await other.call("queue.snapshot", {"queue": "sales"})
            assert [(c["callID"], c["position"]) for c in after["calls"]] == [
                (c["callID"], c["position"]) for c in before["calls"]
            ]
            grown = [
                x["waitSeconds"] - y["waitSeconds"]
                for x, y in zip(after["calls"], before["calls"], strict=True)
            ]
            assert grown[0] == pytest.approx(grown[1], abs=0.01)
            assert 0 < grown[0] < took + 30
            agent_after = await other.call("agent.snapshot", {"agentID": "2001"})
            assert {k: v for k, v in agent_after.items() if k != "today"} == {
                k: v for k, v in agent_before.items() if k != "today"
            }
            # The services work on the new active node.
            for device in ("1002", "1003"):
                await other.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
            await other.call(
                "RetrieveCall", {"callToBeRetrieved": {"callID": held, "deviceID": "1002"}}
            )
            retrieved = await other.event("RetrievedEvent")
            assert retrieved["retrievedConnection"] == {"callID": held, "deviceID": "1002"}
            result = await other.call(
                "TransferCall",
                {
                    "heldCall": {"callID": first, "deviceID": "1003"},
                    "activeCall": {"callID": second, "deviceID": "1003"},
                },
            )
            assert result == {"transferredCall": {"callID": first, "deviceID": "1004"}}
            snap = await other.call("SnapshotCall", {"snapshotObject": first})
            assert _states(snap) == {"5550002": "connected", "1004": "connected"}
            assert snap["userData"] == {"customer": "C-2"}
            for daemon in (a, b):
                await daemon.kill()
                await daemon.close()
            nursery.cancel_scope.cancel()
    finally:
        await switch.stop()
