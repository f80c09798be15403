"""The manifest records which embedder (model and backend) made each file's vectors: an
ingest after the embedder changed embeds those files again, so vectors of two embedders
never mix in one collection, and `assistant ingest --status` says which made what."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings, get_settings
from assistant.services import Services, build_services
from ingest.embedding import HashingEmbedder, LazyEmbedder
from ingest.manifest import Manifest
from tests.conftest import make_settings

FILES = 3


class OtherBackend(HashingEmbedder):
    """The same texts, other vectors and another name: another backend of a model."""

    name = "hashing (other-backend)"

    def _features(self, text: str) -> list[str]:
        return [f"other:{feature}" for feature in super()._features(text)]


def ingest(settings: Settings, embedder: HashingEmbedder, corpus: Path) -> tuple[int, int, int]:
    """(changed, re-embedded, chunks embedded) of one ingest run with `embedder`."""
    services = build_services(settings, embedder)
    try:
        report = services.ingestor().run([corpus])
        return report.changed, report.reembedded, report.chunks_embedded
    finally:
        services.close()


def stored(services: Services) -> tuple[list[str], np.ndarray]:
    got = services.collection.get(include=["embeddings", "metadatas"])
    return list(got["ids"]), np.asarray(got["embeddings"])


def expected(services: Services, embedder: HashingEmbedder, ids: Sequence[str]) -> np.ndarray:
    with Manifest(services.database) as manifest:
        index_texts = {chunk_id: index_text for chunk_id, _, index_text, _ in manifest.all_chunks()}
    return np.asarray(embedder.embed([index_texts[i] for i in ids]))


@pytest.fixture
def data(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


def test_each_file_records_its_embedder(data: Settings, corpus: Path) -> None:
    assert ingest(data, HashingEmbedder(), corpus) == (0, 0, ingest_chunks(data))
    services = build_services(data, HashingEmbedder())
    try:
        with Manifest(services.database) as manifest:
            assert {r.embedder for r in manifest.files().values()} == {"hashing"}
            assert manifest.embedders() == {"hashing": FILES}
    finally:
        services.close()
    assert ingest(data, HashingEmbedder(), corpus) == (0, 0, 0)  # unchanged: nothing embedded


def ingest_chunks(settings: Settings) -> int:
    services = build_services(settings, HashingEmbedder())
    try:
        with Manifest(services.database) as manifest:
            return manifest.chunk_count()
    finally:
        services.close()


def test_another_backend_embeds_every_file_again(data: Settings, corpus: Path) -> None:
    ingest(data, HashingEmbedder(), corpus)
    chunks = ingest_chunks(data)
    assert ingest(data, OtherBackend(), corpus) == (FILES, FILES, chunks)
    services = build_services(data, OtherBackend())
    try:
        ids, vectors = stored(services)
        assert len(ids) == chunks
        # every vector in the collection is the new backend's, none is left from the old one
        assert np.allclose(vectors, expected(services, OtherBackend(), ids), atol=1e-6)
        assert not np.allclose(vectors, expected(services, HashingEmbedder(), ids), atol=1e-3)
        with Manifest(services.database) as manifest:
            assert manifest.embedders() == {OtherBackend.name: FILES}
        assert services.index.current.lexical is not None
    finally:
        services.close()
    assert ingest(data, OtherBackend(), corpus) == (0, 0, 0)


def test_a_file_indexed_before_the_embedder_was_recorded_is_embedded_again(
    data: Settings, corpus: Path
) -> None:
    ingest(data, HashingEmbedder(), corpus)
    services = build_services(data, HashingEmbedder())
    try:
        with services.database.begin() as connection:  # as migration 0004 leaves old rows
            connection.execute(
                text("update ingest_files set embedder = null where path like '%onboarding%'")
            )
    finally:
        services.close()
    changed, reembedded, embedded = ingest(data, HashingEmbedder(), corpus)
    assert (changed, reembedded) == (1, 1) and 0 < embedded < ingest_chunks(data)


def test_an_unchanged_tree_loads_no_model(data: Settings, corpus: Path) -> None:
    """The comparison is by name: the model of the same embedder is never loaded."""
    ingest(data, HashingEmbedder(), corpus)

    def load() -> HashingEmbedder:
        raise AssertionError("the model was loaded for an unchanged tree")

    services = build_services(data, LazyEmbedder("hashing", 384, load))
    try:
        report = services.ingestor().run([corpus])
    finally:
        services.close()
    assert report.unchanged == FILES and report.chunks_embedded == 0


@pytest.fixture
def env(data: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data.data_dir))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hashing")
    monkeypatch.delenv("ASSISTANT_API_KEYS_FILE", raising=False)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def test_ingest_status_says_which_embedder_made_the_vectors(env: Settings, corpus: Path) -> None:
    ingest(env, OtherBackend(), corpus)
    result = CliRunner().invoke(app, ["ingest", "--status"])
    assert result.exit_code == 0, result.output
    assert (
        f"embeddings: {FILES} files by hashing (other-backend); configured: hashing, so the "
        f"next ingest embeds {FILES} files again"
    ) in result.output
    again = CliRunner().invoke(app, ["ingest", str(corpus)])
    assert f"changed {FILES} ({FILES} for another embedder)" in again.output
    status = CliRunner().invoke(app, ["ingest", "--status"])
    assert f"embeddings: {FILES} files by hashing (the configured embedder)" in status.output
