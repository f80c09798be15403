"""`assistant eval`: run eval suites and gate on them; turn feedback into candidate cases.

    assistant eval eval/suites/*.yaml [--engine grounded|llm] [--out DIR] [--baseline FILE]
                   [--compare naive] [--judge] [--tolerance 0.02] [--split dev|test|all]
    assistant eval export-feedback --out eval/suites/feedback.yaml

Exit codes: 0 every suite meets its thresholds (and nothing regressed against the baseline);
1 a suite is below a threshold or a metric regressed beyond the tolerance; 2 the run could
not be made (bad suite file or option, no LLM configured for --engine llm / --judge).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from assistant.config import Settings, get_settings
from assistant.errors import AssistantError

REPORTS = Path("eval/reports")


class _RunByDefault(TyperGroup):
    """`assistant eval SUITE...` means `assistant eval run SUITE...`; named subcommands (and
    --help) keep their meaning."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors click
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_RunByDefault,
    no_args_is_help=True,
    add_completion=False,
    help="Run eval suites (`assistant eval SUITE...`) and export feedback as cases.",
)


class EngineName(StrEnum):
    grounded = "grounded"
    llm = "llm"


class Baseline(StrEnum):
    naive = "naive"


class SplitName(StrEnum):
    dev = "dev"
    test = "test"
    all = "all"


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _say(message: str) -> None:
    typer.secho(message, fg=typer.colors.CYAN, err=True)


def _llm_model(settings: Settings) -> str | None:
    value = getattr(settings, "llm_model", None)
    return str(value) if value else None


class _Bar:
    """A rich progress bar on a terminal (stderr); nothing otherwise."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, label: str, total: int) -> None:
        if self.progress is not None:
            self.task = self.progress.add_task(label, total=total)

    def advance(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)


def _load_baseline(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        _fail(f"cannot read the baseline report {path}: {error}")
    if not isinstance(data, dict) or not isinstance(data.get("suites"), list):
        _fail(f"{path} is not an eval report.json (no 'suites' list)")
    return data  # type: ignore[no-any-return]


@eval_app.command("run")
def run(
    suites: Annotated[list[Path], typer.Argument(help="suite files, e.g. eval/suites/*.yaml")],
    engine: Annotated[
        EngineName, typer.Option(help="the engine to evaluate (llm: needs a configured LLM)")
    ] = EngineName.grounded,
    out: Annotated[
        Path | None, typer.Option(help="report folder [default: eval/reports/<timestamp>]")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="a previous report.json; regressions fail the run")
    ] = None,
    compare: Annotated[
        list[Baseline] | None, typer.Option(help="also run this baseline engine on the suites")
    ] = None,
    judge: Annotated[
        bool, typer.Option(help="add LLM-graded faithfulness and relevance (needs an LLM)")
    ] = False,
    tolerance: Annotated[
        float, typer.Option(min=0.0, help="allowed drop of a metric against the baseline")
    ] = 0.02,
    split: Annotated[
        SplitName,
        typer.Option(
            help="the cases to run, by a fixed hash of their id: dev (~70%, for tuning), "
            "test (~30%, held out) or all (reported per split too)"
        ),
    ] = SplitName.all,
) -> None:
    """Run suites through the API's engine; exit 1 below a threshold or on a regression."""
    from assistant.evaluation.judge import Judge
    from assistant.evaluation.report import build_report, write_reports
    from assistant.evaluation.session import Evaluation, load_suites, unknown_thresholds
    from ingest.embedding import build_embedder_from

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    settings = get_settings()
    model = _llm_model(settings)
    if model is None and (engine is EngineName.llm or judge):
        what = "--engine llm" if engine is EngineName.llm else "--judge"
        _fail(
            f"no LLM configured: set ASSISTANT_LLM_MODEL (and ASSISTANT_LLM_BASE_URL / "
            f"ASSISTANT_LLM_API_KEY as needed) to use {what}"
        )
    try:
        loaded = load_suites(suites, split.value)
    except AssistantError as error:
        _fail(str(error))
        return
    for path, reason in loaded.skipped:
        typer.secho(f"skipping {path}: {reason}", fg=typer.colors.YELLOW, err=True)
    if not loaded.suites:
        _fail("no suite to run")
    for path, suite in loaded.suites:
        unknown = unknown_thresholds(suite)
        if unknown:
            _fail(f"{path}: thresholds for unknown metrics: {', '.join(unknown)}")
    before = _load_baseline(baseline)
    out = out or REPORTS / dt.datetime.now().strftime("%Y%m%d-%H%M%S")

    embedder = build_embedder_from(settings)
    names = [c.value for c in compare or []]
    grader: Judge | None = None
    if judge:
        try:
            grader = Judge.from_settings(settings)
        except AssistantError as error:
            _fail(str(error))
    tty = sys.stderr.isatty()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), disable=not tty) as progress:
        evaluation = Evaluation(
            settings,
            embedder,
            names,
            say=_say,
            progress=_Bar(progress),
            engine=engine.value,
            judge=grader,
        )
        try:
            runs = evaluation.run(loaded.suites)
        except AssistantError as error:
            _fail(str(error))
            return
        finally:
            if grader is not None:
                grader.close()
    report = build_report(
        runs,
        engine=f"llm:{model}" if engine is EngineName.llm else engine.value,
        settings={
            "embedding_model": settings.embedding_model or "all-MiniLM-L6-v2 (packaged)",
            "embedder": f"{embedder.name} ({embedder.dimension} dimensions)",
            "data_dir": str(settings.data_dir),
            "knowledge_dir": str(settings.knowledge_dir),
            "retrieval_k": settings.retrieval_k,
            "judge": f"llm:{model}" if judge else None,
        },
        tolerance=tolerance,
        baseline=before,
        baseline_path=str(baseline) if baseline else None,
    )
    written = write_reports(report, out)
    _print_summary(report)
    typer.echo(f"reports: {', '.join(str(p) for p in written)}")
    if not report["passed"]:
        raise typer.Exit(1)


