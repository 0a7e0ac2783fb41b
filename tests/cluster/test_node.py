"""Two daemons and one lease on MockClock: standby refusals, takeover, partition.

The lease is ``ctid.testing.lease`` (the PostgreSQL row's semantics on trio's
clock); every other part is the real daemon on the simulator.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import trio
import trio.testing

from ctid.app import App
from ctid.blocking import inline
from ctid.cluster.node import LeadershipLost
from ctid.ids import IdFactory
from ctid.switch_drivers.simulator.driver import SimulatorDriver
from ctid.testing.client import RpcErrorReply
from ctid.testing.harness import ADMIN_TOKEN, ANCHOR_WALL, CallCentre, sim_config
from ctid.testing.lease import FakeLeaseDatabase

LEASE = 15.0
URLS = {"a": "ws://10.0.0.1:8765/v1", "b": "ws://10.0.0.2:8765/v1"}


def leaf(group: BaseException) -> LeadershipLost:
    while isinstance(group, BaseExceptionGroup):
        assert len(group.exceptions) == 1
        group = group.exceptions[0]
    assert isinstance(group, LeadershipLost)
    return group


class Node:
    """One daemon of the pair, run in the test's nursery."""

    def __init__(
        self,
        name: str,
        db: FakeLeaseDatabase,
        nursery: trio.Nursery,
        *,
        extra: dict[str, Any] | None = None,
        driver: SimulatorDriver | None = None,
    ) -> None:
        config = sim_config(
            {
                "cluster": {
                    "node_name": name,
                    "advertise_url": URLS[name],
                    "lease_seconds": LEASE,
                },
                "records": {"enabled": False, "database": "postgresql://ctid@db.example/ctid"},
                **(extra or {}),
            }
        )
        self.name = name
        self.app = App(
            config,
            admin_token=ADMIN_TOKEN,
            ids=IdFactory(name, deterministic=True),
            anchor_wall=ANCHOR_WALL,
            blocking=inline,
            driver=driver,
        )
        assert isinstance(self.app.driver, SimulatorDriver)
        self.app.driver.blocking = inline
        self.app.cluster_lease = db.client(name, URLS[name], LEASE)
        self.db = db
        self.cc = CallCentre(self.app, nursery)
        self.scope = trio.CancelScope()
        self.lost: LeadershipLost | None = None
        self.stopped_at: float | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with self.scope:
            try:
                await self.app.run(task_status=task_status)
            except* LeadershipLost as group:
                self.lost = leaf(group)
        self.stopped_at = trio.current_time()

    def kill(self) -> None:
        """``kill -9``: the process is gone, nothing is given back; its database
        connections close, so PostgreSQL frees its advisory lock."""
        self.db.died(self.name)
        self.scope.cancel()

    async def health(self) -> tuple[int, dict[str, Any]]:
        status, _, body = await self.cc.http("/healthz")
        return status, json.loads(body)

    @property
    def sim(self) -> SimulatorDriver:
        assert isinstance(self.app.driver, SimulatorDriver)
        return self.app.driver


async def start_pair(nursery: trio.Nursery, db: FakeLeaseDatabase) -> tuple[Node, Node]:
    a = Node("a", db, nursery)
    await nursery.start(a.run)
    assert a.app.cluster is not None
    await a.app.cluster.wait_serving()
    b = Node("b", db, nursery)
    await nursery.start(b.run)
    await trio.testing.wait_all_tasks_blocked()
    return a, b


