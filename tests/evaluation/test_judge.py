"""The optional LLM judge and the LLM engine under eval, against the scripted model served on
loopback (tests/llm/scripted.py): parsing and scaling, then `--judge` and `--engine llm`
through the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.evaluation.judge import faithfulness_score, parse_verdict, relevance_score
from tests.conftest import LiveServer
from tests.evaluation.conftest import tiny_suite, write_suite
from tests.llm.scripted import Call, ScriptedModel, content, error, tools


def test_parse_verdict() -> None:
    assert parse_verdict('{"score": 4}') == {"score": 4}
    fenced = 'Here you go:\n```json\n{"statements": 2, "supported": 1}\n```'
    assert parse_verdict(fenced) == {"statements": 2, "supported": 1}
    with pytest.raises(ValueError, match="no JSON object"):
        parse_verdict("four out of five")
    with pytest.raises(ValueError):
        parse_verdict("{not json}")


def test_scores() -> None:
    assert faithfulness_score({"statements": 4, "supported": 3}) == 0.75
    assert faithfulness_score({"statements": 0, "supported": 0}) == 1.0
    with pytest.raises(ValueError, match="inconsistent"):
        faithfulness_score({"statements": 2, "supported": 3})
    with pytest.raises(KeyError):
        faithfulness_score({"score": 1})
    assert relevance_score({"score": 5}) == 1.0 and relevance_score({"score": 1}) == 0.0
    assert relevance_score({"score": "4"}) == 0.75
    with pytest.raises(ValueError, match="between 1 and 5"):
        relevance_score({"score": 9})


@pytest.fixture
def model(eval_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedModel]:
    scripted = ScriptedModel()
    with LiveServer(scripted.app) as server:
        monkeypatch.setenv("ASSISTANT_LLM_MODEL", scripted.model)
        monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "test-key")
        monkeypatch.setenv("ASSISTANT_LLM_RETRIES", "0")
        yield scripted


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["eval", *args], catch_exceptions=False)


def verdicts(faithful: tuple[int, int], grade: int) -> list[Any]:
    statements, supported = faithful
    return [
        content(json.dumps({"statements": statements, "supported": supported})),
        content(f'```json\n{{"score": {grade}, "reason": "ok"}}\n```'),
    ]


def test_judge_scores_every_answer(eval_env: Path, model: ScriptedModel) -> None:
    suite = write_suite(eval_env / "tiny.yaml", tiny_suite())
    model.enqueue(
        *verdicts((1, 1), 5),  # go-live
        *verdicts((2, 1), 3),  # red-band
        content("I cannot grade this."),  # training: an unreadable faithfulness verdict
        error(500),  # ... and a failing model for relevance
    )  # off-topic is declined: not judged
    result = run(str(suite), "--judge", "--out", "out")
    assert result.exit_code == 0, result.output
    assert model.pending == 0 and len(model.history) == 6
    first = model.history[0]["messages"][0]["content"]
    assert "When should a new customer be live?" in first
    assert "within 30 days of signature" in first  # the cited chunk is the evidence
    report = json.loads((eval_env / "out" / "report.json").read_text(encoding="utf-8"))
    tiny = report["suites"][0]
    cases = {c["id"]: c for c in tiny["cases"]}
    assert cases["go-live"]["scores"]["judge_faithfulness"] == 1.0
    assert cases["red-band"]["scores"]["judge_relevance"] == 0.5
    assert "judge_faithfulness" not in cases["training"]["scores"]
    assert len(cases["training"]["details"]["judge_error"]) == 2
    assert "judge_relevance" not in cases["off-topic"]["scores"]
    assert tiny["summary"]["judge_faithfulness"] == pytest.approx(0.75)
    assert report["settings"]["judge"] == "llm:scripted-1"


def test_llm_engine_under_eval_and_a_miscitation_caught(
    eval_env: Path, model: ScriptedModel
) -> None:
    suite = write_suite(
        eval_env / "tiny.yaml",
        {**tiny_suite(thresholds={"fact_recall": 0.9}), "cases": tiny_suite()["cases"][:1]},
    )
    model.enqueue(
        tools(Call("search_knowledge", {"query": "live"})),
        content("A new customer should be live within 30 days of signature [1]."),
    )
    result = run(str(suite), "--engine", "llm", "--out", "out")
    assert result.exit_code == 0, result.output
    report = json.loads((eval_env / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["engine"] == "llm:scripted-1"
    (case,) = report["suites"][0]["cases"]
    assert case["engine"] == "llm:scripted-1" and case["fallback_reason"] is None
    assert case["scores"]["fact_recall"] == 1.0
    # the model cited [1], the first hit of its search for "live": the Handover section,
    # which does not say "30 days"; the deterministic checks catch the mis-citation
    assert case["citations"][0]["section"] == "Onboarding Playbook > Handover"
    assert case["scores"]["grounding"] == 0.0 and case["scores"]["numeric_consistency"] == 0.0
    assert case["details"]["unsupported_numbers"] == ["30"]
    assert len(model.history) == 2
