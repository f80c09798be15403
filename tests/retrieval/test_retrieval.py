from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.hybrid import convex_fusion, reciprocal_rank_fusion
from assistant.retrieval.lexical import LexicalIndex, LexicalStore, StoredChunk
from assistant.retrieval.text import tokenize
from assistant.services import Services


def test_rrf_matches_the_formula() -> None:
    scores = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], [1.0, 1.0], k=60)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["d"] == pytest.approx(1 / 62)
    assert max(scores, key=scores.__getitem__) == "b"


def test_rrf_weights_and_empty_lists() -> None:
    scores = reciprocal_rank_fusion([["a"], ["b"]], [2.0, 0.5], k=10)
    assert scores == {"a": pytest.approx(2 / 11), "b": pytest.approx(0.5 / 11)}
    assert reciprocal_rank_fusion([[], []], [1.0, 1.0]) == {}


def test_convex_fusion_normalises_each_retriever_then_weighs() -> None:
    dense = {"a": 0.9, "b": 0.5, "c": 0.7}
    lexical = {"a": 2.0, "b": 12.0, "c": 7.0}
    scores = convex_fusion([dense, lexical], [1.0, 1.0])
    # min-max: dense a 1, b 0, c 0.5; lexical a 0, b 1, c 0.5
    assert scores == {"a": pytest.approx(0.5), "b": pytest.approx(0.5), "c": pytest.approx(0.5)}
    weighted = convex_fusion([dense, lexical], [3.0, 1.0])
    assert weighted["a"] == pytest.approx(0.75) and weighted["b"] == pytest.approx(0.25)


def test_convex_fusion_missing_and_constant_scores() -> None:
    # "d" has no dense score: it counts as the dense minimum, not as zero similarity
    scores = convex_fusion([{"a": 0.8, "b": 0.6}, {"a": 1.0, "b": 3.0, "d": 5.0}], [1.0, 1.0])
    assert scores["d"] == pytest.approx(0.5) and scores["a"] == pytest.approx(0.5)
    assert scores["b"] == pytest.approx(0.25)
    # a retriever that scores every candidate alike separates none of them
    flat = convex_fusion([{"a": 0.4, "b": 0.4}, {"a": 1.0, "b": 2.0}], [1.0, 1.0])
    assert flat == {"a": pytest.approx(0.0), "b": pytest.approx(0.5)}
    assert convex_fusion([{}, {}], [1.0, 1.0]) == {}


def test_tokenize_stems_drops_stopwords_and_bigrams_cjk() -> None:
    assert tokenize("How are the renewals renewing?") == ["renew", "renew"]
    assert tokenize("客户成功") == ["客户", "户成", "成功"]
    assert "30" in tokenize("within 30 days")


def chunk(chunk_id: str, text: str, **metadata: object) -> StoredChunk:
    return StoredChunk(chunk_id, text, {"doc_type": "playbook", **metadata})


def test_filter_semantics() -> None:
    public = {"doc_type": "playbook", "restricted": False}
    note = {"doc_type": "account_note", "accounts": ["ACC-001"], "restricted": True}
    assert SearchFilter().matches(note)
    assert SearchFilter(doc_types=frozenset({"playbook"})).matches(public)
    assert not SearchFilter(doc_types=frozenset({"playbook"})).matches(note)
    assert SearchFilter(account="ACC-001").matches(note)
    assert not SearchFilter(account="ACC-002").matches(note)
    assert not SearchFilter(account="ACC-001").matches(public)
    scope = SearchFilter(visible_accounts=frozenset({"ACC-002"}))
    assert scope.matches(public) and not scope.matches(note)
    assert SearchFilter(visible_accounts=frozenset({"ACC-001"})).matches(note)
    # fail closed: restricted without an account tag, or no flag at all, is admins-only
    untagged = {"doc_type": "account_note", "restricted": True}
    unflagged = {"doc_type": "playbook"}
    for metadata in (untagged, unflagged):
        assert SearchFilter().matches(metadata)
        assert not SearchFilter(visible_accounts=frozenset({"ACC-001"})).matches(metadata)
    where = SearchFilter(
        doc_types=frozenset({"guide"}), visible_accounts=frozenset()
    ).chroma_where()
    assert where == {"$and": [{"doc_type": {"$in": ["guide"]}}, {"restricted": False}]}


