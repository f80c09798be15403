"""The ingest jobs' rows (`ingest_jobs`): queued when enqueued, running with the worker that
took it (again after a redo: `attempts` counts), done with its counts, or failed with why.
An in-process ingest (embedded profile) is recorded as a run of one job (`LOCAL_RUN`), so
`assistant ingest --status` and the admin page show it too."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update

from assistant.store.db import session_factory
from assistant.store.manifest import IngestJob

IN_FLIGHT = ("queued", "running")
LOCAL_RUN = "local-"  # an in-process ingest's run id starts so: no worker waits on it


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RunProgress:
    run_id: str
    created_at: dt.datetime
    jobs: dict[str, int]  # status -> jobs
    files: int
    chunks_embedded: int
    redone: int  # jobs that a second worker took after the first died
    workers: tuple[str, ...]
    errors: tuple[str, ...]
    skipped: tuple[str, ...]
    updated_at: dt.datetime | None = None  # the last change of any of its jobs

    @property
    def finished(self) -> bool:
        return not any(self.jobs.get(status) for status in IN_FLIGHT)


class Ledger:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def create(self, run_id: str, shard_sizes: Sequence[int]) -> None:
        now = _now()
        with self._sessions.begin() as session:
            session.add_all(
                IngestJob(
                    run_id=run_id,
                    shard=shard,
                    status="queued",
                    files=files,
                    chunks_embedded=0,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
                for shard, files in enumerate(shard_sizes)
            )

    def running(self, run_id: str, shard: int, worker: str) -> int:
        """Mark the job taken by `worker`; how many times it was taken (2+: a redo)."""
        with self._sessions.begin() as session:
            job = session.get(IngestJob, (run_id, shard), with_for_update=True)
            if job is None:  # enqueued by another database: nothing to track
                return 1
            job.status, job.worker, job.updated_at = "running", worker, _now()
            job.attempts += 1
            return job.attempts

    def done(
        self,
        run_id: str,
        shard: int,
        chunks: int,
        skipped: Sequence[tuple[str, str]],
        files: int | None = None,  # the files seen, when they were not known when enqueued
    ) -> None:
        report = json.dumps({"skipped": [f"{path}: {why}" for path, why in skipped]})
        counted = {} if files is None else {"files": files}
        self._finish(run_id, shard, status="done", chunks_embedded=chunks, report=report, **counted)

    def failed(self, run_id: str, shard: int, error: str) -> None:
        self._finish(run_id, shard, status="failed", error=error[:2000])

    def _finish(self, run_id: str, shard: int, **values: object) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(IngestJob)
                .where(IngestJob.run_id == run_id, IngestJob.shard == shard)
                .values(updated_at=_now(), **values)
            )

    def in_flight(self) -> int:
        """Jobs of any run still queued or running."""
        query = (
            select(func.count())
            .select_from(IngestJob)
            .where(IngestJob.status.in_(IN_FLIGHT), IngestJob.run_id.not_like(f"{LOCAL_RUN}%"))
        )
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    def runs(self, limit: int = 3) -> list[RunProgress]:
        """The latest runs, newest first."""
        with self._sessions() as session:
            latest = session.execute(
                select(IngestJob.run_id, func.min(IngestJob.created_at).label("created"))
                .group_by(IngestJob.run_id)
                .order_by(func.min(IngestJob.created_at).desc())
                .limit(limit)
            ).all()
            progress = []
            for run_id, created in latest:
                jobs = list(session.scalars(select(IngestJob).where(IngestJob.run_id == run_id)))
                progress.append(_progress(run_id, created, jobs))
        return progress

    def run(self, run_id: str) -> RunProgress | None:
        with self._sessions() as session:
            jobs = list(session.scalars(select(IngestJob).where(IngestJob.run_id == run_id)))
        return _progress(run_id, jobs[0].created_at, jobs) if jobs else None


def _progress(run_id: str, created: dt.datetime, jobs: Sequence[IngestJob]) -> RunProgress:
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.status] = counts.get(job.status, 0) + 1
    skipped = [
        line for job in jobs if job.report for line in json.loads(job.report).get("skipped", [])
    ]
    return RunProgress(
        run_id,
        created,
        counts,
        sum(job.files for job in jobs),
        sum(job.chunks_embedded for job in jobs),
        sum(1 for job in jobs if job.attempts > 1),
        tuple(sorted({job.worker for job in jobs if job.worker})),
        tuple(f"job {job.shard}: {job.error}" for job in jobs if job.error),
        tuple(skipped),
        max(job.updated_at for job in jobs) if jobs else None,
    )
