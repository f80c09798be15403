"""The lexical half of hybrid retrieval: a bm25s index persisted beside the Chroma data.

bm25s has no incremental updates, so ingestion rebuilds the index from the manifest's chunk
table whenever the chunk set changes (seconds for tens of thousands of chunks) and stamps it
with the manifest generation; a server notices a newer stamp and reloads.
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import math
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import bm25s
import numpy as np

from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.lexical_stamp import STAMP, stored_generation
from assistant.retrieval.text import tokenize

log = logging.getLogger(__name__)
_RECORDS = "chunks.jsonl"
_DOC_FREQ = "doc_freq.json"
_SHORT_FORM = 4  # letters a short form ("exec", "admin") needs before it is completed
_COMPLETIONS = 3  # a short form that begins more index words than this is ambiguous
_SENTENCES = "sentence_vectors.npy"  # float16 rows, all chunks' sentences end to end
_OFFSETS = "sentence_offsets.npy"  # chunk n owns rows offsets[n]:offsets[n + 1]


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]


class LexicalIndex:
    def __init__(
        self,
        chunks: Sequence[StoredChunk],
        generation: int = 0,
        doc_freq: dict[str, int] | None = None,
        sentences: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.chunks = list(chunks)
        self.generation = generation
        self.doc_freq = doc_freq or {}
        self._sorted_vocabulary: list[str] | None = None
        self._sentences = sentences
        self._positions = {chunk.id: n for n, chunk in enumerate(self.chunks)}
        self._bm25: bm25s.BM25 | None = None
        self._masks: dict[SearchFilter, np.ndarray] = {}

    @classmethod
    def build(
        cls,
        chunks: Sequence[StoredChunk],
        index_texts: Sequence[str],
        generation: int = 0,
        sentence_vectors: Sequence[np.ndarray | None] | None = None,
    ) -> LexicalIndex:
        corpus = [tokenize(text) or ["\x00"] for text in index_texts]
        doc_freq: Counter[str] = Counter()
        for tokens in corpus:
            doc_freq.update(set(tokens))
        index = cls(chunks, generation, dict(doc_freq), _pack(sentence_vectors))
        if chunks:
            bm25 = bm25s.BM25(k1=1.2, b=0.75)
            bm25.index(corpus, show_progress=False)
            index._bm25 = bm25
        return index

    def idf(self, token: str) -> float:
        """BM25's inverse document frequency of a token; a word the corpus lacks (a typo, a
        topic it does not cover) weighs as much as the rarest word it has."""
        total = len(self.chunks)
        df = max(self.doc_freq.get(token, 0), 1)
        return math.log(1.0 + (total - df + 0.5) / (df + 0.5))

    def completions(self, token: str) -> tuple[str, ...]:
        """The index words a short form the corpus lacks begins ("exec" -> "execut", as in
        "executive"; "config" -> "configur"): at most `_COMPLETIONS` of them, none for a
        known word, a short one (under `_SHORT_FORM` letters) or one that begins many."""
        if len(token) < _SHORT_FORM or not token.isalpha() or token in self.doc_freq:
            return ()
        vocabulary = self._vocabulary()
        start = bisect.bisect_left(vocabulary, token)
        found = list(
            itertools.takewhile(
                lambda word: word.startswith(token),
                vocabulary[start : start + _COMPLETIONS + 1],
            )
        )
        return tuple(found) if len(found) <= _COMPLETIONS else ()

    def _vocabulary(self) -> list[str]:
        if self._sorted_vocabulary is None:
            self._sorted_vocabulary = sorted(self.doc_freq)
        return self._sorted_vocabulary

    def expanded(self, tokens: list[str]) -> list[str]:
        """`tokens` with the completions of the short forms among them."""
        return [*tokens, *(w for t in tokens for w in self.completions(t))]

    def __len__(self) -> int:
        return len(self.chunks)

    def sentence_vectors(self, chunk_id: str) -> np.ndarray | None:
        """The contextual vectors of a chunk's sentences (see ingest.sentences), if stored."""
        position = self._positions.get(chunk_id)
        if position is None or self._sentences is None:
            return None
        matrix, offsets = self._sentences
        rows = matrix[int(offsets[position]) : int(offsets[position + 1])]
        return None if len(rows) == 0 else np.asarray(rows, dtype=np.float32)

    def get(self, chunk_id: str) -> StoredChunk | None:
        position = self._positions.get(chunk_id)
        return None if position is None else self.chunks[position]

    def position(self, chunk_id: str) -> int | None:
        return self._positions.get(chunk_id)

    def document(self, chunk_id: str, where: SearchFilter | None = None) -> list[StoredChunk]:
        """The chunks of `chunk_id`'s document that `where` lets through, in document order
        (the index keeps a document's chunks together: path, then position)."""
        position = self._positions.get(chunk_id)
        if position is None:
            return []
        source = self.chunks[position].metadata.get("source")
        first = last = position
        while first > 0 and self.chunks[first - 1].metadata.get("source") == source:
            first -= 1
        while (
            last + 1 < len(self.chunks) and self.chunks[last + 1].metadata.get("source") == source
        ):
            last += 1
        mask = self._mask(where) if where is not None and not where.is_empty else None
        chunks = [self.chunks[n] for n in range(first, last + 1) if mask is None or mask[n]]
        return sorted(chunks, key=lambda c: int(c.metadata.get("position", 0)))

    def scores(self, query: str, where: SearchFilter | None = None) -> np.ndarray | None:
        """The BM25 score of every chunk (0 for those `where` keeps out), or None when no
        query word is in the vocabulary."""
        if self._bm25 is None:
            return None
        tokens = [
            token for token in self.expanded(tokenize(query)) if token in self._bm25.vocab_dict
        ]
        if not tokens:
            return None
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        if where is not None and not where.is_empty:
            scores = np.where(self._mask(where), scores, 0.0)
        return scores

    def top(self, scores: np.ndarray | None, k: int) -> list[tuple[StoredChunk, float]]:
        """The `k` chunks with the highest positive scores, best first."""
        if scores is None:
            return []
        k = min(k, int(np.count_nonzero(scores)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunks[int(i)], float(scores[int(i)])) for i in top]

    def search(
        self,
        query: str,
        k: int,
        where: SearchFilter | None = None,
    ) -> list[tuple[StoredChunk, float]]:
        """Top `k` chunks by BM25 score (> 0) among those `where` lets through."""
        return self.top(self.scores(query, where), k)

    def _mask(self, where: SearchFilter) -> np.ndarray:
        """Which chunks pass `where`; computed once per distinct filter and index."""
        mask = self._masks.get(where)
        if mask is None:
            if len(self._masks) > 256:
                self._masks.clear()
            mask = np.fromiter((where.matches(c.metadata) for c in self.chunks), bool, len(self))
            self._masks[where] = mask
        return mask

    # persistence -----------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write to a fresh sibling directory, then swap it in (readers never see half)."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        if self._bm25 is not None:
            self._bm25.save(str(staging / "bm25"), show_progress=False)
        with (staging / _RECORDS).open("w", encoding="utf-8") as out:
            for chunk in self.chunks:
                record = {"id": chunk.id, "text": chunk.text, "metadata": chunk.metadata}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        if self._sentences is not None:
            np.save(staging / _SENTENCES, self._sentences[0])
            np.save(staging / _OFFSETS, self._sentences[1])
        (staging / _DOC_FREQ).write_text(json.dumps(self.doc_freq, ensure_ascii=False))
        (staging / STAMP).write_text(json.dumps({"generation": self.generation}))
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            os.replace(directory, old)
        os.replace(staging, directory)
        shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def stored_generation(directory: Path) -> int | None:
        return stored_generation(directory)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """The saved index, or an empty one when nothing was saved yet."""
        generation = cls.stored_generation(directory)
        if generation is None:
            return cls([], 0)
        with (directory / _RECORDS).open(encoding="utf-8") as records:
            chunks = [
                StoredChunk(d["id"], d["text"], d["metadata"]) for d in map(json.loads, records)
            ]
        doc_freq = json.loads((directory / _DOC_FREQ).read_text(encoding="utf-8"))
        sentences = None
        if (directory / _SENTENCES).exists():
            sentences = (
                np.load(directory / _SENTENCES, mmap_mode="r"),
                np.load(directory / _OFFSETS),
            )
        index = cls(chunks, generation, doc_freq, sentences)
        if chunks and (directory / "bm25").exists():
            index._bm25 = bm25s.BM25.load(str(directory / "bm25"), show_progress=False)
        return index


