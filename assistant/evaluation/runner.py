"""Runs suites through an engine (the API's `ChatEngine`, or the naive baseline) and scores
every case."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.engine.types import ChatResponse, SearchResponse
from assistant.errors import AssistantError
from assistant.evaluation import metrics
from assistant.evaluation.actions import draft_completeness, tool_recall
from assistant.evaluation.claims import split_claims
from assistant.evaluation.grounding import (
    Evidence,
    SupportCheck,
    citation_precision,
    grounding,
)
from assistant.evaluation.numeric import numeric_consistency, unsupported_numbers
from assistant.evaluation.readability import fragments, readability
from assistant.evaluation.suite import Case, Suite, split_of
from assistant.principal import Principal

# Every metric a case can get, best value 1.0; a suite's `thresholds` name these (each must
# be reached) or the latency figures below (each must not be exceeded).
METRICS: dict[str, str] = {
    "hit_at_5": "an expected source is among the first 5 retrieved (labelled cases)",
    "mrr": "1/rank of the first expected source (labelled cases)",
    "ndcg_at_10": "binary-relevance nDCG@10 over distinct sources (labelled cases)",
    "source_cited": "the answer cites an expected source (labelled cases)",
    "fact_recall": "share of the expected fact regexes found in the answer",
    "exact": "`absent` given: every expected fact found and none of the absent ones (lists)",
    "answered": "the engine answered (did not decline) a question it should answer",
    "refusal_accuracy": "an out-of-scope question was declined, with no citations",
    "grounding": "share of answer sentences backed by a citation that supports them",
    "citation_precision": "share of citations that support the sentence they are attached to",
    "numeric_consistency": "every number in the answer appears in a tool result or cited chunk",
    "tool_recall": "share of the expected tools called (with the case's account)",
    "draft_completeness": "share of the draft's required fields filled or flagged needs-input",
    "readability": "share of whole sentences written for the reader in the draft's "
    "customer-facing sections (not list fragments)",
    "judge_faithfulness": "LLM judge (--judge): share of the answer's statements it finds "
    "supported by the evidence",
    "judge_relevance": "LLM judge (--judge): how well the answer addresses the question (1-5 "
    "scaled to 0..1)",
}
LATENCIES: dict[str, str] = {
    "latency_p50_ms": "median time of a chat call",
    "latency_p95_ms": "95th percentile time of a chat call",
}


class EvalEngine(Protocol):
    """What the runner needs of an engine: `ChatEngine` and `NaiveRAG` both have it."""

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse: ...

    def search(self, query: str, principal: Principal, k: int | None = None) -> SearchResponse: ...


ChunkText = Callable[[str], str | None]
JudgeFn = Callable[[Case, ChatResponse, Sequence[str]], tuple[dict[str, float], dict[str, Any]]]


@dataclass
class Scorer:
    """How answers are checked against their evidence: the support test, and where the full
    text of a cited chunk comes from (its snippet when the lookup has none)."""

    check: SupportCheck = field(default_factory=SupportCheck)
    chunk_text: ChunkText | None = None
    judge: JudgeFn | None = None  # the optional LLM judge (`assistant eval --judge`)

    def evidence(self, response: ChatResponse) -> Evidence:
        chunks = {}
        for citation in response.citations:
            text = self.chunk_text(citation.chunk_id) if self.chunk_text else None
            chunks[str(citation.n)] = text or citation.snippet
        tools = {
            f"T{n}": json.dumps(call.model_dump(mode="json"), ensure_ascii=False)
            for n, call in enumerate(response.tool_calls, 1)
        }
        return Evidence(chunks, tools, self.check)


@dataclass
class CaseResult:
    case: Case
    response: ChatResponse
    retrieved: list[str]
    scores: dict[str, float]
    latency_ms: float
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def failures(self) -> list[str]:
        """Names of the metrics this case failed (empty when it passed)."""
        failed = [name for name, value in self.scores.items() if value < 1.0]
        return ([*failed, "error"]) if self.error else failed


@dataclass
class SuiteResult:
    suite: Suite
    cases: list[CaseResult] = field(default_factory=list)
    engine: str = "grounded"

    def subset(self, split: str) -> SuiteResult:
        """The results of the cases of one split (a conversation's turns go with it)."""
        cases = [c for c in self.cases if split_of(c.case.id.split("#")[0]) == split]
        return SuiteResult(self.suite, cases, self.engine)

    def metric(self, name: str) -> float | None:
        values = [c.scores[name] for c in self.cases if name in c.scores]
        return sum(values) / len(values) if values else None

    @property
    def summary(self) -> dict[str, Any]:
        names = sorted({name for c in self.cases for name in c.scores})
        figures: dict[str, Any] = {name: self.metric(name) for name in names}
        latencies = [c.latency_ms for c in self.cases]
        figures["latency_p50_ms"] = metrics.percentile(latencies, 50)
        figures["latency_p95_ms"] = metrics.percentile(latencies, 95)
        figures["cases"] = len(self.cases)
        figures["failed_cases"] = sum(1 for c in self.cases if c.failures)
        return figures

    def below_thresholds(self) -> dict[str, tuple[float, float]]:
        """Figures that miss their suite threshold: name -> (value, threshold). Scores must
        reach theirs; latencies (`*_ms`) must not exceed theirs. A metric no case has is not
        checked."""
        summary = self.summary
        below: dict[str, tuple[float, float]] = {}
        for name, threshold in self.suite.thresholds.items():
            value = summary.get(name)
            if value is None:
                continue
            if (value > threshold) if name.endswith("_ms") else (value < threshold):
                below[name] = (float(value), threshold)
        return below


def score_case(
    case: Case,
    response: ChatResponse,
    retrieved: list[str],
    scorer: Scorer | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Every applicable metric of one case; `details` receives what explains a failure."""
    expect = case.expect
    scores: dict[str, float] = {}
    notes = details if details is not None else {}
    if expect.refuse:
        scores["refusal_accuracy"] = 1.0 if response.declined and not response.citations else 0.0
        return scores
    if expect.sources:
        scores["hit_at_5"] = metrics.hit_at_k(retrieved, expect.sources, 5)
        scores["mrr"] = metrics.reciprocal_rank(retrieved, expect.sources)
        scores["ndcg_at_10"] = metrics.ndcg_at_k(retrieved, expect.sources, 10)
        cited = [citation.source for citation in response.citations]
        scores["source_cited"] = metrics.cited_any(cited, expect.sources)
    if expect.facts:
        scores["fact_recall"] = metrics.fact_recall(response.answer, expect.facts)
        missing = metrics.missing_facts(response.answer, expect.facts)
        if missing:
            notes["missing_facts"] = missing
    if expect.absent:
        present = metrics.present_facts(response.answer, expect.absent)
        if present:
            notes["unexpected_facts"] = present
    if expect.absent:
        found_all = not metrics.missing_facts(response.answer, expect.facts)
        scores["exact"] = 1.0 if found_all and not notes.get("unexpected_facts") else 0.0
    scores["answered"] = 0.0 if response.declined or not response.answer.strip() else 1.0
    if case.tools:
        value = tool_recall(case.tools, case.account, response.tool_calls)
        if value is not None:
            scores["tool_recall"] = value
    if case.draft:
        scores["draft_completeness"] = draft_completeness(response.draft, case.draft)
        draft = response.draft or {}
        titles = [
            str(draft.get("sections", {}).get(key, "")) for key in draft.get("customer_facing", [])
        ]
        readable = readability(response.answer, titles) if titles else None
        if readable is not None:
            scores["readability"] = readable
            loose = fragments(response.answer, titles)
            if loose:
                notes["fragments"] = loose
    if not response.declined:
        scorer = scorer or Scorer()
        evidence = scorer.evidence(response)
        scores.update(_grounding_scores(response, evidence, notes))
        if scorer.judge is not None and response.answer.strip():
            texts = [*evidence.chunks.values(), *evidence.tools.values()]
            judged, why = scorer.judge(case, response, texts)
            scores.update(judged)
            notes.update(why)
    return scores


def _grounding_scores(
    response: ChatResponse, evidence: Evidence, notes: dict[str, Any]
) -> dict[str, float]:
    scores: dict[str, float] = {}
    claims = split_claims(response.answer)
    value = grounding(claims, evidence.supported)
    if value is not None:
        scores["grounding"] = value
        unsupported = evidence.unsupported(claims)
        if unsupported:
            notes["unsupported_sentences"] = unsupported
    cited = [str(c.n) for c in response.citations]
    precision = citation_precision(claims, cited, evidence.supported)
    if precision is not None:
        scores["citation_precision"] = precision
    texts = [*evidence.chunks.values(), *evidence.tools.values()]
    numeric = numeric_consistency(response.answer, texts)
    if numeric is not None:
        scores["numeric_consistency"] = numeric
        missing = unsupported_numbers(response.answer, texts)
        if missing:
            notes["unsupported_numbers"] = missing
    return scores


def run_suite(
    engine: EvalEngine,
    suite: Suite,
    principal: Principal | None = None,
    on_case: Callable[[CaseResult], None] | None = None,
    scorer: Scorer | None = None,
    engine_name: str = "grounded",
) -> SuiteResult:
    """Every case through `engine.chat` (as the API calls it) and `engine.search` (for the
    retrieval metrics). A conversation's turns go in order, each sent with the conversation
    id the previous answer returned, and each is scored as a case of its own (`<id>#<n>`). A
    case whose call fails is scored as an empty answer and keeps the error."""
    principal = principal or Principal()
    scorer = scorer or Scorer()
    result = SuiteResult(suite, engine=engine_name)
    for conversation in suite.cases:
        conversation_id: str | None = None
        for case in conversation.steps():
            case_result = _run_case(engine, case, principal, scorer, engine_name, conversation_id)
            conversation_id = case_result.response.conversation_id or conversation_id
            result.cases.append(case_result)
            if on_case is not None:
                on_case(case_result)
    return result


def _run_case(
    engine: EvalEngine,
    case: Case,
    principal: Principal,
    scorer: Scorer,
    engine_name: str,
    conversation_id: str | None,
) -> CaseResult:
    error: str | None = None
    started = time.perf_counter()
    try:
        response = engine.chat(case.ask, principal, conversation_id, case.account)
    except AssistantError as failure:
        error = f"{type(failure).__name__}: {failure}"
        response = ChatResponse(
            conversation_id=conversation_id or "", answer="", engine=engine_name
        )
    latency = (time.perf_counter() - started) * 1000
    try:
        retrieved = [hit.source for hit in engine.search(case.ask, principal, k=10).hits]
    except AssistantError:
        retrieved = []
    details: dict[str, Any] = {}
    if response.fallback_reason:
        details["fallback_reason"] = response.fallback_reason
    scores = score_case(case, response, retrieved, scorer, details)
    return CaseResult(case, response, retrieved, scores, latency, details, error)
