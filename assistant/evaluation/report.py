"""The eval report: one JSON-able dict (report.json, for machines and `--baseline`), rendered
to Markdown (report.md, for a pull request) and self-contained HTML (report.html).

Structure of report.json (version 1):
    {version, created, engine, settings, tolerance, baseline, compare, passed,
     suites: [{suite, split, path, today, thresholds, summary, below_thresholds, deltas,
               regressions, passed, usage, cases: [case],
               compare: {naive: {summary, ratios, below_thresholds, cases: [case]}},
               by_split: {dev|test: {summary, compare: {naive: summary}}}}]}
    case: {id, ask, account, expect, tools, draft, answer, declined, citations, tool_calls,
           draft_output, retrieved, scores, failures, details, error, latency_ms, regressed,
           usage}
    usage (LLM engine): {prompt_tokens, completion_tokens, cost_usd, calls, estimated}; the
           suite's is the sum over its cases (cost None when no case had a price)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from assistant.evaluation import compare
from assistant.evaluation.runner import LATENCIES, METRICS, CaseResult, SuiteResult
from assistant.evaluation.suite import SPLITS

VERSION = 1
TEMPLATES = Path(__file__).parent / "templates"
TOP_FAILURES = 10


@dataclass
class SuiteRun:
    """One suite's results: ours, and those of the engines compared against."""

    path: str
    ours: SuiteResult
    others: dict[str, SuiteResult] = field(default_factory=dict)


def case_record(
    result: CaseResult, baseline: Mapping[str, Any] | None, tolerance: float
) -> dict[str, Any]:
    case, response = result.case, result.response
    before = (baseline or {}).get(case.id)
    regressed = (
        compare.case_regressions(result.scores, before.get("scores", {}), tolerance)
        if before
        else []
    )
    return {
        "id": case.id,
        "ask": case.ask,
        "account": case.account,
        "expect": case.expect.model_dump(mode="json"),
        "tools": case.tools,
        "draft": case.draft,
        "answer": response.answer,
        "declined": response.declined,
        "engine": response.engine,
        "fallback_reason": response.fallback_reason,
        "citations": [c.model_dump(mode="json") for c in response.citations],
        "tool_calls": [c.model_dump(mode="json") for c in response.tool_calls],
        "draft_output": response.draft,
        "retrieved": result.retrieved,
        "scores": result.scores,
        "failures": result.failures,
        "details": result.details,
        "error": result.error,
        "latency_ms": round(result.latency_ms, 2),
        "regressed": regressed,
        "usage": response.usage,
    }


