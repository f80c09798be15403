"""Baseline deltas and engine ratios."""

from __future__ import annotations

import pytest

from assistant.evaluation.compare import case_regressions, deltas, ratios, regressions


def test_regression_beyond_tolerance() -> None:
    current = {"hit_at_5": 0.93, "fact_recall": 0.89, "mrr": 0.99, "cases": 10}
    baseline = {"hit_at_5": 0.96, "fact_recall": 0.90, "mrr": 0.90, "cases": 12}
    found = deltas(current, baseline, tolerance=0.02)
    assert set(found) == {"hit_at_5", "fact_recall", "mrr"}  # counts are not compared
    assert found["hit_at_5"].regressed and found["hit_at_5"].delta == pytest.approx(-0.03)
    assert not found["fact_recall"].regressed  # within the tolerance
    assert not found["mrr"].regressed  # improved
    assert regressions(found) == ["hit_at_5"]


def test_latency_is_reported_not_gated() -> None:
    found = deltas({"latency_p95_ms": 900.0}, {"latency_p95_ms": 100.0}, 0.02)
    assert found["latency_p95_ms"].delta == 800.0 and not found["latency_p95_ms"].regressed


def test_metrics_missing_on_one_side_are_skipped() -> None:
    assert deltas({"grounding": 1.0, "x": None}, {"mrr": 0.5, "x": 0.3}, 0.02) == {}


def test_ratios() -> None:
    found = ratios(
        {"fact_recall": 0.9, "refusal_accuracy": 1.0, "cases": 3},
        {"fact_recall": 0.6, "refusal_accuracy": 0.0, "cases": 3},
    )
    assert found == {"fact_recall": pytest.approx(1.5), "refusal_accuracy": None}


def test_case_regressions() -> None:
    assert case_regressions(
        {"hit_at_5": 0.0, "mrr": 0.5}, {"hit_at_5": 1.0, "mrr": 0.51}, 0.02
    ) == ["hit_at_5"]
    assert case_regressions({"grounding": 1.0}, {}, 0.02) == []
