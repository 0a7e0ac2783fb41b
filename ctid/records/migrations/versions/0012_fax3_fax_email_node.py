"""Fax rows name their node and carry their e-mail forwarding state.

* ``faxes.node``: the ctid node that handled the fax (``[records] node``), as call
  records have, for a pair of nodes on one database.
* ``faxes.email_to`` (JSON list of addresses; NULL: no mail), ``email_status``
  (``pending``, ``sent`` or ``failed``), ``email_attempts``, ``emailed_at``,
  ``email_error``: the mail that forwards a received fax (or reports a sent one),
  kept on the fax's row so a restart finds what is still to send.

Revision ID: fax3_1
Revises: fax2_1
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fax3_1"
down_revision = "fax2_1"
branch_labels = None
depends_on = None

_COLUMNS = ("node", "email_to", "email_status", "email_attempts", "emailed_at", "email_error")


def upgrade() -> None:
    with op.batch_alter_table("faxes") as batch:
        batch.add_column(sa.Column("node", sa.String(128)))
        batch.add_column(sa.Column("email_to", sa.JSON()))
        batch.add_column(sa.Column("email_status", sa.String(16)))
        batch.add_column(sa.Column("email_attempts", sa.Integer()))
        batch.add_column(sa.Column("emailed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("email_error", sa.String(255)))
    op.create_index("ix_faxes_email_status", "faxes", ["email_status"])


def downgrade() -> None:
    op.drop_index("ix_faxes_email_status", table_name="faxes")
    with op.batch_alter_table("faxes") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
