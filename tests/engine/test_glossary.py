"""The knowledge base's own names for general concepts (rules.yaml `names:` and the
qualification framework): a question in general words searches for them too, and the
composer counts a sentence that says the knowledge base's name as saying the question's
words. Both the shipped rules and the second vendor's (tests/fixtures/second_kb)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.engine.composer import ComposerConfig, GroundedComposer
from assistant.engine.glossary import Concepts, Glossary, load_concepts
from assistant.errors import ConfigurationError
from assistant.retrieval.hybrid import Hit, SearchResult
from assistant.retrieval.lexical import StoredChunk
from assistant.rules.check import check_rules
from assistant.rules.load import load_rules
from ingest.sentences import split_sentences
from tests.conftest import REPO

SHIPPED = REPO / "knowledge"
SECOND = REPO / "tests" / "fixtures" / "second_kb"


def glossary(kb: Path) -> Glossary:
    return Glossary.from_rules(load_rules(kb / "rules.yaml"))


def test_a_question_in_general_words_also_searches_the_knowledge_bases_names() -> None:
    second, shipped = glossary(SECOND), glossary(SHIPPED)
    question = "What goes into a customer's health score?"
    assert second.expand(question) == f"{question} vitality index"
    assert shipped.expand(question) == question  # the shipped KB says "health score" itself
    grid = "Where are the cut lines on the quadrant chart?"
    assert second.expand(grid).endswith(" grid")
    assert shipped.expand(grid) == grid  # the shipped rules name no grid (a concept left out)
    # the framework's name, and the other frameworks' names a user may say
    assert second.expand("What is MEDDICC?") == "What is MEDDICC? MEDDPICC"
    assert shipped.expand("What is MEDDICC?") == "What is MEDDICC?"
    assert second.expand("How much notice do channel partners get?").endswith(" reseller")
    # a question that already says the knowledge base's name is searched as it is
    assert second.expand("What is the vitality index?") == "What is the vitality index?"


def test_both_rules_files_state_their_names_in_the_cited_sections() -> None:
    for kb in (SHIPPED, SECOND):
        rules = load_rules(kb / "rules.yaml")
        assert rules.names and check_rules(rules, kb) == []


def test_a_name_its_section_does_not_state_is_reported(tmp_path: Path) -> None:
    text = (SECOND / "rules.yaml").read_text(encoding="utf-8")
    path = tmp_path / "rules.yaml"
    path.write_text(
        text.replace("health_score, name: vitality index", "health_score, name: wellness gauge"),
        "utf-8",
    )
    problems = check_rules(load_rules(path), SECOND)
    assert [p.rule for p in problems] == ["names.health_score"]


def test_an_unknown_concept_fails_at_start_up() -> None:
    rules = load_rules(SECOND / "rules.yaml")
    with pytest.raises(ConfigurationError, match="unknown concept 'health_score'"):
        Glossary.from_rules(rules, Concepts(concepts={"qualification": ["qualification"]}))


def _searched(text: str, similarity: float) -> SearchResult:
    hit = Hit(StoredChunk("c1", text, {"source": "k/g.md", "title": "G", "section": "G"}), 0.03)
    n = len(split_sentences(text))
    return SearchResult(
        [hit],
        0.6,
        idf=lambda token: 1.0,
        query_vector=np.array([1.0, 0.0], dtype=np.float32),
        sentence_vectors=lambda _: np.array(
            [[similarity, (1 - similarity**2) ** 0.5]] * n, dtype=np.float32
        ),
    )


@pytest.mark.parametrize(
    ("kb", "sentence"),
    [
        (SECOND, "The vitality index is rated once a month by the success manager."),
        (SHIPPED, "The health score is rated once a month by the success manager."),
    ],
)
def test_a_sentence_in_the_knowledge_bases_words_answers_the_general_question(
    kb: Path, sentence: str
) -> None:
    """The answerability check counts the knowledge base's name as the question's words."""
    config = ComposerConfig(weak_answer_similarity=0.5, weak_answer_overlap=0.6)
    question = "How often is the health score rated?"
    with_names = GroundedComposer(config, glossary(kb)).compose(question, _searched(sentence, 0.4))
    assert not with_names.declined and "once a month" in with_names.answer
    if kb == SECOND:  # without the rules' names the same sentence does not answer it
        plain = GroundedComposer(config).compose(question, _searched(sentence, 0.4))
        assert plain.declined
        assert plain.signals["answer_overlap"] < 0.6 <= with_names.signals["answer_overlap"]


def test_general_abbreviations_work_both_ways() -> None:
    """'QBR' also searches for 'quarterly business review' and the other way round; a
    sentence in one form counts as saying the other. The list is general (concepts.yaml)."""
    rules = load_rules(SHIPPED / "rules.yaml")
    shipped = load_concepts()
    terms = Concepts(concepts=shipped.concepts, abbreviations={"QBR": "quarterly business review"})
    words = Glossary.from_rules(rules, terms)
    assert (
        words.expand("How do I prepare a QBR?")
        == "How do I prepare a QBR? quarterly business review"
    )
    assert words.expand("How often do we hold QBRs?").endswith("? quarterly business review")
    assert words.expand("who attends the quarterly business review?").endswith(" QBR")
    assert words.expand("What is a QBR, the quarterly business review?").endswith("review?")
    composer = GroundedComposer(ComposerConfig(), words)
    cadence = "The executive sponsor attends every quarterly business review."
    hits = [Hit(StoredChunk("c", cadence, {"source": "k/c.md", "section": "Plan > Cadence"}), 0.1)]
    result = SearchResult(hits, 0.6, idf=lambda token: 1.0)
    answer = composer.compose("Who attends the QBR?", result)
    assert not answer.declined and answer.signals["evidence"] == 1.0  # "qbr" found as its words
    assert "QBR" in Glossary.from_rules(rules).expand("when is the quarterly business review")
