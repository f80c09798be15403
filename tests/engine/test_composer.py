from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.engine import composer as composer_module
from assistant.engine.chat import Principal, retrieval_query
from assistant.engine.composer import DECLINE, ComposerConfig, GroundedComposer, asks_for_list
from assistant.engine.initials import letter_asked, without_letter
from assistant.errors import InvalidInputError, MessageTooLongError, NotFoundError
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.hybrid import Hit, SearchResult
from assistant.retrieval.lexical import LexicalIndex, StoredChunk
from assistant.services import Services, build_services
from assistant.store.conversations import Turn
from ingest.chunking import chunk_document
from ingest.loaders import load_document
from ingest.sentences import (
    sentence_blocks,
    sentence_kinds,
    sentence_spans,
    split_sentences,
    unwrap,
)
from tests.conftest import CountingEmbedder


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


def test_a_numbered_list_item_marker_is_no_sentence() -> None:
    """'9. Question 9 asks ...': the sentence splitter alone would cut '9.' off as a sentence
    of its own; the marker belongs to the item and is left out, spans included."""
    text = (
        "The survey has 11 questions.\n\n"
        "9. Question 9 asks about outcomes. It is scored.\n"
        "10. Question 10 is optional.\n"
    )
    assert split_sentences(text) == [
        "The survey has 11 questions.",
        "Question 9 asks about outcomes.",
        "It is scored.",
        "Question 10 is optional.",
    ]
    assert sentence_kinds(text) == ("paragraph", "item", "item", "item")
    assert [text[a:b] for a, b, _ in sentence_spans(text)][1:] == [
        "Question 9 asks about outcomes.",
        "It is scored.",
        "Question 10 is optional.",
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


def test_a_list_asked_for_is_quoted_whole_and_in_order() -> None:
    """'The three retention levers': the items share no word with the question, yet the list
    the best sentence introduces comes whole, in the document's order, after its intro."""
    text = (
        "When an account is about to churn, the practice pulls three retention levers:\n"
        "- Executive sponsorship resets the relationship at the top.\n"
        "- A SWAT team fixes the blocking issues within two weeks.\n"
        "- Commercial concessions buy time for the fixes to land.\n"
        "\n"
        "Lunch is served at noon."
    )
    hits = [
        hit("levers", text, 0.03, section="Playbook > Retention"),
        hit("other", "Retention reviews happen monthly for every red account.", 0.02),
    ]
    composition = GroundedComposer().compose("What are the three retention levers?", result(hits))
    answer = composition.answer
    order = [
        answer.index("three retention levers:"),
        answer.index("Executive sponsorship"),
        answer.index("SWAT team"),
        answer.index("Commercial concessions"),
    ]
    assert order == sorted(order)
    assert "Lunch" not in answer


def test_a_list_introduced_by_the_next_strong_sentence_answers_a_list_question() -> None:
    """The best sentence only names the list ('this playbook describes the three retention
    levers'); the list itself is introduced by the next strong sentence in another chunk:
    that list comes whole."""
    summary = "This playbook describes the three retention levers and the escalation path."
    levers = (
        "The practice has three levers for an account at risk:\n"
        "- Executive sponsorship resets the relationship at the top.\n"
        "- A SWAT team fixes the blocking issues within two weeks.\n"
        "- Commercial concessions buy time for the fixes to land.\n"
    )
    hits = [
        hit("summary", summary, 0.03, section="Playbook"),
        hit("levers", levers, 0.028, section="Playbook > Retention levers"),
    ]
    answer = GroundedComposer().compose("What are the three retention levers?", result(hits)).answer
    assert "Executive sponsorship" in answer and "SWAT team" in answer, answer
    assert "Commercial concessions" in answer
    assert answer.index("three levers for") < answer.index("Executive sponsorship")


def test_a_list_is_not_forced_on_a_question_that_does_not_ask_for_one() -> None:
    text = (
        "Escalations go to the renewal desk:\n"
        "- The desk answers within one day.\n"
        "- The desk owns the customer call.\n"
        "- The desk files the post-mortem."
    )
    composition = GroundedComposer(ComposerConfig(max_sentences=1)).compose(
        "Who owns the customer call?", result([hit("desk", text, 0.03)])
    )
    assert composition.answer == "The desk owns the customer call. [1]"


def test_items_of_one_list_that_answer_together_come_whole_and_in_order() -> None:
    """'What makes a good CSM?' does not ask for a list, but the best sentences are items of
    one list (the four traits) scoring alike: the list comes whole, in the document's order,
    after the sentence that introduces it, not two or three items in score order."""
    text = (
        "We look for four traits in every CSM.\n"
        "- The first CSM trait is drive to make customers succeed.\n"
        "- The second CSM trait is managing by measures.\n"
        "- The third CSM trait is calm in escalations.\n"
        "- The fourth CSM trait is a good eye for the customer experience.\n"
    )

    def ask(question: str, similarities: list[float]) -> str:
        searched = SearchResult(
            [hit("traits", text, 0.03, section="Profile > Traits")],
            0.6,
            idf=lambda token: 1.0,
            query_vector=np.array([1.0, 0.0], dtype=np.float32),
            sentence_vectors=lambda _: _vectors(similarities),
        )
        return GroundedComposer().compose(question, searched).answer

    answer = ask("What makes a good CSM?", [0.48, 0.58, 0.56, 0.56, 0.57])
    order = [answer.index(word) for word in ("four traits", "first", "second", "third", "fourth")]
    assert order == sorted(order), answer
    # one item far closer than the rest: it is the answer, and it leads
    alone = ask("Which CSM trait is about calm?", [0.40, 0.35, 0.36, 0.62, 0.34])
    assert alone.startswith("The third CSM trait is calm in escalations."), alone


def test_asks_for_list() -> None:
    for question in (
        "What are the five thresholds?",
        "the three retention levers",
        "List the onboarding steps",
        "How many stages are there?",
        "Which letters are in our deal review?",
        "What modules does the platform have?",
    ):
        assert asks_for_list(question), question
    for question in (
        "How fast should onboarding be?",
        "Who owns the renewal?",
        "Which process is used?",
        "What does it cost?",
    ):
        assert not asks_for_list(question), question


def test_an_account_line_is_not_tacked_onto_a_general_answer() -> None:
    hits = [
        hit("guide", "A red account renewing within 90 days gets a renewal risk review.", 0.03),
        Hit(
            StoredChunk(
                "note",
                "Tailspin Toys is a red account with a renewal risk review planned.",
                {"source": "k/note.md", "title": "Note", "section": "Note", "restricted": True},
            ),
            0.03,
        ),
    ]
    composition = GroundedComposer().compose("What happens to a red account?", result(hits))
    assert "renewal risk review" in composition.answer and "Tailspin" not in composition.answer


def _vectors(similarities: list[float]) -> np.ndarray:
    """Unit sentence vectors whose cosine with the query vector [1, 0] is each similarity."""
    return np.array([[s, (1 - s * s) ** 0.5] for s in similarities], dtype=np.float32)


def test_answerability_declines_a_question_that_only_shares_the_topic() -> None:
    """Every chunk is about the Quick Start (its name is in every section path); a question
    about its parking shares only that topic: the chosen sentence answers nothing of it."""
    parts = {
        "Engagement": "The Quick Start engagement runs for 6 weeks with one architect.",
        "Price": "The Quick Start engagement costs $45,000 as a fixed fee.",
        "Sponsor": "We need an executive sponsor, usually the head of engineering.",
    }
    hits = [hit(n.lower(), t, 0.03, section=f"Quick Start > {n}") for n, t in parts.items()]
    config = ComposerConfig(weak_answer_similarity=0.5, weak_answer_overlap=0.45)

    def asked(question: str, similarity: float) -> bool:
        searched = SearchResult(
            hits,
            0.6,
            idf=lambda token: 1.0,
            query_vector=np.array([1.0, 0.0], dtype=np.float32),
            sentence_vectors=lambda _: _vectors([similarity]),
        )
        composition = GroundedComposer(config).compose(question, searched)
        assert composition.signals["answer_similarity"] == pytest.approx(similarity, abs=1e-3)
        return not composition.declined

    assert not asked("Where do Quick Start visitors park their cars?", 0.3)
    assert asked("Who is the Quick Start sponsor?", 0.3)  # its words are answered
    assert asked("Where do Quick Start visitors park their cars?", 0.7)  # close in meaning


def _guide(items: dict[str, str], intro: str, group: str = "The letters") -> list[StoredChunk]:
    """A guide whose items are sections of their own: 'Deal Framework Guide > <group> >
    <item>', after an intro chunk under the title."""
    title = {"source": "k/guide.md", "section": "Deal Framework Guide", "position": 0}
    chunks = [StoredChunk("intro", intro, title)]
    for n, (heading, text) in enumerate(items.items(), 1):
        section = f"Deal Framework Guide > {group} > {heading}"
        metadata = {"source": "k/guide.md", "section": section, "position": n}
        chunks.append(StoredChunk(f"item{n}", text, metadata))
    return chunks


def _outline_result(chunks: list[StoredChunk], shown: list[str]) -> SearchResult:
    """The hits `shown` (ids, best first) with a low sentence similarity everywhere, and the
    whole document behind them."""
    by_id = {c.id: c for c in chunks}
    return SearchResult(
        [Hit(by_id[i], 0.03 - n * 0.001) for n, i in enumerate(shown)],
        0.45,
        idf=lambda token: 1.0,
        query_vector=np.array([1.0, 0.0], dtype=np.float32),
        sentence_vectors=lambda chunk_id: _vectors(
            [0.3] * len(split_sentences(by_id[chunk_id].text))
        ),
        document=lambda _: list(chunks),
    )


ITEMS = {
    "Metrics": "The measurable result the customer expects. Ask what number proves it.",
    "Economic buyer": "The person who signs the budget.",
    "Paper process": "The procurement and legal steps.",
    "Champion": "A customer person who sells for us inside the account.",
}


def test_a_list_the_guide_gives_as_sections_is_answered_with_its_headings() -> None:
    """'What are the fields of <framework>?' where each field is a section of its own: the
    answer is every section (also one no hit returned), its heading and first sentence, in
    the guide's order, each cited; the words asked about are the guide's headings, so the
    weak-overlap decline does not apply to it."""
    chunks = _guide(ITEMS, "Every deal is qualified with the deal framework, letter by letter.")
    searched = _outline_result(chunks, ["intro", "item4", "item2", "item1"])
    config = ComposerConfig(weak_answer_similarity=0.5, weak_answer_overlap=0.45)
    composition = GroundedComposer(config).compose(
        "What are the fields of the deal framework?", searched
    )
    assert not composition.declined, composition.signals
    assert composition.answer == (
        "Metrics: The measurable result the customer expects. [1] "
        "Economic buyer: The person who signs the budget. [2] "
        "Paper process: The procurement and legal steps. [3] "
        "Champion: A customer person who sells for us inside the account. [4]"
    )
    assert [c.chunk_id for c in composition.citations] == ["item1", "item2", "item3", "item4"]


def test_a_list_named_by_the_group_heading_and_the_title_is_outlined() -> None:
    """'What are the letters of the deal framework?': every question word is in the path
    ('Deal Framework Guide > The letters'), the group heading names what is asked for, so
    the sections are the answer; 'What is the deal framework?' (no list) is not outlined."""
    chunks = _guide(ITEMS, "Every deal is qualified with the deal framework, letter by letter.")
    searched = _outline_result(chunks, ["intro", "item4", "item2", "item1"])
    listed = GroundedComposer().compose("What are the letters of the deal framework?", searched)
    assert listed.answer.startswith("Metrics: The measurable result"), listed.answer
    assert "Champion: A customer person" in listed.answer
    plain = GroundedComposer().compose("What is the deal framework?", searched)
    assert "Metrics:" not in plain.answer


def test_a_question_naming_a_group_heading_is_answered_with_its_sections() -> None:
    """'What do we need from the customer?' asks for no list, but names the heading of a
    group of sections ('What we need from you' > one section per thing needed) that the best
    sentence lies outside of: the group's sections are the answer."""
    needs = {
        "Sponsor": "An executive sponsor who agrees the goals.",
        "Diagrams": "Architecture diagrams of the target application.",
        "Access": "Read access to the scheduler logs.",
    }
    chunks = _guide(
        needs, "The framework review runs for six weeks.", group="What we need from you"
    )
    searched = _outline_result(chunks, ["intro", "item1", "item3", "item2"])
    answer = (
        GroundedComposer()
        .compose("What do we need from the customer for the framework review?", searched)
        .answer
    )
    assert answer.startswith("Sponsor: An executive sponsor who agrees the goals. [1]"), answer
    assert "Diagrams: Architecture diagrams" in answer and "Access: Read access" in answer
    assert "six weeks" not in answer
    # the same group under a heading the question does not name: no outline
    other = _guide(needs, "The framework review runs for six weeks.", group="Inputs")
    plain = (
        GroundedComposer()
        .compose(
            "What do we need from the customer for the framework review?",
            _outline_result(other, ["intro", "item1", "item3", "item2"]),
        )
        .answer
    )
    assert "Sponsor:" not in plain


def test_an_outline_is_not_used_for_one_item_or_a_question_not_asking_for_a_list() -> None:
    chunks = _guide(ITEMS, "Every deal is qualified with the deal framework, letter by letter.")
    searched = _outline_result(chunks, ["item4", "intro", "item2", "item1"])
    composer = GroundedComposer()
    # a heading holds the question's word: the question is about that item
    about_one = composer.compose(
        "What are the duties of the champion in the deal framework?", searched
    )
    assert "A customer person who sells for us" in about_one.answer
    assert "Paper process" not in about_one.answer and "Champion:" not in about_one.answer
    # no list asked for: the best sentence answers
    plain = composer.compose("Who sells for us in the deal framework?", searched)
    assert "Paper process:" not in plain.answer
    # a figure asked for ("the list price") is not a list of sections
    priced = composer.compose("What is the list price of the deal framework?", searched)
    assert "Paper process:" not in priced.answer
    # fewer than three sections of the group among the hits: no outline
    few = _outline_result(chunks, ["intro", "item4", "item2"])
    listed = composer.compose("What are the fields of the deal framework?", few)
    assert "Paper process:" not in listed.answer


def test_the_document_behind_a_hit_keeps_what_the_caller_may_not_see_out() -> None:
    def chunk(n: int, source: str, restricted: bool) -> StoredChunk:
        metadata = {"source": source, "section": f"S{n}", "position": n, "restricted": restricted}
        return StoredChunk(f"{source}-{n}", f"text {n}", metadata)

    chunks = [chunk(0, "a.md", False), chunk(1, "b.md", False), chunk(0, "b.md", False),
              chunk(2, "b.md", True), chunk(0, "c.md", False)]  # fmt: skip
    index = LexicalIndex.build(chunks, [c.text for c in chunks])
    everything = index.document("b.md-1")
    assert [c.id for c in everything] == ["b.md-0", "b.md-1", "b.md-2"]  # document order
    scoped = index.document("b.md-1", SearchFilter(visible_accounts=frozenset({"acme"})))
    assert [c.id for c in scoped] == ["b.md-0", "b.md-1"]
    assert index.document("unknown") == []


def test_sentences_of_hard_wrapped_text_are_whole() -> None:
    text = (
        "A paragraph wrapped by an editor at about sixty columns, so that\n"
        "its sentences, e.g. this one, run across line breaks. It has a\n"
        "second sentence too.\n"
        "\n"
        "- A list item that is long enough to wrap onto the following\n"
        "  line with an indent.\n"
        "- A short item.\n"
        "\n"
        "Owner: Maya\n"
        "Stage: renew\n"
        "| Band | Range |\n"
        "|---|---|\n"
        "| Red | 0-39 |\n"
    )
    assert split_sentences(text) == [
        "A paragraph wrapped by an editor at about sixty columns, so that its sentences, "
        "e.g. this one, run across line breaks.",
        "It has a second sentence too.",
        "A list item that is long enough to wrap onto the following line with an indent.",
        "A short item.",
        "Owner: Maya",
        "Stage: renew",
        "Band | Range",
        "Red | 0-39",
    ]
    assert sentence_kinds(text) == (
        "paragraph",
        "paragraph",
        "item",
        "item",
        "paragraph",
        "paragraph",
        "row",
        "row",
    )
    spans = sentence_spans(text)
    assert (
        text[spans[0][0] : spans[0][1]].startswith("A paragraph")
        and "\n" in (text[spans[0][0] : spans[0][1]])
    )
    assert text[spans[1][0] : spans[1][1]] == "It has a\nsecond sentence too."
    unwrapped = unwrap(text)
    assert "so that its sentences" in unwrapped and "It has a second sentence too.\n" in unwrapped
    assert "following line with an indent.\n- A short item." in unwrapped
    assert "Owner: Maya\nStage: renew\n| Band | Range |\n|---|---|\n" in unwrapped


def test_abbreviations_and_decimals_do_not_end_a_sentence() -> None:
    text = "Uptime is 99.5% e.g. in Q1 per the U.S. team. Version 2.0 ships. Then we stop!"
    assert split_sentences(text) == [
        "Uptime is 99.5% e.g. in Q1 per the U.S. team.",
        "Version 2.0 ships.",
        "Then we stop!",
    ]


def test_chunks_of_a_hard_wrapped_html_page_quote_whole_sentences(tmp_path: Path) -> None:
    page = tmp_path / "renewals.html"
    page.write_text(
        "<html><head><title>Renewals</title></head><body><h1>Renewals</h1>\n<p>The renewal\n"
        "review starts one hundred and twenty days before the renewal date, when\n"
        "the CSM books it with the account executive. The review names the risks.</p>\n"
        "</body></html>",
        encoding="utf-8",
    )
    chunks = chunk_document(load_document(page, "k/renewals.html"), 900, 120, "hash")
    sentences = [s for chunk in chunks for s in split_sentences(chunk.text)]
    assert (
        "The renewal review starts one hundred and twenty days before the renewal date, when "
        "the CSM books it with the account executive." in sentences
    )
    (chunk,) = [c for c in chunks if "renewal review" in c.text]
    assert len(chunk.sentence_spans) == len(split_sentences(chunk.text)) == 2


def test_a_message_is_embedded_once_for_the_plan_and_the_search(
    settings: Settings, corpus: Path
) -> None:
    """The planner ranks intents with the message's vector and the search needs the same
    vector: the retriever keeps recent query vectors, so the model runs once per message."""
    counting = CountingEmbedder()
    services = build_services(settings, counting)
    try:
        services.ingestor().run([corpus])
        question = "How soon should a new customer be live?"
        services.chat.chat(question, Principal())  # the first turn also embeds the exemplars
        before = counting.texts
        other = "How soon should a large new customer be live?"  # a new message
        response = services.chat.chat(other, Principal())
        assert "30 days" in response.answer  # planned, searched and answered
        assert counting.seen[before:].count(other) == 1  # (the salience embeds its variants)
        vector = services.chat.retriever.embed_query(other)
        assert not vector.flags.writeable  # shared between callers
    finally:
        services.close()


def test_a_list_of_the_count_asked_for_answers_even_below_a_stronger_summary() -> None:
    """'What are the four quadrants called?': the best sentence is the summary (it names the
    grid, not the quadrants); the chunk headed by the quadrants holds a list of exactly four
    items, each of two sentences: all four come whole, in order."""
    summary = "Every customer sits on a grid of two axes: health and spend per employee."
    grid = (
        "The health axis splits at 70.\n\n"
        "- Nurture: health 70 or above and low spend. Sell more here.\n"
        "- Keep: health 70 or above and high spend. Protect and renew.\n"
        "- Fix: health below 70 and low spend. Fix value first.\n"
        "- Defend: health below 70 and high spend. Revenue at risk.\n"
    )
    hits = [
        hit("summary", summary, 0.03, section="Quadrants Playbook"),
        hit("grid", grid, 0.02, section="Quadrants Playbook > The grid"),
        hit("other", "Renewals start 9 months out:\n- plan\n- negotiate\n- sign\n- close", 0.01),
    ]
    answer = GroundedComposer().compose("What are the four quadrants called?", result(hits)).answer
    order = [answer.index(name) for name in ("Nurture:", "Keep:", "Fix:", "Defend:")]
    assert order == sorted(order), answer
    assert "Protect and renew." in answer and "Revenue at risk." in answer
    assert "negotiate" not in answer
    # three items asked for: no list of three is there, so the four are not forced on it
    three = GroundedComposer().compose("What are the three quadrants?", result(hits)).answer
    assert "Defend:" not in three


def test_a_comparison_leads_with_both_sides() -> None:
    """'What's the difference between Keep and Defend?': the best sentence of each side (with
    the rest of its list item) leads, whatever the order of the scores."""
    grid = (
        "The health axis splits at 70.\n\n"
        "- Nurture: health 70 or above and low spend. Sell more here.\n"
        "- Keep: health 70 or above and high spend. Protect and renew.\n"
        "- Defend: health below 70 and high spend. Revenue at risk.\n"
    )
    hits = [hit("grid", grid, 0.03, section="Playbook > The grid")]
    for question in (
        "What's the difference between Keep and Defend?",
        "Keep vs Defend: what changes?",
        "How does Keep differ from Defend?",
    ):
        answer = GroundedComposer().compose(question, result(hits)).answer
        assert answer.startswith(
            "Keep: health 70 or above and high spend. [1] Protect and renew."
        ), (
            question,
            answer,
        )
        assert "Defend: health below 70 and high spend. [1] Revenue at risk." in answer
        assert "Nurture" not in answer


def test_a_short_form_counts_as_the_word_it_begins() -> None:
    """'exec' is not in the corpus but begins 'executive' (stem 'execut'): the index
    completes it for BM25, and the composer counts a sentence saying 'executive' as saying
    'exec'; a known word, a short one or an ambiguous start is not completed."""
    chunks = [
        StoredChunk("a", "The manager books an executive call within one week.", {}),
        StoredChunk("b", "Configuration takes two days; the config file is checked.", {}),
        StoredChunk("c", "Renewals are planned early. Renewal risk is reviewed.", {}),
    ]
    index = LexicalIndex.build(chunks, [c.text for c in chunks])
    assert index.completions("exec") == ("execut",)
    assert index.completions("execut") == ()  # a word the corpus has
    assert index.completions("rev") == ()  # too short to complete
    scores = index.scores("exec call")
    assert scores is not None and int(np.argmax(scores)) == 0
    hits = [Hit(chunks[0], 0.03), Hit(chunks[2], 0.01)]
    found = SearchResult(hits, 0.6, idf=index.idf, completions=index.completions)
    plain = SearchResult(hits, 0.6, idf=index.idf)
    composer = GroundedComposer()
    question = "When do we get an exec on a call?"
    completed = composer.compose(question, found).signals["answer_overlap"]
    assert completed > composer.compose(question, plain).signals["answer_overlap"]


def test_a_message_with_a_pronoun_that_stands_alone_is_answered_alone(indexed: Services) -> None:
    """'What is training and when does it happen?' reads as a follow-up (it has an 'it'); with
    the last question about another topic the mixed search declines, the message alone
    answers."""
    first = indexed.chat.chat("Who won the football world cup final?", Principal())
    assert first.declined
    follow = indexed.chat.chat(
        "What is the training for administrators and when does it happen?",
        Principal(),
        first.conversation_id,
    )
    assert not follow.declined and "Training for administrators" in follow.answer


def test_a_long_message_with_a_pronoun_is_searched_alone_first(indexed: Services) -> None:
    """'When is training for administrators scheduled, and what week is it?' has an 'it' but
    says enough to stand alone: searched alone first, it is answered from the onboarding
    playbook, not from the health guide the (long) last question was about."""
    first = indexed.chat.chat(
        "Which overall health score band is red, orange, yellow or green?", Principal()
    )
    assert "below 40 is red" in first.answer
    follow = indexed.chat.chat(
        "When is training for administrators scheduled, and what week is it?",
        Principal(),
        first.conversation_id,
    )
    assert follow.answer.startswith("Training for administrators"), follow.answer
    assert "red" not in follow.answer


def test_a_sentence_that_gives_the_list_in_one_line_answers_a_list_question() -> None:
    """'What are the stages of the lifecycle?' led by 'five lifecycle stages: land, onboard,
    ...': the list in another chunk that the next strong sentence introduces is not put in
    its place."""
    inline = "Every customer moves through five lifecycle stages: land, onboard, adopt and renew."
    plan = (
        "The plan lists the objectives for each lifecycle stage:\n"
        "- For the onboard stage the plan sets the go-live date.\n"
        "- For the adopt stage the plan sets user targets.\n"
        "- For the renew stage the plan names the outcomes.\n"
    )
    hits = [
        hit("inline", inline, 0.03, section="Lifecycle Playbook"),
        hit("plan", plan, 0.029, section="Plan Guide > Objectives per lifecycle stage"),
    ]
    answer = (
        GroundedComposer()
        .compose("What are the stages of the customer lifecycle?", result(hits))
        .answer
    )
    assert answer.startswith("Every customer moves through five lifecycle stages"), answer
    assert "go-live date" not in answer


def test_the_sentence_that_goes_on_about_the_best_one_comes_with_it() -> None:
    """'When active users exceed the seats bought, the module is over its contract. This is
    not an error: ...': the second sentence shares no word with the question, but it opens
    by pointing back to the best one in the same paragraph, so it is part of the answer; a
    sentence of the next paragraph is not pulled in that way."""
    text = (
        "When active users exceed the seats bought, the module is over its contract. "
        "This is not an error: the account manager raises a true-up order within 30 days.\n\n"
        "It is reviewed at renewal by finance."
    )
    hits = [hit("over", text, 0.03, section="Seats > Seats above the contract")]
    config = ComposerConfig(lead_sentences=1)
    answer = (
        GroundedComposer(config)
        .compose("What happens when a module is over its contract?", result(hits))
        .answer
    )
    assert answer.startswith(
        "When active users exceed the seats bought, the module is over its contract. [1] "
        "This is not an error: the account manager raises a true-up order within 30 days. [1]"
    ), answer
    assert "finance" not in answer


def test_a_close_second_that_gives_the_figure_asked_for_leads() -> None:
    """'How often do we meet the customer?': the best-scoring sentence shares the words
    (often, meetings, plan) but gives no frequency; a close second of the same guide that does
    ('each week') leads (another document's figure would be another thing's)."""
    plan = "The manager owns the plan and often runs the customer meetings."
    rhythm = "Each week the manager meets the customer about the plan."
    hits = [
        hit("owner", plan, 0.03, section="Plan > People"),
        hit("rhythm", rhythm, 0.01, section="Plan > Rhythm"),
    ]
    hits[1].metadata["source"] = hits[0].metadata["source"]  # two sections of one guide
    answer = (
        GroundedComposer()
        .compose("How often do we meet the customer on the plan?", result(hits))
        .answer
    )
    assert answer.startswith("Each week the manager meets the customer about the plan. [1]"), answer
    # no figure asked for: the best-scoring sentence leads
    plain = GroundedComposer().compose("Who runs the customer meetings of the plan?", result(hits))
    assert plain.answer.startswith("The manager owns the plan"), plain.answer


def test_a_hard_break_ends_a_list_item() -> None:
    """The Markdown header splitter writes a hard break ('  \\n') where the source had a
    blank line: the paragraph after a list is not part of its last item."""
    text = (
        "- A healthy account is in the Grow quadrant.\n"
        "- An unhealthy account is in the Save quadrant, which needs a save plan.  \n"
        "The Grow quadrant forms the growth segment. Save accounts go to escalation."
    )
    assert sentence_kinds(text) == ("item", "item", "paragraph", "paragraph")
    assert sentence_blocks(text) == (0, 1, 2, 2)


LETTERS = {
    "Metrics": "The measurable result the customer expects. Ask what number proves it.",
    "Economic buyer": "The person who signs the budget.",
    "Decision criteria": "How the customer judges the options.",
    "Decision process": "The steps and dates up to the signature.",
    "Paper process": "The procurement and legal steps.",
    "Champion": "A customer person who sells for us inside the account.",
    "Reviewing a deal": "Each letter gets a rating and every gap an owner.",
}
LETTERS_INTRO = "Every deal is qualified with MEDDPC, letter by letter."


def _spelled(question: str, shown: list[str] | None = None) -> tuple[str, list[str]]:
    """The answer to `question` over a guide whose section headings spell MEDDPC (then one
    more section), and the chunks it cites; the calibrated weak-overlap rule is on."""
    chunks = _guide(LETTERS, LETTERS_INTRO)
    searched = _outline_result(chunks, shown or ["intro", "item6", "item2", "item1"])
    config = ComposerConfig(weak_answer_similarity=0.5, weak_answer_overlap=0.45)
    composition = GroundedComposer(config).compose(question, searched)
    return composition.answer, [c.chunk_id for c in composition.citations]


@pytest.mark.parametrize(
    ("question", "answer", "cited"),
    [
        (
            "What does the P in MEDDPC stand for?",
            "P stands for Paper process: The procurement and legal steps. [1]",
            ["item5"],  # a section no hit returned: the guide's own structure answers
        ),
        (
            "what is the second D in MEDDPC?",
            "The second D stands for Decision process: The steps and dates up to the "
            "signature. [1]",
            ["item4"],
        ),
        (
            "What does E stand for in MEDDPC?",
            "E stands for Economic buyer: The person who signs the budget. [1]",
            ["item2"],
        ),
    ],
)
def test_a_letter_of_an_acronym_is_answered_with_the_section_it_spells(
    question: str, answer: str, cited: list[str]
) -> None:
    """'What does the P in <acronym> stand for?': the guide's sibling headings spell the
    acronym in order (the run may be followed by other sections); the section at the
    letter's place answers, its heading and first sentence, cited to its chunk, although
    the question shares no word with it (the weak-overlap decline does not apply)."""
    assert _spelled(question) == (answer, cited)


def test_a_repeated_letter_is_answered_with_every_section_it_stands_for() -> None:
    """A letter the acronym holds twice, asked without an ordinal: each of its sections, in
    order; with an ordinal, the one it names."""
    both = (
        "The first D stands for Decision criteria: How the customer judges the options. [1] "
        "The second D stands for Decision process: The steps and dates up to the signature. [2]"
    )
    assert _spelled("What does the D in MEDDPC stand for?") == (both, ["item3", "item4"])
    assert _spelled("the Ds of MEDDPC")[0] == both
    assert _spelled("What's the first D in MEDDPC?")[1] == ["item3"]
    assert _spelled("What's the last D in MEDDPC?")[1] == ["item4"]


def test_an_acronym_nothing_spells_is_answered_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """No run of headings (nor of list items) spells the acronym asked about, or the letter
    is not in it: the answer is what it was without letter questions."""
    assert _spelled("What does the P in MEDDPC stand for?")[0].startswith("P stands for")
    questions = [
        "What does the P in MEDPC stand for?",  # named nowhere, spelled nowhere
        "What does the X in MEDDPC stand for?",  # no X in it
        "What is the third D in MEDDPC?",  # no third D
    ]
    now = [_spelled(q) for q in questions]
    assert not any("stands for" in answer for answer, _ in now)
    monkeypatch.setattr(composer_module, "letter_asked", lambda _: None)
    assert now == [_spelled(q) for q in questions]


def test_list_items_that_spell_an_acronym_answer_a_letter() -> None:
    """No headings spell it, but the items of one list do (their first words)."""
    text = (
        "Our review uses MEDPC:\n\n"
        "- Metrics prove the value.\n"
        "- Economic buyer is the person who signs.\n"
        "- Decision process lists the steps.\n"
        "- Paper process covers procurement.\n"
        "- Champion sells for us.\n"
    )
    hits = [hit("review", text, 0.03), hit("other", "A pricing note about paper costs.", 0.02)]
    composition = GroundedComposer().compose("What's the E in MEDPC?", result(hits))
    assert composition.answer == "E stands for Economic buyer is the person who signs. [1]"
    assert [c.chunk_id for c in composition.citations] == ["review"]


@pytest.mark.parametrize(
    ("question", "asked", "searched"),
    [
        ("What does the P in MEDDPC stand for?", ("MEDDPC", "P", None), "What does the  in"),
        ("what is the 2nd D in MEDDPC?", ("MEDDPC", "D", 2), "what is the  in"),
        ("the C's in MEDDPC", ("MEDDPC", "C", None), "the  in"),
        ("What does C stand for in MEDDPC?", ("MEDDPC", "C", None), "What does  stand for"),
        ("What does MEDDPC stand for?", None, "What does MEDDPC stand for?"),
        ("What does the X in MEDDPC mean?", None, "What does the X in"),  # not in it
        ("what is the p in meddpc?", None, "what is the p in"),  # no capitals: no acronym
    ],
)
def test_a_question_about_one_letter_of_an_acronym_is_read(
    question: str, asked: tuple[str, str, int | None] | None, searched: str
) -> None:
    found = letter_asked(question)
    assert (found.acronym, found.letter, found.ordinal) == asked if found else asked is None
    assert without_letter(question).startswith(searched)


def test_a_letter_question_is_searched_without_the_letter_first(
    services: Services, corpus: Path
) -> None:
    """A lone letter matches any word it is: the search leaves it out, and searches the
    question as asked only when nothing found spells the acronym."""
    guide = "\n\n".join(f"## {heading}\n{text}" for heading, text in LETTERS.items())
    (corpus / "guides" / "deal.md").write_text(f"# Deal review\n\n{LETTERS_INTRO}\n\n{guide}\n")
    services.ingestor().run([corpus])
    searched: list[str] = []
    search = services.chat.retriever.search

    def recording(query: str, *args: Any, **kwargs: Any) -> SearchResult:
        searched.append(query)
        return search(query, *args, **kwargs)

    services.chat.retriever.search = recording  # type: ignore[method-assign]
    spelled = services.chat.chat("What does the P in MEDDPC stand for?", Principal())
    assert spelled.answer.startswith("P stands for Paper process"), spelled.answer
    assert spelled.citations[0].source.endswith("guides/deal.md")
    assert len(searched) == 1 and " P " not in searched[0]
    searched.clear()
    plain = services.chat.chat("What does the C in CSAT stand for?", Principal())
    assert "stands for" not in plain.answer
    assert len(searched) == 2 and " C " in searched[1]


def test_a_question_naming_one_item_by_its_label_gets_that_item() -> None:
    """'What do we do with Defend customers?': the items of the grid are alike in meaning
    (the whole list would be quoted, after the sentence that introduces it), but the
    question names one item by its own label: that item answers, whole, and alone."""
    grid = (
        "The spend axis splits at $200 per employee.\n\n"
        "- Nurture: health 70 or above and low spend. Sell more here.\n"
        "- Keep: health 70 or above and high spend. Protect and renew.\n"
        "- Defend: health below 70 and high spend. Revenue at risk.\n"
    )

    def ask(question: str) -> str:
        searched = SearchResult(
            [hit("grid", grid, 0.03, section="Playbook > The grid")],
            0.6,
            idf=lambda token: 1.0,
            query_vector=np.array([1.0, 0.0], dtype=np.float32),
            sentence_vectors=lambda _: _vectors([0.3, 0.3, 0.31, 0.3, 0.3, 0.32, 0.3]),
        )
        return GroundedComposer().compose(question, searched).answer

    answer = ask("What do we do with Defend customers?")
    assert answer == "Defend: health below 70 and high spend. [1] Revenue at risk. [1]", answer
    # no label named: the items alike in meaning come as the whole list
    whole = ask("How do we treat each group by spend?")
    assert all(name in whole for name in ("Nurture:", "Keep:", "Defend:")), whole


def test_a_which_question_whose_thing_is_nowhere_in_the_answer_is_declined() -> None:
    """'Which CRM do we use for pipeline tracking?' over sentences about pipelines, close in
    meaning: the thing asked for (a CRM) is in no chosen sentence nor its section, and the
    question leans on it, so it is declined; a generic head ('what method ...') that the
    question hardly leans on does not decline, nor does a thing the answer names."""
    text = "Every pipeline has an owner and alerts. The tracking board lists each pipeline."
    config = ComposerConfig(missing_thing_salience=0.1)

    def declined(question: str, salience: float) -> bool:
        searched = SearchResult(
            [hit("pipes", text, 0.03, section="Sprint > Pipelines")],
            0.6,
            idf=lambda token: 1.0,
            query_vector=np.array([1.0, 0.0], dtype=np.float32),
            sentence_vectors=lambda _: _vectors([0.6, 0.6]),
            salience=lambda _: dict.fromkeys(composer_module.tokenize(question), salience),
        )
        return GroundedComposer(config).compose(question, searched).declined

    assert declined("Which CRM do we use for pipeline tracking?", 0.14)
    assert not declined("What method do we use for pipeline tracking?", 0.03)
    assert not declined("Which board do we use for pipeline tracking?", 0.14)
    assert composer_module.thing_asked("Which CRM do we use for pipeline tracking?") == "crm"
    assert composer_module.thing_asked("What margin does a reseller get?") == "margin"
    assert composer_module.thing_asked("What do we do when a ticket is opened?") is None


def test_a_close_second_with_the_figure_and_the_word_the_question_leans_on_leads() -> None:
    """'How long do we have to write a plan for a Yellow account?': the best sentence gives a
    duration and shares the verb ('writes the plan within one week'), a close second gives a
    duration too and holds the word the question leans on most ('Yellow'): it leads. A
    question that leans most on a word neither holds keeps the best sentence."""
    hits = [
        hit("actions", "The manager writes the plan for the account within one week.", 0.03),
        hit("bands", "A Yellow account gets a plan within ten working days.", 0.03),
    ]

    def lead(question: str, salient: str) -> str:
        searched = SearchResult(
            hits,
            0.6,
            idf=lambda token: 1.0,
            query_vector=np.array([1.0, 0.0], dtype=np.float32),
            sentence_vectors=lambda _: _vectors([0.5]),
            salience=lambda _: {
                t: 0.3 if t == salient else 0.05 for t in composer_module.tokenize(question)
            },
        )
        return GroundedComposer().compose(question, searched).answer.split(" [")[0]

    question = "How long do we have to write a plan for a Yellow account?"
    assert lead(question, "yellow") == "A Yellow account gets a plan within ten working days."
    assert lead(question, "long") == "The manager writes the plan for the account within one week."


def test_an_action_question_leads_with_the_action_for_the_trigger_it_matches() -> None:
    """'What do we do when a customer keeps opening urgent tickets?': the best sentence is the
    trigger (the question's words stand in its 'when' clause); the sentence of the same
    document that names that condition in the document's own words ('severe tickets') and
    is no trigger itself gives the action: it leads, and the trigger still comes."""
    metadata = {"source": "k/review.md", "title": "Review Playbook"}
    hits = [
        Hit(
            StoredChunk(
                "triggers",
                "A customer enters review when two severe tickets are opened in one month.",
                {**metadata, "section": "Review Playbook > Triggers"},
            ),
            0.03,
        ),
        Hit(
            StoredChunk(
                "actions",
                "For repeated severe tickets a tiger team is assigned.",
                {**metadata, "section": "Review Playbook > Actions"},
            ),
            0.02,
        ),
    ]
    question = "What do we do when a customer keeps opening urgent tickets?"
    answer = GroundedComposer().compose(question, result(hits)).answer
    assert answer.startswith("For repeated severe tickets a tiger team is assigned."), answer
    assert "enters review when" in answer
    # not asked for an action: the best sentence leads as before
    other = GroundedComposer().compose("When are urgent tickets opened?", result(hits)).answer
    assert other.startswith("A customer enters review"), other
