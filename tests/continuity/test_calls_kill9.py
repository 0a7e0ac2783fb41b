"""``kill -9`` of a real ``ctid run`` with a held call on a fake switch process.

The switch (``python -m ctid.testing.fake_asterisk`` / ``fake_freeswitch``) is a
process of its own and outlives the daemon, as a real switch does. The first
daemon takes a call from outside, gives it data and puts it on hold; it is killed
with SIGKILL; a second daemon on the same state directory must show the same call
(its callID, its data, the agent on hold), retrieve it, and end it normally.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import sqlalchemy as sa
import trio

from ctid.records import db
from ctid.records.schema import live_state
from ctid.testing import RpcTestClient

from ..conformance.test_switch_process import CALLER, FakeSwitchProcess, _config, _link
from ..records.daemon import Daemon

pytestmark = pytest.mark.slow

AGENT = "1002"


def _stored_states(state: Path, call_id: str) -> dict[str, str] | None:
    """The connection states of ``call_id`` as the live store's database holds them."""
    engine = db.make_engine(db.sqlite_url(state / "ctid.db"))
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(live_state.c.value).where(
                    live_state.c.kind == "call", live_state.c.key == call_id
                )
            ).first()
    except sa.exc.OperationalError:
        return None  # not created yet
    finally:
        engine.dispose()
    if row is None:
        return None
    value = json.loads(row[0])
    return {c["device"]: c["state"] for c in value["connections"]}


async def _ready(daemon: Daemon, nursery: trio.Nursery) -> RpcTestClient:
    client = await daemon.client(nursery)
    if await _link(daemon) != "up":
        await client.event("SystemStatusEvent", systemStatus="normal")
    await client.call("MonitorStart", {"monitorObject": {"deviceObject": AGENT}})
    return client


@pytest.mark.parametrize("kind", ["asterisk", "freeswitch"])
async def test_a_held_call_survives_kill_9(kind: str, tmp_path: Path) -> None:
    password = "fake-ari-password" if kind == "asterisk" else "fake-esl-password"
    switch = FakeSwitchProcess(
        kind, "--password", password, "--extensions", "1001-1006", "--trunks", "1"
    )
    await switch.start()
    try:
        config = _config(tmp_path / "ctid.toml", tmp_path / "state", kind, switch.listen)
        async with trio.open_nursery() as nursery:
            first = Daemon(config)
            await first.start(nursery)
            client = await _ready(first, nursery)
            await switch.sim("sim.incomingCall", {"callingNumber": CALLER, "calledNumber": AGENT})
            delivered = await client.event("DeliveredEvent")
            call_id = delivered["connection"]["callID"]
            await switch.sim("sim.offHook", {"device": AGENT})
            await client.event("EstablishedEvent")
            await client.call(
                "AssociateData",
                {"existingCall": call_id, "userData": {"customer": "C-42"}, "correlatorData": "k"},
            )
            await client.call("HoldCall", {"callToBeHeld": {"callID": call_id, "deviceID": AGENT}})
            await client.event("HeldEvent")
            # The store commits behind the call path; wait (by round trips, as
            # tests/records/test_kill.py does) until the hold is in the database.
            with trio.fail_after(30):
                while _stored_states(tmp_path / "state", call_id) != {
                    CALLER: "connected",
                    AGENT: "hold",
                }:
                    await client.call("SnapshotCall", {"snapshotObject": call_id})
            assert await first.kill(signal.SIGKILL) == -signal.SIGKILL
            await first.close()

            second = Daemon(config)
            await second.start(nursery)
            again = await _ready(second, nursery)
            snapshot = await again.call("SnapshotCall", {"snapshotObject": call_id})
            assert {
                d["deviceOnCall"]: d["localConnectionState"] for d in snapshot["snapshotData"]
            } == {
                CALLER: "connected",
                AGENT: "hold",
            }
            assert (snapshot["userData"], snapshot["correlatorData"]) == ({"customer": "C-42"}, "k")
            await again.call(
                "RetrieveCall", {"callToBeRetrieved": {"callID": call_id, "deviceID": AGENT}}
            )
            retrieved = await again.event("RetrievedEvent")
            assert retrieved["retrievedConnection"] == {"callID": call_id, "deviceID": AGENT}
            await switch.sim("sim.onHook", {"device": CALLER})
            cleared = await again.event("CallClearedEvent")
            assert cleared["clearedCall"] == call_id
            assert await second.kill(signal.SIGTERM) == 0
            await second.close()
            nursery.cancel_scope.cancel()
    finally:
        await switch.stop()
