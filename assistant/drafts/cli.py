"""`assistant draft`: success-plan, pitch, one-pager, meddicc-review.

Each prints the draft's Markdown, or writes it with `--out` (DOCX when the file name ends in
`.docx`, Markdown otherwise); `--json` prints what `POST /api/drafts/{kind}` returns.
The local command line runs as the single local user (every account visible).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from assistant.config import get_settings
from assistant.errors import AssistantError, ConfigurationError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
Out = Annotated[Path | None, typer.Option("--out", help="file to write (.docx or .md)")]
AsJson = Annotated[bool, typer.Option("--json", help="print the API's JSON")]


def _draft(kind: str, out: Path | None, as_json: bool, **parameters: str | None) -> None:
    from assistant.drafts.models import parse_draft
    from assistant.drafts.service import DraftRequest, docx, parse_kind
    from assistant.principal import Principal
    from assistant.services import build_services

    try:
        services = build_services(get_settings())
        try:
            drafts = getattr(services, "drafts", None)
            if drafts is None:
                raise ConfigurationError("drafting is not configured")
            result = drafts.create(parse_kind(kind), DraftRequest(**parameters), Principal())
        finally:
            services.close()
    except AssistantError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from error
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    elif out is None:
        typer.echo(result.markdown)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".docx":
            out.write_bytes(docx(parse_draft(result.draft), getpass.getuser()))
        else:
            out.write_text(result.markdown, encoding="utf-8")
        typer.secho(f"wrote {out} (draft {result.draft_id})", err=True)


@app.command("success-plan")
def success_plan(
    account: Annotated[str, typer.Option(help="account id or name, e.g. ACC-001")],
    out: Out = None,
    as_json: AsJson = False,
) -> None:
    """Customer success plan of an account."""
    _draft("success_plan", out, as_json, account_id=account)


@app.command()
def pitch(
    account: Annotated[str, typer.Option(help="account id or name")],
    service: Annotated[str, typer.Option(help="service id or name")],
    out: Out = None,
    as_json: AsJson = False,
) -> None:
    """5W seller pitch of a service to an account."""
    _draft("pitch", out, as_json, account_id=account, service=service)


@app.command("one-pager")
def one_pager(
    service: Annotated[str, typer.Option(help="service id or name")],
    account: Annotated[str | None, typer.Option(help="tailor it to this account")] = None,
    out: Out = None,
    as_json: AsJson = False,
) -> None:
    """Service one-pager, optionally tailored to an account."""
    _draft("one_pager", out, as_json, service=service, account_id=account)


@app.command("meddicc-review")
def meddicc_review(
    opportunity: Annotated[str, typer.Option(help="opportunity id, e.g. OPP-007")],
    out: Out = None,
    as_json: AsJson = False,
) -> None:
    """MEDDICC gap review of an opportunity."""
    _draft("meddicc_review", out, as_json, opportunity_id=opportunity)
