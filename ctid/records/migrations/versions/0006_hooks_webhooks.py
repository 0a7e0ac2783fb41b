"""Webhooks: the ones created over the API, and the durable outbox of their events.

Revision ID: hooks_1
Revises: lead_2
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hooks_1"
down_revision = "lead_2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("webhook", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("method", sa.String(128), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("timestamp", sa.String(32), nullable=False),
    )
    op.create_index("ix_webhook_events_webhook", "webhook_events", ["webhook", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_webhook", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("webhooks")
