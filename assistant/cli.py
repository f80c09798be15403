"""`assistant`: serve, ingest, import-accounts, check-rules, ask."""

from __future__ import annotations

import ipaddress
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from assistant.config import Settings, get_settings
from assistant.data_dir import check_writable
from assistant.drafts.cli import app as draft_app
from assistant.errors import AssistantError, DataDirError
from assistant.evaluation.cli import eval_app
from assistant.jobs.commands import db_app, enqueue_ingest, show_status, worker
from assistant.llm.cli import app as llm_app

if TYPE_CHECKING:
    from assistant.rules import Rules

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(draft_app, name="draft")
app.add_typer(eval_app, name="eval")
app.add_typer(llm_app, name="llm")  # the LLM endpoint (issue 16): `assistant llm check`
# cluster profile (issue 17): migrations, ingest workers, the cluster side of `ingest`
app.add_typer(db_app, name="db")
app.command()(worker)


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _writable(settings: Settings) -> None:
    """Exit 2 with one line when the data directory cannot be written."""
    try:
        check_writable(settings)
    except DataDirError as error:
        _fail(str(error), 2)


def _rules_or_fail(settings: Settings) -> Rules:
    from assistant.rules import load_rules  # its checker reads documents: bs4 and more

    try:
        return load_rules(settings.rules_path)
    except AssistantError as error:
        _fail(str(error))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    from assistant.api.app import create_app

    settings = get_settings()
    if settings.api_keys_file is None and not _is_loopback(host):
        _fail(
            f"refusing to bind to {host}: without ASSISTANT_API_KEYS_FILE the server runs in "
            "single-user local mode and only binds to loopback (127.0.0.1)"
        )
    _writable(settings)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders")] = None,
    status: Annotated[
        bool, typer.Option("--status", help="show the ingest jobs and the index, do nothing")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="cluster profile: wait for the jobs to finish")
    ] = False,
) -> None:
    """Ingest documents into the knowledge index (incremental; unchanged files are skipped).

    Embedded profile: runs here. Cluster profile: enqueues jobs for the ingest workers
    (`assistant worker`); `--status` shows their progress."""
    from assistant.ingest_resources import IngestResources

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    settings = get_settings()
    if settings.profile == "embedded":
        _writable(settings)
    try:
        if status:
            show_status(settings)
            return
        if settings.profile == "cluster":
            enqueue_ingest(settings, paths or [settings.knowledge_dir], wait)
            return
        resources = IngestResources(settings)  # not the whole `Services`: what ingest needs
        try:
            report = resources.ingestor(ledgered=True).run(
                paths or [settings.knowledge_dir], progress=sys.stderr.isatty()
            )
        finally:
            resources.close()
    except AssistantError as error:
        _fail(str(error))
        return
    for path, reason in report.skipped:
        typer.secho(f"skipped {path}: {reason}", fg=typer.colors.YELLOW, err=True)
    for path, reason in report.flagged:
        typer.secho(f"flagged {path}: {reason}", fg=typer.colors.YELLOW, err=True)
    typer.echo(report.summary())


@app.command("import-accounts")
def import_accounts(
    directory: Annotated[Path, typer.Argument(help="folder of account exports")] = Path(
        "knowledge/accounts"
    ),
    strict: Annotated[bool, typer.Option(help="exit 1 when any row is rejected")] = False,
) -> None:
    """Import account exports into the accounts store (idempotent upsert).

    One transaction per file: bad rows are reported (file:line: reason) and skipped, a
    file that cannot be imported as a whole changes nothing.
    """
    from assistant.store import accounts as _tables  # noqa: F401  (registers the tables)
    from assistant.store.db import build_engine, session_factory
    from assistant.store.importer import AccountImporter

    settings = get_settings()
    if not directory.is_dir():
        _fail(f"{directory} is not a folder")
    if settings.database_url is None:
        _writable(settings)
    rules = _rules_or_fail(settings)
    engine = build_engine(settings)
    try:
        report = AccountImporter(session_factory(engine), rules).run(directory, settings.clock())
    finally:
        engine.dispose()
    for issue in report.rejected:
        typer.secho(f"rejected {issue}", fg=typer.colors.YELLOW, err=True)
    typer.echo(report.summary())
    if report.failed_files or (strict and report.rejected):
        raise typer.Exit(1)


@app.command("check-rules")
def check_rules_command() -> None:
    """Validate the rules file and check that each rule's cited section still states it
    (exit 1 on any problem)."""
    from assistant.rules import check_rules

    settings = get_settings()
    rules = _rules_or_fail(settings)
    problems = check_rules(rules, settings.knowledge_dir)
    for problem in problems:
        typer.secho(f"problem: {problem}", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"{settings.rules_path}: {len(problems)} problem(s)")
    if problems:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON")] = False,
    account: Annotated[str | None, typer.Option(help="account id giving context")] = None,
) -> None:
    """Answer a question from the terminal with the same engine as the API."""
    from assistant.engine.chat import Principal
    from assistant.services import build_services

    try:
        services = build_services(get_settings())
        response = services.chat.chat(question, Principal(), None, account)
    except AssistantError as error:
        _fail(str(error), 2)
        return
    if as_json:
        typer.echo(json.dumps(response.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    typer.echo(response.answer)
    for citation in response.citations:
        typer.echo(f"[{citation.n}] {citation.section} ({citation.source})")


# Slack bot (issue 14): Socket Mode, for a server that Slack cannot reach over HTTP
@app.command("slack")
def slack_command(
    socket: Annotated[bool, typer.Option("--socket", help="connect over Socket Mode")] = False,
) -> None:
    """Run the Slack bot over Socket Mode (over HTTP it is part of `assistant serve`)."""
    import asyncio

    settings = get_settings()
    if not socket:
        _fail(
            "over HTTP the Slack bot is served by `assistant serve` at /slack/events; "
            "use `assistant slack --socket` for Socket Mode"
        )
    if settings.slack_bot_token is None or settings.slack_app_token is None:
        _fail("Socket Mode needs ASSISTANT_SLACK_BOT_TOKEN and ASSISTANT_SLACK_APP_TOKEN (xapp-)")
    _writable(settings)
    from assistant.services import build_services
    from assistant.slack.surface import SlackSurface, socket_mode_handler

    logging.basicConfig(level=logging.INFO)
    try:
        services = build_services(settings)
        surface = SlackSurface(settings, socket_mode=True)
    except AssistantError as error:
        _fail(str(error), 2)
        return
    surface.start(services)

    async def run() -> None:
        await socket_mode_handler(surface).start_async()  # type: ignore[no-untyped-call]

    try:
        asyncio.run(run())
    finally:
        services.close()
