"""The lease row: the same steps on the real PostgreSQL and on the fake that the
MockClock tests use, so the fake cannot drift from what the database does."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import pytest
import sqlalchemy as sa
import trio

from ctid.cluster.config import ClusterSettings
from ctid.cluster.election import LeaseView
from ctid.cluster.install import DatabaseLease
from ctid.cluster.lease import LOCK_KEY, LeaseTable, LockLost, make_lease_engine
from ctid.cluster.node import LeaseUnavailable
from ctid.records.schema import cluster_lease
from ctid.testing.lease import FakeLeaseDatabase

from ..postgres import PostgresServer

A = "ws://10.0.0.1:8765/v1"
B = "ws://10.0.0.2:8765/v1"


class Lease(Protocol):
    def acquire(self, node: str, advertise_url: str, lease: float) -> LeaseView: ...
    def release(self, node: str) -> None: ...


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    url = postgres.url(postgres.create_database())
    engine = sa.create_engine(url)
    cluster_lease.create(engine)
    engine.dispose()
    return url


def steps(
    lease: Callable[[str], Lease], expire: Callable[[], None], died: Callable[[str], None]
) -> list[tuple[str, str, int, bool]]:
    """Grants, refusals, renewals, expiry, release and a holder's death; what each
    attempt saw. ``lease(node)`` is that node's way to the row (its own session)."""
    seen: list[tuple[str, str, int, bool]] = []

    def look(view: LeaseView) -> None:
        seen.append((view.holder, view.advertise_url, view.term, view.early))

    a, b = lease("a"), lease("b")
    look(a.acquire("a", A, 15.0))  # free: a gets term 1
    look(b.acquire("b", B, 15.0))  # a holds it (and the lock)
    look(a.acquire("a", A, 15.0))  # renewal: same term
    b.release("b")  # not b's to give: nothing happens
    look(b.acquire("b", B, 15.0))
    expire()  # a hung: its lease ran out
    look(b.acquire("b", B, 15.0))  # b takes over: term 2
    look(a.acquire("a", A, 15.0))  # a comes back as a standby
    b.release("b")  # clean stop
    look(a.acquire("a", A, 15.0))  # a at once: term 3
    expire()
    look(a.acquire("a", A, 15.0))  # a's own lease ran out: re-taken as a new term
    died("a")  # a's process dies: its session, and the advisory lock, go
    look(b.acquire("b", B, 15.0))  # b at once, before the lease runs out: early
    look(b.acquire("b", B, 15.0))  # and renews it (still the early holding)
    look(a.acquire("a", A, 15.0))  # a, started again, is a standby
    return seen


EXPECTED = [
    ("a", A, 1, False),
    ("a", A, 1, False),
    ("a", A, 1, False),
    ("a", A, 1, False),
    ("b", B, 2, False),
    ("b", B, 2, False),
    ("a", A, 3, False),
    ("a", A, 4, False),
    ("b", B, 5, True),
    ("b", B, 5, True),  # early stays true for the holding it began (term 5)
    ("b", B, 5, False),
]


def wait_until_lock_free(engine: sa.Engine) -> None:
    """Return once the server has freed ``LOCK_KEY`` (it does so once it has read a
    closed connection): a blocking ``pg_advisory_lock`` returns at that moment, no
    polling; the engine's ``statement_timeout`` fails the test if it never does."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        conn.commit()


@pytest.mark.postgres
def test_the_postgresql_lease(pg_url: str) -> None:
    tables = {n: LeaseTable(make_lease_engine(pg_url, timeout=5.0)) for n in ("a", "b")}

    def expire() -> None:
        with tables["a"].engine.begin() as conn:
            conn.execute(sa.text("UPDATE cluster_lease SET expires_at = now() - interval '1 s'"))

    def died(node: str) -> None:
        tables[node].close()
        wait_until_lock_free(tables[node].engine)

    try:
        assert steps(tables.__getitem__, expire, died) == EXPECTED
    finally:
        for table in tables.values():
            table.close()
            table.engine.dispose()


@pytest.mark.postgres
def test_an_early_grant_stays_early_for_its_holding(pg_url: str) -> None:
    """The server ends the holder's session while it lives; the standby's attempt is
    granted early but its node gave up waiting for the answer (a loaded server):
    the next attempt, a plain renewal for the database, still says early, so the
    node waits out the fence. The old holder's next attempt fails: ``LockLost``."""
    tables = {n: LeaseTable(make_lease_engine(pg_url, timeout=5.0)) for n in ("a", "b")}
    try:
        assert tables["a"].acquire("a", A, 15.0).holder == "a"
        with tables["b"].engine.connect() as admin:
            admin.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = :k AND granted"
                ),
                {"k": LOCK_KEY},
            )
            admin.commit()
        wait_until_lock_free(tables["b"].engine)
        given_up = tables["b"].acquire("b", B, 15.0)
        assert (given_up.holder, given_up.term, given_up.early) == ("b", 2, True)
        again = tables["b"].acquire("b", B, 15.0)
        assert (again.holder, again.term, again.early) == ("b", 2, True)
        with pytest.raises(LockLost):
            tables["a"].acquire("a", A, 15.0)
        # Coming back as a standby, a sees b's holding, which is not a's early one.
        seen = tables["a"].acquire("a", A, 15.0)
        assert (seen.holder, seen.term, seen.early) == ("b", 2, False)
    finally:
        for table in tables.values():
            table.close()
            table.engine.dispose()


