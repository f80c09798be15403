"""Dense search ranks the same chunks alike whatever order they were written in.

The cluster's ingest workers write shards in whatever order they finish, the embedded
ingest writes files in path order; both must then retrieve the same chunks in the same
order (the cluster tests compare them). Chroma's default HNSW breadth misses true
neighbours and breaks ties by where a vector sits in the graph, so it did not.
"""

from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from assistant.config import Settings
from assistant.retrieval.dense import DenseRetriever, open_collection

DIMENSION = 384


def _clustered(rng: np.random.Generator, count: int, centres: np.ndarray) -> np.ndarray:
    """Vectors near a few topic centres, as chunks of one knowledge base are."""
    picked = centres[rng.integers(len(centres), size=count)]
    vectors = picked + 0.35 * rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_two_write_orders_give_one_ranking(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    centres = rng.standard_normal((12, DIMENSION)).astype(np.float32) / np.sqrt(DIMENSION)
    vectors = _clustered(rng, 700, centres)
    vectors = np.concatenate([vectors, vectors[:100]])  # duplicated chunks tie exactly
    ids = [f"chunk-{i:04d}" for i in range(len(vectors))]
    queries = _clustered(rng, 60, centres)
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    ef_search = Settings(_env_file=None).vector_ef_search  # type: ignore[call-arg]
    rankings = []
    for n, order in enumerate([np.arange(len(ids)), rng.permutation(len(ids))]):
        collection = open_collection(client, f"order-{n}", ef_search)
        for start in range(0, len(order), 50):  # written in shards, as the workers do
            part = order[start : start + 50]
            collection.add(ids=[ids[i] for i in part], embeddings=vectors[part].tolist())
        retriever = DenseRetriever(collection)
        rankings.append([[c.id for c, _ in retriever.search(q, 40)] for q in queries])
    first, second = rankings
    assert sum(a != b for a, b in zip(first, second, strict=True)) == 0
    exact = [
        sorted(ids, key=lambda i, q=q: (round(1 - float(vectors[ids.index(i)] @ q), 6), i))[:40]
        for q in queries[:5]
    ]
    assert first[:5] == exact  # and the ranking is the exact one


def test_a_collection_made_with_another_breadth_is_searched_with_this_one(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    client.get_or_create_collection(
        "old", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    ).add(ids=["a"], embeddings=[[1.0, 0.0]])
    collection = open_collection(client, "old", 321)
    assert collection.configuration["hnsw"]["ef_search"] == 321
    assert collection.count() == 1  # nothing stored was lost
