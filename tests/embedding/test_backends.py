"""The real model through each backend: ONNX fp32 matches PyTorch, int8 stays close, and the
late-chunking sentence vectors come out of the same forward pass (slow: exports the model
once per test session)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from ingest.embedding import Embedder, LazyEmbedder, build_embedder
from ingest.onnx_embedder import OnnxEmbedder

pytestmark = pytest.mark.slow

TEXTS = [
    "Renewal risk rises when weekly active users fall. The CSM calls the executive sponsor.",
    "Short.",
    "Onboarding ends when the first dashboard is live; adoption is measured after 30 days. "
    * 12,  # longer than the model's 256 tokens: truncated like sentence-transformers does
]


def _spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for end in [i + 1 for i, c in enumerate(text) if c == "."] or [len(text)]:
        spans.append((start, end))
        start = end + 1
    return spans


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Embedder]:
    cache = tmp_path_factory.mktemp("onnx-cache")
    return {b: build_embedder(None, 8, "cpu", b, cache) for b in ("torch", "onnx", "onnx-int8")}  # type: ignore[arg-type]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=-1))


def _in_context(embedder: Embedder) -> tuple[np.ndarray, Sequence[np.ndarray]]:
    return embedder.embed_in_context(TEXTS, [_spans(t) for t in TEXTS])


def test_onnx_fp32_gives_the_torch_vectors(backends: dict[str, Embedder]) -> None:
    torch_chunks, torch_spans = _in_context(backends["torch"])
    chunks, spans = _in_context(backends["onnx"])
    assert _cosines(chunks, torch_chunks).min() > 0.9999
    for ours, theirs in zip(spans, torch_spans, strict=True):
        assert ours.shape == theirs.shape
        # spans past the truncation have no tokens: zero in both
        assert np.allclose(_cosines(ours, theirs), np.abs(theirs).sum(axis=1) > 0, atol=1e-4)
    assert _cosines(backends["onnx"].embed(TEXTS), backends["torch"].embed(TEXTS)).min() > 0.9999


def test_int8_stays_close_to_fp32(backends: dict[str, Embedder]) -> None:
    torch_chunks, torch_spans = _in_context(backends["torch"])
    chunks, spans = _in_context(backends["onnx-int8"])
    assert _cosines(chunks, torch_chunks).min() > 0.97
    real = [(o, t) for o, t in zip(spans, torch_spans, strict=True)]
    values = np.concatenate([_cosines(o, t)[np.abs(t).sum(axis=1) > 0] for o, t in real])
    assert values.min() > 0.95 and values.mean() > 0.98
    # the query vector of a text is its in-context chunk vector
    assert _cosines(backends["onnx-int8"].embed(TEXTS), chunks).min() > 0.9999


def test_onnx_backends_run_without_torch_in_the_graph(backends: dict[str, Embedder]) -> None:
    embedder = backends["onnx-int8"]
    assert isinstance(embedder, LazyEmbedder)
    inner = embedder.load()
    assert isinstance(inner, OnnxEmbedder) and inner.dimension == 384
    assert "int8" in embedder.name
