"""Outbound campaigns: campaigns, their lists and records, do-not-call numbers, and the
campaign columns of call records.

Revision ID: outbound_1
Revises: hooks_1
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "outbound_1"
down_revision = "hooks_1"
branch_labels = None
depends_on = None


def _at() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("campaign", sa.String(128)))
        batch.add_column(sa.Column("campaign_record", sa.Integer()))
        batch.add_column(sa.Column("campaign_outcome", sa.String(16)))
        batch.add_column(sa.Column("agent_disposition", sa.String(32)))
    op.create_table(
        "campaigns",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("created_at", _at(), nullable=False),
        sa.Column("updated_at", _at(), nullable=False),
    )
    op.create_table(
        "campaign_lists",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("number_column", sa.String(128), nullable=False),
        sa.Column("imported_at", _at(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_campaign_lists_campaign", "campaign_lists", ["campaign", "name"], unique=True
    )
    op.create_table(
        "campaign_records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _at()),
        sa.Column("last_outcome", sa.String(16)),
        sa.Column("disposition", sa.String(32)),
        sa.Column("callback_agent", sa.String(128)),
        sa.Column("updated_at", _at(), nullable=False),
    )
    op.create_index(
        "ix_campaign_records_due",
        "campaign_records",
        ["campaign", "status", "next_attempt_at"],
    )
    op.create_index("ix_campaign_records_number", "campaign_records", ["campaign", "number"])
    op.create_table(
        "dnc_numbers",
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("added_at", _at(), nullable=False),
        sa.Column("note", sa.String(256), nullable=False),
    )
    op.create_index("ix_dnc_numbers_number", "dnc_numbers", ["number"])


def downgrade() -> None:
    op.drop_index("ix_dnc_numbers_number", "dnc_numbers")
    op.drop_table("dnc_numbers")
    op.drop_index("ix_campaign_records_number", "campaign_records")
    op.drop_index("ix_campaign_records_due", "campaign_records")
    op.drop_table("campaign_records")
    op.drop_index("ix_campaign_lists_campaign", "campaign_lists")
    op.drop_table("campaign_lists")
    op.drop_table("campaigns")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("agent_disposition")
        batch.drop_column("campaign_outcome")
        batch.drop_column("campaign_record")
        batch.drop_column("campaign")
