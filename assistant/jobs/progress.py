"""What `assistant ingest --status` prints, as data: the latest runs' jobs (enqueued runs and
in-process ones), the manifest's files (done, pending, failed in the last run), its
generation and the published BM25 snapshot's. The admin page and GET /api/admin/ingest
show it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from assistant.config import Settings
from assistant.jobs.ledger import Ledger, RunProgress
from assistant.retrieval.lexical import LexicalIndex
from ingest.manifest import Manifest


@dataclass(frozen=True)
class IngestProgress:
    files: int  # in the manifest
    files_done: int
    files_pending: int  # being replaced now, or left by an ingest that died (redone next run)
    files_failed: int  # skipped by the last run (a failed job is listed with its error)
    chunks: int
    generation: int
    published_generation: int | None  # the BM25 snapshot's; behind while jobs run
    runs: list[RunProgress] = field(default_factory=list)  # newest first

    @property
    def last_run(self) -> RunProgress | None:
        return self.runs[0] if self.runs else None


def ingest_progress(settings: Settings, engine: Engine, runs: int = 5) -> IngestProgress:
    latest = Ledger(engine).runs(runs)
    with Manifest(engine) as manifest:
        records = list(manifest.files().values())
        generation, chunks = manifest.generation, manifest.chunk_count()
    pending = sum(1 for record in records if record.status == "pending")
    failed = len(latest[0].skipped) if latest else 0
    return IngestProgress(
        files=len(records),
        files_done=len(records) - pending,
        files_pending=pending,
        files_failed=failed,
        chunks=chunks,
        generation=generation,
        published_generation=LexicalIndex.stored_generation(settings.lexical_path),
        runs=latest,
    )
