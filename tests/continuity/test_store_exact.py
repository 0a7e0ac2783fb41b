"""The live-state store to the letter (SQLite): what an operator reads, the back-off, the guard.

tests/continuity/test_store.py covers the store's behaviour on both databases; this file
pins what mutation testing (docs/testing.md) showed it let through: the exact log lines
of an outage and of the recovery, the state ``statistics`` reports meanwhile, the
retry delays, the ``max_pending`` guard, the commit observers, and rows the store cannot
read.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
import trio

from ctid.blocking import in_thread
from ctid.livestate.store import (
    KINDS,
    MAX_KEY,
    MAX_PENDING,
    LiveStore,
    LiveStoreStatistics,
    StoreNotLoaded,
    _upsert,
)
from ctid.records import db
from ctid.records.schema import live_state

T = TypeVar("T")


class Switchable:
    """A ``blocking`` runner whose commits fail as an outage while ``down`` is set."""

    def __init__(self) -> None:
        self.down = False
        self.attempts: list[float] = []

    async def __call__(
        self, fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
    ) -> T:
        if getattr(fn, "__name__", "") == "_commit":
            self.attempts.append(trio.current_time())
            if self.down:
                raise OSError("connection refused\nsecond line of detail")
        return await in_thread(fn, *args, limiter=limiter)


@asynccontextmanager
async def running(store: LiveStore) -> AsyncIterator[LiveStore]:
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        yield store
        nursery.cancel_scope.cancel()


def messages(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "ctid.livestate.store"]


def test_kinds_and_limits() -> None:
    assert {
        "agent",
        "queue",
        "queue_entry",
        "last_agent",
        "call",
        "leg",
        "record",
        "recording",
        "fax",
        "campaign",
        "campaign_attempt",
    } == KINDS
    assert (MAX_KEY, MAX_PENDING) == (255, 200_000)


async def test_keys_and_kinds_are_checked_with_clear_messages(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine)
        async with running(store):
            store.put("agent", "k" * 255, {"v": 1})
            with pytest.raises(ValueError, match="live-state") as info:
                store.put("agent", "k" * 256, {})
            assert str(info.value) == (
                f"a live-state key is a string of 1 to 255 characters: {'k' * 256!r}"
            )
            with pytest.raises(ValueError, match="live-state") as info:
                store.delete("agent", 7)  # type: ignore[arg-type]
            assert str(info.value) == "a live-state key is a string of 1 to 255 characters: 7"
            with pytest.raises(ValueError, match="live-state") as info:
                store.delete("nope", "k")
            assert str(info.value) == (
                "unknown live-state kind 'nope' (known: agent, call, campaign, campaign_attempt, "
                "fax, last_agent, leg, queue, queue_entry, record, recording)"
            )
            with pytest.raises(TypeError) as type_info:
                store.put("agent", "a", "text")  # type: ignore[arg-type]
            assert str(type_info.value) == "live state values are dicts, not str"
            await store.flush()
            assert store.statistics().committed == 1
    finally:
        engine.dispose()


async def test_an_outage_is_logged_once_retried_with_back_off_and_recovered(
    store_db: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ctid.livestate.store")
    runner = Switchable()
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine, blocking=runner, retry_first=0.5, retry_max=3.0)
        sizes: list[int] = []
        store.commit_observers.append(sizes.append)
        async with running(store):
            assert messages(caplog) == [(logging.INFO, "live state loaded: nothing")]
            caplog.clear()
            runner.down = True
            store.put("agent", "2001", {"state": "ready"})
            store.put("call", "c1", {"state": "alerting"})
            await trio.sleep(10)
            assert store.statistics() == LiveStoreStatistics(
                pending=2,
                committed=0,
                dropped=0,
                commits=0,
                db_up=False,
                db_error="OSError: connection refused",
            )
            assert store.statistics().db_up is False
            # 0.5, 1, 2, then the 3 s ceiling.
            gaps = [round(b - a, 6) for a, b in itertools.pairwise(runner.attempts)]
            assert gaps == [0.5, 1.0, 2.0, 3.0, 3.0]
            assert messages(caplog) == [
                (
                    logging.ERROR,
                    "live-state database unavailable, keeping changes in memory: "
                    "OSError: connection refused",
                )
            ]
            caplog.clear()
            store.put("agent", "2001", {"state": "busy"})  # coalesced with the kept one
            runner.down = False
            await store.flush()
            assert store.statistics() == LiveStoreStatistics(
                pending=0, committed=2, dropped=0, commits=1, db_up=True, db_error=None
            )
            assert sizes == [2]
            assert messages(caplog) == [
                (logging.INFO, "live-state database is back; writing the changes kept meanwhile")
            ]
            # The back-off starts again from retry_first after a success.
            runner.attempts.clear()
            runner.down = True
            store.put("agent", "2002", {"state": "ready"})
            await trio.sleep(2)
            gaps = [round(b - a, 6) for a, b in itertools.pairwise(runner.attempts)]
            assert gaps == [0.5, 1.0]
            runner.down = False
            await store.flush()
            assert sizes == [2, 1]
    finally:
        engine.dispose()


async def test_past_max_pending_new_rows_are_dropped_counted_and_logged_once(
    store_db: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    runner = Switchable()
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine, blocking=runner, max_pending=3)
        async with running(store):
            runner.down = True
            for key in ("a", "b", "c"):
                store.put("agent", key, {"n": 1})
            await trio.sleep(1)
            caplog.clear()
            store.put("agent", "d", {"n": 1})
            store.put("agent", "e", {"n": 1})
            store.put("agent", "a", {"n": 2})  # a row already waiting is still taken
            assert store.statistics().pending == 3
            assert store.statistics().dropped == 2
            assert messages(caplog) == [
                (
                    logging.ERROR,
                    "live state: 3 changes wait for the database; dropping new ones "
                    "(1 dropped so far)",
                )
            ]
            runner.down = False
            await store.flush()
            with engine.connect() as conn:
                result = conn.execute(sa.select(live_state.c.key, live_state.c.value))
                stored = {row.key: row.value for row in result}
            assert stored == {"a": '{"n":2}', "b": '{"n":1}', "c": '{"n":1}'}
            assert store.statistics().pending == 0
            # After a commit, the next overflow is logged again.
            caplog.clear()
            runner.down = True
            for key in ("f", "g", "h", "i"):
                store.put("agent", key, {"n": 1})
            assert store.statistics().dropped == 3
            assert messages(caplog) == [
                (
                    logging.ERROR,
                    "live state: 3 changes wait for the database; dropping new ones "
                    "(3 dropped so far)",
                )
            ]
            runner.down = False
            await store.flush()
    finally:
        engine.dispose()


async def test_rows_that_are_not_json_objects_are_ignored_and_logged(
    store_db: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ctid.livestate.store")
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        db.prepare(engine)
        now = dt.datetime(2027, 1, 15, tzinfo=dt.UTC)
        with engine.begin() as conn:
            conn.execute(
                sa.insert(live_state),
                [
                    {"kind": "agent", "key": "ok", "value": '{"s":1}', "updated_at": now},
                    {"kind": "agent", "key": "text", "value": "not json", "updated_at": now},
                    {"kind": "call", "key": "list", "value": "[1, 2]", "updated_at": now},
                    {"kind": "call", "key": "c1", "value": '{"s":2}', "updated_at": now},
                    {"kind": "call", "key": "c2", "value": '{"s":3}', "updated_at": now},
                ],
            )
        store = LiveStore(engine=engine)
        async with running(store):
            assert store.load("agent") == {"ok": {"s": 1}}
            assert store.load("call") == {"c1": {"s": 2}, "c2": {"s": 3}}
            assert sorted(messages(caplog)) == [
                (logging.INFO, "live state loaded: 1 agent, 2 call"),
                (logging.ERROR, "live state: row (agent, text) is not JSON; ignored"),
                (logging.ERROR, "live state: row (call, list) is not a JSON object; ignored"),
            ]
            # The store knows what the database holds: deleting a loaded row writes.
            store.delete("call", "c1")
            await store.flush()
            assert store.statistics().committed == 1
    finally:
        engine.dispose()


class Gated:
    """A ``blocking`` runner whose commits wait for ``gate`` (a commit kept in flight)."""

    def __init__(self) -> None:
        self.gate = trio.Event()
        self.entered = trio.Event()

    async def __call__(
        self, fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
    ) -> T:
        if getattr(fn, "__name__", "") == "_commit":
            self.entered.set()
            await self.gate.wait()
        return await in_thread(fn, *args, limiter=limiter)


async def test_rows_in_flight_count_as_waiting_and_as_known(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    runner = Gated()
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine, blocking=runner, max_pending=2)
        async with running(store):
            store.put("agent", "a", {"n": 1})
            await runner.entered.wait()  # "a" is in flight
            store.put("agent", "b", {"n": 1})
            assert store.statistics().pending == 2  # b waiting, a in flight
            store.put("agent", "c", {"n": 1})  # a third row: over max_pending
            assert store.statistics().dropped == 1
            store.put("agent", "a", {"n": 2})  # a row in flight is known: taken
            assert store.statistics() == LiveStoreStatistics(
                pending=2, committed=0, dropped=1, commits=0, db_up=True, db_error=None
            )
            # A delete of a row never written, while a commit is in flight: flush
            # still waits for that commit.
            store.delete("call", "never")
            flushed = trio.Event()

            async def flusher() -> None:
                await store.flush()
                flushed.set()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(flusher)
                await trio.sleep(30)
                assert not flushed.is_set()
                runner.gate.set()
            with engine.connect() as conn:
                result = conn.execute(sa.select(live_state.c.key, live_state.c.value))
                assert {row.key: row.value for row in result} == {"a": '{"n":2}', "b": '{"n":1}'}
    finally:
        engine.dispose()


async def test_a_delete_of_nothing_on_an_idle_store_needs_no_commit(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine)
        async with running(store):
            store.delete("call", "never")
            with trio.fail_after(1):
                await store.flush()
            assert store.statistics().commits == 0
    finally:
        engine.dispose()


def test_load_before_the_database_was_read_says_so() -> None:
    store = LiveStore(engine=sa.create_engine("sqlite://"))
    with pytest.raises(StoreNotLoaded) as info:
        store.load("agent")
    assert str(info.value) == "the live-state store has not read the database yet"


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (OSError(), "OSError: OSError"),
        (OSError("  \n  "), "OSError: OSError"),
        (OSError("x" * 400), "OSError: " + "x" * 291),
    ],
)
async def test_outage_texts_are_one_short_line(
    store_db: Path, autojump_clock: trio.abc.Clock, error: OSError, shown: str
) -> None:
    async def failing(
        fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
    ) -> T:
        if getattr(fn, "__name__", "") == "_commit":
            raise error
        return await in_thread(fn, *args, limiter=limiter)

    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine, blocking=failing)
        async with running(store):
            store.put("agent", "a", {"n": 1})
            await store.wait_for(lambda s: s.db_error is not None)
            assert store.statistics().db_error == shown
            assert len(shown) <= 300
    finally:
        engine.dispose()


def test_the_default_back_off() -> None:
    store = LiveStore(engine=sa.create_engine("sqlite://"))
    assert (store.retry_first, store.retry_max, store.max_pending) == (0.25, 5.0, 200_000)


async def test_flush_after_deletes_of_rows_never_written_still_waits_for_the_rest(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    """Deletes of unknown rows count as changes: ``flush`` waits for all before them."""
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine)
        async with running(store):
            store.put("agent", "2001", {"state": "ready"})
            await store.flush()
            # No checkpoint from here to flush: the writer has not taken "2002" yet.
            store.put("agent", "2002", {"state": "busy"})
            store.delete("call", "never-1")
            store.delete("call", "never-2")
            await store.flush()
            with engine.connect() as conn:
                result = conn.execute(sa.select(live_state.c.key, live_state.c.value))
                assert {row.key: row.value for row in result} == {
                    "2001": '{"state":"ready"}',
                    "2002": '{"state":"busy"}',
                }
            assert store.statistics() == LiveStoreStatistics(
                pending=0, committed=2, dropped=0, commits=2, db_up=True, db_error=None
            )
    finally:
        engine.dispose()


def test_a_third_database_is_refused_by_name() -> None:
    for name in ("mysql", "oracle"):
        conn: Any = SimpleNamespace(dialect=SimpleNamespace(name=name))
        with pytest.raises(NotImplementedError) as info:
            _upsert(conn)
        assert str(info.value) == f"live state needs SQLite or PostgreSQL, not {name}"


class FailingLoad:
    """A ``blocking`` runner whose reads at start fail as an outage while ``down`` is set."""

    def __init__(self) -> None:
        self.down = True
        self.attempts: list[float] = []
        self.limiters: list[trio.CapacityLimiter | None] = []

    async def __call__(
        self, fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
    ) -> T:
        if getattr(fn, "__name__", "") == "_read_all":
            self.attempts.append(trio.current_time())
            self.limiters.append(limiter)
            if self.down:
                raise OSError("could not connect\ndetail")
        return await in_thread(fn, *args, limiter=limiter)


async def test_loading_retries_with_back_off_says_why_and_uses_the_writers_thread(
    store_db: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ctid.livestate.store")
    runner = FailingLoad()
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine, blocking=runner, retry_first=0.5, retry_max=3.0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(store.run)
            await trio.sleep(10)
            assert not store.loaded
            assert store.statistics() == LiveStoreStatistics(
                pending=0,
                committed=0,
                dropped=0,
                commits=0,
                db_up=False,
                db_error="OSError: could not connect",
            )
            # 0.5, 1, 2, then the 3 s ceiling.
            gaps = [round(b - a, 6) for a, b in itertools.pairwise(runner.attempts)]
            assert gaps == [0.5, 1.0, 2.0, 3.0, 3.0]
            assert messages(caplog) == [
                (
                    logging.ERROR,
                    "live-state database unavailable, keeping changes in memory: "
                    "OSError: could not connect",
                )
            ]
            caplog.clear()
            runner.down = False
            await store.wait_for(lambda s: s.db_up)
            assert store.load("agent") == {}
            assert store.statistics().db_error is None
            assert messages(caplog) == [
                (logging.INFO, "live-state database is back; writing the changes kept meanwhile"),
                (logging.INFO, "live state loaded: nothing"),
            ]
            # One thread at a time touches the database: the reads share the writer's.
            assert runner.limiters == [store.limiter] * len(runner.attempts)
            nursery.cancel_scope.cancel()
    finally:
        engine.dispose()


class Recording:
    """A ``blocking`` runner that notes which function ran with which limiter."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, trio.CapacityLimiter | None]] = []

    async def __call__(
        self, fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
    ) -> T:
        self.calls.append((getattr(fn, "__name__", ""), limiter))
        return await in_thread(fn, *args, limiter=limiter)


