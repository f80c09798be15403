"""The Slack bot's tables (thread -> conversation, event-id dedupe) and conversation titles
(the web UI's rename).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())  # made by create_all before
    if "slack_events" not in existing:
        op.create_table(
            "slack_events",
            sa.Column("event_id", sa.String(length=64), nullable=False),
            sa.Column("slack_user", sa.String(length=32), nullable=True),
            sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("event_id"),
        )
        with op.batch_alter_table("slack_events") as batch:
            batch.create_index("ix_slack_events_received_at", ["received_at"], unique=False)
            batch.create_index("ix_slack_events_slack_user", ["slack_user"], unique=False)
    if "slack_threads" not in existing:
        op.create_table(
            "slack_threads",
            sa.Column("channel", sa.String(length=32), nullable=False),
            sa.Column("thread_ts", sa.String(length=32), nullable=False),
            sa.Column("slack_user", sa.String(length=32), nullable=False),
            sa.Column("conversation_id", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("channel", "thread_ts", "slack_user"),
        )
    if "conversation_titles" not in existing:
        op.create_table(
            "conversation_titles",
            sa.Column("conversation_id", sa.String(length=64), nullable=False),
            sa.Column("title", sa.String(length=200), nullable=False),
            sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("conversation_id"),
        )


def downgrade() -> None:
    op.drop_table("conversation_titles")
    op.drop_table("slack_threads")
    with op.batch_alter_table("slack_events") as batch:
        batch.drop_index("ix_slack_events_slack_user")
        batch.drop_index("ix_slack_events_received_at")
    op.drop_table("slack_events")
