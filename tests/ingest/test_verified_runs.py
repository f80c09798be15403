"""A run with nothing to do skips opening Chroma only when the last run verified the very
manifest generation on the very Chroma store; whatever an interrupted run left is still
repaired (issue 15)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.ingest_resources import IngestResources, build_ingestor
from ingest.embedding import HashingEmbedder, Vectors
from ingest.manifest import Manifest
from ingest.pipeline import Ingestor
from tests.conftest import make_settings


class Interrupted(HashingEmbedder):
    """Stops the run at its first text to embed, as a killed process would."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        raise KeyboardInterrupt


class RefusingDeletes:
    """A Chroma collection whose deletes fail (the process died before Chroma was told)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def delete(self, **_: object) -> None:
        raise RuntimeError("killed")

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def resources(settings: Settings) -> Iterator[IngestResources]:
    built = IngestResources(settings, HashingEmbedder())
    yield built
    built.close()


def counted(resources: IngestResources, embedder: HashingEmbedder) -> tuple[Ingestor, list[int]]:
    """An ingestor over `resources` that counts how often it opens Chroma."""
    opened: list[int] = []

    def collection() -> Any:
        opened.append(1)
        return resources.collection()

    opener: Callable[[], Any] = collection
    ingestor = build_ingestor(resources.settings, opener, embedder, resources.database)
    return ingestor, opened


def assert_consistent(resources: IngestResources) -> None:
    with Manifest(resources.database) as manifest:
        expected = {chunk_id for chunk_id, *_ in manifest.all_chunks()}
        assert all(record.status == "done" for record in manifest.files().values())
    assert set(resources.collection().get(include=[])["ids"]) == expected


def test_a_verified_unchanged_tree_does_not_open_chroma(
    resources: IngestResources, corpus: Path
) -> None:
    first = resources.ingestor().run([corpus])
    assert first.new == 3
    with Manifest(resources.database) as manifest:
        verified = manifest.verified()
        assert verified is not None and verified[0] == manifest.generation
    ingestor, opened = counted(resources, HashingEmbedder())
    again = ingestor.run([corpus])
    assert (again.unchanged, again.repaired, again.chunks_embedded) == (3, 0, 0)
    assert opened == []
    # a changed file opens it, and the run ends verified again
    target = corpus / "guides" / "health.md"
    target.write_text(target.read_text() + "\n\nA new closing line about the score.\n")
    changed = ingestor.run([corpus])
    assert changed.changed == 1 and opened == [1]
    with Manifest(resources.database) as manifest:
        assert manifest.verified() == (manifest.generation, verified[1])
    assert_consistent(resources)


def test_a_run_interrupted_after_a_verified_one_is_repaired(
    resources: IngestResources, corpus: Path
) -> None:
    resources.ingestor().run([corpus])
    target = corpus / "guides" / "health.md"
    target.write_text(target.read_text() + "\n\nA new closing line about the score.\n")
    interrupted, _ = counted(resources, Interrupted())
    with pytest.raises(KeyboardInterrupt):
        interrupted.run([corpus])
    with Manifest(resources.database) as manifest:
        assert "pending" in {record.status for record in manifest.files().values()}
    ingestor, opened = counted(resources, HashingEmbedder())
    report = ingestor.run([corpus])
    assert report.repaired >= 1 and report.changed + report.new == 1 and opened
    assert_consistent(resources)


def test_orphans_of_a_removal_cut_short_are_removed(
    resources: IngestResources, corpus: Path
) -> None:
    """A file deleted from the tree is forgotten by the manifest first, then deleted from
    Chroma; a run killed in between leaves orphans that the next run counts and removes."""
    resources.ingestor().run([corpus])
    (corpus / "playbooks" / "onboarding.md").unlink()
    cut, _ = counted(resources, HashingEmbedder())
    cut.collection = RefusingDeletes(resources.collection())  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="killed"):
        cut.run([corpus])
    stored = resources.collection().get(include=["metadatas"])["metadatas"] or []
    assert any(str(m["source"]).endswith("onboarding.md") for m in stored)  # orphans

    ingestor, opened = counted(resources, HashingEmbedder())
    report = ingestor.run([corpus])
    assert report.repaired >= 1 and opened
    assert_consistent(resources)
    stored = resources.collection().get(include=["metadatas"])["metadatas"] or []
    assert not any(str(m["source"]).endswith("onboarding.md") for m in stored)


def test_a_deleted_chroma_store_is_rebuilt(settings: Settings, corpus: Path) -> None:
    first = IngestResources(settings, HashingEmbedder())
    try:
        assert first.ingestor().run([corpus]).new == 3
    finally:
        first.close()
    shutil.rmtree(settings.chroma_path)
    again = IngestResources(settings, HashingEmbedder())
    try:
        report = again.ingestor().run([corpus])
        assert report.repaired >= 1 and report.chunks_embedded > 0
        assert_consistent(again)
    finally:
        again.close()
