"""The web UI's pending questions (the question kept server-side between POST /ui/chat and
its stream, so it never travels in a URL).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())  # made by create_all before
    if "pending_questions" not in existing:
        op.create_table(
            "pending_questions",
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("session", sa.String(length=64), nullable=False),
            sa.Column("message", sa.Text(), nullable=False),
            sa.Column("conversation_id", sa.String(length=64), nullable=True),
            sa.Column("account_id", sa.String(length=64), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("pending_questions") as batch:
            batch.create_index("ix_pending_questions_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_questions") as batch:
        batch.drop_index("ix_pending_questions_created_at")
    op.drop_table("pending_questions")