async def test_the_fake_lease(autojump_clock: trio.testing.MockClock) -> None:
    db = FakeLeaseDatabase()

    def expire() -> None:
        db.expires_at = trio.current_time() - 1.0

    def died(node: str) -> None:
        db.died(node)
        db.partitioned.discard(node)  # its next request is a new process's

    assert steps(lambda _: db, expire, died) == EXPECTED
    assert [(node, term) for _, node, term in db.grants] == [
        ("a", 1),
        ("a", 1),
        ("b", 2),
        ("a", 3),
        ("a", 4),
        ("b", 5),
        ("b", 5),
    ]


@pytest.mark.postgres
def test_nodes_asking_at_once_get_one_holder(pg_url: str) -> None:
    tables = [LeaseTable(make_lease_engine(pg_url, timeout=5.0)) for _ in range(6)]
    views: list[LeaseView] = []
    start = threading.Barrier(len(tables))

    def ask(i: int) -> None:
        start.wait()
        views.append(tables[i].acquire(f"n{i}", f"ws://n{i}/v1", 15.0))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(tables))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for table in tables:
        table.close()
        table.engine.dispose()
    holders = {(v.holder, v.advertise_url, v.term) for v in views}
    assert len(views) == 6
    assert len(holders) == 1
    holder, url, term = holders.pop()
    assert url == f"ws://{holder}/v1"
    assert term == 1


@pytest.mark.postgres
async def test_a_database_outage_is_lease_unavailable_and_passes(
    postgres: PostgresServer, pg_url: str
) -> None:
    settings = ClusterSettings(
        node_name="a", advertise_url=A, lease_seconds=15.0, database_url=pg_url
    )
    lease = DatabaseLease(settings)
    mine = LeaseView(holder=lease.holder, advertise_url=A, term=1)
    assert lease.holder.startswith("a#")
    twin = DatabaseLease(settings)  # the same node_name in a second process
    try:
        assert await lease.acquire() == mine
        # The holder is the process: a twin with the same name is not granted the lease.
        assert await twin.acquire() == mine
        postgres.stop()
        try:
            with pytest.raises(LeaseUnavailable):
                await lease.acquire()
            with pytest.raises(LeaseUnavailable):
                await lease.release()
        finally:
            postgres.start()
        assert await lease.acquire() == mine
        await lease.release()
        # Given back: another node gets it at once.
        other = LeaseTable(make_lease_engine(pg_url, timeout=5.0))
        assert other.acquire("b", B, 15.0) == LeaseView(holder="b", advertise_url=B, term=2)
        other.close()
        other.engine.dispose()
    finally:
        lease.close()
        twin.close()


@pytest.mark.postgres
def test_prepare_creates_the_schema_and_migration_0003_adds_the_lease(
    postgres: PostgresServer,
) -> None:
    from alembic import command

    from ctid.records import db

    url = postgres.url(postgres.create_database())
    table = LeaseTable(make_lease_engine(url, timeout=5.0))
    try:
        assert table.prepare() == f"created the records schema (revision {db.head_revision()})"
        assert table.prepare() == f"records schema at revision {db.head_revision()}"
        assert table.acquire("a", A, 15.0) == LeaseView(holder="a", advertise_url=A, term=1)
        with table.engine.begin() as conn:
            command.downgrade(db._alembic_config(conn), "0002")
        assert "cluster_lease" not in sa.inspect(table.engine).get_table_names()
        assert db.upgrade(table.engine, "0003") == ("0002", "0003")
        columns = {c["name"] for c in sa.inspect(table.engine).get_columns("cluster_lease")}
        assert columns == {"name", "holder", "advertise_url", "term", "expires_at"}
        assert db.upgrade(table.engine, "cont2_1")[1] == "cont2_1"
        columns = {c["name"] for c in sa.inspect(table.engine).get_columns("cluster_lease")}
        assert columns >= {"locked", "server_started"}
    finally:
        table.close()
        table.engine.dispose()
