"""The intent exemplars' vectors are kept on disk and used again only while the model still
gives the vectors they were made with (issue 15)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.engine.planner.exemplar_vectors import exemplar_vectors
from assistant.engine.planner.intents import IntentMatcher, load_exemplars
from ingest.embedding import HashingEmbedder, Vectors
from tests.conftest import CountingEmbedder

TEXTS = ["when does the account renew", "what is our health score", "draft a success plan"]


class Retrained(CountingEmbedder):
    """The same name, other vectors: what a changed model file would give."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        vectors = super().embed(texts)
        return np.roll(vectors, 1, axis=1)


def test_saved_vectors_are_used_again_after_one_probe(tmp_path: Path) -> None:
    first = CountingEmbedder()
    made = exemplar_vectors(first, TEXTS, tmp_path)
    assert first.texts == 1 + len(TEXTS)  # the probe, then every exemplar
    again = CountingEmbedder()
    kept = exemplar_vectors(again, TEXTS, tmp_path)
    assert again.texts == 1  # only the probe
    np.testing.assert_array_equal(kept, made)
    np.testing.assert_allclose(made, HashingEmbedder().embed(TEXTS))


def test_a_model_that_changed_embeds_everything_again(tmp_path: Path) -> None:
    exemplar_vectors(CountingEmbedder(), TEXTS, tmp_path)
    changed = Retrained()
    vectors = exemplar_vectors(changed, TEXTS, tmp_path)
    assert changed.texts == 1 + len(TEXTS)
    np.testing.assert_allclose(vectors, Retrained().embed(TEXTS))
    after = Retrained()
    exemplar_vectors(after, TEXTS, tmp_path)  # saved anew
    assert after.texts == 1


def test_other_texts_are_not_served_from_the_saved_ones(tmp_path: Path) -> None:
    exemplar_vectors(CountingEmbedder(), TEXTS, tmp_path)
    other = CountingEmbedder()
    vectors = exemplar_vectors(other, [*TEXTS, "list my accounts"], tmp_path)
    assert other.texts == 1 + len(TEXTS) + 1 and vectors.shape == (4, 384)


def test_a_read_only_folder_still_gives_the_vectors(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    vectors = exemplar_vectors(CountingEmbedder(), TEXTS, blocked / "cache")
    np.testing.assert_allclose(vectors, HashingEmbedder().embed(TEXTS))


def test_the_matcher_ranks_alike_with_saved_vectors(tmp_path: Path) -> None:
    exemplars = load_exemplars()
    fresh = IntentMatcher(HashingEmbedder(), exemplars)
    IntentMatcher(HashingEmbedder(), exemplars, cache_dir=tmp_path)
    cached = IntentMatcher(HashingEmbedder(), exemplars, cache_dir=tmp_path)
    for message in ("when does it renew?", "show the health trend", "write a pitch"):
        assert cached.rank(message) == fresh.rank(message)
