"""Mean pooling of a transformer's token states, shared by every real embedding backend.

The text's vector is the mean of all its token states (what sentence-transformers computes
for a mean-pooling model such as all-MiniLM-L6-v2); a character span's vector is the mean of
the states of the tokens inside it, computed in the context of the whole text ("late
chunking": the sentence vectors the composer scores). All vectors come out L2-normalised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
Spans = Sequence[tuple[int, int]]


def normalise(matrix: Vectors) -> Vectors:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    normalised: Vectors = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return normalised


def mean_pool(hidden: Vectors, mask: npt.NDArray[np.bool_]) -> Vectors:
    """(batch, tokens, dim) states and a (batch, tokens) mask -> (batch, dim), normalised."""
    weights = mask[..., None].astype(np.float32)
    sums = (hidden * weights).sum(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1.0)
    return normalise((sums / counts).astype(np.float32))


def pool_spans(
    tokens: Vectors, offsets: npt.NDArray[np.int64], spans: Spans, dimension: int
) -> Vectors:
    """One normalised vector per (start, end) character span, from the states `tokens` of
    the real tokens of one text and their character `offsets` ((start, end) each); special
    tokens have empty offsets and belong to no span. A span without tokens gets zeros."""
    starts, ends = offsets.T if len(offsets) else (np.zeros(0), np.zeros(0))
    real = ends > starts
    vectors = np.zeros((len(spans), dimension), dtype=np.float32)
    for n, (span_start, span_end) in enumerate(spans):
        inside = real & (starts >= span_start) & (ends <= span_end)
        if inside.any():
            vectors[n] = tokens[inside].mean(axis=0)
    return normalise(vectors)
