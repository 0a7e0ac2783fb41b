"""A crowd of idle sockets never starves the records of file descriptors (issue 10).

The daemon runs as a child with ``RLIMIT_NOFILE`` at 256. Three hundred TCP
connections that never send a byte would, without a reserve, take every
descriptor: the spool and the database could not open files and /healthz
would call the database down. With the reserve the listener stops accepting at
its budget (the rest wait in the kernel's backlog), a call is still recorded
and /healthz still reports the database up.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
import trio

from .daemon import Daemon

pytestmark = pytest.mark.slow

LIMIT = 256
IDLE = 300


async def test_idle_sockets_leave_descriptors_for_the_records(tmp_path: Path) -> None:
    config = tmp_path / "ctid.toml"
    config.write_text(
        f"""
[server]
listen = "127.0.0.1:0"
state_dir = "{tmp_path / "state"}"

[api]
ping_interval = 0

[switch]
driver = "simulator"

[switch.simulator]
extensions = "1001-1010"
trunks = 4
"""
    )
    idle: list[trio.SocketStream] = []
    async with trio.open_nursery() as nursery:
        daemon = Daemon(config, "--metrics-listen", "127.0.0.1:0", nofile=LIMIT)
        await daemon.start(nursery)
        client = await daemon.client(nursery)
        match = re.fullmatch(r"ws://([^/]+):(\d+)/v1", daemon.url)
        assert match is not None
        try:
            for _ in range(IDLE):
                idle.append(await trio.open_tcp_stream(match.group(1), int(match.group(2))))
            # The open session works and its call is recorded: the spool and the
            # database still open their files.
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
            call_id = (
                await client.call(
                    "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"}
                )
            )["callID"]
            await client.event("DeliveredEvent", alertingDevice="1001")
            await client.call("sim.offHook", {"device": "1001"})
            await client.event("EstablishedEvent", answeringDevice="1001")
            await client.call("sim.onHook", {"device": "1001"})
            await client.event("CallClearedEvent", clearedCall=call_id)
            await client.call("records.flush", {"timeout": 10.0})
            status = await client.call("records.status")
            assert status["databaseUp"] is True
            assert status["dropped"] == 0
            code, health = await daemon.http_get("/healthz")
            assert code == 200, health
            assert '"database": "up"' in health
            assert not [line for line in daemon.lines if "Too many open files" in line]
        finally:
            for stream in idle:
                await trio.aclose_forcefully(stream)
            await daemon.close()
        assert await daemon.kill(signal.SIGTERM) == 0
        nursery.cancel_scope.cancel()