async def test_a_row_deleted_in_the_database_needs_no_second_delete_and_one_thread_writes(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    runner = Recording()
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine, blocking=runner)
        async with running(store):
            store.put("agent", "2001", {"state": "ready"})
            await store.flush()
            store.delete("agent", "2001")
            await store.flush()
            assert store.statistics().commits == 2
            # The store knows the row is gone: deleting it again writes nothing.
            store.delete("agent", "2001")
            await store.flush()
            assert store.statistics() == LiveStoreStatistics(
                pending=0, committed=2, dropped=0, commits=2, db_up=True, db_error=None
            )
        assert runner.calls == [
            ("_read_all", store.limiter),
            ("_commit", store.limiter),
            ("_commit", store.limiter),
        ]
    finally:
        engine.dispose()


async def test_the_newest_write_time_is_the_latest_of_all_rows(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    """``last_written`` (the previous run's last sign of life) is the maximum, not the last row."""
    wall = [2000.0]
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine, wall=lambda: wall[0])
        async with running(store):
            assert store.last_written is None
            store.put("agent", "b", {"n": 1})
            await store.flush()
            wall[0] = 1000.0  # a clock set back: later rows, older stamps
            store.put("agent", "a", {"n": 1})
            store.put("agent", "c", {"n": 1})
            await store.flush()
        store = LiveStore(engine=engine)
        async with running(store):
            assert store.last_written == 2000.0
    finally:
        engine.dispose()


