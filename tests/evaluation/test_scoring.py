"""Scoring whole cases and suites from hand-made responses."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.engine.types import ChatResponse, Citation, ToolCall
from assistant.evaluation.runner import CaseResult, Scorer, SuiteResult, score_case
from assistant.evaluation.suite import Case, Expect, Suite

CHUNK = "A new customer should be live within 30 days of signature. Training is in week two."
SCORER = Scorer(chunk_text={"c1": CHUNK}.get)


def cite(n: int = 1, chunk_id: str = "c1", source: str = "knowledge/onboarding.md") -> Citation:
    return Citation(
        n=n, chunk_id=chunk_id, source=source, title="", section="", snippet="", score=1
    )


def response(answer: str, **fields: Any) -> ChatResponse:
    return ChatResponse(conversation_id="c", answer=answer, **fields)


def case(**expect: Any) -> Case:
    return Case(id="x", ask="When are customers live?", expect=Expect(**expect))


def test_a_good_answer_scores_one_everywhere() -> None:
    details: dict[str, Any] = {}
    scores = score_case(
        case(sources=["knowledge/onboarding.md"], facts=["30 days"]),
        response("A new customer should be live within 30 days. [1]", citations=[cite()]),
        ["knowledge/onboarding.md", "knowledge/other.md"],
        SCORER,
        details,
    )
    assert scores == {
        "hit_at_5": 1.0,
        "mrr": 1.0,
        "ndcg_at_10": 1.0,
        "source_cited": 1.0,
        "fact_recall": 1.0,
        "answered": 1.0,
        "grounding": 1.0,
        "citation_precision": 1.0,
        "numeric_consistency": 1.0,
    }
    assert details == {}


def test_an_ungrounded_answer_with_an_invented_number() -> None:
    details: dict[str, Any] = {}
    scores = score_case(
        case(facts=["30 days", "sponsor"]),
        response("Customers are live within 45 days. [1] Ask the sponsor.", citations=[cite()]),
        [],
        SCORER,
        details,
    )
    assert scores["fact_recall"] == 0.5
    assert scores["grounding"] == 0.0 and scores["citation_precision"] == 0.0
    assert scores["numeric_consistency"] == 0.0
    assert details == {
        "missing_facts": ["30 days"],
        "unsupported_sentences": ["Customers are live within 45 days.", "Ask the sponsor."],
        "unsupported_numbers": ["45"],
    }


def test_no_citations() -> None:
    labelled = case(sources=["knowledge/onboarding.md"])
    answer = response("Customers are live within 30 days.")
    scores = score_case(labelled, answer, ["knowledge/onboarding.md"], SCORER)
    assert scores["hit_at_5"] == 1.0 and scores["source_cited"] == 0.0
    assert scores["grounding"] == 0.0
    assert scores["numeric_consistency"] == 0.0  # 30 is backed by nothing it cites
    assert "citation_precision" not in scores  # nothing cited: not applicable


def test_empty_answer() -> None:
    scores = score_case(case(facts=["30 days"]), response(""), [], SCORER)
    assert scores == {"fact_recall": 0.0, "answered": 0.0}


@pytest.mark.parametrize(
    ("declined", "citations", "expected"),
    [(True, [], 1.0), (False, [], 0.0), (True, [cite()], 0.0)],
)
def test_refusals(declined: bool, citations: list[Citation], expected: float) -> None:
    answer = "The knowledge base does not cover this question."
    got = score_case(
        case(refuse=True), response(answer, declined=declined, citations=citations), [], SCORER
    )
    assert got == {"refusal_accuracy": expected}


def test_a_declined_in_scope_question_is_not_answered_and_not_grounded() -> None:
    scores = score_case(case(facts=["30"]), response("I won't guess.", declined=True), [], SCORER)
    assert scores == {"fact_recall": 0.0, "answered": 0.0}


def test_tools_and_drafts() -> None:
    tool = ToolCall(
        name="health_score", arguments={"account_id": "ACC-001"}, result={"overall": 72}
    )
    scored = score_case(
        Case(id="t", ask="How healthy?", account="ACC-001", tools=["health_score"], draft="plan"),
        response("Health is 72 [T1].", tool_calls=[tool], draft={"kind": "plan", "goal": None}),
        [],
        SCORER,
    )
    assert scored["tool_recall"] == 1.0
    assert scored["draft_completeness"] == 0.0
    assert scored["grounding"] == 1.0 and scored["numeric_consistency"] == 1.0


def test_snippet_stands_in_for_a_chunk_the_lookup_lacks() -> None:
    citation = cite(chunk_id="gone").model_copy(update={"snippet": "Kickoff is in week one."})
    scores = score_case(case(), response("Kickoff is in week one. [1]", citations=[citation]), [])
    assert scores["grounding"] == 1.0


def suite_result(thresholds: dict[str, float], values: list[float]) -> SuiteResult:
    suite = Suite(suite="s", thresholds=thresholds, cases=[case()])
    result = SuiteResult(suite)
    for n, value in enumerate(values):
        result.cases.append(
            CaseResult(case(), response("x"), [], {"fact_recall": value}, latency_ms=100.0 * n)
        )
    return result


def test_thresholds() -> None:
    assert suite_result({"fact_recall": 0.9}, [1.0, 1.0, 0.0]).below_thresholds() == {
        "fact_recall": (pytest.approx(2 / 3), 0.9)
    }
    assert suite_result({"fact_recall": 0.6}, [1.0, 1.0, 0.0]).below_thresholds() == {}
    assert suite_result({"grounding": 0.9}, [1.0]).below_thresholds() == {}  # no case has it


def test_latency_thresholds_are_ceilings() -> None:
    result = suite_result({"latency_p95_ms": 150.0}, [1.0, 1.0, 1.0])  # 0, 100, 200 ms
    assert result.summary["latency_p50_ms"] == 100.0
    assert result.below_thresholds() == {"latency_p95_ms": (pytest.approx(190.0), 150.0)}
    assert suite_result({"latency_p95_ms": 500.0}, [1.0, 1.0]).below_thresholds() == {}
