"""A fresh SQLite records database copied from a template (``records/template.py``):
the same schema and revision as one migrated from nothing, a template per set of
migration scripts, and migration in place when the cache cannot be written."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa

from ctid.records import db, template
from ctid.records.schema import nodes


def _migrated(path: Path) -> Path:
    engine = db.make_engine(db.sqlite_url(path))
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    return path


def _schema(path: Path) -> dict[str, object]:
    """Everything of a database's schema and contents SQLite can tell."""
    connection = sqlite3.connect(path)
    try:
        master = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        tables = [row[1] for row in master if row[0] == "table"]
        contents = {
            name: connection.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
            for name in tables
            if not name.startswith("sqlite_")
        }
        pragmas = {
            name: connection.execute(f"PRAGMA {name}").fetchall()
            for name in ("user_version", "page_size", "encoding", "auto_vacuum")
        }
    finally:
        connection.close()
    return {"master": master, "contents": contents, "pragmas": pragmas}


def test_the_copy_equals_a_database_migrated_from_nothing(tmp_path: Path) -> None:
    migrated = _migrated(tmp_path / "migrated.db")
    copy = tmp_path / "copy.db"
    template.fresh_database(copy, directory=tmp_path / "cache")
    made = _schema(copy)
    assert made == _schema(migrated)
    master = made["master"]
    assert isinstance(master, list) and len(master) > 20
    contents = made["contents"]
    assert isinstance(contents, dict)
    assert contents["alembic_version"] == [(db.head_revision(),)]
    assert all(rows == [] for name, rows in contents.items() if name != "alembic_version")
    # The daemon's start-up check accepts it, and it is writable in WAL mode.
    engine = db.make_engine(db.sqlite_url(copy))
    try:
        assert db.current_revision(engine) == db.head_revision()
        db.check_schema(engine)
        assert "at revision" in db.prepare(engine)
        with engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            seen = dt.datetime(2026, 12, 7, 22, 30, tzinfo=dt.UTC)
            conn.execute(nodes.insert().values(node="n", run_id="r", last_seen=seen))
            assert conn.execute(sa.select(nodes.c.last_seen)).scalar_one() == seen
    finally:
        engine.dispose()
    # The template beside it is one whole file (no -wal or -shm) named by the digest.
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        f"records-{template.migrations_digest()}.sqlite"
    ]


def test_a_cache_path_with_uri_characters(tmp_path: Path) -> None:
    cache = tmp_path / "a b"
    template.fresh_database(tmp_path / "day.db", directory=cache)
    assert _schema(tmp_path / "day.db") == _schema(_migrated(tmp_path / "migrated.db"))
    assert template.template_path(cache).is_file()


def test_a_cache_path_sqlalchemy_cannot_open_migrates_in_place(tmp_path: Path) -> None:
    # SQLAlchemy's URLs (every SQLite path of ctid goes through one) cut at "?".
    cache = tmp_path / "a?b"
    target = tmp_path / "day.db"
    template.fresh_database(target, directory=cache)
    assert _schema(target) == _schema(_migrated(tmp_path / "migrated.db"))
    assert not template.template_path(cache).exists()


def test_the_second_database_is_copied_not_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    template.fresh_database(tmp_path / "first.db", directory=cache)

    def no_migration(path: Path) -> None:
        raise AssertionError(f"migrated {path} though the template exists")

    monkeypatch.setattr(template, "_migrate", no_migration)
    template.fresh_database(tmp_path / "second.db", directory=cache)
    assert _schema(tmp_path / "second.db") == _schema(tmp_path / "first.db")


def test_an_unwritable_cache_migrates_in_place(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    target = tmp_path / "day.db"
    template.fresh_database(target, directory=blocker / "cache")
    assert _schema(target) == _schema(_migrated(tmp_path / "migrated.db"))


def test_the_digest_follows_every_migration_script(tmp_path: Path) -> None:
    shipped = Path(str(resources.files("ctid.records").joinpath("migrations")))
    copy = tmp_path / "migrations"
    shutil.copytree(shipped, copy, ignore=shutil.ignore_patterns("__pycache__"))
    first = template.migrations_digest(copy)
    assert first == template.migrations_digest(shipped)
    assert template.template_path(tmp_path).name == f"records-{first}.sqlite"
    # Byte code beside the scripts is not part of it.
    (copy / "versions" / "__pycache__").mkdir()
    (copy / "versions" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert template.migrations_digest(copy) == first
    # A new revision (another head) names another template...
    added = copy / "versions" / "0099_test_more.py"
    added.write_text('revision = "test_1"\n')
    second = template.migrations_digest(copy)
    assert second != first
    # ... and so does an edited one.
    added.write_text('revision = "test_2"\n')
    assert template.migrations_digest(copy) not in (first, second)
    added.unlink()
    assert template.migrations_digest(copy) == first


def test_the_cache_directory_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert template.cache_dir() == tmp_path / "xdg" / "ctid"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert template.cache_dir() == tmp_path / "home" / ".cache" / "ctid"