async def test_a_standby_refuses_logins_and_says_where_the_active_node_is(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = FakeLeaseDatabase()
    async with trio.open_nursery() as nursery:
        a, b = await start_pair(nursery, db)
        assert db.holder == "a"
        assert [(node, term) for _, node, term in db.grants] == [("a", 1)]

        assert await a.health() == (
            200,
            {"status": "ok", "driver": "up", "role": "active", "node": "a"},
        )
        assert await b.health() == (
            503,
            {
                "status": "standby",
                "driver": "down",
                "role": "standby",
                "node": "b",
                "active": URLS["a"],
            },
        )
        client = await b.cc.client(token=None)
        with pytest.raises(RpcErrorReply) as refused:
            await client.login(ADMIN_TOKEN)
        assert refused.value.code == -32010
        assert refused.value.data == {"active": URLS["a"]}
        assert refused.value.message == f"this ctid node is a standby: connect to {URLS['a']}"
        # session.resume is refused the same way: the session is not here.
        reply = await client.request(
            "session.resume", {"token": ADMIN_TOKEN, "sessionID": "x", "lastSeq": 0}
        )
        assert reply["error"]["code"] == -32010
        assert reply["error"]["data"] == {"active": URLS["a"]}

        # The active node serves, and its calls are on its switch only.
        active = await a.cc.client()
        result = await active.call("session.ping")
        assert set(result) == {"timestamp"}
        assert b.app.model.link_state.value == "down"
        nursery.cancel_scope.cancel()


async def test_the_standby_takes_over_after_the_active_node_is_killed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = FakeLeaseDatabase()
    async with trio.open_nursery() as nursery:
        t0 = trio.current_time()
        a, b = await start_pair(nursery, db)
        assert b.app.cluster is not None
        await trio.sleep(11.0)
        a.kill()
        # a's lease runs to t0+26, but its lock went with its process: b, trying every
        # second, is granted the lease early at t0+11 and starts after the fence
        # (1.5 s), at its renewal of t0+13.
        await b.app.cluster.wait_serving()
        assert trio.current_time() - t0 == pytest.approx(13.0)
        b_grants = [(at - t0, term) for at, node, term in db.grants if node == "b"]
        assert b_grants == [(11.0, 2), (12.0, 2), (13.0, 2)]
        assert await b.health() == (
            200,
            {"status": "ok", "driver": "up", "role": "active", "node": "b"},
        )
        client = await b.cc.client()  # logs in
        assert set(await client.call("session.ping")) == {"timestamp"}
        # A session of the old node is unknown here, and the error says why.
        again = await b.cc.client(token=None)
        reply = await again.request(
            "session.resume", {"token": ADMIN_TOKEN, "sessionID": "a-session-9", "lastSeq": 0}
        )
        assert reply["error"] == {
            "code": -32003,
            "message": "no such session on this node (it expired, or it belonged to another "
            "node or to ctid before a restart): log in again and take snapshots",
        }
        nursery.cancel_scope.cancel()


async def test_a_clean_stop_hands_the_lease_over_at_the_next_attempt(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = FakeLeaseDatabase()
    async with trio.open_nursery() as nursery:
        t0 = trio.current_time()
        a, b = await start_pair(nursery, db)
        assert b.app.cluster is not None
        await trio.sleep(6.0)
        a.scope.cancel()  # SIGTERM: no kill, the lease is given back
        await b.app.cluster.wait_serving()
        # Given back at t0+6: b's attempt of t0+7 takes it (not early: it ran out).
        assert trio.current_time() - t0 == pytest.approx(7.0)
        assert a.lost is None
        nursery.cancel_scope.cancel()


async def test_an_active_node_cut_off_from_the_database_stops_before_the_standby_starts(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = FakeLeaseDatabase()
    async with trio.open_nursery() as nursery:
        t0 = trio.current_time()
        a, b = await start_pair(nursery, db)
        assert a.app.cluster is not None and b.app.cluster is not None
        client = await a.cc.client()
        await trio.sleep(1.0)
        db.partitioned.add("a")  # a's renewals from t0+1 hang; its lock stays held
        await client.wait_for(lambda: client.closed)
        assert client.closed is not None
        assert client.closed.reason.code == 1012
        assert client.closed.reason.reason == "this ctid node is no longer active: reconnect"
        # a gave up at half the lease after its last renewal was sent (t0+0).
        assert trio.current_time() - t0 == pytest.approx(7.5)
        await b.app.cluster.wait_serving()
        assert a.stopped_at is not None
        assert a.stopped_at - t0 == pytest.approx(7.5)
        assert a.lost is not None
        assert "lease not renewed for 7.5 seconds" in str(a.lost)
        # b is granted the lease at its first attempt after a's ran out (t0+15): a
        # partition frees no lock, so no early grant.
        took_over = trio.current_time()
        assert took_over - t0 == pytest.approx(16.0)
        assert a.stopped_at < took_over
        assert a.sim  # a's switch driver ran only while a was active
        nursery.cancel_scope.cancel()


async def test_a_loaded_database_cannot_start_the_standby_before_the_old_holder_stops(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The server ends the active node's session (``pg_terminate_backend``) while the
    standby's request is stalled on a loaded server: the stalled request runs after
    the session ended, takes the lock and is granted early, but its node has given
    up waiting; the retry finds the lease its own. The fence still holds: it counts
    from that retry's answer, so the standby starts 1.5 s after the old holder has
    learnt at its next renewal that its session ended, not before."""
    db = FakeLeaseDatabase()
    async with trio.open_nursery() as nursery:
        db.nursery = nursery
        t0 = trio.current_time()
        a, b = await start_pair(nursery, db)
        assert b.app.cluster is not None
        await trio.sleep(10.5)
        db.stalls["b"] = [2.3]  # b's attempt of t0+11 runs at t0+13.3
        await trio.sleep(2.7)
        db.terminate("a")  # at t0+13.2, after a's renewal of t0+13
        await b.app.cluster.wait_serving()
        serving = trio.current_time() - t0
        # b gave up on its stalled attempt at t0+12 and asked again at t0+13.5 (a tenth
        # of the lease later), after the stalled one was granted early (t0+13.3).
        b_grants = [(at - t0, term) for at, node, term in db.grants if node == "b"]
        assert b_grants == [(13.3, 2), (13.5, 2), (14.5, 2), (15.5, 2)]
        assert a.stopped_at is not None
        # a's renewal of t0+14 failed on its ended session: it stopped at once.
        assert a.stopped_at - t0 == pytest.approx(14.0)
        assert a.lost is not None
        assert "database session (and advisory lock) ended" in str(a.lost)
        assert serving == pytest.approx(15.5)
        assert serving - (a.stopped_at - t0) >= 1.5
        nursery.cancel_scope.cancel()
