"""`assistant eval` through the real CLI: exit codes, reports, baselines and --compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.evaluation.conftest import tiny_suite, write_suite

runner = CliRunner()


def assistant(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def report(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "report.json").read_text(encoding="utf-8")))


def test_passing_suite_exits_0_and_writes_reports(eval_env: Path) -> None:
    suite = write_suite(eval_env / "suites" / "tiny.yaml", tiny_suite())
    result = assistant("eval", str(suite), "--out", "out")
    assert result.exit_code == 0, result.output
    assert "ingesting knowledge first" in result.output  # a fresh data directory
    assert "tiny: passed" in result.output
    data = report(eval_env / "out")
    assert data["passed"] and data["suites"][0]["below_thresholds"] == {}
    assert {p.name for p in (eval_env / "out").iterdir()} == {
        "report.json",
        "report.md",
        "report.html",
    }
    case = data["suites"][0]["cases"][0]
    assert {"answer", "citations", "tool_calls", "scores", "failures", "retrieved"} <= set(case)


def test_below_threshold_exits_1_with_the_failure_in_every_report(eval_env: Path) -> None:
    suite = write_suite(eval_env / "tiny.yaml", tiny_suite(red_fact="below 45"))
    result = assistant("eval", str(suite), "--out", "out")
    assert result.exit_code == 1, result.output
    assert "tiny: FAILED" in result.output
    data = report(eval_env / "out")
    tiny = data["suites"][0]
    assert not data["passed"]
    assert tiny["below_thresholds"]["fact_recall"]["threshold"] == 0.9
    assert tiny["cases"][0]["id"] == "red-band"  # failures first
    assert tiny["cases"][0]["details"] == {"missing_facts": ["below 45"]}
    markdown = (eval_env / "out" / "report.md").read_text(encoding="utf-8")
    assert "| fact_recall | 0.667 | ≥ 0.900 | ❌ |" in markdown
    assert "### Top failures (1 of 1)" in markdown and "`red-band`" in markdown
    html = (eval_env / "out" / "report.html").read_text(encoding="utf-8")
    assert "red-band" in html and "missing_facts" in html and "below 45" in html


def test_regression_against_baseline_exits_1(eval_env: Path) -> None:
    only_refusals = {"refusal_accuracy": 0.9}
    good = write_suite(eval_env / "a" / "tiny.yaml", tiny_suite(thresholds=only_refusals))
    assert assistant("eval", str(good), "--out", "before").exit_code == 0
    worse = write_suite(
        eval_env / "b" / "tiny.yaml", tiny_suite(thresholds=only_refusals, red_fact="below 45")
    )
    assert assistant("eval", str(worse), "--out", "plain").exit_code == 0  # no threshold hit
    result = assistant("eval", str(worse), "--baseline", "before/report.json", "--out", "after")
    assert result.exit_code == 1, result.output
    tiny = report(eval_env / "after")["suites"][0]
    assert tiny["regressions"] == ["fact_recall"]
    assert tiny["deltas"]["fact_recall"]["delta"] == pytest.approx(-1 / 3)
    assert tiny["cases"][0]["regressed"] == ["fact_recall"]
    html = (eval_env / "after" / "report.html").read_text(encoding="utf-8")
    assert "regressed" in html and 'class="regression"' in html
    markdown = (eval_env / "after" / "report.md").read_text(encoding="utf-8")
    assert "⚠️ regressed" in markdown
    tolerant = ("--baseline", "before/report.json", "--tolerance", "0.4", "--out", "tolerant")
    assert assistant("eval", str(worse), *tolerant).exit_code == 0


def test_compare_naive_reports_both_engines(eval_env: Path) -> None:
    suite = write_suite(eval_env / "tiny.yaml", tiny_suite())
    result = assistant("eval", str(suite), "--compare", "naive", "--out", "out")
    assert result.exit_code == 0, result.output  # the baseline's scores do not gate
    tiny = report(eval_env / "out")["suites"][0]
    naive = tiny["compare"]["naive"]
    # the hashing embedder's similarities are all under the cut-off chosen for the real model
    assert naive["summary"]["refusal_accuracy"] == 1.0 and naive["summary"]["answered"] == 0.0
    assert naive["ratios"]["refusal_accuracy"] == 1.0
    assert naive["summary"]["fact_recall"] == 0.0
    assert naive["ratios"]["fact_recall"] is None  # ours / 0
    assert "ours/naive" in result.output
    markdown = (eval_env / "out" / "report.md").read_text(encoding="utf-8")
    assert "| naive | ours / naive |" in markdown


def test_html_is_self_contained_and_escaped(eval_env: Path) -> None:
    hostile = {
        "id": "hostile",
        "ask": "<script>alert('x')</script> When should a new customer be live?",
        "expect": {"facts": ["<b>never</b>"]},
    }
    suite = write_suite(eval_env / "tiny.yaml", tiny_suite(extra=[hostile]))
    assert assistant("eval", str(suite), "--out", "out").exit_code == 1
    html = (eval_env / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    assert "<b>never</b>" not in html and "&lt;b&gt;never&lt;/b&gt;" in html
    assert "<link" not in html and "src=" not in html and "http" not in html.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--engine", "llm"), "no LLM configured: set ASSISTANT_LLM_MODEL"),
        (("--judge",), "no LLM configured: set ASSISTANT_LLM_MODEL"),
        (("--baseline", "missing.json"), "cannot read the baseline report"),
    ],
)
def test_usage_errors_exit_2(eval_env: Path, args: tuple[str, ...], message: str) -> None:
    suite = write_suite(eval_env / "tiny.yaml", tiny_suite())
    result = assistant("eval", str(suite), *args)
    assert result.exit_code == 2 and message in result.output


def test_bad_suites_exit_2(eval_env: Path) -> None:
    unknown = write_suite(eval_env / "u.yaml", tiny_suite(thresholds={"hit_at_50": 0.5}))
    result = assistant("eval", str(unknown))
    assert result.exit_code == 2 and "unknown metrics: hit_at_50" in result.output
    broken = eval_env / "broken.yaml"
    broken.write_text("suite: x\ncases: [{id: a}]\n", encoding="utf-8")
    result = assistant("eval", str(broken))
    assert result.exit_code == 2 and "invalid suite" in result.output


def test_suites_needing_review_are_skipped(eval_env: Path) -> None:
    draft = write_suite(eval_env / "feedback.yaml", {**tiny_suite(), "needs_review": True})
    result = assistant("eval", str(draft))
    assert (
        result.exit_code == 2 and "skipping" in result.output and "no suite to run" in result.output
    )
    ready = write_suite(eval_env / "tiny.yaml", tiny_suite())
    result = assistant("eval", str(draft), str(ready), "--out", "out")
    assert result.exit_code == 0 and [s["suite"] for s in report(eval_env / "out")["suites"]] == [
        "tiny"
    ]


def test_default_out_dir(eval_env: Path) -> None:
    suite = write_suite(eval_env / "tiny.yaml", tiny_suite())
    assert assistant("eval", "run", str(suite)).exit_code == 0
    (folder,) = (eval_env / "eval" / "reports").iterdir()
    assert (folder / "report.html").is_file()
