"""The over-fetch + post-filter dense search returns what the Chroma `where` filter returns."""

from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.retrieval.dense import DenseRetriever, open_collection
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.scoped_dense import PostFilteredDense


@pytest.fixture
def collection(tmp_path: Path):  # type: ignore[no-untyped-def]
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = open_collection(client, "acl", 400)
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((400, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    metadatas = []
    for i in range(400):
        if i % 10 < 6:  # 60% tagged with one of 20 accounts, like account notes
            metadatas.append(
                {"restricted": True, "accounts": [f"ACC-{i % 20:03d}"], "doc_type": "account_note"}
            )
        else:
            metadatas.append({"restricted": False, "doc_type": "guide" if i != 7 else "playbook"})
    collection.add(
        ids=[f"c{i}" for i in range(400)],
        embeddings=vectors.tolist(),
        metadatas=metadatas,
        documents=[f"text {i}" for i in range(400)],
    )
    return collection


@pytest.mark.parametrize(
    "where",
    [
        SearchFilter(visible_accounts=frozenset({"ACC-001", "ACC-002"})),
        SearchFilter(visible_accounts=frozenset()),
        SearchFilter(doc_types=frozenset({"guide"})),
        SearchFilter(doc_types=frozenset({"playbook"})),  # one chunk: exact fallback
        SearchFilter(account="ACC-003"),  # 20 chunks
        SearchFilter(
            doc_types=frozenset({"account_note"}), visible_accounts=frozenset({"ACC-004"})
        ),
    ],
)
def test_same_results_as_the_where_filter(collection, where: SearchFilter) -> None:  # type: ignore[no-untyped-def]
    exact, fast = DenseRetriever(collection), PostFilteredDense(collection, overfetch=4)
    rng = np.random.default_rng(5)
    for _ in range(10):
        query = rng.standard_normal(16).astype(np.float32)
        query /= np.linalg.norm(query)
        want = exact.search(query, 10, where)
        got = fast.search(query, 10, where)
        assert all(where.matches(chunk.metadata) for chunk, _ in got)
        assert [c.id for c, _ in got] == [c.id for c, _ in want]


def test_narrow_filters_fall_back_and_unfiltered_queries_pass_through(collection) -> None:  # type: ignore[no-untyped-def]
    fast = PostFilteredDense(collection, overfetch=4)
    query = np.ones(16, dtype=np.float32) / 4
    assert len(fast.search(query, 10, SearchFilter(doc_types=frozenset({"playbook"})))) == 1
    assert fast.fallbacks == 1
    assert len(fast.search(query, 10, None)) == 10 and fast.fallbacks == 1
