"""Fixtures of the continuity tests: a SQLite file already at the schema's head.

Migrating an empty SQLite file takes about a second and a half; a copy of one
migrated once per session takes milliseconds. The live store's tests make a
database per test and mutation testing runs them once per mutant
(docs/testing.md), so they start from the copy. Tests of the migration itself
(an empty database, an old schema) use ``empty_database_url`` as before.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ctid.records import db


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("migrated") / "ctid.db"
    engine = db.make_engine(db.sqlite_url(path))
    try:
        db.prepare(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def store_db(tmp_path: Path, migrated_sqlite_template: Path) -> Path:
    """``tmp_path / "ctid.db"``, a copy of a database at the head revision."""
    path = tmp_path / "ctid.db"
    shutil.copyfile(migrated_sqlite_template, path)
    return path
