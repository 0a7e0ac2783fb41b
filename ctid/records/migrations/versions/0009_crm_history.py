"""Records search and history: indexes by number (``calls.campaign`` is outbound_1's).

``records.history`` looks a number up as caller or as called party, newest
first: one index each on (number, started_at). On PostgreSQL they use
``varchar_pattern_ops`` so that ``records.search``'s number prefixes
(``LIKE '+86138%'``) use them too whatever the database's collation; SQLite
uses them for ``GLOB`` prefixes.

Revision ID: crm_1
Revises: fax_1
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "crm_1"
down_revision = "fax_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_calls_caller_started",
        "calls",
        ["caller", "started_at"],
        postgresql_ops={"caller": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_calls_called_started",
        "calls",
        ["called", "started_at"],
        postgresql_ops={"called": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_calls_called_started", "calls")
    op.drop_index("ix_calls_caller_started", "calls")
