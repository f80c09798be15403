"""The `assistant` command line, in process, on a temporary data directory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import get_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hashing")
    monkeypatch.setenv("ASSISTANT_ANSWER_MIN_SIMILARITY", "0.05")
    monkeypatch.delenv("ASSISTANT_API_KEYS_FILE", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_ingest_then_ask(env: Path, corpus: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", str(corpus)])
    assert first.exit_code == 0, first.output
    assert "files seen 3, new 3, changed 0, removed 0, skipped 0" in first.output
    again = runner.invoke(app, ["ingest", str(corpus)])
    assert "new 0, changed 0, removed 0, skipped 0, chunks embedded 0" in again.output

    answer = runner.invoke(app, ["ask", "When should a new customer be live?"])
    assert answer.exit_code == 0
    assert "30 days" in answer.output and "[1] Onboarding Playbook" in answer.output

    as_json = runner.invoke(app, ["ask", "When should a new customer be live?", "--json"])
    body = json.loads(as_json.output)
    assert body["engine"] == "grounded" and body["citations"][0]["n"] == 1
    assert set(body) >= {"conversation_id", "answer", "citations", "timings_ms"}


def test_ingest_reports_skipped_files(env: Path, corpus: Path) -> None:
    (corpus / "broken.json").write_text("{oops")
    result = CliRunner().invoke(app, ["ingest", str(corpus)])
    assert result.exit_code == 0
    assert "broken.json: invalid JSON" in result.output
    assert "skipped 1" in result.output


def test_ask_rejects_blank_question(env: Path) -> None:
    result = CliRunner().invoke(app, ["ask", "   "])
    assert result.exit_code == 2
    assert "empty or blank" in result.output


def test_serve_refuses_public_interface_without_keys(env: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 1
    assert "only binds to loopback" in result.output
