"""Database engines, schema migrations and the start-up schema check. Blocking code.

Everything here blocks (it talks to the database) and runs in worker threads
(``trio.to_thread.run_sync``) when called from the daemon, or directly from
``ctid db upgrade``.

* SQLite (the default, a file in the state directory) runs in WAL mode so
  reports read while the writer writes, with ``synchronous=FULL``: the
  writer deletes spool segments once the database has committed them, so a
  commit must survive a power cut too, not only a crash of ctid.
* PostgreSQL is reached through psycopg 3; ``postgresql://`` URLs are read as
  ``postgresql+psycopg://``.

The schema belongs to Alembic (``ctid/records/migrations``). A brand-new,
empty database is created at the newest revision on first start; a database
at an older revision makes the daemon refuse to start until ``ctid db
upgrade`` has been run, because an automatic migration of a production
database at start-up (with several daemons, or a big table) is a decision for
its operator.
"""

from __future__ import annotations

import ast
import functools
import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# Alembic is imported where the schema is looked at, not here: importing it (with
# Mako and Pygments) costs a third of a second, and every ctid command imports this
# module, most (``ctid simulate``, ``ctid --help``) without a database.
if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

from ..errors import StartupError

__all__ = [
    "SchemaError",
    "check_schema",
    "current_revision",
    "head_revision",
    "known_revisions",
    "make_engine",
    "normalize_url",
    "prepare",
    "revision_graph",
    "schema_problem",
    "sqlite_url",
    "upgrade",
]


# Alembic logs two INFO lines each time it looks at a database's revision,
# which ctid does at every start; its warnings and errors still show.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


#: Alembic's table of the revision a database is at (its default name; env.py keeps it).
VERSION_TABLE = "alembic_version"


class SchemaError(StartupError):
    """The database's schema is not the one this ctid needs."""


def normalize_url(url: str) -> str:
    """Choose psycopg 3 for ``postgresql://`` URLs; anything else is left alone."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings ctid relies on."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            # Worker threads take turns with the one connection pool.
            connect_args={"check_same_thread": False, "timeout": 5.0},
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=4,
        # A connection attempt to a dead server must fail fast: the writer
        # spools meanwhile and tries again.
        connect_args={"connect_timeout": 5},
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _script_location() -> str:
    return str(resources.files("ctid.records").joinpath("migrations"))


def _alembic_config(connection: sa.Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", _script_location())
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this ctid knows."""
    graph = revision_graph()
    if graph is not None:
        heads = set(graph) - {down for downs in graph.values() for down in downs}
        if len(heads) == 1:
            return heads.pop()
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        # Read as Alembic reads it (its default version table), without importing
        # Alembic: a start that finds its schema in place needs none of it.
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return None
        found = list(connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")))
        if len(found) <= 1:
            return str(found[0][0]) if found else None
        # Several heads: Alembic's own answer (and error).
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def revision_graph() -> dict[str, tuple[str, ...]] | None:
    """Each revision of the shipped migration scripts and the revisions it follows,
    read from the scripts' source (``revision = ...``, ``down_revision = ...``)
    rather than by Alembic, whose import alone costs a start ~0.4 s.

    None when a script does not say them as plain strings (or None, or a tuple of
    strings): the callers then ask Alembic. ``tests/records/test_db.py`` checks it
    against Alembic's own reading.
    """
    versions = Path(_script_location()) / "versions"
    graph: dict[str, tuple[str, ...]] = {}
    for script in sorted(versions.glob("*.py")):
        if script.name == "__init__.py":
            continue
        values: dict[str, object] = {}
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            # ``revision = "x"`` or ``revision: str = "x"``.
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    values[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        if "down_revision" not in values:
            return None
        revision, down = values.get("revision"), values["down_revision"]
        if not isinstance(revision, str) or revision in graph:
            return None
        downs = (down,) if isinstance(down, str) else () if down is None else down
        if not isinstance(downs, tuple) or not all(isinstance(d, str) for d in downs):
            return None
        graph[revision] = downs
    return graph or None


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Migrate the database to ``revision``; returns (from, to)."""
    from alembic import command

    before = current_revision(engine)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)
    after = current_revision(engine)
    assert after is not None
    return before, after


def _is_empty(engine: Engine) -> bool:
    return not set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def check_schema(engine: Engine) -> None:
    """Raise ``SchemaError`` unless the database is at this ctid's revision."""
    problem = schema_problem(current_revision(engine), head_revision(), known_revisions())
    if problem is not None:
        raise SchemaError(problem)


def schema_problem(current: str | None, head: str, known: set[str]) -> str | None:
    """What is wrong with a database at revision ``current`` for a ctid at ``head``, if anything."""
    if current == head:
        return None
    if current is None:
        return "the records database has tables but no schema revision: it was not made by ctid"
    if current not in known:
        return (
            f"the records database is at schema revision {current}, which this ctid does not "
            f"know (it needs {head}): it was upgraded by a newer ctid"
        )
    return (
        f"the records database is at schema revision {current} but this ctid needs {head}: "
        "run 'ctid db upgrade --config FILE' first"
    )


def known_revisions() -> set[str]:
    """Every revision this ctid's migrations know."""
    graph = revision_graph()
    if graph is not None:
        return set(graph)
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_alembic_config())
    return {script.revision for script in scripts.walk_revisions()}


def prepare(engine: Engine) -> str:
    """At start-up: create the schema in an empty database, else check it.

    Returns what was done (for the log). Raises ``SchemaError`` for a database
    at another revision and SQLAlchemy's errors if it cannot be reached.
    """
    if current_revision(engine) is None and _is_empty(engine):
        _, after = upgrade(engine)
        return f"created the records schema (revision {after})"
    check_schema(engine)
    return f"records schema at revision {head_revision()}"
