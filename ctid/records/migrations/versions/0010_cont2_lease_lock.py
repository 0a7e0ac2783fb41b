"""The lease row says whether its holder holds the advisory lock, on which server run.

A standby that gets the cluster's advisory lock while the row says its holder held
it, on the same PostgreSQL run, knows the holder's session ended (its process died):
it may take the lease before it runs out (docs/design.md, "Leader election").

Revision ID: cont2_1
Revises: crm_1
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cont2_1"
down_revision = "crm_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cluster_lease") as batch:
        batch.add_column(
            sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("server_started", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cluster_lease") as batch:
        batch.drop_column("server_started")
        batch.drop_column("locked")
