"""The shipped knowledge base through the real embedding model and the grounded engine.

Marked slow (it loads all-MiniLM-L6-v2 and embeds the whole knowledge base); CI runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.engine.chat import Principal
from assistant.evaluation.runner import SuiteResult, run_suite
from assistant.evaluation.suite import load_suite
from assistant.services import Services, build_services
from tests.conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("real-data"))
    services = build_services(settings)
    report = services.ingestor().run([REPO / "knowledge"])
    assert report.skipped == [] and report.chunks_embedded > 300
    yield services
    services.close()


@pytest.fixture(scope="module")
def knowledge_result(real_services: Services) -> SuiteResult:
    suite = load_suite(REPO / "eval" / "suites" / "knowledge.yaml")
    return run_suite(real_services.chat, suite)


def test_real_model_answers_with_citations(real_services: Services) -> None:
    assert real_services.embedder.dimension == 384
    response = real_services.chat.chat("How fast should a new customer be onboarded?", Principal())
    assert "30 days" in response.answer
    assert response.citations
    assert response.citations[0].source.startswith("knowledge/")


def test_suite_is_large_enough(knowledge_result: SuiteResult) -> None:
    cases = knowledge_result.suite.cases
    assert len([c for c in cases if not c.expect.refuse]) >= 80
    assert len([c for c in cases if c.expect.refuse]) >= 12


def test_expected_source_in_top_5(knowledge_result: SuiteResult) -> None:
    value = knowledge_result.metric("hit_at_5")
    assert value is not None and value >= 0.95, _misses(knowledge_result, "hit_at_5")


def test_expected_facts_in_answers(knowledge_result: SuiteResult) -> None:
    value = knowledge_result.metric("fact_recall")
    assert value is not None and value >= 0.90, _misses(knowledge_result, "fact_recall")


def test_out_of_scope_declined(knowledge_result: SuiteResult) -> None:
    value = knowledge_result.metric("refusal_accuracy")
    assert value is not None and value >= 0.90, _misses(knowledge_result, "refusal_accuracy")


def _misses(result: SuiteResult, metric: str) -> str:
    failed = [c.case.id for c in result.cases if c.scores.get(metric, 1.0) < 1.0]
    return f"{metric}={result.metric(metric)}; failed: {failed}"


def test_conversation_persists_across_requests(real_services: Services) -> None:
    first = real_services.chat.chat("What are the health score bands?", Principal())
    follow = real_services.chat.chat(
        "and what counts as green?", Principal(), first.conversation_id
    )
    assert "80" in follow.answer


def test_settings_path_is_the_packaged_model() -> None:
    from ingest.embedding import default_model_path

    assert Path(default_model_path()).is_dir()