def usage_total(cases: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The model usage of a suite's cases added up (LLM usage, issue 16); None when no case
    called a model."""
    used = [c["usage"] for c in cases if c.get("usage")]
    if not used:
        return None
    costs = [u["cost_usd"] for u in used if u.get("cost_usd") is not None]
    return {
        "prompt_tokens": sum(int(u.get("prompt_tokens", 0)) for u in used),
        "completion_tokens": sum(int(u.get("completion_tokens", 0)) for u in used),
        "cost_usd": round(sum(costs), 6) if costs else None,
        "calls": sum(int(u.get("calls", 0)) for u in used),
        "estimated": any(u.get("estimated") for u in used),
    }


def _ordered(cases: list[dict[str, Any]], gated: Mapping[str, float]) -> list[dict[str, Any]]:
    """Failures first (those failing a metric the suite has a threshold for, then those
    failing most metrics), then regressions, then the rest; suite order otherwise."""
    return sorted(
        cases,
        key=lambda c: (
            not c["failures"],
            -sum(1 for m in c["failures"] if m in gated or m == "error"),
            -len(c["failures"]),
            not c["regressed"],
        ),
    )


def _below(result: SuiteResult) -> dict[str, dict[str, float]]:
    return {
        name: {"value": value, "threshold": threshold}
        for name, (value, threshold) in result.below_thresholds().items()
    }


def suite_record(
    run: SuiteRun, baseline: Mapping[str, Any] | None, tolerance: float
) -> dict[str, Any]:
    ours = run.ours
    summary = ours.summary
    before_cases = {c["id"]: c for c in (baseline or {}).get("cases", [])}
    found = compare.deltas(summary, (baseline or {}).get("summary", {}), tolerance)
    below = _below(ours)
    regressions = compare.regressions(found)
    record: dict[str, Any] = {
        "suite": ours.suite.suite,
        "split": ours.suite.split,
        "path": run.path,
        "today": ours.suite.today.isoformat() if ours.suite.today else None,
        "thresholds": ours.suite.thresholds,
        "summary": summary,
        "below_thresholds": below,
        "has_baseline": baseline is not None,
        "deltas": {name: asdict(delta) for name, delta in found.items()},
        "regressions": regressions,
        "passed": not below and not regressions,
        "cases": _ordered(
            [case_record(c, before_cases, tolerance) for c in ours.cases], ours.suite.thresholds
        ),
        "compare": {},
        "by_split": _by_split(run),
    }
    record["usage"] = usage_total(record["cases"])
    for name, other in run.others.items():
        record["compare"][name] = {
            "summary": other.summary,
            "ratios": compare.ratios(summary, other.summary),
            "below_thresholds": _below(other),
            "cases": [case_record(c, None, tolerance) for c in other.cases],
        }
    return record


def _by_split(run: SuiteRun) -> dict[str, dict[str, Any]]:
    """For a run over every case: the summary of each split (ours and the compared
    engines'), so one run reports the dev and the held-out test figures."""
    if run.ours.suite.split != "all":
        return {}
    return {
        split: {
            "summary": run.ours.subset(split).summary,
            "compare": {name: other.subset(split).summary for name, other in run.others.items()},
        }
        for split in SPLITS
    }


def build_report(
    runs: Sequence[SuiteRun],
    *,
    engine: str,
    settings: Mapping[str, Any],
    tolerance: float,
    baseline: Mapping[str, Any] | None = None,
    baseline_path: str | None = None,
) -> dict[str, Any]:
    before = {(s["suite"], s.get("split", "all")): s for s in (baseline or {}).get("suites", [])}
    suites = [
        suite_record(run, before.get((run.ours.suite.suite, run.ours.suite.split)), tolerance)
        for run in runs
    ]
    compared = sorted({name for run in runs for name in run.others})
    return {
        "version": VERSION,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "settings": dict(settings),
        "tolerance": tolerance,
        "baseline": baseline_path,
        "compare": compared,
        "passed": all(s["passed"] for s in suites),
        "suites": suites,
    }


def metric_names(suite: Mapping[str, Any]) -> list[str]:
    """The scores this suite has, in the catalogue's order, then its latencies."""
    present = set(suite["summary"])
    for other in suite["compare"].values():
        present |= set(other["summary"])
    return [n for n in METRICS if n in present] + [n for n in LATENCIES if n in present]


def compared(suite: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The other engines' cases of a suite, by engine name and case id."""
    return {
        name: {case["id"]: case for case in other["cases"]}
        for name, other in suite["compare"].items()
    }


def _figure(value: Any, name: str = "") -> str:
    if value is None:
        return "n/a"
    if name.endswith("_ms"):
        return f"{float(value):.0f} ms"
    return f"{float(value):.3f}"


def _signed(value: Any, name: str = "") -> str:
    if value is None:
        return ""
    return f"{float(value):+.0f} ms" if name.endswith("_ms") else f"{float(value):+.3f}"


def _ratio(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.2f}×"


def _short(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(value: Any) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(figure=_figure, signed=_signed, ratio=_ratio, short=_short, cell=_cell)
    env.globals.update(
        metric_names=metric_names,
        compared=compared,
        descriptions={**METRICS, **LATENCIES},
        top=TOP_FAILURES,
    )
    return env


def render_markdown(report: Mapping[str, Any]) -> str:
    return _environment(False).get_template("report.md.j2").render(report=report)


def render_html(report: Mapping[str, Any]) -> str:
    return _environment(True).get_template("report.html.j2").render(report=report)


def write_reports(report: Mapping[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "report.json": json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n",
        "report.md": render_markdown(report),
        "report.html": render_html(report),
    }
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
