"""Fixtures of the fax tests: a migrated database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from ctid.records import db


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(empty_database_url)
    db.prepare(engine)
    try:
        yield engine
    finally:
        engine.dispose()