def _pack(
    vectors: Sequence[np.ndarray | None] | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-chunk sentence matrices as one float16 matrix plus row offsets."""
    if not vectors or all(v is None for v in vectors):
        return None
    dimension = next(v.shape[1] for v in vectors if v is not None)
    counts = [0 if v is None else len(v) for v in vectors]
    offsets = np.zeros(len(vectors) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    matrix = np.zeros((int(offsets[-1]), dimension), dtype=np.float16)
    for n, v in enumerate(vectors):
        if v is not None and len(v):
            matrix[offsets[n] : offsets[n + 1]] = v
    return matrix, offsets


class LexicalSource(Protocol):
    """Anything that gives the current BM25 index (`LexicalStore`, `LiveIndex`)."""

    @property
    def index(self) -> LexicalIndex: ...


class LexicalStore:
    """The saved index of a directory, reloaded when ingestion writes a newer generation."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._stamp_mtime: float | None = None
        self._index = LexicalIndex([], 0)
        self.refresh()

    def _mtime(self) -> float | None:
        try:
            return (self.directory / STAMP).stat().st_mtime
        except OSError:
            return None

    def refresh(self) -> LexicalIndex:
        mtime = self._mtime()
        if mtime != self._stamp_mtime:
            self._index = LexicalIndex.load(self.directory)
            self._stamp_mtime = mtime
        return self._index

    @property
    def index(self) -> LexicalIndex:
        return self.refresh()
