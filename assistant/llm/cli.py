"""`assistant llm check`: what the configured endpoint supports."""

from __future__ import annotations

import typer

from assistant.config import get_settings
from assistant.errors import AssistantError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.command()
def check() -> None:
    """Send a few small requests (one calls a tool) and report what the endpoint supports:
    tools, usage, sampling parameters, streaming, JSON-schema output. Exit 1 when something
    is missing (each with what to do), 2 when the endpoint cannot be reached or no model is
    set."""
    from assistant.llm.capabilities import check_endpoint
    from assistant.llm.config import LLMConfig

    config = LLMConfig.from_settings(get_settings())
    if config is None:
        typer.secho("error: no model configured (ASSISTANT_LLM_MODEL)", fg="red", err=True)
        raise typer.Exit(2)
    try:
        report = check_endpoint(config)
    except AssistantError as error:  # e.g. azure without its endpoint
        typer.secho(f"error: {error}", fg="red", err=True)
        raise typer.Exit(2) from error
    for line in report.lines():
        typer.echo(line)
    if not report.reachable:
        raise typer.Exit(2)
    if not report.ok:
        raise typer.Exit(1)
