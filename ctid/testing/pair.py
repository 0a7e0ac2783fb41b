"""A hot-standby pair in one process, for the SDK tests of other languages (the JS SDK).

``python -m ctid.testing.pair`` runs two daemons on the simulator, ``a`` and
``b``, sharing one lease (``ctid.testing.lease``: the PostgreSQL row's rules in
memory, on trio's clock) with the shortest lease ctid accepts (3 s). Their
advertised URLs name the hosts ``node-a`` and ``node-b``; the real addresses
are printed, for the test to map those names to them::

    node a ws://127.0.0.1:41011/v1
    node b ws://127.0.0.1:40117/v1
    ready                      (a is active, b is a standby)

Commands on stdin, one per line: ``stop a`` stops a cleanly (it gives the
lease back; prints ``stopped a``), and ``b`` prints ``active b`` once it has
taken over. The admin token is ``$CTID_ADMIN_TOKEN``. End of stdin stops both.
"""

from __future__ import annotations

import os
import sys
from typing import Final

import trio

from ..app import App
from ..blocking import inline
from ..switch_drivers.simulator.driver import SimulatorDriver
from .harness import sim_config
from .lease import FakeLeaseDatabase

__all__ = ["main"]

LEASE: Final = 3.0
URLS: Final = {"a": "ws://node-a:8765/v1", "b": "ws://node-b:8765/v1"}


def _node(name: str, db: FakeLeaseDatabase, token: str) -> App:
    config = sim_config(
        {
            "cluster": {"node_name": name, "advertise_url": URLS[name], "lease_seconds": LEASE},
            "records": {"enabled": False, "database": "postgresql://ctid@db.invalid/ctid"},
        }
    )
    app = App(config, admin_token=token, blocking=inline)
    assert isinstance(app.driver, SimulatorDriver)
    app.driver.blocking = inline
    app.cluster_lease = db.client(name, URLS[name], LEASE)
    return app


def _say(line: str) -> None:
    print(line, flush=True)


async def _run(token: str) -> None:
    db = FakeLeaseDatabase()
    apps = {name: _node(name, db, token) for name in URLS}
    scopes = {name: trio.CancelScope() for name in URLS}
    stopped = {name: trio.Event() for name in URLS}

    async def run(name: str, *, task_status: trio.TaskStatus[App]) -> None:
        with scopes[name]:
            await apps[name].run(task_status=task_status)
        stopped[name].set()

    async def announce(name: str) -> None:
        cluster = apps[name].cluster
        assert cluster is not None
        await cluster.wait_serving()
        _say(f"active {name}")

    async with trio.open_nursery() as nursery:
        for name, app in apps.items():
            await nursery.start(run, name)
            _say(f"node {name} {app.url}")
            if name == "a":
                assert app.cluster is not None
                await app.cluster.wait_serving()
            else:
                nursery.start_soon(announce, name)
        _say("ready")
        stdin = trio.wrap_file(sys.stdin)
        while line := (await stdin.readline()).strip():
            command, _, name = line.partition(" ")
            if command == "stop" and name in scopes:
                scopes[name].cancel()
                await stopped[name].wait()
                _say(f"stopped {name}")
        nursery.cancel_scope.cancel()


def main() -> None:
    trio.run(_run, os.environ.get("CTID_ADMIN_TOKEN", "pair-admin-token-0123456789"))


if __name__ == "__main__":
    main()
