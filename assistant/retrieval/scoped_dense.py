"""The dense retriever with the access filter applied after an over-fetch.

A Chroma `where` filter (the scope is an `$or` of `$contains` clauses on the `accounts`
array) makes a query at 100k chunks tens of times slower than an unfiltered one; see
bench/acl_filter.py and its figures in the README. So a filtered search asks Chroma for
`k * overfetch` nearest chunks without a filter and keeps those `SearchFilter.matches`
lets through (the same predicate the lexical index uses). Only when fewer than `k` survive
(a very narrow filter) does it fall back to the exact `where` query, so results are never
short and never include a chunk outside the filter.
"""

from __future__ import annotations

import numpy as np
from chromadb.api.models.Collection import Collection

from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.lexical import StoredChunk


class PostFilteredDense(DenseRetriever):
    def __init__(self, collection: Collection, overfetch: int = 8) -> None:
        super().__init__(collection)
        self.overfetch = overfetch
        self.fallbacks = 0  # how often the exact `where` query was needed

    def search(
        self, query_vector: np.ndarray, k: int, where: SearchFilter | None = None
    ) -> list[tuple[StoredChunk, float]]:
        if where is None or where.is_empty or self.overfetch <= 1:
            return super().search(query_vector, k, where)
        wanted = k * self.overfetch
        fetched = super().search(query_vector, wanted, None)
        kept = [(chunk, score) for chunk, score in fetched if where.matches(chunk.metadata)]
        if len(kept) >= k or len(fetched) < wanted:  # enough, or the whole collection seen
            return kept[:k]
        self.fallbacks += 1
        return super().search(query_vector, k, where)
