"""The schema before migrations: accounts, conversations, feedback, drafts.

A database `create_all` made earlier may hold some of these tables already (feedback and
drafts were created on first use): only the missing ones are created.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())  # made by create_all before
    if "accounts" not in existing:
        op.create_table(
            "accounts",
            sa.Column("id", sa.String(length=16), nullable=False),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("industry", sa.String(length=64), nullable=False),
            sa.Column("segment", sa.String(length=16), nullable=False),
            sa.Column("employees", sa.Integer(), nullable=False),
            sa.Column("arr", sa.Integer(), nullable=False),
            sa.Column("contract_start", sa.Date(), nullable=False),
            sa.Column("renewal_date", sa.Date(), nullable=False),
            sa.Column("csm", sa.String(length=200), nullable=False),
            sa.Column("account_exec", sa.String(length=200), nullable=False),
            sa.Column("partner", sa.String(length=200), nullable=True),
            sa.Column("partner_role", sa.String(length=16), nullable=False),
            sa.Column("stage", sa.String(length=16), nullable=False),
            sa.Column("as_of", sa.Date(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("name"),
        )
        op.create_index("ix_accounts_renewal_date", "accounts", ["renewal_date"])
        op.create_index("ix_accounts_segment", "accounts", ["segment"])
    if "conversations" not in existing:
        op.create_table(
            "conversations",
            sa.Column("id", sa.String(length=64), nullable=False),
            sa.Column("user", sa.String(length=200), nullable=False),
            sa.Column("account_id", sa.String(length=64), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
    if "drafts" not in existing:
        op.create_table(
            "drafts",
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("kind", sa.String(length=32), nullable=False),
            sa.Column("account_id", sa.String(length=16), nullable=True),
            sa.Column("owner", sa.String(length=200), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("payload", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_drafts_account_id", "drafts", ["account_id"])
    if "health_snapshots" not in existing:
        op.create_table(
            "health_snapshots",
            sa.Column("account_id", sa.String(length=16), nullable=False),
            sa.Column("month", sa.Date(), nullable=False),
            sa.Column("deployment", sa.Integer(), nullable=False),
            sa.Column("adoption", sa.Integer(), nullable=False),
            sa.Column("breadth", sa.Integer(), nullable=False),
            sa.Column("engagement", sa.Integer(), nullable=False),
            sa.Column("outcomes", sa.Integer(), nullable=False),
            sa.Column("overall", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["accounts.id"],
            ),
            sa.PrimaryKeyConstraint("account_id", "month"),
        )
    if "incidents" not in existing:
        op.create_table(
            "incidents",
            sa.Column("account_id", sa.String(length=16), nullable=False),
            sa.Column("month", sa.Date(), nullable=False),
            sa.Column("severity", sa.String(length=8), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["accounts.id"],
            ),
            sa.PrimaryKeyConstraint("account_id", "month", "severity"),
        )
    if "licenses" not in existing:
        op.create_table(
            "licenses",
            sa.Column("account_id", sa.String(length=16), nullable=False),
            sa.Column("module", sa.String(length=32), nullable=False),
            sa.Column("licensed", sa.Integer(), nullable=False),
            sa.Column("active", sa.Integer(), nullable=False),
            sa.Column("assigned", sa.Integer(), nullable=False),
            sa.Column("as_of", sa.Date(), nullable=False),
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["accounts.id"],
            ),
            sa.PrimaryKeyConstraint("account_id", "module"),
        )
    if "messages" not in existing:
        op.create_table(
            "messages",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("conversation_id", sa.String(length=64), nullable=False),
            sa.Column("role", sa.String(length=16), nullable=False),
            sa.Column("content", sa.Text(), nullable=False),
            sa.Column("payload", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    if "opportunities" not in existing:
        op.create_table(
            "opportunities",
            sa.Column("id", sa.String(length=16), nullable=False),
            sa.Column("account_id", sa.String(length=16), nullable=False),
            sa.Column("name", sa.String(length=300), nullable=False),
            sa.Column("service", sa.String(length=100), nullable=False),
            sa.Column("stage", sa.String(length=32), nullable=False),
            sa.Column("amount", sa.Integer(), nullable=False),
            sa.Column("close_date", sa.Date(), nullable=False),
            sa.Column("metrics", sa.Text(), nullable=True),
            sa.Column("economic_buyer", sa.Text(), nullable=True),
            sa.Column("decision_criteria", sa.Text(), nullable=True),
            sa.Column("decision_process", sa.Text(), nullable=True),
            sa.Column("identify_pain", sa.Text(), nullable=True),
            sa.Column("champion", sa.Text(), nullable=True),
            sa.Column("competition", sa.Text(), nullable=True),
            sa.Column("compelling_event", sa.Text(), nullable=True),
            sa.Column("as_of", sa.Date(), nullable=False),
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["accounts.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_opportunities_account_id", "opportunities", ["account_id"])
    if "outcomes" not in existing:
        op.create_table(
            "outcomes",
            sa.Column("account_id", sa.String(length=16), nullable=False),
            sa.Column("date", sa.Date(), nullable=False),
            sa.Column("outcome", sa.String(length=300), nullable=False),
            sa.Column("metric", sa.Text(), nullable=False),
            sa.Column("verified_by", sa.String(length=200), nullable=False),
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["accounts.id"],
            ),
            sa.PrimaryKeyConstraint("account_id", "date", "outcome"),
        )
    if "surveys" not in existing:
        op.create_table(
            "surveys",
            sa.Column("account_id", sa.String(length=16), nullable=False),
            sa.Column("date", sa.Date(), nullable=False),
            sa.Column("kind", sa.String(length=8), nullable=False),
            sa.Column("respondent", sa.String(length=200), nullable=False),
            sa.Column("score", sa.Float(), nullable=False),
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["accounts.id"],
            ),
            sa.PrimaryKeyConstraint("account_id", "date", "kind", "respondent"),
        )
    if "feedback" not in existing:
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("conversation_id", sa.String(length=64), nullable=False),
            sa.Column("message_id", sa.Integer(), nullable=False),
            sa.Column("rating", sa.String(length=8), nullable=False),
            sa.Column("comment", sa.Text(), nullable=True),
            sa.Column("user", sa.String(length=200), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_feedback_conversation_id", "feedback", ["conversation_id"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("surveys")
    op.drop_table("outcomes")
    op.drop_table("opportunities")
    op.drop_table("messages")
    op.drop_table("licenses")
    op.drop_table("incidents")
    op.drop_table("health_snapshots")
    op.drop_table("drafts")
    op.drop_table("conversations")
    op.drop_table("accounts")
