"""The embedder (model and backend) that produced each ingested file's vectors
(`ingest_files.embedder`); files indexed before have none and are embedded again by the next
ingest, so vectors of two embedders never mix in one collection.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {column["name"] for column in inspector.get_columns("ingest_files")}
    if "embedder" not in columns:  # made by create_all before
        with op.batch_alter_table("ingest_files") as batch:
            batch.add_column(sa.Column("embedder", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingest_files") as batch:
        batch.drop_column("embedder")
