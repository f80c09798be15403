"""The cluster profile's commands: `assistant db ...`, `assistant worker`, and the cluster
side of `assistant ingest` (enqueue, `--wait`, `--status`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine

from assistant.config import Settings, get_settings
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.jobs.progress import IngestProgress

db_app = typer.Typer(no_args_is_help=True, help="the database schema (Alembic migrations)")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _engine(settings: Settings) -> Engine:
    from sqlalchemy import create_engine

    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return create_engine(settings.sqlalchemy_url)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Apply the migrations up to `revision` (default: the newest)."""
    from assistant.store import migrate

    engine = _engine(get_settings())
    try:
        before = migrate.upgrade(engine, revision)
        after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    typer.echo(f"database at revision {after} (was {before or 'empty'})")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the code's; exit 1 when they differ."""
    from assistant.store import migrate

    engine = _engine(get_settings())
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    typer.echo(f"database {current or 'none'}, code {head}")
    if current != head:
        raise typer.Exit(1)


def worker(
    name: Annotated[str, typer.Option(help="worker name (unique per host)")] = "ingest",
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """Run an ingest worker (Celery on ASSISTANT_REDIS_URL), one job at a time."""
    from assistant.jobs.worker import build_worker

    settings = get_settings()
    try:
        app = build_worker(settings, warm_up=True)
    except AssistantError as error:
        _fail(str(error), 2)
        return
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            f"--hostname={name}@%h",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def enqueue_ingest(settings: Settings, roots: list[Path], wait: bool) -> None:
    """The cluster's `assistant ingest`: enqueue one job per shard (and follow them)."""
    from assistant.jobs.enqueue import enqueue
    from assistant.jobs.ledger import Ledger
    from assistant.store.db import build_engine

    engine = build_engine(settings)
    try:
        queued = enqueue(settings, engine, roots)
        for path, reason in queued.skipped:
            typer.secho(f"skipped {path}: {reason}", fg=typer.colors.YELLOW, err=True)
        typer.echo(
            f"run {queued.run_id}: {queued.files} files in {queued.jobs} jobs enqueued, "
            f"removed {queued.removed}"
            + (f", repaired {queued.repaired} interrupted" if queued.repaired else "")
        )
        if not wait:
            typer.echo("follow it with `assistant ingest --status`")
            return
        ledger = Ledger(engine)
        while True:
            progress = ledger.run(queued.run_id)
            if progress is None or (progress.finished and _published(settings, engine)):
                break
            time.sleep(0.5)
        print_status(settings, engine, limit=1)
        if progress is not None and progress.jobs.get("failed"):
            raise typer.Exit(1)
    finally:
        engine.dispose()


def _published(settings: Settings, engine: Engine) -> bool:
    """The BM25 snapshot is the manifest's generation (the last job publishes it), or no
    job is left that would publish it (another run's job still in flight)."""
    from assistant.jobs.ledger import Ledger
    from assistant.retrieval.lexical import LexicalIndex
    from ingest.manifest import Manifest

    with Manifest(engine) as manifest:
        generation = manifest.generation
    return LexicalIndex.stored_generation(settings.lexical_path) == generation or bool(
        Ledger(engine).in_flight()
    )


def show_status(settings: Settings) -> None:
    from assistant.store.db import build_engine

    engine = build_engine(settings)
    try:
        print_status(settings, engine)
    finally:
        engine.dispose()


def print_status(settings: Settings, engine: Engine, limit: int = 3) -> None:
    """The latest runs' jobs, the manifest and the published BM25 snapshot: the figures of
    `ingest_progress`, the same as GET /api/admin/ingest and the admin page."""
    from assistant.jobs.progress import ingest_progress
    from ingest.manifest import Manifest

    found = ingest_progress(settings, engine, runs=limit)
    for run in found.runs:
        jobs = ", ".join(f"{n} {status}" for status, n in sorted(run.jobs.items()))
        state = "finished" if run.finished else "in progress"
        typer.echo(
            f"run {run.run_id} ({run.created_at:%Y-%m-%d %H:%M:%S}) {state}: jobs {jobs}; "
            f"files {run.files}, chunks embedded {run.chunks_embedded}"
            + (f", {run.redone} redone after a worker died" if run.redone else "")
            + (f"; workers {', '.join(run.workers)}" if run.workers else "")
        )
        for error in run.errors:
            typer.secho(f"  failed {error}", fg=typer.colors.RED)
    typer.echo(status_line(found))
    with Manifest(engine) as manifest:
        embedders = manifest.embedders()
    if embedders:
        typer.echo(embeddings_line(embedders, configured_embedder(settings)))


def status_line(found: IngestProgress) -> str:
    """The manifest and the BM25 snapshot in one line of `assistant ingest --status`."""
    published = found.published_generation
    return (
        f"manifest: {found.files} files ({found.files_done} done, {found.files_pending} "
        f"pending, {found.files_failed} skipped by the last run), {found.chunks} chunks, "
        f"generation {found.generation}; BM25 snapshot generation "
        f"{published if published is not None else 'none'}"
        + ("" if published == found.generation else " (behind: published when the jobs finish)")
    )


# the embedder of each file's vectors (issue 15) ---------------------------------------------
def configured_embedder(settings: Settings) -> str | None:
    """The name of the embedder the settings give (model and backend; nothing is loaded),
    None when they give none that can be built."""
    from ingest.embedding import build_embedder_from

    try:
        return build_embedder_from(settings).name
    except AssistantError:
        return None


def embeddings_line(embedders: dict[str | None, int], configured: str | None) -> str:
    """Which embedder made the vectors of how many files, and what the next ingest redoes."""
    parts = [
        f"{count} {'file' if count == 1 else 'files'} by {name or 'an unrecorded embedder'}"
        for name, count in sorted(embedders.items(), key=lambda item: (-item[1], item[0] or ""))
    ]
    line = "embeddings: " + ", ".join(parts)
    if configured is None:
        return line
    other = sum(count for name, count in embedders.items() if name != configured)
    if not other:
        return line + " (the configured embedder)"
    return line + (
        f"; configured: {configured}, so the next ingest embeds {other} "
        f"{'file' if other == 1 else 'files'} again"
    )
