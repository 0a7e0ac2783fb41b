"""The revisions read without Alembic (``db.revision_graph``, ``db.current_revision``)
are Alembic's own answers, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from ctid.records import db


def _alembic_scripts() -> ScriptDirectory:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", db._script_location())
    return ScriptDirectory.from_config(config)


def _alembic_current(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_graph_is_alembics() -> None:
    scripts = _alembic_scripts()
    graph = db.revision_graph()
    assert graph is not None
    expected = {
        script.revision: tuple(
            [script.down_revision]
            if isinstance(script.down_revision, str)
            else script.down_revision or ()
        )
        for script in scripts.walk_revisions()
    }
    assert graph == expected
    assert db.head_revision() == scripts.get_current_head()
    assert db.known_revisions() == {s.revision for s in scripts.walk_revisions()}
    assert len(graph) >= 13


def test_the_current_revision_is_alembics_at_every_step(empty_database_url: str) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        assert db.current_revision(engine) is None
        assert _alembic_current(engine) is None
        scripts = list(reversed(list(_alembic_scripts().walk_revisions())))
        for script in scripts[:3] + scripts[-1:]:
            db.upgrade(engine, script.revision)
            assert db.current_revision(engine) == script.revision == _alembic_current(engine)
        # An empty version table (a migration stamped off): None, as Alembic says.
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM alembic_version"))
        assert db.current_revision(engine) is None
        assert _alembic_current(engine) is None
    finally:
        engine.dispose()


def test_several_versions_are_left_to_alembic(empty_database_url: str) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('0001')"))
        with pytest.raises(CommandError, match="more than one head") as ours:
            db.current_revision(engine)
        with pytest.raises(CommandError, match="more than one head") as alembics:
            _alembic_current(engine)
        assert str(ours.value) == str(alembics.value)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("text", "readable"),
    [
        ('revision = "x9"\ndown_revision = "{head}"\n', True),
        ('revision: str = "x9"\ndown_revision: str | None = "{head}"\n', True),
        ('revision = "x9"\n', False),  # no down_revision: ask Alembic
        ('revision = "x9"\ndown_revision = PREVIOUS\n', False),  # not a literal
        ('revision = "0001"\ndown_revision = None\n', False),  # the same id twice
    ],
)
def test_scripts_not_said_plainly_are_left_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, readable: bool
) -> None:
    shipped = Path(db._script_location())
    # The new script follows whatever the shipped head is, so the test outlives new migrations.
    db.revision_graph.cache_clear()
    head = db.head_revision()
    text = text.replace("{head}", head)
    copy = tmp_path / "migrations"
    shutil.copytree(shipped, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / "0099_test_x.py").write_text(text)
    monkeypatch.setattr(db, "_script_location", lambda: str(copy))
    db.revision_graph.cache_clear()
    try:
        graph = db.revision_graph()
        if readable:
            assert graph is not None and graph["x9"] == (head,)
            assert db.head_revision() == "x9"
            assert "x9" in db.known_revisions()
        else:
            assert graph is None
    finally:
        db.revision_graph.cache_clear()
