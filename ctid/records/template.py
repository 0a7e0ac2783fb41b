"""A fresh SQLite records database copied from a template, not migrated. Blocking code.

``ctid simulate --campaign`` throws its database away after every day, and migrating
a new one through every revision cost about a second of each start (Alembic loads and
runs each migration script). The schema a fresh database ends with depends only on
the migration scripts, so it is made once per set of scripts and copied after that:

* the template is an SQLite file in a cache directory (``$XDG_CACHE_HOME/ctid``,
  else ``~/.cache/ctid``), named by a digest of every file under
  ``ctid/records/migrations``: a new or changed migration (another revision head, an
  edited script) names another template, so a stale one is never used;
* it is made by the same ``db.upgrade`` a first start runs, in a file of its own,
  and renamed into place when complete: two processes making it at once each
  rename a whole database, and a killed one leaves no half-made template;
* a copy is a page-by-page backup (SQLite's backup API), so it holds what the
  migrated database held, ``alembic_version`` included, and the daemon's start-up
  check finds it at the newest revision.

When the cache cannot be written the database is migrated in place, as before.
The daemon never uses this: its database is created (or checked) at start by
``db.prepare``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
from importlib import resources
from pathlib import Path

from sqlalchemy import exc as sa_exc

from . import db

__all__ = ["cache_dir", "fresh_database", "migrations_digest", "template_path"]

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where templates are kept (XDG's cache directory for ctid)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ctid"


def migrations_digest(root: Path | None = None) -> str:
    """A digest of every migration script (names and contents) under ``root``."""
    if root is None:
        root = Path(str(resources.files("ctid.records").joinpath("migrations")))
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def template_path(directory: Path | None = None) -> Path:
    """The template of this ctid's migrations, in ``directory`` (default ``cache_dir()``)."""
    return (directory or cache_dir()) / f"records-{migrations_digest()}.sqlite"


def fresh_database(path: Path, *, directory: Path | None = None) -> None:
    """Make ``path`` (which must not exist yet) an SQLite records database at the
    newest revision, copied from the template (made first if there is none)."""
    template = template_path(directory)
    if not template.is_file():
        try:
            _make_template(template)
        except (OSError, sqlite3.Error, sa_exc.SQLAlchemyError) as exc:
            # A cache that cannot be written, or a path SQLite will not open there.
            log.info("no records template (%s); migrating the database instead", exc)
            _migrate(path)
            return
    _copy(template, path)


def _migrate(path: Path) -> None:
    engine = db.make_engine(db.sqlite_url(path))
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()


def _make_template(template: Path) -> None:
    template.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".making-", dir=template.parent) as tmp:
        migrated = Path(tmp) / "migrated.sqlite"
        _migrate(migrated)
        # One self-contained file (no -wal beside it), then into place whole.
        whole = Path(tmp) / "template.sqlite"
        _copy(migrated, whole)
        # Rollback journal: reading the template then leaves no -wal/-shm files
        # beside it (``db.make_engine`` puts each copy in WAL mode when it opens it).
        connection = sqlite3.connect(whole)
        try:
            connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            connection.close()
        os.replace(whole, template)


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
