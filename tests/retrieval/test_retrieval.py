from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.hybrid import reciprocal_rank_fusion
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


def test_tokenize_stems_drops_stopwords_and_bigrams_cjk() -> None:
    assert tokenize("How are the renewals renewing?") == ["renew", "renew"]
    assert tokenize("客户成功") == ["客户", "户成", "成功"]
    assert "30" in tokenize("within 30 days")


def chunk(chunk_id: str, text: str, **metadata: object) -> StoredChunk:
    return StoredChunk(chunk_id, text, {"doc_type": "playbook", **metadata})


def test_filter_semantics() -> None:
    public = {"doc_type": "playbook"}
    note = {"doc_type": "account_note", "accounts": ["ACC-001"]}
    assert SearchFilter().matches(note)
    assert SearchFilter(doc_types=frozenset({"playbook"})).matches(public)
    assert not SearchFilter(doc_types=frozenset({"playbook"})).matches(note)
    assert SearchFilter(account="ACC-001").matches(note)
    assert not SearchFilter(account="ACC-002").matches(note)
    assert not SearchFilter(account="ACC-001").matches(public)
    scope = SearchFilter(visible_accounts=frozenset({"ACC-002"}))
    assert scope.matches(public) and not scope.matches(note)
    assert SearchFilter(visible_accounts=frozenset({"ACC-001"})).matches(note)
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
    assert set(result.timings_ms) == {"embed", "dense", "lexical"}
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)


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
