"""Fixtures of the continuity tests: live-state databases on both engines (SQLite and the
real PostgreSQL of ``tests/postgres.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.records import db

from ..postgres import PostgresServer


@pytest.fixture(scope="session")
def live_pg_template(postgres: PostgresServer) -> str:
    """A migrated PostgreSQL database to copy per test."""
    name = postgres.create_database()
    engine = db.make_engine(postgres.url(name))
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no schema yet: the store creates it) on each engine."""
    if request.param == "sqlite":
        return db.sqlite_url(tmp_path / "ctid.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url(server.create_database())
