"""`assistant eval` on the LLM engine: each case's tokens and cost, and the suite's totals,
in report.json, report.md and report.html."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import get_settings
from tests.evaluation.conftest import eval_env, tiny_suite, write_suite
from tests.llm.scripted import ScriptedModel, content

__all__ = ["eval_env"]  # the fixture, shared with tests/evaluation


def test_usage_per_case_and_per_suite(
    eval_env: Path, model: ScriptedModel, model_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "ASSISTANT_LLM_BASE_URL": f"{model_url}/v1",
        "ASSISTANT_LLM_MODEL": "scripted-1",
        "ASSISTANT_LLM_API_KEY": "test-key",
        "ASSISTANT_LLM_PRICES": '{"scripted-1": [1.0, 4.0]}',
        "ASSISTANT_LLM_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    suite = write_suite(eval_env / "tiny.yaml", tiny_suite())
    model.enqueue(*[content("I cannot tell from here.") for _ in range(4)])
    args = ["eval", str(suite), "--engine", "llm", "--out", "out"]
    CliRunner().invoke(app, args, catch_exceptions=False)
    data = json.loads((eval_env / "out" / "report.json").read_text(encoding="utf-8"))
    (tiny,) = data["suites"]
    used = [c["usage"] for c in tiny["cases"] if c["usage"]]
    assert len(used) == len(model.history) == 4
    total = tiny["usage"]
    assert total["prompt_tokens"] == sum(u["prompt_tokens"] for u in used) > 0
    assert total["calls"] == 4 and total["estimated"] is False
    cost = (total["prompt_tokens"] * 1.0 + total["completion_tokens"] * 4.0) / 1e6
    assert abs(total["cost_usd"] - cost) < 1e-5
    markdown = (eval_env / "out" / "report.md").read_text(encoding="utf-8")
    assert f"Model usage: {total['prompt_tokens']} tokens in" in markdown
    html = (eval_env / "out" / "report.html").read_text(encoding="utf-8")
    assert f"model usage: {total['prompt_tokens']} tokens in" in html
