"""Fixtures of the records tests: records databases on both engines (SQLite and the
real PostgreSQL of ``tests/postgres.py``); ``pg_template`` and ``empty_database_url``
are in ``tests/conftest.py``, shared with the continuity tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ctid.records import db

from ..postgres import PostgresServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty records database on each engine."""
    if request.param == "sqlite":
        engine = db.make_engine(db.sqlite_url(tmp_path / "ctid.db"))
        db.upgrade(engine)
        engine.dispose()
        return db.sqlite_url(tmp_path / "ctid.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    template: str = request.getfixturevalue("pg_template")
    return server.url(server.create_database(template))


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()
