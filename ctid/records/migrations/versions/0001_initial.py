"""The first records schema: calls, legs, agent states, IVR, queue waits, recordings, nodes.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(64)
NAME = sa.String(128)


def _at() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("call_id", ID, primary_key=True),
        sa.Column("node", NAME, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("caller", NAME, nullable=False),
        sa.Column("called", NAME, nullable=False),
        sa.Column("dnis", NAME),
        sa.Column("trunk", NAME),
        sa.Column("queue", NAME),
        sa.Column("queue_outcome", sa.String(16)),
        sa.Column("agent_id", NAME),
        sa.Column("agent_device", NAME),
        sa.Column("answered_by", NAME),
        sa.Column("ivr_flow", NAME),
        sa.Column("ivr_exit", sa.String(16)),
        sa.Column("started_at", _at(), nullable=False),
        sa.Column("answered_at", _at()),
        sa.Column("ivr_entered_at", _at()),
        sa.Column("ivr_left_at", _at()),
        sa.Column("queue_entered_at", _at()),
        sa.Column("queue_left_at", _at()),
        sa.Column("ended_at", _at()),
        sa.Column("wait_seconds", sa.Float),
        sa.Column("hold_seconds", sa.Float),
        sa.Column("talk_seconds", sa.Float),
        sa.Column("acw_seconds", sa.Float),
        sa.Column("disposition", sa.String(32)),
        sa.Column("end_cause", NAME),
        sa.Column("merged_into", ID),
        sa.Column("recording_ids", sa.JSON, nullable=False),
        sa.Column("correlator_data", sa.String(512)),
        sa.Column("user_data", sa.JSON, nullable=False),
        sa.Column("facts", sa.JSON, nullable=False),
    )
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_index("ix_calls_queue_started", "calls", ["queue", "started_at"])
    op.create_index("ix_calls_agent_started", "calls", ["agent_id", "started_at"])
    op.create_index("ix_calls_node_state", "calls", ["node", "state"])

    op.create_table(
        "call_legs",
        sa.Column("call_id", ID, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("device", NAME, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("trunk", NAME),
        sa.Column("joined_at", _at(), nullable=False),
        sa.Column("answered_at", _at()),
        sa.Column("ended_at", _at(), nullable=False),
        sa.Column("hold_seconds", sa.Float, nullable=False),
        sa.Column("end_cause", NAME, nullable=False),
        sa.Column("failed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_call_legs_device", "call_legs", ["device", "joined_at"])
    op.create_index("ix_call_legs_trunk", "call_legs", ["trunk", "joined_at"])

    op.create_table(
        "agent_states",
        sa.Column("id", ID, primary_key=True),
        sa.Column("node", NAME, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("agent_id", NAME, nullable=False),
        sa.Column("device", NAME),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("previous_state", sa.String(32), nullable=False),
        sa.Column("reason_code", NAME),
        sa.Column("call_id", ID),
        sa.Column("queues", sa.JSON, nullable=False),
        sa.Column("started_at", _at(), nullable=False),
        sa.Column("ended_at", _at()),
        sa.Column("duration", sa.Float),
    )
    op.create_index("ix_agent_states_agent", "agent_states", ["agent_id", "started_at"])
    op.create_index("ix_agent_states_call", "agent_states", ["call_id"])
    op.create_index("ix_agent_states_open", "agent_states", ["node", "ended_at"])

    op.create_table(
        "ivr_visits",
        sa.Column("id", ID, primary_key=True),
        sa.Column("call_id", ID, nullable=False),
        sa.Column("flow", NAME, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("node", NAME, nullable=False),
        sa.Column("node_type", sa.String(32), nullable=False),
        sa.Column("choice", sa.String(32)),
        sa.Column("at", _at(), nullable=False),
    )
    op.create_index("ix_ivr_visits_at", "ivr_visits", ["at"])

    op.create_table(
        "ivr_runs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("call_id", ID, nullable=False),
        sa.Column("flow", NAME, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("entered_at", _at(), nullable=False),
        sa.Column("left_at", _at(), nullable=False),
        sa.Column("exit", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(512), nullable=False),
    )
    op.create_index("ix_ivr_runs_entered", "ivr_runs", ["entered_at"])

    op.create_table(
        "queue_waits",
        sa.Column("id", ID, primary_key=True),
        sa.Column("call_id", ID, nullable=False),
        sa.Column("queue", NAME, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("at", _at(), nullable=False),
    )
    op.create_index("ix_queue_waits_queue_at", "queue_waits", ["queue", "at"])

    op.create_table(
        "recordings",
        sa.Column("recording_id", ID, primary_key=True),
        sa.Column("call_id", ID),
        sa.Column("node", NAME, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", _at(), nullable=False),
        sa.Column("ended_at", _at()),
        sa.Column("duration", sa.Float),
        sa.Column("paused_seconds", sa.Float, nullable=False),
        sa.Column("size_bytes", sa.Integer),
        sa.Column("sha256", sa.String(64)),
        sa.Column("started_by", NAME, nullable=False),
        sa.Column("caller", NAME),
        sa.Column("called", NAME),
        sa.Column("queue", NAME),
        sa.Column("agent_id", NAME),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("detail", sa.String(512), nullable=False),
        sa.Column("deleted_at", _at()),
    )
    op.create_index("ix_recordings_started", "recordings", ["started_at"])
    op.create_index("ix_recordings_call", "recordings", ["call_id"])

    op.create_table(
        "nodes",
        sa.Column("node", NAME, primary_key=True),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("last_seen", _at(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "nodes",
        "recordings",
        "queue_waits",
        "ivr_runs",
        "ivr_visits",
        "agent_states",
        "call_legs",
        "calls",
    ):
        op.drop_table(table)
