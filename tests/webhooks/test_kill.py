"""kill -9 in the middle of a webhook delivery, or before the outbox has the events: no event
lost, duplicates only with the same id.

A real ``ctid run`` (child process) sends to a real HTTP receiver in the test.
The receiver takes the first batch and then holds the second request open;
with the rest of the events waiting in the outbox, the daemon is killed with
SIGKILL. Started again, it sends on from the oldest event not acknowledged.
Every event a monitor saw reaches the receiver; an event that arrives twice
carries the same id both times. On SQLite and on PostgreSQL.

The second scenario kills the daemon while none of the events published is in
the outbox yet: the test holds the lock the outbox writer needs (SQLite: the
database's write lock; PostgreSQL: a lock on the outbox table), so every event
is journalled and none committed at the SIGKILL. The next start delivers them
all, in order, from the journal.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any, Final

import pytest
import sqlalchemy as sa
import trio

from ctid.records import db
from ctid.records.schema import live_state
from ctid.testing import RpcTestClient

from ..postgres import PostgresServer
from ..records.daemon import Daemon
from .receiver import Receiver, Request

pytestmark = pytest.mark.slow

SECRET_ENV: Final = "CTID_KILL_TEST_WEBHOOK_SECRET"
EVENTS: Final = ("DeliveredEvent", "EstablishedEvent", "CallClearedEvent")
CALLS: Final = 6
#: A guard against a hang, not a wait: two daemon starts on a loaded 2-core machine.
GUARD: Final = 120.0


def write_config(path: Path, state: Path, receiver: str, database: str = "") -> Path:
    records = f'database = "{database}"\n' if database else ""
    events = ", ".join(f'"{e}"' for e in EVENTS)
    path.write_text(
        f"""
[server]
listen = "127.0.0.1:0"
state_dir = "{state}"

[api]
ping_interval = 0

[switch]
driver = "simulator"

[switch.simulator]
extensions = "1001-1010"
trunks = 4

[records]
heartbeat_seconds = 1.0
{records}
[[acd.queues]]
name = "sales"
[[acd.agents]]
id = "2001"
skills = [{{ queue = "sales" }}]

