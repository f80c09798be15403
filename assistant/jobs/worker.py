"""`assistant worker`: a Celery worker that runs ingest jobs (`ingest_shard`).

One process, one job at a time (`--pool solo`): to use more cores, run more workers. The
embedding model, the Chroma client and the database engine are built once per worker, on
its first job. After a job the worker publishes a new BM25 snapshot when no other job is
queued or running, so the API workers load one snapshot per ingest, not one per job.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.config import Settings
from assistant.jobs.enqueue import FileSpec, source_file
from assistant.jobs.ledger import Ledger
from assistant.jobs.queue import SHARD_TASK, celery_app
from assistant.retrieval.dense import connect, open_collection
from assistant.store.db import build_engine
from ingest.embedding import Embedder, build_embedder_from
from ingest.pipeline import Ingestor
from ingest.policy import IngestPolicy

log = logging.getLogger(__name__)


@dataclass
class WorkerResources:
    settings: Settings
    embedder: Embedder | None = None  # the settings' model when None
    _ingestor: Ingestor | None = field(default=None, repr=False)
    _database: Engine | None = field(default=None, repr=False)

    @property
    def database(self) -> Engine:
        if self._database is None:
            self._database = build_engine(self.settings)
        return self._database

    @property
    def ingestor(self) -> Ingestor:
        if self._ingestor is None:
            s = self.settings
            self._ingestor = Ingestor(
                open_collection(connect(s), s.collection, s.vector_ef_search),
                self.embedder or build_embedder_from(s),  # the backend the API workers query with
                self.database,
                s.lexical_path,
                chunk_size=s.chunk_size,
                chunk_overlap=s.chunk_overlap,
                exclude=s.ingest_exclude,
                policy=IngestPolicy.from_settings(s),
            )
        return self._ingestor


def run_shard(
    resources: WorkerResources, run_id: str, shard: int, files: list[FileSpec], worker: str
) -> dict[str, Any]:
    """Index one job's files, record the outcome, publish BM25 when nothing else is left."""
    ledger = Ledger(resources.database)
    attempt = ledger.running(run_id, shard, worker)
    if attempt > 1:
        log.warning("job %s/%s redone (attempt %s) by %s", run_id, shard, attempt, worker)
    try:
        report = resources.ingestor.run_files([source_file(spec) for spec in files])
    except Exception as error:
        ledger.failed(run_id, shard, f"{type(error).__name__}: {error}")
        _publish_when_last(resources, ledger)
        raise
    ledger.done(run_id, shard, report.chunks_embedded, report.skipped)
    generation = _publish_when_last(resources, ledger)
    return {
        "files": report.seen,
        "new": report.new,
        "changed": report.changed,
        "chunks_embedded": report.chunks_embedded,
        "published": generation,
    }


def _publish_when_last(resources: WorkerResources, ledger: Ledger) -> int | None:
    """A new BM25 snapshot once no job is queued or running (the last job to finish)."""
    if ledger.in_flight():
        return None
    return resources.ingestor.publish_lexical(timeout=resources.settings.ingest_visibility_timeout)


def build_worker(
    settings: Settings, embedder: Embedder | None = None, warm_up: bool = False
) -> Celery:
    """The Celery app of an ingest worker; `warm_up` loads the embedding model now (as an
    API worker does before it is ready), so the first job runs at full speed and a model that
    cannot load stops the worker at start instead of failing its jobs."""
    app = celery_app(settings)
    chosen = embedder or build_embedder_from(settings)
    load = getattr(chosen, "load", None)
    if warm_up and callable(load):
        load()
    resources = WorkerResources(settings, chosen)

    # a database or broker hiccup (a lost connection, a conflicting first write) is tried
    # again, a few times, before the job counts as failed
    @app.task(  # type: ignore[untyped-decorator]
        name=SHARD_TASK,
        bind=True,
        autoretry_for=(SQLAlchemyError, ConnectionError),
        max_retries=3,
        retry_backoff=True,
    )
    def ingest_shard(task: Any, run_id: str, shard: int, files: list[FileSpec]) -> dict[str, Any]:
        worker = str(task.request.hostname or socket.gethostname())
        return run_shard(resources, run_id, shard, files, worker)

    return app
