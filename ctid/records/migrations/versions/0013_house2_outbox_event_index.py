"""The webhook outbox gets an index on (webhook, event_id).

At start the webhooks journal hands back the events it recovered and
``ctid.webhooks.outbox.append_missing`` asks which of them the outbox already
has: ``WHERE webhook = ? AND event_id IN (...)``, 500 ids at a time. Without
this index that is a scan of the webhook's whole backlog per 500 ids.

Revision ID: house2_1
Revises: fax3_1
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "house2_1"
down_revision = "fax3_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_webhook_events_event_id", "webhook_events", ["webhook", "event_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_event_id", table_name="webhook_events")
