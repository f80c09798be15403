"""Incremental, idempotent ingestion on a real Chroma in a temporary directory."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.retrieval.lexical import LexicalIndex
from assistant.services import Services
from ingest.embedding import HashingEmbedder, Vectors
from ingest.manifest import Manifest
from tests.conftest import REPO, SEEDS, CountingEmbedder


def stored_ids(services: Services) -> dict[str, set[str]]:
    """Chunk ids in Chroma, by source."""
    got = services.collection.get(include=["metadatas"])
    by_source: dict[str, set[str]] = {}
    for chunk_id, metadata in zip(got["ids"], got["metadatas"] or [], strict=True):
        by_source.setdefault(str(metadata["source"]), set()).add(chunk_id)
    return by_source


def assert_consistent(services: Services) -> None:
    """Chroma, manifest and BM25 hold exactly the same chunks, none twice."""
    with Manifest(services.database) as manifest:
        expected = {chunk_id for chunk_id, *_ in manifest.all_chunks()}
        assert all(record.status == "done" for record in manifest.files().values())
        generation = manifest.generation
    stored = services.collection.get(include=[])["ids"]
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    lexical = LexicalIndex.load(services.settings.lexical_path)
    assert {c.id for c in lexical.chunks} == expected
    assert lexical.generation == generation


class FailingEmbedder(HashingEmbedder):
    """Raises on the n-th call, as a process dying in the middle of a run would."""

    def __init__(self, fail_on_call: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise KeyboardInterrupt
        return super().embed(texts)


def test_first_run_indexes_everything(services: Services, corpus: Path) -> None:
    report = services.ingestor().run([corpus])
    assert (report.seen, report.new, report.changed, report.removed) == (3, 3, 0, 0)
    assert report.chunks_embedded == services.collection.count() > 3
    assert "files seen 3, new 3, changed 0, removed 0, skipped 0" in report.summary()
    assert_consistent(services)
    sources = set(stored_ids(services))
    assert any(s.endswith("playbooks/onboarding.md") for s in sources)


def test_unchanged_tree_embeds_nothing(services: Services, corpus: Path) -> None:
    services.ingestor().run([corpus])
    before = stored_ids(services)
    counting = CountingEmbedder()
    services.embedder = counting
    report = services.ingestor().run([corpus])
    assert counting.texts == 0
    assert (report.new, report.changed, report.unchanged, report.chunks_embedded) == (0, 0, 3, 0)
    assert stored_ids(services) == before


def test_changed_file_replaces_only_its_own_chunks(services: Services, corpus: Path) -> None:
    services.ingestor().run([corpus])
    before = stored_ids(services)
    target = corpus / "guides" / "health.md"
    target.write_text(target.read_text().replace("below 40 is red", "below 35 is red"))
    counting = CountingEmbedder()
    services.embedder = counting
    report = services.ingestor().run([corpus])
    after = stored_ids(services)
    health = next(s for s in after if s.endswith("guides/health.md"))
    assert report.changed == 1 and report.new == 0
    assert counting.texts == len(after[health])
    assert after[health] != before[health]
    assert {s: ids for s, ids in after.items() if s != health} == {
        s: ids for s, ids in before.items() if s != health
    }
    assert_consistent(services)
    text = " ".join(services.collection.get(ids=sorted(after[health]))["documents"] or [])
    assert "below 35 is red" in text and "below 40" not in text


def test_deleted_file_chunks_are_removed(services: Services, corpus: Path) -> None:
    services.ingestor().run([corpus])
    (corpus / "playbooks" / "onboarding.md").unlink()
    report = services.ingestor().run([corpus])
    assert report.removed == 1
    assert not any(s.endswith("onboarding.md") for s in stored_ids(services))
    assert_consistent(services)
    hits = services.retriever.search("customer live within 30 days", 5).hits
    assert not any(h.metadata["source"].endswith("onboarding.md") for h in hits)


def test_ingesting_another_folder_keeps_the_first(
    services: Services, corpus: Path, tmp_path: Path
) -> None:
    services.ingestor().run([corpus])
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("Block pricing sells services in blocks of 40 hours.")
    report = services.ingestor().run([other])
    assert report.removed == 0 and report.new == 1
    assert len(stored_ids(services)) == 4


def test_interrupted_run_is_repaired(services: Services, corpus: Path) -> None:
    for n in range(3):
        (corpus / "guides" / f"extra-{n}.md").write_text(f"# Extra {n}\n\nText {n} " * 50)
    ingestor = services.ingestor()
    ingestor.batch_chunks = 1  # one file per group, so the failure lands midway
    ingestor.embedder = FailingEmbedder(fail_on_call=3)
    with pytest.raises(KeyboardInterrupt):
        ingestor.run([corpus])
    with Manifest(services.database) as manifest:
        statuses = [r.status for r in manifest.files().values()]
    assert "pending" in statuses and "done" in statuses

    report = services.ingestor().run([corpus])
    assert report.repaired >= 1
    assert_consistent(services)
    assert len(stored_ids(services)) == 6
    report = services.ingestor().run([corpus])
    assert report.chunks_embedded == 0


class FailingUpserts:
    """A Chroma collection whose `fail_on`-th upsert raises (the rest pass through)."""

    def __init__(self, inner: object, fail_on: int) -> None:
        self.inner, self.fail_on, self.upserts = inner, fail_on, 0

    def upsert(self, **kwargs: object) -> None:
        self.upserts += 1
        if self.upserts == self.fail_on:
            raise RuntimeError("disk full")
        self.inner.upsert(**kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_failed_upsert_in_the_writer_thread_is_repaired(
    services: Services, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slices of a group are upserted by a writer thread while the next one is embedded: an
    upsert that fails stops the run before the group's files are committed."""
    monkeypatch.setattr("ingest.pipeline._EMBED_SLICE", 1)
    ingestor = services.ingestor()
    failing = FailingUpserts(ingestor.collection, fail_on=2)
    ingestor.collection = failing  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="disk full"):
        ingestor.run([corpus])
    assert failing.upserts >= 2
    with Manifest(services.database) as manifest:
        assert {r.status for r in manifest.files().values()} == {"pending"}
    report = services.ingestor().run([corpus])
    assert report.repaired >= 1
    assert_consistent(services)
    assert len(stored_ids(services)) == 3
    assert services.ingestor().run([corpus]).chunks_embedded == 0


