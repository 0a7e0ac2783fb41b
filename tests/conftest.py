"""Fixtures every test directory may use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctid.records import db

from .postgres import PostgresServer


@pytest.fixture(scope="session", autouse=True)
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep what ctid caches (the simulation's template database) out of the user's home.

    Set in the environment so the CLI processes the tests start inherit it too.
    """
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def pg_template(postgres: PostgresServer) -> str:
    """A migrated database to copy per test (faster than migrating each)."""
    name = postgres.create_database()
    engine = db.make_engine(postgres.url(name))
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no schema) on each engine: SQLite, and the real PostgreSQL."""
    if request.param == "sqlite":
        return db.sqlite_url(tmp_path / "ctid.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url(server.create_database())
