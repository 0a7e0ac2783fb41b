"""The record writer does not call the database down for faults of this process.

An error reading the spool (a local file) or a database error caused by the
process running out of descriptors (EMFILE) is retried; ``db_up`` and so
/healthz keep reporting the database as it last was. A real outage still
marks it down (tests/records/test_writer.py).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trio

from ctid.records import writer as writer_module
from ctid.records.schema import calls
from ctid.records.writer import RecordWriter, WriterLimits

from .test_writer import call_close


async def _started(engine: sa.Engine, spool: Path, nursery: trio.Nursery) -> RecordWriter:
    writer = RecordWriter(engine=engine, spool_dir=spool, limits=WriterLimits(fsync=False))
    await nursery.start(writer.run)
    writer.submit(call_close("c0"))
    await writer.wait_committed()
    assert writer.db_up
    return writer


async def test_a_spool_read_error_leaves_the_database_up(
    engine: sa.Engine, tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with trio.open_nursery() as nursery:
        writer = await _started(engine, tmp_path / "spool", nursery)
        real_read = writer.journal.read
        failures: list[int] = []

        def read(*args: Any) -> Any:
            if len(failures) < 3:
                failures.append(len(failures))  # (in a worker thread)
                raise OSError(errno.EMFILE, "Too many open files")
            return real_read(*args)

        writer.journal.read = read  # type: ignore[method-assign]
        writer.submit(call_close("c1"))
        while len(failures) < 3:
            await trio.sleep(0.01)
            assert (writer.db_up, writer.db_error) == (True, None)
        await writer.wait_committed()
        assert writer.statistics().db_up
        assert writer.committed == 2
        nursery.cancel_scope.cancel()
    with engine.connect() as conn:
        assert {r.call_id for r in conn.execute(sa.select(calls))} == {"c0", "c1"}


async def test_emfile_from_the_database_driver_is_not_an_outage(
    engine: sa.Engine,
    tmp_path: Path,
    autojump_clock: trio.abc.Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with trio.open_nursery() as nursery:
        writer = await _started(engine, tmp_path / "spool", nursery)
        real_apply = writer_module.apply
        failures: list[int] = []

        def apply(*args: Any) -> None:
            if len(failures) < 2:
                failures.append(len(failures))  # (in a worker thread)
                raise sa.exc.OperationalError(
                    "connect", {}, OSError(errno.EMFILE, "Too many open files")
                )
            real_apply(*args)

        monkeypatch.setattr(writer_module, "apply", apply)
        writer.submit(call_close("c1"))
        started = trio.current_time()
        while len(failures) < 2:
            await trio.sleep(0.01)
            assert (writer.db_up, writer.db_error) == (True, None)
        # The second attempt came after the writer's back-off, not in a loop.
        assert trio.current_time() - started >= WriterLimits().retry_first
        await writer.wait_committed()
        assert writer.committed == 2
        nursery.cancel_scope.cancel()
