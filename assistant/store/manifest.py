"""The ingest manifest's tables (`ingest.manifest` keeps them): which file produced which
chunks, the generation counter, and the ingest jobs of the cluster profile.

In the store's database, so every ingest worker and API worker of a cluster shares one
manifest (Postgres), and the embedded profile keeps it in its SQLite file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from assistant.store.db import Base


class IngestFile(Base):
    """One source file: `pending` while its chunks are being replaced, `done` after."""

    __tablename__ = "ingest_files"
    __table_args__ = (CheckConstraint("status in ('pending', 'done')", name="ingest_file_status"),)

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    file_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    # the embedder (model and backend, `Embedder.name`) that produced the file's vectors;
    # None for a file indexed before it was recorded (issue 15): re-embedded at the next run
    embedder: Mapped[str | None] = mapped_column(String(200), nullable=True)


class IngestChunk(Base):
    __tablename__ = "ingest_chunks"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    path: Mapped[str] = mapped_column(
        ForeignKey("ingest_files.path", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    index_text: Mapped[str] = mapped_column(Text)
    chunk_metadata: Mapped[str] = mapped_column("metadata", Text)  # JSON
    sentence_vectors: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class IngestState(Base):
    """Counters: `generation` goes up with every change to the chunk set."""

    __tablename__ = "ingest_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class IngestJob(Base):
    """One shard of an enqueued ingest run (cluster profile): its files and progress."""

    __tablename__ = "ingest_jobs"
    __table_args__ = (
        CheckConstraint(
            "status in ('queued', 'running', 'done', 'failed')", name="ingest_job_status"
        ),
    )

    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(8), index=True)
    files: Mapped[int] = mapped_column(Integer)
    chunks_embedded: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    report: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: skipped, flagged
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
