"""Fixtures of the outbound tests: a records database on each engine (SQLite and the real
PostgreSQL of ``tests/postgres.py``), where campaigns keep their data."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.records import db

from ..postgres import PostgresServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty records database on each engine."""
    if request.param == "sqlite":
        url = db.sqlite_url(tmp_path / "ctid.db")
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        return url
    server: PostgresServer = request.getfixturevalue("postgres")
    template: str = request.getfixturevalue("pg_template")
    return server.url(server.create_database(template))
