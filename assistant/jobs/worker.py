"""`assistant worker`: a Celery worker that runs ingest jobs (`ingest_shard`).

One process, one job at a time (`--pool solo`): to use more cores, run more workers. The
embedding model, the Chroma client and the database engine are built once per worker, on
its first job. After a job the worker publishes a new BM25 snapshot when no other job is
queued or running, so the API workers load one snapshot per ingest, not one per job.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from celery import Celery
from sqlalchemy.exc import SQLAlchemyError

from assistant.config import Settings
from assistant.ingest_resources import IngestResources
from assistant.jobs.enqueue import FileSpec, source_file
from assistant.jobs.ledger import Ledger
from assistant.jobs.queue import SHARD_TASK, celery_app
from ingest.embedding import Embedder

log = logging.getLogger(__name__)


def run_shard(
    resources: IngestResources, run_id: str, shard: int, files: list[FileSpec], worker: str
) -> dict[str, Any]:
    """Index one job's files, record the outcome, publish BM25 when nothing else is left."""
    ledger = Ledger(resources.database)
    attempt = ledger.running(run_id, shard, worker)
    if attempt > 1:
        log.warning("job %s/%s redone (attempt %s) by %s", run_id, shard, attempt, worker)
    try:
        report = resources.ingestor().run_files([source_file(spec) for spec in files])
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


def _publish_when_last(resources: IngestResources, ledger: Ledger) -> int | None:
    """A new BM25 snapshot once no job is queued or running (the last job to finish)."""
    if ledger.in_flight():
        return None
    timeout = resources.settings.ingest_visibility_timeout
    return resources.ingestor().publish_lexical(timeout=timeout)


def build_worker(
    settings: Settings, embedder: Embedder | None = None, warm_up: bool = False
) -> Celery:
    """The Celery app of an ingest worker; `warm_up` loads the embedding model now (as an
    API worker does before it is ready), so the first job runs at full speed and a model that
    cannot load stops the worker at start instead of failing its jobs."""
    app = celery_app(settings)
    resources = IngestResources(settings, embedder)
    load = getattr(resources.embedder, "load", None)
    if warm_up and callable(load):
        load()

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
