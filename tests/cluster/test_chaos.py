"""Two real ``ctid run`` processes, one PostgreSQL, one fake Asterisk process: kill -9
the active node again and again; each time the standby takes over and serves.

Readiness is read from the daemons' log lines; nothing here waits on the clock
except the lease itself (3 s, the shortest ctid accepts), which is the point.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import trio

from ctid.testing.client import RpcErrorReply

from ..postgres import PostgresServer
from ..records.daemon import Daemon

if TYPE_CHECKING:
    # Imported when the test runs: at collection it would import the conformance
    # suite before tests/conformance/conftest.py registers it for assert rewriting.
    from ..conformance.test_switch_process import FakeSwitchProcess

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ADVERTISED = {"a": "ws://node-a.invalid:8765/v1", "b": "ws://node-b.invalid:8765/v1"}
ROUNDS = 2


def node_config(tmp_path: Path, name: str, switch: FakeSwitchProcess, database: str) -> Path:
    from ..conformance.test_switch_process import _config

    path = _config(tmp_path / f"{name}.toml", tmp_path / f"state-{name}", "asterisk", switch.listen)
    path.write_text(
        path.read_text()
        + f"""
[records]
database = "{database}"

[cluster]
node_name = "{name}"
advertise_url = "{ADVERTISED[name]}"
lease_seconds = 3
"""
    )
    return path


async def healthz(daemon: Daemon) -> tuple[int, dict[str, object]]:
    host_port = daemon.url.removeprefix("ws://").split("/")[0]
    host, _, port = host_port.rpartition(":")
    stream = await trio.open_tcp_stream(host, int(port))
    async with stream:
        await stream.send_all(b"GET /healthz HTTP/1.1\r\nHost: ctid\r\n\r\n")
        data = b""
        while chunk := await stream.receive_some(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_kill_the_active_node_again_and_again(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    from ..conformance.test_switch_process import FakeSwitchProcess

    database = postgres.url(postgres.create_database())
    switch = FakeSwitchProcess(
        "asterisk", "--password", "fake-ari-password", "--extensions", "1001-1006"
    )
    await switch.start()
    configs = {name: node_config(tmp_path, name, switch, database) for name in ADVERTISED}
    try:
        async with trio.open_nursery() as nursery:
            active = Daemon(configs["a"])
            await active.start(nursery)
            await active.wait_line("node 'a' is active")
            standby = Daemon(configs["b"])
            await standby.start(nursery)
            names = {active: "a", standby: "b"}
            for _ in range(ROUNDS):
                a, s = names[active], names[standby]
                await standby.wait_line(f"the active node is {ADVERTISED[a]}")
                status, body = await healthz(standby)
                assert (status, body["role"], body["active"]) == (503, "standby", ADVERTISED[a])
                with pytest.raises(RpcErrorReply) as refused:
                    await standby.client(nursery)
                assert refused.value.code == -32010
                assert refused.value.data == {"active": ADVERTISED[a]}

                assert await active.kill() == -9
                await standby.wait_line(f"node '{s}' is active")
                status, body = await healthz(standby)
                assert (status, body["role"], body["driver"]) == (200, "active", "up")
                client = await standby.client(nursery)
                await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
                await switch.sim(
                    "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1002"}
                )
                delivered = await client.event("DeliveredEvent")
                assert delivered["alertingDevice"] == "1002"
                await switch.sim("sim.onHook", {"device": "5550001"})
                await client.event("ConnectionClearedEvent")
                await standby.close()
                await active.close()

                # The killed node comes back (systemd would restart it) as the standby.
                restarted = Daemon(configs[a])
                await restarted.start(nursery)
                names[restarted] = a
                active, standby = standby, restarted
            await active.kill()
            await standby.kill()
            nursery.cancel_scope.cancel()
    finally:
        await switch.stop()


async def test_under_traffic_a_takeover_changes_nothing(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """``python -m bench chaos`` at a small size: two kills under traffic, and every
    count the bench reports is checked (not just that the standby serves)."""
    from bench import chaos

    from ..conformance.test_switch_process import FakeSwitchProcess

    database = postgres.url(postgres.create_database())
    switch = FakeSwitchProcess(
        "asterisk", "--password", "fake-ari-password", "--extensions", "1001-1010"
    )
    await switch.start()
    counts = chaos.Counts()
    try:
        nodes = {n: chaos._node(tmp_path, n, switch, database, 3.0) for n in chaos.ADVERTISED}
        await chaos._rounds(nodes, switch, ROUNDS, counts, pair=True)
        chaos._check_records(database, counts)
    finally:
        await switch.stop()
    assert len(counts.takeover) == ROUNDS
    assert len(counts.callers) == 2 * ROUNDS
    assert {
        "dropped": counts.dropped,
        "order or wait": counts.order_or_wait,
        "agents": counts.agents_changed,
        "callID/userData": counts.data_changed,
        "records": counts.record_problems,
    } == dict.fromkeys(("dropped", "order or wait", "agents", "callID/userData", "records"), 0)
    assert counts.records >= len(counts.callers)