def test_killed_process_is_repaired(settings_dir: Path, corpus: Path) -> None:
    """SIGKILL in the middle of embedding, in a real subprocess; the next run repairs."""
    for n in range(4):
        (corpus / "guides" / f"extra-{n}.md").write_text(f"# Extra {n}\n\nText {n} " * 50)
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from assistant.services import build_services
        from ingest.embedding import HashingEmbedder
        from tests.conftest import make_settings

        class Dying(HashingEmbedder):
            calls = 0
            def embed(self, texts):
                Dying.calls += 1
                if Dying.calls == 4:
                    os.kill(os.getpid(), signal.SIGKILL)
                return super().embed(texts)

        services = build_services(make_settings(Path({str(settings_dir)!r})), Dying())
        ingestor = services.ingestor()
        ingestor.batch_chunks = 1
        ingestor.run([Path({str(corpus)!r})])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]

    from assistant.services import build_services
    from tests.conftest import make_settings

    services = build_services(make_settings(settings_dir), HashingEmbedder())
    try:
        report = services.ingestor().run([corpus])
        assert report.repaired >= 1
        assert_consistent(services)
        assert len(stored_ids(services)) == 7
    finally:
        services.close()


@pytest.fixture
def settings_dir(tmp_path: Path) -> Path:
    return tmp_path / "killed-data"


def test_unsupported_and_unreadable_files_are_reported_not_fatal(
    services: Services, corpus: Path
) -> None:
    (corpus / "logo.png").write_bytes(b"\x89PNG")
    (corpus / "broken.json").write_text("{nope")
    (corpus / ".hidden.md").write_text("# hidden")
    report = services.ingestor().run([corpus, corpus / "missing-folder"])
    reasons = dict(report.skipped)
    assert any(p.endswith("logo.png") and "unsupported" in r for p, r in reasons.items())
    assert any(p.endswith("broken.json") and "invalid JSON" in r for p, r in reasons.items())
    assert any(p.endswith("missing-folder") for p in reasons)
    assert not any("hidden" in p for p in reasons)
    assert report.new == 3 and "skipped 3" in report.summary()


def test_changed_file_that_became_unreadable_keeps_its_chunks(
    services: Services, corpus: Path
) -> None:
    (corpus / "data.json").write_text('{"fact": "NPS above 40 is excellent"}')
    services.ingestor().run([corpus])
    before = stored_ids(services)
    (corpus / "data.json").write_text("{broken")
    report = services.ingestor().run([corpus])
    assert any(p.endswith("data.json") for p, _ in report.skipped)
    assert stored_ids(services) == before


def test_exclude_patterns(services: Services, corpus: Path) -> None:
    (corpus / "accounts").mkdir()
    (corpus / "accounts" / "accounts.csv").write_text("id,name\nACC-1,X\n")
    (corpus / "accounts" / "generate.py").write_text("print(1)")
    report = services.ingestor().run([corpus])
    assert report.seen == 3 and not report.skipped


@pytest.mark.skipif(not SEEDS.exists(), reason="seed documents not available")
def test_seed_documents_ingest_without_errors(services: Services) -> None:
    report = services.ingestor().run([SEEDS])
    assert report.skipped == []
    assert report.new == len([p for p in SEEDS.iterdir() if p.is_file()])
    assert_consistent(services)
    hits = services.retriever.search("客户成功", 5).hits
    assert hits and any("\u4e00" <= ch <= "\u9fff" for ch in hits[0].chunk.text)
