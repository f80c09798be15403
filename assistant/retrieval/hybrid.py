"""Hybrid retrieval: dense and BM25 candidates fused into one ranking.

The default fusion is a convex combination of scores (Bruch et al., "An Analysis of Fusion
Functions for Hybrid Retrieval", 2023): every candidate either retriever found gets both
scores (the BM25 score of a dense-only candidate is read off the index, the cosine of a
BM25-only candidate is computed from its stored vector), each min-max normalised over the
candidates, then weighted. Reciprocal rank fusion stays available (`fusion="rrf"`); with k
60 and 40 candidates it ranks a chunk that only one retriever returned, even first, below
every chunk both returned, which lost strong BM25-only matches. bench/beir.py compares them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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


def convex_fusion(scores: Sequence[dict[str, float]], weights: Sequence[float]) -> dict[str, float]:
    """score(d) = sum of weight * min-max normalised score over all candidates, divided by
    the sum of weights. A candidate a retriever has no score for counts as its minimum;
    when a retriever gives every candidate the same score, it separates none of them (0)."""
    candidates = {item for ranking in scores for item in ranking}
    total = sum(weights) or 1.0
    fused = dict.fromkeys(candidates, 0.0)
    for ranking, weight in zip(scores, weights, strict=True):
        if not ranking or not weight:
            continue
        low, high = min(ranking.values()), max(ranking.values())
        if high - low <= 1e-12:
            continue
        for item in candidates:
            fused[item] += weight * (ranking.get(item, low) - low) / (high - low) / total
    return fused


Fusion = Literal["convex", "rrf"]


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
        fusion: Fusion = "convex",
    ) -> None:
        self.embedder = embedder
        self.dense = dense
        self.lexical = lexical
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.fusion = fusion

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
        bm25 = index.scores(query, where) if self.lexical_weight else None
        lexical = index.top(bm25, self.candidates)
        timings["lexical"] = (time.perf_counter() - start) * 1000

        hits: dict[str, Hit] = {}
        for rank, (chunk, similarity) in enumerate(dense, 1):
            hits[chunk.id] = Hit(chunk, 0.0, dense_score=similarity, dense_rank=rank)
        for rank, (chunk, score) in enumerate(lexical, 1):
            hit = hits.setdefault(chunk.id, Hit(chunk, 0.0))
            hit.lexical_score, hit.lexical_rank = score, rank
        if self.fusion == "rrf":
            fused = reciprocal_rank_fusion(
                [[c.id for c, _ in dense], [c.id for c, _ in lexical]],
                [self.dense_weight, self.lexical_weight],
                self.rrf_k,
            )
        else:
            start = time.perf_counter()
            self._complete(hits, vector, bm25, index.position)
            timings["fusion"] = (time.perf_counter() - start) * 1000
            fused = convex_fusion(
                [
                    {i: h.dense_score for i, h in hits.items() if h.dense_score is not None},
                    {i: h.lexical_score or 0.0 for i, h in hits.items()},
                ],
                [self.dense_weight if dense else 0.0, self.lexical_weight],
            )
        for chunk_id, hit in hits.items():
            hit.score = fused[chunk_id]
        ranked = sorted(hits.values(), key=lambda h: (-h.score, h.chunk.id))[:k]
        best = max((similarity for _, similarity in dense), default=0.0)
        return SearchResult(ranked, best, index.idf, timings, vector, index.sentence_vectors)

    def _complete(
        self,
        hits: dict[str, Hit],
        vector: np.ndarray,
        bm25: np.ndarray | None,
        position: Callable[[str], int | None],
    ) -> None:
        """Give every candidate both scores: the cosine of those only BM25 found, the BM25
        score (0 when it has none of the query's words) of those only dense search found."""
        if self.dense_weight:
            missing = [i for i, h in hits.items() if h.dense_score is None]
            for chunk_id, similarity in self.dense.similarities(vector, missing).items():
                hits[chunk_id].dense_score = similarity
        for chunk_id, hit in hits.items():
            if hit.lexical_score is None:
                n = position(chunk_id)
                hit.lexical_score = float(bm25[n]) if bm25 is not None and n is not None else 0.0
