"""The ingest manifest in the store (was a SQLite file of its own) and the ingest jobs.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())  # made by create_all before
    if "ingest_files" not in existing:
        op.create_table(
            "ingest_files",
            sa.Column("path", sa.Text(), nullable=False),
            sa.Column("file_hash", sa.String(length=64), nullable=False),
            sa.Column("status", sa.String(length=8), nullable=False),
            sa.Column("chunk_count", sa.Integer(), nullable=False),
            sa.CheckConstraint("status in ('pending', 'done')", name="ingest_file_status"),
            sa.PrimaryKeyConstraint("path"),
        )
    if "ingest_jobs" not in existing:
        op.create_table(
            "ingest_jobs",
            sa.Column("run_id", sa.String(length=32), nullable=False),
            sa.Column("shard", sa.Integer(), nullable=False),
            sa.Column("status", sa.String(length=8), nullable=False),
            sa.Column("files", sa.Integer(), nullable=False),
            sa.Column("chunks_embedded", sa.Integer(), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("worker", sa.String(length=200), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
            sa.Column("report", sa.Text(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.CheckConstraint(
                "status in ('queued', 'running', 'done', 'failed')", name="ingest_job_status"
            ),
            sa.PrimaryKeyConstraint("run_id", "shard"),
        )
        op.create_index("ix_ingest_jobs_status", "ingest_jobs", ["status"])
    if "ingest_state" not in existing:
        op.create_table(
            "ingest_state",
            sa.Column("key", sa.String(length=32), nullable=False),
            sa.Column("value", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )
    if "ingest_chunks" not in existing:
        op.create_table(
            "ingest_chunks",
            sa.Column("id", sa.Text(), nullable=False),
            sa.Column("path", sa.Text(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("index_text", sa.Text(), nullable=False),
            sa.Column("metadata", sa.Text(), nullable=False),
            sa.Column("sentence_vectors", sa.LargeBinary(), nullable=True),
            sa.ForeignKeyConstraint(["path"], ["ingest_files.path"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_ingest_chunks_path", "ingest_chunks", ["path"])


def downgrade() -> None:
    op.drop_table("ingest_chunks")
    op.drop_table("ingest_state")
    op.drop_table("ingest_jobs")
    op.drop_table("ingest_files")
