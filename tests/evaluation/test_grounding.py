"""Grounding and citation precision on hand-made answers."""

from __future__ import annotations

import pytest

from assistant.evaluation.claims import Claim, split_claims
from assistant.evaluation.grounding import (
    Evidence,
    SupportCheck,
    citation_precision,
    grounding,
    token_recall,
)
from tests.evaluation.fakes import TopicEmbedder

ONBOARDING = (
    "A new customer should be live within 30 days of signature. "
    "Training for administrators is scheduled during the second week."
)
HEALTH = "Health bands: an overall health score below 40 is red. Green health starts at 80."


def lexical() -> SupportCheck:
    return SupportCheck()  # no embedder: the lexical test alone


def test_token_recall() -> None:
    assert token_recall("Customers are live within 30 days.", ONBOARDING) == 1.0
    assert token_recall("Customers are live within 45 days.", ONBOARDING) == pytest.approx(4 / 5)
    assert token_recall("The lasagna needs basil.", ONBOARDING) == 0.0
    assert token_recall("and the", ONBOARDING) == 1.0  # nothing to check


def test_lexical_support() -> None:
    check = lexical()
    assert check.chunk_supports("A new customer should be live within 30 days.", ONBOARDING)
    assert not check.chunk_supports("Renewals start 120 days before the end date.", ONBOARDING)
    assert not check.chunk_supports("A new customer should be live within 30 days.", "  ")


def test_embedding_must_agree_too() -> None:
    embedder = TopicEmbedder()
    check = SupportCheck(embed=embedder.embed)
    # every word is in the chunk, but the embedding says it is about something else
    assert token_recall("below 40 is red", HEALTH) == 1.0
    assert not check.chunk_supports("below 40 is red", HEALTH)
    assert check.chunk_supports("A health score below 40 is red.", HEALTH)
    assert check.similarity("A health score below 40 is red.", HEALTH) == pytest.approx(1.0)


def test_embeddings_are_cached_per_text() -> None:
    embedder = TopicEmbedder()
    check = SupportCheck(embed=embedder.embed)
    check.chunk_supports("A health score below 40 is red.", HEALTH)
    check.chunk_supports("Green starts at 80 on the health score.", HEALTH)
    embedded = [text for call in embedder.calls for text in call]
    assert len(embedded) == len(set(embedded))  # the chunk and its sentences once


def evidence(chunks: dict[str, str], tools: dict[str, str] | None = None) -> Evidence:
    return Evidence(chunks, tools or {}, lexical())


def test_grounding_counts_supported_claims() -> None:
    answer = (
        "A new customer should be live within 30 days. [1] "
        "An overall health score below 40 is red. [1] "
        "Green starts at 80. [2]"
    )
    claims = split_claims(answer)
    found = evidence({"1": ONBOARDING, "2": HEALTH})
    assert grounding(claims, found.supported) == pytest.approx(2 / 3)
    assert found.unsupported(claims) == ["An overall health score below 40 is red."]


def test_grounding_edge_cases() -> None:
    found = evidence({"1": ONBOARDING})
    assert grounding([], found.supported) is None  # empty answer: nothing to ground
    uncited = split_claims("A new customer should be live within 30 days.")
    assert grounding(uncited, found.supported) == 0.0  # no citations at all
    dangling = split_claims("A new customer should be live within 30 days. [7]")
    assert grounding(dangling, found.supported) == 0.0  # marker without a citation


def test_any_supporting_marker_is_enough() -> None:
    claims = split_claims("Green starts at 80. [1][2]")
    assert grounding(claims, evidence({"1": ONBOARDING, "2": HEALTH}).supported) == 1.0


def test_citation_precision() -> None:
    found = evidence({"1": ONBOARDING, "2": HEALTH, "3": HEALTH})
    claims = split_claims("Green starts at 80. [1][2] Training is in the second week. [1]")
    # attachments: (green, 1) no, (green, 2) yes, (training, 1) yes; citation 3 unattached
    assert citation_precision(claims, ["1", "2", "3"], found.supported) == pytest.approx(2 / 4)


def test_citation_precision_edge_cases() -> None:
    found = evidence({"1": ONBOARDING})
    assert citation_precision([], [], found.supported) is None  # nothing cited: n/a
    assert citation_precision([], ["1"], found.supported) == 0.0  # cited, nothing said
    uncited = [Claim("A new customer should be live within 30 days.")]
    assert citation_precision(uncited, [], found.supported) is None
    assert citation_precision(uncited, ["1"], found.supported) == 0.0


def test_tool_markers_check_numbers() -> None:
    tool = '{"name": "health_score", "result": {"overall": 72, "band": "yellow"}}'
    found = evidence({}, {"T1": tool})
    claims = split_claims("Health score is 72 [T1]. The trend is falling [T1]. It is 75 [T1].")
    assert [found.supported(c, "T1") for c in claims] == [True, True, False]
    assert grounding(claims, found.supported) == pytest.approx(2 / 3)
    assert not found.supported(claims[0], "T2")  # no such tool call
