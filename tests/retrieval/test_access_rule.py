"""The fail-closed access rule (issue 11, finding 3) is one rule: the lexical predicate
(`SearchFilter.matches`), the dense post-filter and Chroma's `where` let the same chunks
through, for every combination of the `restricted` flag and account tags."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from assistant.retrieval.dense import DenseRetriever, open_collection
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.lexical import LexicalIndex, StoredChunk
from assistant.retrieval.scoped_dense import PostFilteredDense

FLAGS: list[dict[str, Any]] = [{"restricted": True}, {"restricted": False}, {}]
TAGS: list[dict[str, Any]] = [{}, {"accounts": ["ACC-001"]}, {"accounts": ["ACC-002"]}]
SCOPES = [None, frozenset(), frozenset({"ACC-001"}), frozenset({"ACC-001", "ACC-002"})]


def chunks() -> list[StoredChunk]:
    return [
        StoredChunk(f"c{n}", f"renewal note number {n}", {"doc_type": "note", **flag, **tag})
        for n, (flag, tag) in enumerate(itertools.product(FLAGS, TAGS))
    ]


def expected(scope: frozenset[str] | None) -> set[str]:
    """Admins see all; a scoped caller sees a chunk marked `restricted: false`, or one that
    shares an account with the scope; nothing else (untagged restricted, unflagged)."""
    return {
        c.id
        for c in chunks()
        if scope is None
        or c.metadata.get("restricted") is False
        or scope & set(c.metadata.get("accounts", []))
    }


def test_lexical_dense_and_where_agree(tmp_path: Path) -> None:
    stored = chunks()
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = open_collection(client, "rule", 400)
    vectors = np.eye(len(stored), dtype=np.float32)
    collection.add(
        ids=[c.id for c in stored],
        embeddings=vectors.tolist(),
        metadatas=[c.metadata for c in stored],
        documents=[c.text for c in stored],
    )
    lexical = LexicalIndex.build(stored, [c.text for c in stored])
    query = np.ones(len(stored), dtype=np.float32)
    for scope in SCOPES:
        where = SearchFilter(visible_accounts=scope)
        want = expected(scope)
        assert {c.id for c in stored if where.matches(c.metadata)} == want, scope
        assert {c.id for c, _ in lexical.search("renewal note", 50, where)} == want, scope
        exact = DenseRetriever(collection).search(query, len(stored), where)
        assert {c.id for c, _ in exact} == want, scope
        post = PostFilteredDense(collection, overfetch=4).search(query, 2, where)
        assert {c.id for c, _ in post} <= want, scope
    untagged = {"doc_type": "account_note", "restricted": True}
    assert not SearchFilter(visible_accounts=frozenset({"ACC-001"})).matches(untagged)
