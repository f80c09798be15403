from __future__ import annotations

from itertools import pairwise

from ingest.chunking import chunk_document, section_path
from ingest.loaders import Document

TEXT = """# Renewal Playbook

Intro paragraph before any section.

## Portfolio review
Start 12-15 months before the renewal date.

### Inputs
Health score, license utilization and the CSAT trend.

## Execution
""" + " ".join(f"Sentence number {n} about quoting the renewal." for n in range(60))


def document(**overrides: object) -> Document:
    values: dict[str, object] = {
        "source": "knowledge/playbooks/renewal.md",
        "text": TEXT,
        "title": "Renewal Playbook",
        "doc_type": "playbook",
        "tags": ["renewal"],
        "audience": ["cs"],
        "accounts": [],
    }
    values.update(overrides)
    return Document(**values)  # type: ignore[arg-type]


def test_section_path_skips_a_repeated_title() -> None:
    assert section_path("Guide", {"h1": "Guide", "h2": "Bands"}) == "Guide > Bands"
    assert section_path("Guide", {"h2": "A", "h3": "B"}) == "Guide > A > B"
    assert section_path("Guide", {}) == "Guide"


def test_headings_become_section_paths() -> None:
    chunks = chunk_document(document(), chunk_size=300, chunk_overlap=50, file_hash="f")
    sections = [chunk.metadata["section"] for chunk in chunks]
    assert sections[0] == "Renewal Playbook"
    assert "Renewal Playbook > Portfolio review" in sections
    assert "Renewal Playbook > Portfolio review > Inputs" in sections
    assert sections.count("Renewal Playbook > Execution") >= 3  # long section split by size
    inputs = next(c for c in chunks if c.metadata["section"].endswith("Inputs"))
    assert inputs.text == "Health score, license utilization and the CSAT trend."
    assert inputs.index_text.startswith("Renewal Playbook > Portfolio review > Inputs\n")


def test_size_and_overlap() -> None:
    chunks = chunk_document(document(), chunk_size=300, chunk_overlap=60, file_hash="f")
    execution = [c.text for c in chunks if c.metadata["section"].endswith("Execution")]
    assert all(len(text) <= 300 for text in execution)
    # consecutive pieces share text (the overlap)
    assert any(a[-30:].split()[-1] in b[:80] for a, b in pairwise(execution))


def test_metadata_and_stable_ids() -> None:
    first = chunk_document(document(), 300, 50, "hash-1")
    again = chunk_document(document(), 300, 50, "hash-1")
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    meta = first[1].metadata
    assert meta["source"] == "knowledge/playbooks/renewal.md"
    assert meta["title"] == "Renewal Playbook"
    assert meta["doc_type"] == "playbook"
    assert meta["tags"] == ["renewal"] and meta["audience"] == ["cs"]
    assert "accounts" not in meta and meta["restricted"] is False
    assert meta["file_hash"] == "hash-1" and len(meta["content_hash"]) == 64


def test_account_documents_are_restricted() -> None:
    chunks = chunk_document(document(accounts=["ACC-001"]), 300, 50, "h")
    assert all(c.metadata["accounts"] == ["ACC-001"] for c in chunks)
    assert all(c.metadata["restricted"] is True for c in chunks)


def test_changed_text_changes_only_affected_ids() -> None:
    before = chunk_document(document(), 300, 50, "h")
    after = chunk_document(document(text=TEXT.replace("12-15 months", "13 months")), 300, 50, "h")
    changed = {c.id for c in after} - {c.id for c in before}
    assert len(changed) == 1
