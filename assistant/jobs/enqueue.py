"""`assistant ingest` in the cluster profile: plan here, embed on the workers.

Here: discover the files, remove the chunks of files gone from the roots, repair what
interrupted runs left (only when no job is in flight: a live job's `pending` files are its
own), then split the files into jobs of `ingest_shard_files` and send one message each.
Workers take them one at a time; every job checks its files against the manifest, so an
unchanged file costs a hash and a job redone after a crash repeats nothing that finished.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chromadb.api.models.Collection import Collection
from sqlalchemy import Engine

from assistant.config import Settings
from assistant.ingest_resources import build_ingestor
from assistant.jobs.ledger import Ledger
from assistant.jobs.queue import SHARD_TASK, celery_app
from assistant.retrieval.dense import connect, open_collection
from ingest.discovery import SourceFile
from ingest.manifest import Manifest
from ingest.pipeline import Ingestor, IngestReport

FileSpec = list[str | list[str]]  # [path, source, [folders...]]: what a message carries


@dataclass
class Enqueued:
    run_id: str
    jobs: int
    files: int
    removed: int
    repaired: int
    skipped: list[tuple[str, str]] = field(default_factory=list)


def file_spec(file: SourceFile) -> FileSpec:
    return [str(file.path), file.source, [str(folder) for folder in file.folders]]


def source_file(spec: Sequence[object]) -> SourceFile:
    path, source, folders = spec
    assert isinstance(path, str) and isinstance(source, str) and isinstance(folders, list)
    return SourceFile(Path(path), source, tuple(Path(str(f)) for f in folders))


def planner(settings: Settings, database: Engine) -> Ingestor:
    """An ingestor that discovers and repairs (no embedding model: it never embeds)."""

    def collection() -> Collection:
        client = connect(settings)
        return open_collection(client, settings.collection, settings.vector_ef_search)

    return build_ingestor(settings, collection, None, database)


def enqueue(settings: Settings, database: Engine, roots: Sequence[Path]) -> Enqueued:
    ledger = Ledger(database)
    ingestor = planner(settings, database)
    report = IngestReport()
    repaired = ingestor.repair() if ledger.in_flight() == 0 else 0
    with Manifest(database) as manifest:
        found = ingestor.discover(roots, manifest, report)
    size = settings.ingest_shard_files
    shards = [found.files[i : i + size] for i in range(0, len(found.files), size)]
    run_id = uuid.uuid4().hex
    ledger.create(run_id, [len(shard) for shard in shards])
    app = celery_app(settings)
    try:
        for number, shard in enumerate(shards):
            app.send_task(SHARD_TASK, args=[run_id, number, [file_spec(f) for f in shard]])
    finally:
        app.close()
    if not shards and report.removed:
        ingestor.publish_lexical()  # nothing for a worker to do, but the index changed
    return Enqueued(run_id, len(shards), len(found.files), report.removed, repaired, report.skipped)
