"""Fax: documents to send, and faxes received and sent.

Revision ID: fax_1
Revises: outbound_1
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fax_1"
down_revision = "outbound_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fax_documents",
        sa.Column("document_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), unique=True),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(128), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "faxes",
        sa.Column("fax_id", sa.String(64), primary_key=True),
        sa.Column("batch_id", sa.String(64)),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("mailbox", sa.String(128), nullable=False),
        sa.Column("call_id", sa.String(64)),
        sa.Column("remote_number", sa.String(128), nullable=False),
        sa.Column("local_number", sa.String(128)),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("path", sa.String(512)),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("total_pages", sa.Integer()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("result_code", sa.Integer()),
        sa.Column("result_text", sa.String(255), nullable=False),
        sa.Column("remote_station_id", sa.String(128), nullable=False),
        sa.Column("bit_rate", sa.Integer()),
        sa.Column("size_bytes", sa.Integer()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("header", sa.String(255), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_faxes_created", "faxes", ["created_at"])
    op.create_index("ix_faxes_batch", "faxes", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_faxes_batch", "faxes")
    op.drop_index("ix_faxes_created", "faxes")
    op.drop_table("faxes")
    op.drop_table("fax_documents")
