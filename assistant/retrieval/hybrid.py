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

import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from assistant import tracing
from assistant.errors import IndexNotReadyError
from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.generation import Generation, LiveIndex
from assistant.retrieval.lexical import StoredChunk
from assistant.retrieval.scoped_dense import PostFilteredDense
from assistant.retrieval.text import WORD as _WORD
from assistant.retrieval.text import tokenize
from assistant.workers import CpuPool
from ingest.embedding import Embedder

log = logging.getLogger(__name__)
_RECENT = 256  # query vectors kept (embed_query)


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
    degraded: list[str] = field(default_factory=list)  # what retrieval lacked, and why
    # the chunks of a hit's document the caller may see, in document order
    document: Callable[[str], list[StoredChunk]] = lambda _: []
    # how much each content word of a text carries its meaning (`HybridRetriever.salience`)
    salience: Callable[[str], dict[str, float]] = lambda _: {}
    # the index words a short form the corpus lacks begins ("exec" -> "execut")
    completions: Callable[[str], tuple[str, ...]] = lambda _: ()


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
    """Dense and BM25 search over one index generation (see `assistant.retrieval.generation`).

    Each search leases the current generation, so both halves come from the same ingest. A
    half that is unavailable (BM25 files gone, Chroma failing) is left out and named in
    `SearchResult.degraded`; only when both are unavailable does search fail (503).
    """

    def __init__(
        self,
        embedder: Embedder,
        index: LiveIndex,
        *,
        overfetch: int = 8,
        candidates: int = 40,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.0,
        fusion: Fusion = "convex",
        cpu: CpuPool | None = None,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.overfetch = overfetch
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.fusion = fusion
        self.cpu = cpu
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._salience: OrderedDict[str, dict[str, float]] = OrderedDict()
        self._recent_lock = threading.Lock()

    @property
    def lexical(self) -> LiveIndex:
        """Has `.index`: the BM25 index of the current generation."""
        return self.index

    @property
    def dense(self) -> DenseRetriever:
        """The dense retriever of the current generation."""
        return self._dense(self.index.current)

    def _dense(self, generation: Generation) -> DenseRetriever:
        if generation.collection is None:
            raise IndexNotReadyError("the vector index is unavailable: " + _why(generation))
        return PostFilteredDense(generation.collection, self.overfetch)

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of one query text, in the CPU pool; the last `_RECENT` texts are kept,
        so the planner's intent ranking and the search of the same message embed it once."""
        with self._recent_lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                return vector
        vectors = self.embedder.embed if self.cpu is None else self.cpu.bound(self.embedder.embed)
        vector = np.asarray(vectors([text])[0])
        vector.setflags(write=False)  # shared between callers
        with self._recent_lock:
            self._recent[text] = vector
            if len(self._recent) > _RECENT:
                self._recent.popitem(last=False)
        return vector

    def _embed(self, query: str) -> np.ndarray:
        return self.embed_query(query)

    def salience(self, text: str) -> dict[str, float]:
        """How much each content word carries the meaning of `text`: 1 - the cosine between
        the text's vector and the vector of the text without that word (per index token, the
        most of its words). "How is the index calculated?" leans on "index", not on
        "calculated"; "What margin does a reseller get?" leans on "margin". The last
        `_RECENT` texts are kept."""
        with self._recent_lock:
            known = self._salience.get(text)
        if known is not None:
            return known
        words = [m.group() for m in _WORD.finditer(text)]
        content = [(i, tokenize(word)) for i, word in enumerate(words)]
        content = [(i, tokens) for i, tokens in content if tokens]
        if not content:
            return {}
        variants = [" ".join(w for j, w in enumerate(words) if j != i) for i, _ in content]
        embed = self.embedder.embed if self.cpu is None else self.cpu.bound(self.embedder.embed)
        full = self.embed_query(text)
        vectors = np.asarray(embed(variants), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(full) or 1.0)
        drops = 1.0 - (vectors @ full) / np.where(norms > 0, norms, 1.0)
        found: dict[str, float] = {}
        for (_, tokens), drop in zip(content, drops, strict=True):
            for token in tokens:
                found[token] = max(found.get(token, 0.0), float(drop))
        with self._recent_lock:
            self._salience[text] = found
            if len(self._salience) > _RECENT:
                self._salience.popitem(last=False)
        return found

    def search(self, query: str, k: int, where: SearchFilter | None = None) -> SearchResult:
        with tracing.span("retrieval.search", k=k) as span, self.index.lease() as generation:
            result = self._search(generation, query, k, where)
            span.set(hits=len(result.hits), degraded=len(result.degraded))
            return result

    def _search(
        self, generation: Generation, query: str, k: int, where: SearchFilter | None
    ) -> SearchResult:
        degraded = list(generation.problems)
        timings: dict[str, float] = {}
        start = time.perf_counter()
        vector = self._embed(query)
        timings["embed"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        dense_retriever: DenseRetriever | None = None
        dense: list[tuple[StoredChunk, float]] = []
        dense_lost = generation.collection is None
        if self.dense_weight and generation.collection is not None:
            dense_retriever = self._dense(generation)
            try:
                dense = dense_retriever.search(vector, self.candidates, where)
            except Exception as error:  # Chroma failing mid-query: BM25 still answers
                log.warning("dense search failed: %s", error)
                dense_retriever, dense_lost = None, True
                degraded.append(f"dense: the vector search failed ({error}); BM25 only")
        timings["dense"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        index = generation.lexical
        bm25 = index.scores(query, where) if self.lexical_weight else None
        lexical = index.top(bm25, self.candidates)
        timings["lexical"] = (time.perf_counter() - start) * 1000
        if dense_lost and not len(index):
            raise IndexNotReadyError(
                "the knowledge index is unavailable: " + "; ".join(degraded or [_why(generation)])
            )

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
            self._complete(hits, vector, bm25, index.position, dense_retriever)
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
        return SearchResult(
            ranked,
            best,
            index.idf,
            timings,
            vector,
            index.sentence_vectors,
            degraded,
            functools.partial(index.document, where=where),
            self.salience,
            index.completions,
        )

    def _complete(
        self,
        hits: dict[str, Hit],
        vector: np.ndarray,
        bm25: np.ndarray | None,
        position: Callable[[str], int | None],
        dense: DenseRetriever | None,
    ) -> None:
        """Give every candidate both scores: the cosine of those only BM25 found, the BM25
        score (0 when it has none of the query's words) of those only dense search found.
        While an ingest is under way an id may be missing from one side: it keeps the score
        the other side gave it."""
        if self.dense_weight and dense is not None:
            missing = [i for i, h in hits.items() if h.dense_score is None]
            try:
                similarities = dense.similarities(vector, missing)
            except Exception as error:  # ids Chroma does not have (yet): score them apart
                log.info("dense scores of %d BM25 candidates failed: %s", len(missing), error)
                similarities = self._one_by_one(dense, vector, missing)
            for chunk_id, similarity in similarities.items():
                hits[chunk_id].dense_score = similarity
        for chunk_id, hit in hits.items():
            if hit.lexical_score is None:
                n = position(chunk_id)
                hit.lexical_score = float(bm25[n]) if bm25 is not None and n is not None else 0.0

    @staticmethod
    def _one_by_one(
        dense: DenseRetriever, vector: np.ndarray, ids: Sequence[str]
    ) -> dict[str, float]:
        found: dict[str, float] = {}
        for chunk_id in ids:
            try:
                found.update(dense.similarities(vector, [chunk_id]))
            except Exception:
                continue
        return found


def _why(generation: Generation) -> str:
    return "; ".join(generation.problems) or "run `assistant ingest`"
