"""Scoring math: plain functions over plain values, so each has plain unit tests."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence


def unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def hit_at_k(retrieved: Sequence[str], expected: Sequence[str], k: int = 5) -> float:
    """1.0 when any expected source is among the first k retrieved items."""
    return 1.0 if set(retrieved[:k]) & set(expected) else 0.0


def cited_any(cited: Sequence[str], expected: Sequence[str]) -> float:
    """1.0 when the answer cites any expected source."""
    return 1.0 if set(cited) & set(expected) else 0.0


def reciprocal_rank(retrieved: Sequence[str], expected: Sequence[str]) -> float:
    """1/rank of the first expected source among the retrieved (distinct) sources; 0 if none."""
    wanted = set(expected)
    for rank, item in enumerate(unique(retrieved), 1):
        if item in wanted:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(retrieved: Sequence[str], expected: Sequence[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k over distinct sources (log2 discount, the BEIR convention)."""
    wanted = set(expected)
    if not wanted:
        return 0.0
    ranking = unique(retrieved)[:k]
    dcg = sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(ranking, 1) if item in wanted)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(wanted), k) + 1))
    return dcg / ideal


def fact_recall(answer: str, facts: Sequence[str]) -> float:
    """Share of fact regexes found in the answer (case-insensitive); 1.0 when none expected."""
    if not facts:
        return 1.0
    return sum(1 for fact in facts if re.search(fact, answer, re.I)) / len(facts)


def missing_facts(answer: str, facts: Sequence[str]) -> list[str]:
    """The fact regexes not found in the answer."""
    return [fact for fact in facts if not re.search(fact, answer, re.I)]


def present_facts(answer: str, facts: Sequence[str]) -> list[str]:
    """The regexes that are found in the answer (for facts that must be absent)."""
    return [fact for fact in facts if re.search(fact, answer, re.I)]


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
