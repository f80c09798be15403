"""`assistant draft ...` in process (typer's CliRunner) on the prepared data directory."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings, get_settings
from tests.drafts.checks import headings


@pytest.fixture
def env(prepared: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(prepared.data_dir))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hashing")
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-01")
    monkeypatch.delenv("ASSISTANT_API_KEYS_FILE", raising=False)
    monkeypatch.delenv("ASSISTANT_LLM_MODEL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_success_plan_to_markdown_and_docx(env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "plan.md"
    result = runner.invoke(
        app, ["draft", "success-plan", "--account", "ACC-001", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("# Customer success plan: Northwind Traders")
    assert {"Account snapshot", "Milestones", "Risks and mitigations"} <= set(headings(text))
    assert "$1,150,000 [T1]" in text
    docx = tmp_path / "plan.docx"
    result = runner.invoke(
        app, ["draft", "success-plan", "--account", "ACC-001", "--out", str(docx)]
    )
    assert result.exit_code == 0, result.output
    document = Document(io.BytesIO(docx.read_bytes()))
    assert document.paragraphs[0].text == "Customer success plan: Northwind Traders"


def test_each_kind_prints_markdown_or_json(env: None) -> None:
    runner = CliRunner()
    pitch = runner.invoke(
        app, ["draft", "pitch", "--account", "ACC-005", "--service", "security jumpstart"]
    )
    assert pitch.exit_code == 0, pitch.output
    assert pitch.output.startswith("# 5W pitch: Security Analytics Jumpstart for Woodgrove Bank")
    one_pager = runner.invoke(app, ["draft", "one-pager", "--service", "finops", "--json"])
    body = json.loads(one_pager.output)
    assert (
        body["kind"] == "one_pager" and body["draft"]["service_id"] == "platform-health-cost-review"
    )
    review = runner.invoke(app, ["draft", "meddicc-review", "--opportunity", "OPP-007"])
    assert review.exit_code == 0 and "| Metrics | missing |" in review.output


def test_errors_exit_2_with_the_reason(env: None) -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["draft", "meddicc-review", "--opportunity", "OPP-099"])
    assert unknown.exit_code == 2
    assert "is not among the opportunities you may see\n" in unknown.output  # no nearest ids
    service = runner.invoke(app, ["draft", "one-pager", "--service", "quantum widgets"])
    assert service.exit_code == 2 and "service 'quantum widgets' not found" in service.output
    assert runner.invoke(app, ["draft", "pitch", "--account", "ACC-001"]).exit_code == 2
