"""Voicemail messages as first-class records: a mailbox, the caller, the call's data.

Revision ID: lead_2
Revises: lead_1
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "lead_2"
down_revision = "lead_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voicemail_messages",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("mailbox", sa.String(128), nullable=False),
        sa.Column("call_id", sa.String(64)),
        sa.Column("caller", sa.String(128)),
        sa.Column("called", sa.String(128)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration", sa.Float()),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("size_bytes", sa.Integer()),
        sa.Column("user_data", sa.JSON(), nullable=False),
        sa.Column("heard_at", sa.DateTime(timezone=True)),
        sa.Column("heard_by", sa.String(128)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_voicemail_mailbox", "voicemail_messages", ["mailbox", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_voicemail_mailbox", "voicemail_messages")
    op.drop_table("voicemail_messages")
