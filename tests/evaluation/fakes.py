"""Fakes with behaviour for the evaluation tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

TOPICS = ("onboarding", "health", "pricing")


class TopicEmbedder:
    """Each text points along the axis of the first topic word it contains (a fourth axis
    for none), so texts about one topic have cosine 1 and others 0. Records every call."""

    name = "topics"
    dimension = len(TOPICS) + 1

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(list(texts))
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            lowered = text.lower()
            axis = next((n for n, t in enumerate(TOPICS) if t in lowered), len(TOPICS))
            matrix[row, axis] = 1.0
        return matrix
