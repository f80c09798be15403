"""Fixtures for the eval harness: a tiny suite over the small corpus of tests/conftest.py, and
an environment in which `assistant eval` runs on it (temporary data directory, the hashing
embedder, the corpus as the knowledge folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from assistant.config import get_settings
from tests.conftest import REPO, write_corpus

ONBOARDING = "knowledge/playbooks/onboarding.md"
HEALTH = "knowledge/guides/health.md"


def tiny_suite(
    *,
    name: str = "tiny",
    thresholds: dict[str, float] | None = None,
    red_fact: str = "below 40",
    extra: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    """Three answerable cases and one to decline; `red_fact` may be made unanswerable."""
    return {
        "suite": name,
        "thresholds": thresholds
        if thresholds is not None
        else {"hit_at_5": 0.9, "fact_recall": 0.9, "refusal_accuracy": 0.9},
        "cases": [
            {
                "id": "go-live",
                "ask": "When should a new customer be live?",
                "expect": {"sources": [ONBOARDING], "facts": ["within 30 days"]},
            },
            {
                "id": "red-band",
                "ask": "What health score is red?",
                "expect": {"sources": [HEALTH], "facts": [red_fact]},
            },
            {
                "id": "training",
                "ask": "When is administrator training?",
                "expect": {"sources": [ONBOARDING], "facts": ["second week"]},
            },
            {
                "id": "off-topic",
                "ask": "Who won the football world cup final?",
                "expect": {"refuse": True},
            },
            *(extra or []),
        ],
    }


def write_suite(path: Path, suite: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def eval_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory holding knowledge/ (the small corpus); settings from the
    environment point the CLI at a fresh data directory and the hashing embedder."""
    monkeypatch.chdir(tmp_path)
    write_corpus(tmp_path / "knowledge")
    for name, value in {
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_EMBEDDING_MODEL": "hashing",
        "ASSISTANT_KNOWLEDGE_DIR": "knowledge",
        "ASSISTANT_RULES_FILE": str(REPO / "knowledge" / "rules.yaml"),  # the corpus has none
        "ASSISTANT_ANSWER_MIN_SIMILARITY": "0.05",
        "ASSISTANT_CHUNK_SIZE": "400",
        "ASSISTANT_CHUNK_OVERLAP": "40",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("ASSISTANT_LLM_MODEL", "ASSISTANT_LLM_BASE_URL", "ASSISTANT_CHROMA_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
