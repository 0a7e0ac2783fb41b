"""``UtcDateTime``'s one-step SQLite processor writes the strings the two-step way
(``process_bind_param``, then SQLAlchemy's DATETIME processor) wrote; on PostgreSQL
the two-step way is kept."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from ctid.records import db
from ctid.records.schema import UtcDateTime, nodes


def _processors(dialect: sa.Dialect) -> tuple[Any, Any]:
    column_type: Any = UtcDateTime().dialect_impl(dialect)
    fast = column_type.bind_processor(dialect)
    two_step = TypeDecorator.bind_processor(column_type, dialect)
    return fast, two_step


def _moments(count: int) -> list[dt.datetime]:
    rng = random.Random(12)
    moments = [
        dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 23, 59, 59, 999_999, tzinfo=dt.UTC),
        dt.datetime(5, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ]
    for _ in range(count):
        zone = dt.timezone(dt.timedelta(minutes=rng.randint(-14 * 60, 14 * 60)))
        moments.append(
            dt.datetime(
                rng.randint(2, 9998),
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.randint(0, 23),
                rng.randint(0, 59),
                rng.randint(0, 59),
                rng.choice([0, rng.randint(0, 999_999)]),
                tzinfo=zone,
            )
        )
    return moments


def test_the_sqlite_processor_gives_the_two_step_strings() -> None:
    dialect = sqlite.dialect()
    fast, two_step = _processors(dialect)
    assert callable(fast) and callable(two_step)
    assert fast.__qualname__ == "UtcDateTime.bind_processor.<locals>.process"
    for moment in _moments(5_000):
        assert fast(moment) == two_step(moment), moment
    assert fast(dt.datetime(2026, 12, 7, 1, 2, 3, tzinfo=dt.UTC)) == "2026-12-07 01:02:03.000000"
    assert fast(None) is None


@pytest.mark.parametrize("value", [dt.datetime(2026, 12, 7, 1, 2, 3), "2026-12-07", 5])
def test_the_sqlite_processor_refuses_what_the_two_step_refuses(value: object) -> None:
    fast, two_step = _processors(sqlite.dialect())
    assert callable(fast) and callable(two_step)
    with pytest.raises(ValueError, match="expected an aware datetime") as one:
        fast(value)
    with pytest.raises(ValueError, match="expected an aware datetime") as other:
        two_step(value)
    assert str(one.value) == str(other.value)


def test_postgresql_keeps_the_two_step_processor() -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    column_type = UtcDateTime().dialect_impl(dialect)
    moment = dt.datetime(2026, 12, 7, 1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    processor = column_type.bind_processor(dialect)
    assert processor is not None
    assert processor(moment) == moment.astimezone(dt.UTC)
    assert processor(moment).tzinfo == dt.UTC


def test_rows_written_hold_the_two_step_strings_and_read_back(tmp_path: Path) -> None:
    engine = db.make_engine(db.sqlite_url(tmp_path / "ctid.db"))
    try:
        db.upgrade(engine)
        _, two_step = _processors(engine.dialect)
        assert callable(two_step)
        moments = _moments(200)
        rows = [
            {"node": f"n{i}", "run_id": "r", "last_seen": moment}
            for i, moment in enumerate(moments)
        ]
        with engine.begin() as conn:
            conn.execute(nodes.insert(), rows)
            stored = conn.exec_driver_sql("SELECT last_seen FROM nodes ORDER BY rowid").fetchall()
            back = conn.execute(sa.select(nodes.c.last_seen).order_by(sa.text("rowid"))).scalars()
            assert [row[0] for row in stored] == [two_step(m) for m in moments]
            assert list(back) == [m.astimezone(dt.UTC) for m in moments]
    finally:
        engine.dispose()
