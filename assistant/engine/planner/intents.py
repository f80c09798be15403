"""Intent by similarity: the exemplars of `exemplars.yaml` are embedded once (the services'
embedder; the vectors are kept on disk between processes, `exemplar_vectors`); a message,
its entities masked, scores each intent by its best exemplar."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.data_files import load_yaml_model
from assistant.engine.planner.exemplar_vectors import exemplar_vectors
from assistant.engine.planner.plan import Intent
from assistant.errors import ConfigurationError
from ingest.embedding import Embedder

EXEMPLARS = Path(__file__).with_name("exemplars.yaml")
CACHE = 512  # messages whose intent scores are kept (repeated questions, eval runs)
# a message of several clauses ("X renews soon. What should we do?", "they renew soon,
# advice?") is also ranked clause by clause: the request may be any one of them
LINK = re.compile(r"^(?:and|but|so|also|then|ok|okay)\b[\s,]*", re.I)  # ", and what now?"
CLAUSE_BREAK = re.compile(r"(?<=[^\W\d_])\s*[.?!;:]+\s+|\s*[?!;]+\s*|,\s+|\s+[-\u2013\u2014]+\s+")


class ExemplarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intents: dict[str, list[str]] = Field(description="intent -> phrasings")
    fields: dict[str, object] = Field(
        default_factory=dict, description="record fields a question names (planner/fields.py)"
    )
    groups: dict[str, object] = Field(
        default_factory=dict, description="words for a breakdown's group keys (fields.py)"
    )


def load_exemplars(path: Path = EXEMPLARS) -> dict[Intent, list[str]]:
    data = load_yaml_model(path, ExemplarFile, "intent exemplars")
    known = set(get_args(Intent))
    unknown = set(data.intents) - known
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown intent(s) {sorted(unknown)}; known: {sorted(known)}"
        )
    empty = [name for name, phrases in data.intents.items() if not phrases]
    if empty:
        raise ConfigurationError(f"{path}: intent(s) {empty} list no exemplars")
    return {name: phrases for name, phrases in data.intents.items()}  # type: ignore[misc]


@dataclass(frozen=True)
class Ranking:
    scores: dict[Intent, float]

    def best(self, among: tuple[Intent, ...] | None = None) -> tuple[Intent, float]:
        items = [(i, s) for i, s in self.scores.items() if among is None or i in among]
        return max(items, key=lambda item: item[1])

    def lead(self, intent: Intent, over: tuple[Intent, ...]) -> float:
        """How far `intent` leads the best of `over`."""
        others = [s for i, s in self.scores.items() if i in over and i != intent]
        return self.scores[intent] - max(others, default=0.0)


class IntentMatcher:
    def __init__(
        self,
        embedder: Embedder,
        exemplars: dict[Intent, list[str]] | None = None,
        cache_dir: Path | None = None,  # where the exemplars' vectors are kept between runs
        embed_query: Callable[[str], np.ndarray] | None = None,  # the search's, when shared
    ):
        self.embedder = embedder
        self._embed_query = embed_query
        self.exemplars = exemplars or load_exemplars()
        self._labels: list[Intent] = []
        texts: list[str] = []
        for intent, phrases in self.exemplars.items():
            for phrase in phrases:
                self._labels.append(intent)
                texts.append(phrase)
        self._matrix = exemplar_vectors(embedder, texts, cache_dir)
        self._cache: OrderedDict[str, Ranking] = OrderedDict()
        self.cache_size = CACHE  # a calibration sweep keeps every message it plans
        self._lock = Lock()

    def clauses(self, masked: str) -> list[Ranking]:
        """The ranking of each clause of a message of several (none for a single clause)."""
        parts = [LINK.sub("", p.strip()) for p in CLAUSE_BREAK.split(masked)]
        parts = [p for p in parts if re.search(r"[^\W\d_]{2,}", p)]
        if len(parts) < 2:
            return []
        return [self.rank(part) for part in parts]

    def rank(self, masked: str) -> Ranking:
        key = " ".join(masked.lower().split())
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        text = " ".join(masked.split())  # the key is lowercased; the model reads the text
        if self._embed_query is not None:
            vector = np.asarray(self._embed_query(text), dtype=np.float32)
        else:
            vector = np.asarray(self.embedder.embed([text])[0], dtype=np.float32)
        similarities = self._matrix @ vector
        scores: dict[Intent, float] = {}
        for label, value in zip(self._labels, similarities.tolist(), strict=True):
            if value > scores.get(label, -1.0):
                scores[label] = float(value)
        ranking = Ranking(scores)
        with self._lock:
            self._cache[key] = ranking
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return ranking
