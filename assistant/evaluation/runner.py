"""Runs suites through the same engine as the API and scores every case."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.engine.chat import ChatEngine, Principal
from assistant.engine.types import ChatResponse
from assistant.evaluation import metrics
from assistant.evaluation.suite import Case, Suite


@dataclass
class CaseResult:
    case: Case
    response: ChatResponse
    retrieved: list[str]
    scores: dict[str, float]
    latency_ms: float

    @property
    def failures(self) -> list[str]:
        """Names of the metrics this case failed (empty when it passed)."""
        return [name for name, value in self.scores.items() if value < 1.0]


@dataclass
class SuiteResult:
    suite: Suite
    cases: list[CaseResult] = field(default_factory=list)

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
        return figures

    def below_thresholds(self) -> dict[str, tuple[float, float]]:
        """Metrics under their suite threshold: name -> (value, threshold)."""
        below: dict[str, tuple[float, float]] = {}
        for name, threshold in self.suite.thresholds.items():
            value = self.metric(name)
            if value is not None and value < threshold:
                below[name] = (value, threshold)
        return below


def score_case(case: Case, response: ChatResponse, retrieved: list[str]) -> dict[str, float]:
    expect = case.expect
    scores: dict[str, float] = {}
    if expect.refuse:
        scores["refusal_accuracy"] = 1.0 if response.declined and not response.citations else 0.0
        return scores
    if expect.sources:
        scores["hit_at_5"] = metrics.hit_at_k(retrieved, expect.sources, 5)
        scores["mrr"] = metrics.reciprocal_rank(retrieved, expect.sources)
        scores["ndcg_at_10"] = metrics.ndcg_at_k(retrieved, expect.sources, 10)
    if expect.facts:
        scores["fact_recall"] = metrics.fact_recall(response.answer, expect.facts)
    scores["answered"] = 0.0 if response.declined else 1.0
    return scores


def run_suite(
    engine: ChatEngine,
    suite: Suite,
    principal: Principal | None = None,
    on_case: Callable[[CaseResult], None] | None = None,
) -> SuiteResult:
    principal = principal or Principal()
    result = SuiteResult(suite)
    for case in suite.cases:
        started = time.perf_counter()
        response = engine.chat(case.ask, principal, None, case.account)
        latency = (time.perf_counter() - started) * 1000
        retrieved = [hit.source for hit in engine.search(case.ask, principal, k=10).hits]
        case_result = CaseResult(case, response, retrieved, score_case(case, response, retrieved), latency)
        result.cases.append(case_result)
        if on_case is not None:
            on_case(case_result)
    return result
