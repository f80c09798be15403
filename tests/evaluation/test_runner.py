"""The runner end to end: the tiny suite through the real chat engine over the small corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation.grounding import SupportCheck
from assistant.evaluation.runner import CaseResult, Scorer, SuiteResult, run_suite
from assistant.evaluation.session import chunk_lookup
from assistant.evaluation.suite import Suite
from assistant.services import Services
from ingest.discovery import source_name
from tests.evaluation.conftest import tiny_suite


def suite_over(corpus: Path, **options: object) -> Suite:
    """The tiny suite with its sources named as ingestion names the corpus files."""
    suite = Suite.model_validate(tiny_suite(**options))  # type: ignore[arg-type]
    for case in suite.cases:
        case.expect.sources = [
            source_name(corpus / s.removeprefix("knowledge/")) for s in case.expect.sources
        ]
    return suite


@pytest.fixture
def scorer(indexed: Services) -> Scorer:
    return Scorer(SupportCheck(embed=indexed.embedder.embed), chunk_lookup(indexed))


def test_tiny_suite_passes(indexed: Services, corpus: Path, scorer: Scorer) -> None:
    seen: list[CaseResult] = []
    result = run_suite(indexed.chat, suite_over(corpus), on_case=seen.append, scorer=scorer)
    assert [c.case.id for c in seen] == ["go-live", "red-band", "training", "off-topic"]
    summary = result.summary
    for name in ("hit_at_5", "mrr", "fact_recall", "refusal_accuracy", "answered"):
        assert summary[name] == 1.0, name
    assert summary["grounding"] == 1.0 and summary["citation_precision"] == 1.0
    assert summary["numeric_consistency"] == 1.0  # "30 days" is in the cited chunk
    assert summary["cases"] == 4 and summary["failed_cases"] == 0
    assert 0 < summary["latency_p50_ms"] <= summary["latency_p95_ms"]
    assert result.below_thresholds() == {}
    off_topic = seen[-1]
    assert off_topic.scores == {"refusal_accuracy": 1.0} and off_topic.response.declined


def test_failures_are_explained(indexed: Services, corpus: Path, scorer: Scorer) -> None:
    result = run_suite(indexed.chat, suite_over(corpus, red_fact="below 45"), scorer=scorer)
    red = next(c for c in result.cases if c.case.id == "red-band")
    assert red.failures == ["fact_recall"]
    assert red.details == {"missing_facts": ["below 45"]}
    assert result.below_thresholds() == {"fact_recall": (pytest.approx(2 / 3), 0.9)}


def test_an_engine_error_fails_the_case_not_the_run(
    indexed: Services, corpus: Path, scorer: Scorer
) -> None:
    unknown = {"id": "ghost", "ask": "How is it doing?", "account": "ACC-999", "tools": ["x"]}
    result: SuiteResult = run_suite(
        indexed.chat, suite_over(corpus, extra=[unknown]), scorer=scorer
    )
    ghost = result.cases[-1]
    assert ghost.error is not None and "ACC-999" in ghost.error
    assert "error" in ghost.failures and ghost.scores["tool_recall"] == 0.0
    assert len(result.cases) == 5