def test_lexical_search_filters_and_persists(tmp_path: Path) -> None:
    chunks = [
        chunk("a", "renewal risk review", source="x"),
        chunk("b", "renewal incentives above 80%", doc_type="guide"),
        chunk("c", "kickoff meeting"),
    ]
    index = LexicalIndex.build(chunks, [c.text for c in chunks], generation=7)
    assert [c.id for c, _ in index.search("renewal", 5)] in (["a", "b"], ["b", "a"])
    only_guides = SearchFilter(doc_types=frozenset({"guide"}))
    assert [c.id for c, _ in index.search("renewal", 5, only_guides)] == ["b"]
    assert index.search("unknownword", 5) == []
    assert index.scores("unknownword") is None
    every = index.scores("renewal", only_guides)
    assert every is not None and every.shape == (3,)
    assert every[index.position("a")] == 0.0 and every[index.position("b")] > 0.0
    assert index.position("missing") is None
    assert index.idf("kickoff") > index.idf("renew")

    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded.generation == 7
    assert [c.id for c, _ in loaded.search("kickoff", 5)] == ["c"]
    assert loaded.get("b") == chunks[1]


def test_store_reloads_a_newer_generation(tmp_path: Path) -> None:
    directory = tmp_path / "bm25"
    store = LexicalStore(directory)
    assert len(store.index) == 0
    first = [chunk("a", "alpha")]
    LexicalIndex.build(first, ["alpha"], generation=1).save(directory)
    assert [c.id for c, _ in store.index.search("alpha", 3)] == ["a"]
    second = [chunk("b", "beta")]
    LexicalIndex.build(second, ["beta"], generation=2).save(directory)
    # the stamp's mtime may not move within the filesystem's resolution; force a check
    store._stamp_mtime = None
    assert store.index.generation == 2
    assert [c.id for c, _ in store.index.search("beta", 3)] == ["b"]


def test_hybrid_search_on_real_chroma(indexed: Services) -> None:
    result = indexed.retriever.search("customer live within 30 days of signature", 3)
    top = result.hits[0]
    assert top.metadata["source"].endswith("playbooks/onboarding.md")
    assert top.dense_rank is not None and top.lexical_rank is not None
    assert result.best_dense > 0
    assert set(result.timings_ms) == {"embed", "dense", "lexical", "fusion"}
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_every_candidate_gets_both_scores(indexed: Services) -> None:
    """A chunk only one retriever found is scored by the other one too, so a strong BM25-only
    match is not ranked below everything both retrievers found."""
    retriever = indexed.retriever
    question = "What does the health score formula weigh?"
    result = retriever.search(question, 50)
    assert result.hits
    for hit in result.hits:
        assert hit.dense_score is not None and hit.lexical_score is not None
    stored = retriever.dense.similarities(result.query_vector, [h.chunk.id for h in result.hits])
    for hit in result.hits:
        assert hit.dense_score == pytest.approx(stored[hit.chunk.id], abs=1e-4)
    only_one = [h for h in result.hits if (h.dense_rank is None) != (h.lexical_rank is None)]
    assert only_one, "the fixture corpus should give some one-retriever candidates"
    assert 0.0 <= min(h.score for h in result.hits) <= max(h.score for h in result.hits) <= 1.0
    assert retriever.dense.similarities(result.query_vector, []) == {}
    assert retriever.dense.similarities(result.query_vector, ["no-such-chunk"]) == {}


def test_rrf_fusion_stays_available(indexed: Services) -> None:
    retriever = indexed.retriever
    retriever.fusion = "rrf"
    try:
        result = retriever.search("customer live within 30 days of signature", 5)
    finally:
        retriever.fusion = "convex"
    top = result.hits[0]
    expected = 1 / (60 + top.dense_rank) if top.dense_rank else 0.0
    expected += 1 / (60 + top.lexical_rank) if top.lexical_rank else 0.0
    assert top.score == pytest.approx(expected)
    assert "fusion" not in result.timings_ms


def test_hybrid_filters_apply_to_both_retrievers(indexed: Services) -> None:
    guides = indexed.retriever.search(
        "health score bands red", 5, SearchFilter(doc_types=frozenset({"guide"}))
    )
    assert guides.hits and all(h.metadata["doc_type"] == "guide" for h in guides.hits)
    about = indexed.retriever.search("Northwind renews", 5, SearchFilter(account="ACC-001"))
    assert [h.metadata["source"].rsplit("/", 1)[-1] for h in about.hits] == ["acc-001.md"]
    hidden = indexed.retriever.search(
        "Northwind Traders renews ARR", 10, SearchFilter(visible_accounts=frozenset({"ACC-009"}))
    )
    assert not any("accounts" in h.metadata for h in hidden.hits)


def test_salience_is_what_each_content_word_adds_to_the_meaning(indexed: Services) -> None:
    """1 - cosine(question, question without the word), per stemmed content word; stop
    words get none; the answer is kept for the next call on the same text."""
    retriever = indexed.chat.retriever
    question = "How is the onboarding checklist calculated?"
    salience = retriever.salience(question)
    assert set(salience) == set(tokenize(question))  # "how", "is", "the": no salience
    assert all(0.0 < value <= 2.0 for value in salience.values())
    result = retriever.search(question, k=3)
    assert result.salience(question) is salience  # kept, and handed to the composer
    assert retriever.salience("how is the") == {}  # nothing but stop words
