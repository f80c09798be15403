"""Hybrid retrieval: dense and BM25 rankings fused by weighted reciprocal rank fusion."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.lexical import LexicalStore, StoredChunk
from ingest.embedding import Embedder


@dataclass
class Hit:
    """A retrieved chunk: fused score, and each retriever's own score and rank if it found it."""

    chunk: StoredChunk
    score: float
    dense_score: float | None = None
    dense_rank: int | None = None
    lexical_score: float | None = None
    lexical_rank: int | None = None

    @property
    def metadata(self) -> dict[str, Any]:
        return self.chunk.metadata


@dataclass
class SearchResult:
    hits: list[Hit]
    best_dense: float  # best cosine similarity among dense results (0 when none)
    idf: Callable[[str], float]  # term weights of the lexical index that was searched
    timings_ms: dict[str, float] = field(default_factory=dict)
    query_vector: np.ndarray | None = None
    sentence_vectors: Callable[[str], np.ndarray | None] = lambda _: None


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int = 60
) -> dict[str, float]:
    """score(d) = sum over rankings of weight / (k + rank(d)), ranks starting at 1."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


class HybridRetriever:
    def __init__(
        self,
        embedder: Embedder,
        dense: DenseRetriever,
        lexical: LexicalStore,
        *,
        candidates: int = 40,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.0,
    ) -> None:
        self.embedder = embedder
        self.dense = dense
        self.lexical = lexical
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight

    def search(self, query: str, k: int, where: SearchFilter | None = None) -> SearchResult:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        vector = self.embedder.embed([query])[0]
        timings["embed"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        dense = self.dense.search(vector, self.candidates, where) if self.dense_weight else []
        timings["dense"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        index = self.lexical.index
        lexical = index.search(query, self.candidates, where) if self.lexical_weight else []
        timings["lexical"] = (time.perf_counter() - start) * 1000

        fused = reciprocal_rank_fusion(
            [[c.id for c, _ in dense], [c.id for c, _ in lexical]],
            [self.dense_weight, self.lexical_weight],
            self.rrf_k,
        )
        hits: dict[str, Hit] = {}
        for rank, (chunk, similarity) in enumerate(dense, 1):
            hits[chunk.id] = Hit(chunk, fused[chunk.id], dense_score=similarity, dense_rank=rank)
        for rank, (chunk, bm25) in enumerate(lexical, 1):
            hit = hits.setdefault(chunk.id, Hit(chunk, fused[chunk.id]))
            hit.lexical_score, hit.lexical_rank = bm25, rank
        ranked = sorted(hits.values(), key=lambda h: (-h.score, h.chunk.id))[:k]
        best = max((similarity for _, similarity in dense), default=0.0)
        return SearchResult(ranked, best, index.idf, timings, vector, index.sentence_vectors)
