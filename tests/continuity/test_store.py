"""The live-state store on SQLite and PostgreSQL: coalescing, flush, reload, outages."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
import trio
from alembic import command

from ctid.blocking import in_thread
from ctid.livestate.store import LiveStore, LiveStoreStatistics, StoreNotLoaded
from ctid.records import db
from ctid.records.schema import live_state

from ..postgres import PostgresServer

T = TypeVar("T")


@asynccontextmanager
async def running(store: LiveStore) -> AsyncIterator[LiveStore]:
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        yield store
        nursery.cancel_scope.cancel()


def rows(engine: sa.Engine) -> dict[tuple[str, str], Any]:
    with engine.connect() as conn:
        result = conn.execute(sa.select(live_state)).all()
    return {(r.kind, r.key): json.loads(r.value) for r in result}


async def test_rows_survive_a_new_engine_and_store(
    empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        store = LiveStore(engine=engine)
        with pytest.raises(StoreNotLoaded):
            store.load("agent")
        async with running(store):
            # A brand-new database: the schema is created, nothing is loaded.
            assert store.load("agent") == {}
            assert db.current_revision(engine) == db.head_revision()
            store.put("agent", "2001", {"state": "ready", "device": "1001", "since": 12.5})
            store.put("agent", "2002", {"state": "notReady", "reason": "lunch"})
            store.put("queue_entry", "c-1", {"queue": "sales", "entered": 3.0, "n": [1, 2]})
            store.put("last_agent", "0612345678", {"agent": "2001"})
            await store.flush()
            store.delete("agent", "2002")
            await store.flush()
    finally:
        engine.dispose()

    engine = db.make_engine(empty_database_url)
    try:
        store = LiveStore(engine=engine)
        async with running(store):
            assert store.load("agent") == {
                "2001": {"state": "ready", "device": "1001", "since": 12.5}
            }
            assert store.load("queue_entry") == {
                "c-1": {"queue": "sales", "entered": 3.0, "n": [1, 2]}
            }
            assert store.load("last_agent") == {"0612345678": {"agent": "2001"}}
            assert store.load("call") == {}
            # load hands out copies: changing one changes nothing stored.
            store.load("agent")["2001"]["state"] = "x"
            assert store.load("agent")["2001"]["state"] == "ready"
    finally:
        engine.dispose()


def test_a_database_of_the_first_schema_is_upgraded_to_hold_live_state(
    empty_database_url: str,
) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0001")
        assert "live_state" not in sa.inspect(engine).get_table_names()
        with pytest.raises(
            db.SchemaError,
            match=f"at schema revision 0001 but this ctid needs {db.head_revision()}",
        ):
            db.prepare(engine)
        assert db.upgrade(engine) == ("0001", db.head_revision())
        assert "live_state" in sa.inspect(engine).get_table_names()
        columns = {c["name"] for c in sa.inspect(engine).get_columns("live_state")}
        assert columns == {"kind", "key", "value", "updated_at"}
        assert sa.inspect(engine).get_pk_constraint("live_state")["constrained_columns"] == [
            "kind",
            "key",
        ]
        # And back down (an operator going back to the previous ctid).
        with engine.begin() as conn:
            command.downgrade(db._alembic_config(conn), "0001")
        assert "live_state" not in sa.inspect(engine).get_table_names()
        assert db.current_revision(engine) == "0001"
    finally:
        engine.dispose()


async def test_changes_to_one_row_between_commits_are_one_write(
    empty_database_url: str, autojump_clock: trio.abc.Clock
) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        store = LiveStore(engine=engine)
        async with running(store):
            for i in range(100):
                store.put("agent", "2001", {"n": i})
            store.put("agent", "2002", {"n": -1})
            # Put and deleted before any commit: nothing to write at all.
            store.put("call", "c-9", {"callID": "c-9"})
            store.delete("call", "c-9")
            # Deleting a row that never existed writes nothing either.
            store.delete("call", "c-nothing")
            await store.flush()
            assert store.statistics() == LiveStoreStatistics(
                pending=0, committed=2, dropped=0, commits=1, db_up=True, db_error=None
            )
            assert rows(engine) == {("agent", "2001"): {"n": 99}, ("agent", "2002"): {"n": -1}}
            store.delete("agent", "2001")
            store.put("agent", "2002", {"n": -2})
            await store.flush()
            assert rows(engine) == {("agent", "2002"): {"n": -2}}
            assert store.statistics().commits == 2
            assert store.statistics().committed == 4
    finally:
        engine.dispose()


async def test_the_caller_never_waits_for_a_slow_commit(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    """While a commit hangs in its thread, put/delete return at once and are coalesced."""
    gate = trio.Event()
    entered = trio.Event()

    async def slow(
        fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
    ) -> T:
        if getattr(fn, "__name__", "") == "_commit":
            entered.set()
            await gate.wait()
        return await in_thread(fn, *args, limiter=limiter)

    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine, blocking=slow)
        async with running(store):
            store.put("agent", "a", {"v": 1})
            await entered.wait()
            flushed = trio.Event()

            async def flusher() -> None:
                await store.flush()
                flushed.set()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(flusher)
                for i in range(1000):
                    store.put("agent", "b", {"v": i})
                # The row in the commit under way is deleted: a delete is queued.
                store.delete("agent", "a")
                assert store.statistics().pending == 2
                await trio.sleep(60)
                assert not flushed.is_set()
                gate.set()
            assert flushed.is_set()
            assert rows(engine) == {("agent", "b"): {"v": 999}}
            assert store.statistics().commits == 2
    finally:
        engine.dispose()


async def test_bad_input_raises_and_changes_nothing(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine)
        async with running(store):
            with pytest.raises(ValueError, match="unknown live-state kind 'agents'"):
                store.put("agents", "a", {})
            with pytest.raises(ValueError, match="unknown live-state kind"):
                store.load("nope")
            with pytest.raises(ValueError, match="key is a string"):
                store.put("agent", "", {})
            with pytest.raises(ValueError, match="key is a string"):
                store.delete("agent", "x" * 256)
            with pytest.raises(TypeError, match="not JSON serializable"):
                store.put("agent", "a", {"when": object()})
            with pytest.raises(TypeError, match="dicts, not list"):
                store.put("agent", "a", [1])  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="Out of range float"):
                store.put("agent", "a", {"x": float("nan")})
            assert store.statistics().pending == 0
            await store.flush()
            assert rows(engine) == {}
    finally:
        engine.dispose()


async def test_loading_waits_for_a_database_that_is_not_there_yet(
    tmp_path: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite in a directory that does not exist yet: start retries until it does."""
    where = tmp_path / "later"
    engine = db.make_engine(db.sqlite_url(where / "ctid.db"))
    try:
        store = LiveStore(engine=engine, retry_max=1.0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(store.run)
            await store.wait_for(lambda s: s.db_error is not None)
            await trio.sleep(30)
            assert not store.loaded
            unavailable = [r for r in caplog.records if "unavailable" in r.getMessage()]
            assert len(unavailable) == 1
            assert unavailable[0].levelno == logging.ERROR
            where.mkdir()
            await store.wait_for(lambda s: s.db_up)
            assert store.load("agent") == {}
            nursery.cancel_scope.cancel()
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
async def test_postgresql_outage_changes_wait_bounded_and_arrive(
    postgres: PostgresServer,
    pg_template: str,
    autojump_clock: trio.abc.Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Stop the real server: changes wait in memory (at most max_pending rows), then arrive."""
    caplog.set_level(logging.INFO, logger="ctid.livestate.store")
    engine = db.make_engine(postgres.url(postgres.create_database(pg_template)))
    try:
        store = LiveStore(engine=engine, retry_max=1.0, max_pending=4)
        async with running(store):
            store.put("agent", "keep", {"v": 0})
            store.put("agent", "gone", {"v": 0})
            await store.flush()
            postgres.stop()
            try:
                store.put("agent", "keep", {"v": 1})
                await store.wait_for(lambda s: not s.db_up)
                for i in range(50):
                    # One row however often it changes.
                    store.put("agent", "keep", {"v": i})
                store.delete("agent", "gone")
                store.put("call", "c1", {"n": 1})
                # Put and deleted during the outage: leaves nothing to write.
                store.put("call", "c2", {"n": 2})
                store.delete("call", "c2")
                store.put("call", "c3", {"n": 3})
                assert store.statistics().pending == 4
                # Past max_pending, new rows are dropped (and counted); known rows still change.
                store.put("call", "c4", {"n": 4})
                store.put("call", "c3", {"n": 33})
                stats = store.statistics()
                assert (stats.pending, stats.dropped, stats.db_up) == (4, 1, False)
                assert stats.db_error is not None
                await trio.sleep(30)
                assert store.statistics().pending == 4
            finally:
                postgres.start()
            await store.flush()
            stats = store.statistics()
            assert (stats.pending, stats.dropped, stats.db_up, stats.db_error) == (0, 1, True, None)
        assert rows(engine) == {
            ("agent", "keep"): {"v": 49},
            ("call", "c1"): {"n": 1},
            ("call", "c3"): {"n": 33},
        }
        messages = [r.getMessage() for r in caplog.records]
        assert sum("live-state database unavailable" in m for m in messages) == 1
        assert sum("live-state database is back" in m for m in messages) == 1
        assert sum("dropping new ones" in m for m in messages) == 1
    finally:
        engine.dispose()
