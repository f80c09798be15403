"""The composer's answer-type checks and its calibrated thresholds (issue 12, composition):
a question asking for a figure is answered by a sentence that gives one (also in words), a
quantity ("how many days") is not a list, and the decline thresholds come from a data file
that a setting overrides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.engine.answerability import load_thresholds
from assistant.engine.composer import ComposerConfig, GroundedComposer, asks_for_list
from assistant.errors import ConfigurationError
from assistant.retrieval.hybrid import Hit, SearchResult
from assistant.retrieval.lexical import StoredChunk
from ingest.sentences import split_sentences
from tests.conftest import make_settings


def hit(chunk_id: str, text: str, section: str = "Guide > Part") -> Hit:
    metadata = {"source": f"k/{chunk_id}.md", "title": "Guide", "section": section}
    return Hit(StoredChunk(chunk_id, text, metadata), 0.03)


def searched(hits: list[Hit], similarity: float) -> SearchResult:
    """Every sentence at cosine `similarity` to the query (unit vectors in two dimensions)."""
    texts = {h.chunk.id: h.chunk.text for h in hits}

    def vectors(chunk_id: str) -> np.ndarray:
        n = len(split_sentences(texts[chunk_id]))
        return np.array([[similarity, (1 - similarity**2) ** 0.5]] * n, dtype=np.float32)

    return SearchResult(
        hits,
        0.6,
        idf=lambda token: 1.0,
        query_vector=np.array([1.0, 0.0], dtype=np.float32),
        sentence_vectors=vectors,
    )


FIGURE_RULE = ComposerConfig(missing_figure_similarity=0.5, missing_figure_overlap=1.01)


def test_a_figure_asked_for_and_not_given_is_declined() -> None:
    """A price question whose best sentence names no price is a near miss (the knowledge
    base does not sell it), unless the sentence is close to the question in meaning."""
    seats = [hit("seats", "Relay seats are sold per module to every customer.")]
    priced = [hit("price", "Relay seats cost $40 per module for every customer.")]
    question = "What do Relay seats cost per module?"
    assert GroundedComposer(FIGURE_RULE).compose(question, searched(seats, 0.4)).declined
    answer = GroundedComposer(FIGURE_RULE).compose(question, searched(priced, 0.4))
    assert not answer.declined and "$40" in answer.answer
    assert answer.signals["answer_figure"] == 1.0
    assert not GroundedComposer(FIGURE_RULE).compose(question, searched(seats, 0.6)).declined
    # a figure of another kind than one the question names answers it too ("target" may be
    # a share or a time: a duration answers "the target time")
    timed = [hit("live", "A new Relay customer should be live within 30 days of the order.")]
    target = "What is the target time for a new Relay customer to be live?"
    assert not GroundedComposer(FIGURE_RULE).compose(target, searched(timed, 0.4)).declined
    # a question that asks for no figure is not judged by it
    what = GroundedComposer(FIGURE_RULE).compose("Who buys Relay seats?", searched(seats, 0.4))
    assert not what.declined and "answer_figure" not in what.signals


def test_how_many_things_needs_a_count_of_those_things() -> None:
    """'How many employees does the vendor have?' is not answered by '$200 per employee': the
    count must be of the things asked about ('eight letters', '10 bonus points')."""
    spend = [hit("grid", "Customers are placed by a spend of $200 or more per employee.")]
    question = "How many employees does the vendor have?"
    answer = GroundedComposer(FIGURE_RULE).compose(question, searched(spend, 0.4))
    assert answer.declined and answer.signals["answer_figure"] == 0.0
    points = [hit("csat", "A satisfaction average of 4 or more earns the team 10 bonus points.")]
    earned = GroundedComposer(FIGURE_RULE).compose(
        "How many bonus points does a good average earn?", searched(points, 0.4)
    )
    assert not earned.declined and earned.signals["answer_figure"] == 1.0


COUNT_RULE = ComposerConfig(count_required=True)


def test_a_count_asked_for_and_not_in_the_answer_is_declined_whatever_the_similarity() -> None:
    """With count_required, "how many <things>" is declined when no chosen sentence counts
    those things, even close in meaning; a vague quantity ("should be few") answers it."""
    spend = [hit("grid", "Customers are placed by a spend of $200 or more per employee.")]
    question = "How many employees does the vendor have?"
    declined = GroundedComposer(COUNT_RULE).compose(question, searched(spend, 0.9))
    assert declined.declined and declined.signals["answer_count"] == 0.0
    assert not GroundedComposer().compose(question, searched(spend, 0.9)).declined  # rule off
    counted = [hit("size", "The vendor has 1,200 employees in four offices.")]
    answer = GroundedComposer(COUNT_RULE).compose(question, searched(counted, 0.9))
    assert not answer.declined and answer.signals["answer_count"] == 1.0
    few = [hit("kpis", "Dashboard KPIs should be few, simple and clearly defined.")]
    vague = GroundedComposer(COUNT_RULE).compose(
        "How many KPIs should a dashboard have?", searched(few, 0.9)
    )
    assert not vague.declined and "few" in vague.answer
    # a question that asks for no count is not judged by it
    what = GroundedComposer(COUNT_RULE).compose("Who places customers?", searched(spend, 0.9))
    assert not what.declined and "answer_count" not in what.signals


@pytest.mark.parametrize(
    ("question", "vague", "sentence"),
    [
        (
            "How often is the index rated?",
            "The index is rated by the CSM.",
            "The index is rated once a month.",
        ),
        (
            "How soon is the call booked?",
            "The call is booked by the CSM.",
            "The call is booked within one week.",
        ),
        (
            "How many letters does the framework have?",
            "The framework has letters for each field.",
            "The framework has eight letters.",
        ),
        (
            "When is the plan reviewed?",
            "The plan is reviewed by the sponsor.",
            "The plan is reviewed every quarter.",
        ),
    ],
)
def test_figures_written_in_words_answer_the_question(
    question: str, vague: str, sentence: str
) -> None:
    """The sentence giving the figure in words leads over one as close in wording."""
    hits = [hit("a", f"{vague} {sentence}")]
    composition = GroundedComposer(FIGURE_RULE).compose(question, searched(hits, 0.4))
    assert not composition.declined and sentence in composition.answer
    assert composition.signals["answer_figure"] == 1.0  # the lead sentence gives the figure


def test_a_quantity_is_not_a_list() -> None:
    for question in (
        "How many days before the renewal date are partners notified?",
        "How many working days do we have to call back?",
        "how many hours is one block?",
    ):
        assert not asks_for_list(question), question
    for question in ("How many stages are there?", "How many days is it, and what are the steps?"):
        assert asks_for_list(question), question


def test_thresholds_come_from_the_data_file_and_a_setting_overrides(tmp_path: Path) -> None:
    calibrated = load_thresholds()
    config = ComposerConfig.from_settings(make_settings(tmp_path))
    assert config.weak_answer_overlap == calibrated.weak_answer_overlap
    assert config.missing_figure_similarity == calibrated.missing_figure_similarity
    assert config.min_similarity == 0.05  # the tests' hashing-scale setting wins
    custom = make_settings(tmp_path, answer_weak_answer_overlap=0.2)
    assert ComposerConfig.from_settings(custom).weak_answer_overlap == 0.2


def test_an_unreadable_thresholds_file_names_itself(tmp_path: Path) -> None:
    bad = tmp_path / "answerability.yaml"
    bad.write_text("weak_answer_overlap: lots\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"answerability\.yaml"):
        load_thresholds(bad)


SALIENT = ComposerConfig(weak_answer_similarity=0.5, weak_answer_overlap=0.45, salience_power=0.5)


def with_salience(result: SearchResult, salience: dict[str, float]) -> SearchResult:
    result.salience = lambda _question: salience
    return result


def test_a_word_that_carries_little_of_the_question_weighs_less_in_the_overlap() -> None:
    """'How is the recommendation index worked out, and calculated?': the sentence holds the
    index's definition but neither verb; with the question's meaning carried by
    "recommendation index" (its salience) the answer stands. A question whose missing word
    is the thing asked about ("discount") is still declined."""
    index = [hit("nps", "The recommendation index is the share of advocates minus critics.")]
    question = "How is the recommendation index worked out and calculated?"
    plain = GroundedComposer(SALIENT).compose(question, searched(index, 0.45))
    assert plain.declined  # without salience: two of four words missing
    verbs = {"recommend": 0.24, "index": 0.12, "work": 0.01, "calcul": 0.02}
    salient = GroundedComposer(SALIENT).compose(
        question, with_salience(searched(index, 0.45), verbs)
    )
    assert not salient.declined and "advocates minus critics" in salient.answer
    assert salient.signals["answer_overlap"] > plain.signals["answer_overlap"]
    quote = [hit("quote", "The reseller owns the renewal quote when it sold the deal.")]
    discount = {"discount": 0.25, "renew": 0.17}
    asked = "What discount can I give on a renewal?"
    assert (
        GroundedComposer(SALIENT)
        .compose(asked, with_salience(searched(quote, 0.45), discount))
        .declined
    )
    # a lead sentence close to the question does not need the overlap (nor the salience)
    close = GroundedComposer(SALIENT).compose(question, searched(index, 0.6))
    assert not close.declined
