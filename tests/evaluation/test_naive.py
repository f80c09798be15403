"""The naive RAG baseline on the small corpus."""

from __future__ import annotations

from pathlib import Path

from assistant.evaluation.naive import (
    CHUNK_OVERLAP,
    CHUNK_SIZE,
    MIN_SIMILARITY,
    NaiveRAG,
    split_text,
)
from assistant.evaluation.runner import Scorer, run_suite
from assistant.principal import Principal
from assistant.services import Services
from tests.conftest import CountingEmbedder
from tests.evaluation.test_runner import suite_over


def test_splitter_is_the_tutorial_one() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "word " * 60 for n in range(12))
    chunks = split_text(text)
    assert (CHUNK_SIZE, CHUNK_OVERLAP) == (1000, 200)
    assert len(chunks) > 3 and all(len(c) <= 1000 for c in chunks)
    assert split_text("short text") == ["short text"]


def test_best_chunk_is_the_answer(indexed: Services, corpus: Path) -> None:
    naive = NaiveRAG.build(indexed.chroma, indexed.embedder, [corpus], min_similarity=0.0)
    response = naive.chat("When should a new customer be live?", Principal())
    assert "within 30 days" in response.answer and response.answer.endswith("[1]")
    assert response.engine == "naive" and not response.declined
    assert 1 <= len(response.citations) <= 4
    assert response.citations[0].section == ""  # no section paths
    assert naive.chunk_text(response.citations[0].chunk_id) == response.answer[:-4]
    off_topic = naive.chat("Who won the football world cup final?", Principal())
    assert not off_topic.declined and off_topic.citations  # no cut-off: never declines
    hits = naive.search("health score bands", Principal(), k=2).hits
    assert len(hits) == 2 and hits[0].source.endswith("health.md")


def test_index_is_reused_until_the_files_change(indexed: Services, corpus: Path) -> None:
    first = CountingEmbedder()
    NaiveRAG.build(indexed.chroma, first, [corpus])
    assert first.texts == 3  # one chunk per (short) file
    again = CountingEmbedder()
    NaiveRAG.build(indexed.chroma, again, [corpus])
    assert again.texts == 0
    (corpus / "guides" / "health.md").write_text("# Health\n\nGreen starts at 80.\n")
    changed = CountingEmbedder()
    rebuilt = NaiveRAG.build(indexed.chroma, changed, [corpus])
    assert changed.texts == 3 and rebuilt.collection.count() == 3


def test_it_declines_below_its_similarity_cut_off(indexed: Services, corpus: Path) -> None:
    naive = NaiveRAG.build(indexed.chroma, indexed.embedder, [corpus], min_similarity=0.0)
    question = "When should a new customer be live?"
    best = naive.search(question, Principal(), k=1).hits[0].score
    strict = NaiveRAG(naive.collection, naive.embedder, min_similarity=best + 0.01)
    declined = strict.chat(question, Principal())
    assert declined.declined and declined.citations == [] and "[1]" not in declined.answer
    at_cut_off = NaiveRAG(naive.collection, naive.embedder, min_similarity=best)
    assert not at_cut_off.chat(question, Principal()).declined
    assert NaiveRAG(naive.collection, naive.embedder).min_similarity == MIN_SIMILARITY


def test_naive_on_the_tiny_suite(indexed: Services, corpus: Path) -> None:
    naive = NaiveRAG.build(indexed.chroma, indexed.embedder, [corpus], min_similarity=0.0)
    result = run_suite(naive, suite_over(corpus), scorer=Scorer(chunk_text=naive.chunk_text))
    summary = result.summary
    assert summary["refusal_accuracy"] == 0.0  # without a cut-off it never declines
    assert summary["hit_at_5"] == 1.0  # three documents: everything is in the top 5
    assert summary["grounding"] == 1.0  # its answer is copied from the chunk it cites
    assert summary["citation_precision"] < 1.0  # the other chunks it lists support nothing
