"""A hot-standby pair of real ctid daemons: the client follows the active node.

Two daemons run in threads, each with its own simulator, and share one lease
(``ctid.testing.lease`` on the monotonic clock: the PostgreSQL row's rules
without a database). Their advertised URLs name hosts ``node-a`` and
``node-b``, which the test's connector maps to the ports they bound (port 0).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Final

import anyio
import anyio.abc
import pytest
import trio
from ctid_client import (
    Client,
    ConnectionState,
    Endpoint,
    NotActive,
    ReconnectPolicy,
    SessionLost,
    SessionRestarted,
)

from ctid.app import App
from ctid.blocking import inline
from ctid.switch_drivers.simulator.driver import SimulatorDriver
from ctid.testing import CallCentre, sim_config
from ctid.testing.lease import FakeLeaseDatabase

from .helpers import DEADLINE
from .server import ADMIN_TOKEN, ServerThread

A: Final = "ws://node-a:8765/v1"
B: Final = "ws://node-b:8765/v1"
URLS: Final = {"a": A, "b": B}
#: The shortest lease ctid accepts: a standby tries every second.
LEASE: Final = 3.0
#: Short waits between attempts while no node is active (a takeover takes up to a second).
QUICK: Final = ReconnectPolicy(initial=0.02, maximum=0.1, jitter=0)


class NodeThread(ServerThread):
    """One daemon of the pair (``[cluster] node_name = name``)."""

    def __init__(self, name: str, db: FakeLeaseDatabase) -> None:
        super().__init__(
            {
                "cluster": {"node_name": name, "advertise_url": URLS[name], "lease_seconds": LEASE},
                "records": {"enabled": False, "database": "postgresql://ctid@db.example/ctid"},
            }
        )
        self.name = name
        self.db = db

    async def _serve(self) -> None:
        app = App(sim_config(self.overrides), admin_token=ADMIN_TOKEN, blocking=inline)
        assert isinstance(app.driver, SimulatorDriver)
        app.driver.blocking = inline
        app.cluster_lease = self.db.client(self.name, URLS[self.name], LEASE)
        async with trio.open_nursery() as nursery:
            await nursery.start(app.run)
            self._centre = CallCentre(app, nursery)
            self.url = app.url
            self._token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            self._ready.set()
            await self._stop.wait()
            nursery.cancel_scope.cancel()

    def __enter__(self) -> NodeThread:
        super().__enter__()
        return self

    def stop(self) -> None:
        """Stop the daemon (once; a clean stop: it gives the lease back)."""
        if self._thread.is_alive():
            self.__exit__(None, None, None)

    def wait_serving(self) -> None:
        async def wait() -> None:
            cluster = self.centre.app.cluster
            assert cluster is not None
            await cluster.wait_serving()

        self.run(wait)


class Hosts:
    """Connects ``node-a``/``node-b`` to the ports the daemons bound."""

    def __init__(self) -> None:
        self.ports: dict[str, int] = {}

    async def __call__(self, endpoint: Endpoint) -> anyio.abc.ByteStream:
        return await anyio.connect_tcp("127.0.0.1", self.ports[endpoint.host])


@pytest.fixture
def pair() -> Iterator[tuple[NodeThread, NodeThread, Hosts]]:
    db = FakeLeaseDatabase(clock=time.monotonic)
    hosts = Hosts()
    a = NodeThread("a", db).__enter__()
    try:
        a.wait_serving()
        with NodeThread("b", db) as b:
            for node in (a, b):
                hosts.ports[f"node-{node.name}"] = int(node.url.rsplit(":", 1)[1].split("/")[0])
            yield a, b, hosts
    finally:
        a.stop()


def make_client(urls: list[str], hosts: Hosts, **options: Any) -> Client:
    return Client(urls, token=ADMIN_TOKEN, connector=hosts, reconnect=QUICK, **options)


async def test_the_client_follows_a_standby_to_the_active_node(
    pair: tuple[NodeThread, NodeThread, Hosts],
) -> None:
    _, _, hosts = pair
    with anyio.fail_after(DEADLINE):
        async with make_client([B, A], hosts) as c:
            assert c.url == A
            assert c.urls == (B, A)
            assert c.state is ConnectionState.CONNECTED
            assert c.statistics().connections == 2  # b refused, a served
            assert isinstance(await c.ping(), str)


async def test_a_standby_alone_says_where_to_go(
    pair: tuple[NodeThread, NodeThread, Hosts],
) -> None:
    _, _, hosts = pair
    hosts.ports["node-a"] = hosts.ports["node-b"]  # a is unreachable: its name leads to b
    with anyio.fail_after(DEADLINE), pytest.raises(NotActive) as refused:
        async with make_client([B], hosts):
            pass
    assert refused.value.code == -32010
    assert refused.value.active == A


async def test_after_a_takeover_the_client_logs_in_again_with_snapshots(
    pair: tuple[NodeThread, NodeThread, Hosts],
) -> None:
    a, _, hosts = pair
    with anyio.fail_after(DEADLINE):
        async with make_client([A, B], hosts) as c, c.events() as events:
            assert await c.monitor_start("1001") == "m1"
            assert c.session is not None
            old_session = c.session.session_id
            # The active node stops (and gives the lease back); b takes over within a second.
            await anyio.to_thread.run_sync(a.stop)
            notice = await events.__anext__()
            assert isinstance(notice, SessionRestarted)
            assert type(notice.reason) is SessionLost
            assert notice.reason.code == -32003
            assert "belonged to another node" in notice.reason.message
            assert notice.old_session_id == old_session
            assert notice.new_session_id == c.session.session_id != old_session
            assert dict(notice.monitors) == {"m1": "m1"}
            assert dict(notice.failed_monitors) == {}
            assert dict(notice.snapshots) == {"m1": {"snapshotData": []}}
            assert notice.url == B
            assert c.url == B
            # The new session works on the new node.
            await c.make_call("1001", "1002", auto_originate="doNotPrompt")
            async for item in events:
                assert not isinstance(item, SessionRestarted)
                if item.name == "DeliveredEvent":
                    assert item.seq == 3
                    break


def test_endpoints_rotate_on_failure_and_follow_standbys() -> None:
    from ctid_client._failover import Endpoints

    e = Endpoints([A, B])
    assert e.current == A
    e.failed()
    assert e.current == B
    e.failed()
    assert e.current == A
    assert e.follow(B) is True  # a listed URL: the rotation goes on from there
    assert e.current == B
    assert e.follow("ws://node-c:8765/v1") is True  # not listed: used until it fails
    assert e.current == "ws://node-c:8765/v1"
    assert e.endpoint.host == "node-c"
    e.failed()
    assert e.current == B
    assert e.follow(None) is False  # nothing to follow: next URL
    assert e.current == A
    assert e.follow("http://x/") is False
    assert e.current == B
    assert e.follow(B) is False  # sent back to itself: next URL
    assert e.current == A
    with pytest.raises(ValueError, match="at least one"):
        Endpoints([])
    with pytest.raises(ValueError, match="ws://"):
        Endpoints([A, "http://x/"])


def test_snapshot_requests_for_each_kind_of_monitor() -> None:
    from ctid_client._failover import snapshot_request

    assert snapshot_request({"monitorObject": {"deviceObject": "1001"}}) == (
        "SnapshotDevice",
        {"snapshotObject": "1001"},
    )
    assert snapshot_request({"monitorObject": {"callObject": {"callID": "c1"}}}) == (
        "SnapshotCall",
        {"snapshotObject": "c1"},
    )
    assert snapshot_request({"monitorObject": {"agentObject": "2001"}}) == (
        "agent.snapshot",
        {"agentID": "2001"},
    )
    assert snapshot_request({"monitorObject": {"queueObject": "sales"}}) == (
        "queue.snapshot",
        {"queue": "sales"},
    )
    assert snapshot_request({"monitorObject": {"mailboxObject": "agent:2001"}}) == (
        "voicemail.list",
        {"mailbox": "agent:2001"},
    )
    assert snapshot_request({"monitorObject": {"mailboxObject": "*"}}) is None
    assert snapshot_request({}) is None
