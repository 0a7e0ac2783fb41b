"""Schema migrations and the start-up schema check, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ctid.cli import main
from ctid.records import db
from ctid.records.schema import metadata


def test_an_empty_database_gets_the_schema_and_it_matches_the_code(
    empty_database_url: str,
) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        assert db.current_revision(engine) is None
        assert "created" in db.prepare(engine)
        assert db.current_revision(engine) == db.head_revision()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
        # Second start: nothing to do.
        assert "at revision" in db.prepare(engine)
    finally:
        engine.dispose()


def test_upgrade_reports_from_and_to(empty_database_url: str) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        assert db.upgrade(engine) == (None, db.head_revision())
        assert db.upgrade(engine) == (db.head_revision(), db.head_revision())
    finally:
        engine.dispose()


def test_a_database_from_a_newer_ctid_is_refused(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(db.SchemaError, match=r"revision ffff.*newer ctid"):
        db.prepare(engine)


def test_an_old_schema_is_refused_with_the_command_to_run(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend this ctid has one more revision than the database has seen.
    current = db.head_revision()
    known = db.known_revisions()
    monkeypatch.setattr(db, "head_revision", lambda: "next1")
    monkeypatch.setattr(db, "known_revisions", lambda: {*known, "next1"})
    with pytest.raises(
        db.SchemaError, match=f"at schema revision {current} but this ctid needs next1"
    ):
        db.prepare(engine)


def test_tables_that_ctid_did_not_make_are_refused(empty_database_url: str) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE calls (x INTEGER)"))
        with pytest.raises(db.SchemaError, match="not made by ctid"):
            db.prepare(engine)
    finally:
        engine.dispose()


def test_schema_problem_messages() -> None:
    assert db.schema_problem("0001", "0001", {"0001"}) is None
    assert "ctid db upgrade" in (db.schema_problem("0001", "0002", {"0001", "0002"}) or "")


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = db.make_engine(db.sqlite_url(tmp_path / "w.db"))
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2  # FULL
    finally:
        engine.dispose()


def test_postgresql_urls_use_psycopg_3() -> None:
    assert db.normalize_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalize_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_the_daemon_refuses_to_start_on_another_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "ctid.toml"
    config.write_text(f'[server]\nlisten = "127.0.0.1:0"\nstate_dir = "{tmp_path}"\n')
    monkeypatch.setenv("CTID_ADMIN_TOKEN", "a-long-enough-admin-token")
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    engine = db.make_engine(db.sqlite_url(tmp_path / "ctid.db"))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    capsys.readouterr()
    assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the records database is at schema revision ffff")
    assert "Traceback" not in err
