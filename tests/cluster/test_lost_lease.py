"""The active node loses PostgreSQL: it lets the switch and its clients go before any
standby may take over, and comes back as a standby by itself (no systemd needed).

Two real ``ctid run`` processes, the test set-up's PostgreSQL (stopped under them),
one fake Asterisk process. Readiness is read from the daemons' log lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import trio

from ctid.testing.client import RpcErrorReply

from ..postgres import PostgresServer
from ..records.daemon import Daemon
from .test_chaos import ADVERTISED, healthz, node_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _index(daemon: Daemon, text: str) -> int | None:
    for i, line in enumerate(daemon.lines):
        if text in line:
            return i
    return None


async def test_an_active_node_cut_off_from_postgresql_steps_down_and_stays_up(
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
            a = Daemon(configs["a"])
            await a.start(nursery)
            await a.wait_line("node 'a' is active")
            b = Daemon(configs["b"])
            await b.start(nursery)
            await b.wait_line(f"the active node is {ADVERTISED['a']}")
            client = await a.client(nursery)
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})

            await trio.to_thread.run_sync(postgres.stop)
            try:
                await a.wait_line("node 'a' stops being active")
                lost = await a.wait_line("lost leadership.*starting again as a standby")
                # Nobody else could take over meanwhile (nor while the database is away).
                assert _index(b, "node 'b' is active") is None
                # The process did not exit: it serves again, as a standby.
                assert a.process is not None and a.process.returncode is None
                await a.wait_line("cluster: database unavailable")
                # (Its API listens again; on port 0 here, so on a new port. The line may
                # come before or after the one above: the standby's start and the
                # cluster's first try of the database run side by side.)
                again = await a.wait_line(r"serving ws://", since=a.lines.index(lost) + 1)
                serving = [ln for ln in a.lines if re.search(r"serving ws://", ln)]
                assert serving[-1] == again and len(serving) == 2
                found = re.search(r"serving (ws://\S+)", again)
                assert found is not None
                a.url = found.group(1)
                status, body = await healthz(a)
                assert (status, body["role"]) == (503, "standby")
                with pytest.raises(RpcErrorReply) as refused:
                    await a.client(nursery)
                assert refused.value.code == -32010
            finally:
                await trio.to_thread.run_sync(postgres.start)

            # With the database back, one node becomes active, the other waits.
            with trio.fail_after(60):
                while True:
                    roles = {
                        name: (await healthz(d))[1]["role"] for name, d in (("a", a), ("b", b))
                    }
                    if sorted(roles.values()) == ["active", "standby"]:
                        break
                    await trio.sleep(0.2)
            active = a if roles["a"] == "active" else b
            again = await active.client(nursery)
            await again.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
            await switch.sim(
                "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1002"}
            )
            delivered = await again.event("DeliveredEvent")
            assert delivered["alertingDevice"] == "1002"
            for daemon in (a, b):
                await daemon.kill()
                await daemon.close()
            nursery.cancel_scope.cancel()
    finally:
        await switch.stop()
