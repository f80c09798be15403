from __future__ import annotations

import re

import pytest

from assistant.engine.chat import Principal, retrieval_query
from assistant.engine.composer import DECLINE, ComposerConfig, GroundedComposer
from assistant.errors import InvalidInputError, MessageTooLongError, NotFoundError
from assistant.retrieval.hybrid import Hit, SearchResult
from assistant.retrieval.lexical import StoredChunk
from assistant.services import Services
from assistant.store.conversations import Turn
from ingest.sentences import split_sentences


def hit(chunk_id: str, text: str, score: float, section: str = "Guide > Part") -> Hit:
    metadata = {"source": f"k/{chunk_id}.md", "title": "Guide", "section": section}
    return Hit(StoredChunk(chunk_id, text, metadata), score)


def result(hits: list[Hit], best: float = 0.6) -> SearchResult:
    return SearchResult(hits, best, idf=lambda token: 1.0)


def test_split_sentences_handles_bullets_tables_and_cjk() -> None:
    text = (
        "- **First** point is here. Second one follows!\n"
        "|a|b|\n|---|---|\n## Head\n第一句。第二句。"
    )
    assert split_sentences(text) == [
        "First point is here.",
        "Second one follows!",
        "a | b",
        "第一句。",
        "第二句。",
    ]


def test_answer_quotes_supported_sentences_with_markers() -> None:
    composer = GroundedComposer()
    hits = [
        hit("c1", "Onboarding takes 30 days from signature. Lunch is served at noon.", 0.03),
        hit("c2", "The kickoff names an executive sponsor for onboarding.", 0.02),
        hit("c3", "Unrelated text about pricing blocks and hours.", 0.01),
    ]
    composition = composer.compose("How many days does onboarding take?", result(hits))
    assert not composition.declined
    assert composition.answer.startswith("Onboarding takes 30 days from signature. [1]")
    assert "Lunch" not in composition.answer
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", composition.answer)}
    assert cited == {c.n for c in composition.citations}
    assert composition.citations[0].chunk_id == "c1"
    assert "c3" not in {c.chunk_id for c in composition.citations}
    assert composition.citations[0].source == "k/c1.md"
    assert composition.citations[0].section == "Guide > Part"


def test_max_sentences_and_no_near_duplicates() -> None:
    composer = GroundedComposer(ComposerConfig(max_sentences=2, relative_cutoff=0.0))
    text = "Renewal reviews start early. Renewal reviews start early! Renewal incentives exist."
    composition = composer.compose("renewal reviews incentives", result([hit("c", text, 0.1)]))
    sentences = re.findall(r"[^\[\]]+?\[\d\]", composition.answer)
    assert len(sentences) == 2
    assert composition.answer.count("start early") == 1


def test_the_best_chunk_leads_in_document_order() -> None:
    """A list is quoted as a list: the best sentence's chunk opens the answer with its strong
    sentences in the document's order, even where another chunk's sentence scores higher."""
    listing = (
        "Three signals predict churn. The first signal is falling logins. "
        "The second signal is unpaid invoices. The third signal is a lost sponsor."
    )
    hits = [
        hit("list", listing, 0.03),
        hit("other", "Churn signals are reviewed monthly in the portfolio review.", 0.03),
    ]
    composition = GroundedComposer().compose("which signals predict churn?", result(hits))
    assert composition.answer == (
        "Three signals predict churn. [1] The first signal is falling logins. [1] "
        "The second signal is unpaid invoices. [1] "
        "Churn signals are reviewed monthly in the portfolio review. [2]"
    )


def test_words_every_chunk_shares_name_the_topic_not_the_answer() -> None:
    """Every chunk of a one-pager carries its name in the section path; the question's other
    word decides which sentence answers it."""
    parts = {
        "What it is": "The Quick Start is a fixed-scope engagement for one application. "
        "Logs and traces land in one place.",
        "Engagement": "The Quick Start engagement runs for 6 weeks. A solution architect leads it.",
        "Outcome": "The outcome of the Quick Start engagement is one application in production. "
        "Alerts are tuned.",
        "Price": "The Quick Start engagement costs $45,000 as a fixed fee. Travel is included.",
        "Sponsor": "We need an executive sponsor, usually the head of engineering.",
    }
    hits = [
        hit(name.lower(), text, 0.03, section=f"Quick Start > {name}")
        for name, text in parts.items()
    ]
    composition = GroundedComposer().compose("Quick Start sponsor", result(hits))
    assert composition.answer.startswith("We need an executive sponsor")


@pytest.mark.parametrize(
    ("question", "best", "expect_declined"),
    [
        ("How long does onboarding take?", 0.6, False),
        ("How long does onboarding take?", 0.1, True),  # dense similarity too low
        ("weather forecast Paris tomorrow", 0.6, True),  # no question term in the evidence
    ],
)
def test_declines_when_evidence_is_weak(question: str, best: float, expect_declined: bool) -> None:
    composer = GroundedComposer(ComposerConfig(min_similarity=0.3, min_overlap=0.3))
    hits = [hit("c1", "Onboarding takes 30 days from signature.", 0.03)]
    composition = composer.compose(question, result(hits, best))
    assert composition.declined is expect_declined
    if expect_declined:
        assert composition.answer == DECLINE and composition.citations == []


def test_declines_without_hits() -> None:
    composition = GroundedComposer().compose("anything at all", result([], 0.0))
    assert composition.declined and composition.citations == []


def test_follow_up_is_searched_with_the_previous_question() -> None:
    history = [Turn("user", "How long does onboarding take?", {}), Turn("assistant", "30 days", {})]
    assert retrieval_query("and for partners?", history) == (
        "How long does onboarding take? and for partners?"
    )
    assert retrieval_query("What are the health bands?", history) == "What are the health bands?"
    assert retrieval_query("and for partners?", []) == "and for partners?"


def test_chat_engine_answers_and_persists(indexed: Services) -> None:
    first = indexed.chat.chat("How soon should a new customer be live?", Principal())
    assert "30 days" in first.answer and first.citations
    assert first.citations[0].source.endswith("playbooks/onboarding.md")
    assert {"embed", "dense", "lexical", "compose", "total"} <= set(first.timings_ms)
    follow = indexed.chat.chat("and the training?", Principal(), first.conversation_id)
    assert follow.conversation_id == first.conversation_id
    assert "Training for administrators" in follow.answer
    history = indexed.chat.conversations.history(first.conversation_id)
    assert [t.role for t in history] == ["user", "assistant", "user", "assistant"]
    assert history[1].payload["citations"][0]["chunk_id"] == first.citations[0].chunk_id


def test_chat_engine_rejects_bad_input(indexed: Services) -> None:
    with pytest.raises(InvalidInputError, match="empty or blank"):
        indexed.chat.chat("   ", Principal())
    with pytest.raises(MessageTooLongError, match="limit is 4000"):
        indexed.chat.chat("x" * 4001, Principal())
    with pytest.raises(NotFoundError, match="does not exist"):
        indexed.chat.chat("hello there", Principal(), "no-such-conversation")


def test_chat_engine_declines_out_of_scope(indexed: Services) -> None:
    response = indexed.chat.chat("Who won the football world cup final?", Principal())
    assert response.declined and response.citations == []
