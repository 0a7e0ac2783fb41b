"""The campaign records' due index ends with ``id``.

The dialler reads a campaign's due records one state at a time, each part ordered
by ``(next_attempt_at, id)`` (``ctid.outbound.store._due_query``). With the index on
``(campaign, status, next_attempt_at)`` PostgreSQL had to sort the ``new`` part,
where every record's ``next_attempt_at`` is NULL and only ``id`` orders them (an
index's equal keys are in no order PostgreSQL can use). With ``id`` last the index
hands each part over in the query's order and the sort is gone (docs/performance.md,
"The due index, branch outgaps2"). SQLite never sorted: its index entries end with
the rowid, which ``id`` is.

The index is changed rather than a second one added: the new one serves every query
the old one did (the old columns are its prefix), and a second index on the same
columns would be one more to write at every claim and outcome of every dial.

Revision ID: outgaps2_1
Revises: house2_1
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "outgaps2_1"
down_revision = "house2_1"
branch_labels = None
depends_on = None

_INDEX = "ix_campaign_records_due"
_OLD = ["campaign", "status", "next_attempt_at"]


def upgrade() -> None:
    op.drop_index(_INDEX, table_name="campaign_records")
    op.create_index(_INDEX, "campaign_records", [*_OLD, "id"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="campaign_records")
    op.create_index(_INDEX, "campaign_records", _OLD)