[[webhooks]]
name = "crm"
url = "{receiver}"
secret_env = "{SECRET_ENV}"
events = [{events}]
batch_max = 4
timeout_seconds = 300
"""
    )
    return path


def key(event: dict[str, Any]) -> str:
    """What identifies an event apart from its id: its name, params and time."""
    return json.dumps([event["method"], event["params"], event["timestamp"]], sort_keys=True)


def received(requests: list[Request]) -> list[dict[str, Any]]:
    return [e for r in requests for e in json.loads(r.body)["events"]]


async def calls(client: RpcTestClient) -> list[dict[str, Any]]:
    """CALLS answered and finished calls at 1001; the webhook's events as a monitor saw them
    (less what a monitor adds: its cross-ref id, seq and the monitored device's state)."""
    await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
    for n in range(CALLS):
        call_id = (
            await client.call(
                "sim.incomingCall", {"callingNumber": f"555000{n}", "calledNumber": "1001"}
            )
        )["callID"]
        await client.event("DeliveredEvent", alertingDevice="1001")
        await client.call("sim.offHook", {"device": "1001"})
        await client.event("EstablishedEvent", answeringDevice="1001")
        await client.call("sim.onHook", {"device": "1001"})
        await client.event("CallClearedEvent", clearedCall=call_id)
    seen = []
    for event in client.events:
        if event["method"] in EVENTS:
            params = {
                k: v
                for k, v in event["params"].items()
                if k not in ("monitorCrossRefID", "seq", "localConnectionInfo")
            }
            timestamp = params.pop("timestamp")
            seen.append({"method": event["method"], "params": params, "timestamp": timestamp})
    return seen


def live_rows(url: str) -> tuple[int, bool]:
    """The calls the live store's database holds, and whether agent 2001's row is there."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            kinds = [
                (row.kind, row.key)
                for row in conn.execute(sa.select(live_state.c.kind, live_state.c.key))
            ]
    finally:
        engine.dispose()
    return sum(1 for kind, _ in kinds if kind == "call"), ("agent", "2001") in kinds


async def live_store_settled(client: RpcTestClient, url: str) -> None:
    """Wait (by round trips) until the live store has committed every call's end.

    The live store writes behind the calls: a kill before a cleared call's row is
    deleted makes the next start clear that call again (a new CallClearedEvent,
    docs/design.md "Durable live state"), which is not what these tests are about.
    No call row is not enough: the rows may not be written yet. The store commits
    its changes in order, a batch at a time, so once a change made after the calls
    (an agent logging on, which no webhook hears) is in the database, so are theirs.
    """
    await client.call(
        "SetAgentState", {"agentID": "2001", "device": "1005", "requestedAgentState": "loggedOn"}
    )
    while await trio.to_thread.run_sync(live_rows, url) != (0, True):
        await client.call("webhook.status", {"name": "crm"})


async def kill_mid_delivery(tmp_path: Path, database: str = "") -> None:
    answers = iter([200])
    receiver = Receiver(lambda request: next(answers, None))
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            config = write_config(
                tmp_path / "ctid.toml", tmp_path / "state", receiver.url, database
            )
            first = Daemon(config)
            await first.start(nursery)
            client = await first.client(nursery)
            published = await calls(client)
            assert len(published) == 3 * CALLS
            # Everything is in the outbox: one batch taken, one on its way (held), the
            # rest waiting. Each status call is a round trip: no sleeping.
            await receiver.wait_for(lambda: len(receiver.requests) == 2)
            taken = len(received(receiver.accepted))
            while True:
                (status,) = (await client.call("webhook.status", {"name": "crm"}))["webhooks"]
                if status["pending"] == 0 and status["delivered"] == taken:
                    break
            assert status["backlog"] == 3 * CALLS - taken
            url = database or db.sqlite_url(tmp_path / "state" / "ctid.db")
            await live_store_settled(client, url)
            assert await first.kill(signal.SIGKILL) == -signal.SIGKILL
            await first.close()

            receiver.respond = lambda request: 200
            second = Daemon(config)
            await second.start(nursery)
            await receiver.wait_for(
                lambda: {key(e) for e in received(receiver.accepted)} >= {key(e) for e in published}
            )
            again = await second.client(nursery)
            while True:  # until the last batch's acknowledgement is written
                (after,) = (await again.call("webhook.status", {"name": "crm"}))["webhooks"]
                if after["backlog"] == 0:
                    break
            assert await second.kill(signal.SIGTERM) == 0
            await second.close()
            nursery.cancel_scope.cancel()
    got = received(receiver.accepted)
    # Nothing lost, nothing invented, in order.
    firsts = list(dict.fromkeys(key(e) for e in got))
    assert firsts == [key(e) for e in published]
    # An event that came twice came with the same id; two events never share one.
    ids: dict[str, str] = {}
    for event in got:
        assert ids.setdefault(key(event), event["id"]) == event["id"]
    assert len(set(ids.values())) == len(published)
    # The held batch was sent again after the restart (its events are duplicates).
    held = received([receiver.requests[1]])
    resent = received(receiver.accepted)[taken : taken + len(held)]
    assert [e["id"] for e in held] == [e["id"] for e in resent]
    assert after["backlog"] == 0
    assert after["dropped"] == 0


class OutboxLock:
    """Holds what the outbox writer needs to commit, in a transaction of the test's."""

    def __init__(self, url: str, sqlite_file: Path | None) -> None:
        self.sqlite: sqlite3.Connection | None = None
        self.engine: sa.Engine | None = None
        self.conn: sa.Connection | None = None
        if sqlite_file is not None:
            self.sqlite = sqlite3.connect(sqlite_file, isolation_level=None, timeout=GUARD)
            self.sqlite.execute("BEGIN IMMEDIATE")  # no other connection can write
        else:
            self.engine = db.make_engine(url)
            self.conn = self.engine.connect()
            self.conn.begin()
            self.conn.execute(sa.text("LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE"))

    def outbox_rows(self) -> int:
        query = "SELECT count(*) FROM webhook_events"
        if self.sqlite is not None:
            return int(self.sqlite.execute(query).fetchone()[0])
        assert self.conn is not None
        return int(self.conn.execute(sa.text(query)).scalar_one())

    def release(self) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
        if self.conn is not None and self.engine is not None:
            self.conn.rollback()
            self.conn.close()
            self.engine.dispose()


async def kill_before_commit(tmp_path: Path, database: str = "") -> None:
    receiver = Receiver(lambda request: 200)
    state = tmp_path / "state"
    url = database or db.sqlite_url(state / "ctid.db")
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            config = write_config(tmp_path / "ctid.toml", state, receiver.url, database)
            first = Daemon(config)
            await first.start(nursery)
            client = await first.client(nursery)
            lock = await trio.to_thread.run_sync(
                OutboxLock, url, None if database else state / "ctid.db"
            )
            try:
                published = await calls(client)
                assert len(published) == 3 * CALLS
                # Published (the monitor has them), journalled, not one in the outbox.
                (status,) = (await client.call("webhook.status", {"name": "crm"}))["webhooks"]
                assert status["pending"] == 3 * CALLS
                assert status["backlog"] == 3 * CALLS
                assert status["delivered"] == 0
                await live_store_settled(client, url)
                assert await first.kill(signal.SIGKILL) == -signal.SIGKILL
                await first.close()
                assert await trio.to_thread.run_sync(lock.outbox_rows) == 0
            finally:
                await trio.to_thread.run_sync(lock.release)
            assert receiver.requests == []

            second = Daemon(config)
            await second.start(nursery)
            await receiver.wait_for(lambda: len(received(receiver.accepted)) >= len(published))
            again = await second.client(nursery)
            while True:  # until the last batch's acknowledgement is written
                (after,) = (await again.call("webhook.status", {"name": "crm"}))["webhooks"]
                if after["backlog"] == 0:
                    break
            assert await second.kill(signal.SIGTERM) == 0
            await second.close()
            nursery.cancel_scope.cancel()
    got = received(receiver.accepted)
    # Every event the monitor saw, once, in order, each with its own id of the first run.
    assert [key(e) for e in got] == [key(e) for e in published]
    ids = [e["id"] for e in got]
    assert len(set(ids)) == len(ids)
    # The ids the first run gave at publication, one a number, as a monitor's order.
    run, first_number = ids[0].rsplit("-e", 1)
    assert ids == [f"{run}-e{n}" for n in range(int(first_number), int(first_number) + len(ids))]
    assert after["delivered"] == len(published)
    assert after["dropped"] == 0
    assert any("recovered from the journal" in line for line in second.lines)


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # The daemons inherit the test's environment.
    monkeypatch.setitem(os.environ, SECRET_ENV, "kill-test-webhook-secret-0123")


async def test_kill_9_mid_delivery_with_sqlite(tmp_path: Path) -> None:
    await kill_mid_delivery(tmp_path)


@pytest.mark.postgres
async def test_kill_9_mid_delivery_with_postgresql(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    await kill_mid_delivery(tmp_path, postgres.url(postgres.create_database()))


async def test_kill_9_before_the_outbox_commit_with_sqlite(tmp_path: Path) -> None:
    await kill_before_commit(tmp_path)


@pytest.mark.postgres
async def test_kill_9_before_the_outbox_commit_with_postgresql(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    await kill_before_commit(tmp_path, postgres.url(postgres.create_database()))