def _print_summary(report: dict[str, Any]) -> None:
    from assistant.evaluation.report import metric_names

    console = Console() if sys.stdout.isatty() else Console(width=120)
    for s in report["suites"]:
        split = "" if s.get("split", "all") == "all" else f" ({s['split']} split)"
        table = Table(title=f"{s['suite']}{split}: {'passed' if s['passed'] else 'FAILED'}")
        table.add_column("metric", no_wrap=True)
        table.add_column("value", justify="right")
        table.add_column("threshold", justify="right")
        table.add_column("", justify="center")
        if s["has_baseline"]:
            table.add_column("Δ baseline", justify="right")
        for name in s["compare"]:
            table.add_column(name, justify="right")
            table.add_column(f"ours/{name}", justify="right")
        for m in metric_names(s):
            value = s["summary"].get(m)
            threshold = s["thresholds"].get(m)
            row = [
                m,
                _figure(value, m),
                "" if threshold is None else _figure(threshold, m),
                ""
                if threshold is None or value is None
                else ("[red]✗[/]" if m in s["below_thresholds"] else "[green]✓[/]"),
            ]
            if s["has_baseline"]:
                delta = s["deltas"].get(m)
                text = "" if delta is None else _signed(delta["delta"], m)
                row.append(f"[red]{text} regressed[/]" if delta and delta["regressed"] else text)
            for other in s["compare"].values():
                ratio = other["ratios"].get(m)
                row += [
                    _figure(other["summary"].get(m), m),
                    "n/a" if ratio is None else f"{ratio:.2f}×",
                ]
            table.add_row(*row)
        console.print(table)
        console.print(f"{s['summary']['failed_cases']} of {s['summary']['cases']} cases failed")
        for split, part in s.get("by_split", {}).items():
            figures = ", ".join(
                f"{m} {_figure(part['summary'].get(m), m)}"
                + "".join(
                    f" ({name} {_figure(other.get(m), m)})"
                    for name, other in part["compare"].items()
                )
                for m in s["thresholds"]
            )
            console.print(f"  {split} split ({part['summary']['cases']} cases): {figures}")


def _signed(value: float, name: str) -> str:
    return f"{value:+.0f} ms" if name.endswith("_ms") else f"{value:+.3f}"


def _figure(value: Any, name: str) -> str:
    if value is None:
        return "n/a"
    return f"{float(value):.0f} ms" if name.endswith("_ms") else f"{float(value):.3f}"


@eval_app.command("export-feedback")
def export_feedback(
    out: Annotated[Path, typer.Option(help="the candidate suite to write (or extend)")] = Path(
        "eval/suites/feedback.yaml"
    ),
) -> None:
    """Write thumbs-down answers as candidate cases for a person to complete."""
    from assistant.evaluation.feedback_export import write_export
    from assistant.store.db import build_engine
    from assistant.store.feedback import FeedbackStore

    settings = get_settings()
    database = build_engine(settings)
    try:
        answers = FeedbackStore(database).rated("down")
        added = write_export(answers, out)
    except AssistantError as error:
        _fail(str(error))
        return
    finally:
        database.dispose()
    typer.echo(
        f"{added} new candidate case(s) from {len(answers)} thumbs-down answer(s) in {out}"
        + ("; complete the TODOs, then set needs_review: false" if added else "")
    )