def test_the_defaults_of_a_new_store() -> None:
    engine = sa.create_engine("sqlite://")
    store = LiveStore(engine=engine)
    # One thread at a time writes, unless the caller shares its own limiter.
    assert isinstance(store.limiter, trio.CapacityLimiter)
    assert store.limiter.total_tokens == 1
    shared = trio.CapacityLimiter(3)
    assert LiveStore(engine=engine, limiter=shared).limiter is shared
    assert store.prepare_schema is True
    assert LiveStore(engine=engine, prepare_schema=False).prepare_schema is False
    assert store.last_written is None
    assert (store.max_pending, store.retry_first, store.retry_max) == (200_000, 0.25, 5.0)


async def test_a_fresh_store_counts_nothing_and_flushes_at_once(
    store_db: Path, autojump_clock: trio.abc.Clock
) -> None:
    engine = db.make_engine(db.sqlite_url(store_db))
    try:
        store = LiveStore(engine=engine)
        assert store.statistics() == LiveStoreStatistics(
            pending=0, committed=0, dropped=0, commits=0, db_up=False, db_error=None
        )
        # Before the database is read: a put and its delete leave nothing to write.
        store.put("agent", "2001", {"state": "ready"})
        store.delete("agent", "2001")
        assert store.statistics().pending == 0
        async with running(store):
            with trio.fail_after(1):
                await store.flush()
            assert store.statistics() == LiveStoreStatistics(
                pending=0, committed=0, dropped=0, commits=0, db_up=True, db_error=None
            )
            with engine.connect() as conn:
                assert conn.execute(sa.select(live_state)).all() == []
    finally:
        engine.dispose()
