"""Call records name their fax: ``calls.fax_id``.

A fax call (a fax number's reception, an IVR's ``faxReceive``/``faxSend``, a
``fax.send`` attempt) keeps the id of its (first) fax in its record, so
``records.get``/``records.search`` link the fax as the fax row links the call.

Revision ID: fax2_1
Revises: crm_1
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fax2_1"
down_revision = "cont2_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("fax_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("fax_id")
