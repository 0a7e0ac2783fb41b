"""Alembic's entry point: runs the migrations on the connection ctid hands it.

ctid never runs Alembic from an ``alembic.ini``; ``ctid.records.db`` builds the
configuration and passes an open connection in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context

from ctid.records.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
