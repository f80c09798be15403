"""Shared fixtures: temporary data directories, a deterministic embedder, a small corpus,
and a real uvicorn server on loopback for API tests."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.config import Settings
from assistant.services import Services, build_services
from ingest.embedding import HashingEmbedder, Vectors

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
if not SEEDS.exists():  # CI may check the repository out elsewhere
    SEEDS = Path("/work/shared/seeds")

ONBOARDING = """---
title: Onboarding Playbook
doc_type: playbook
tags: [onboarding, adoption]
audience: [cs]
---
# Onboarding Playbook

## Kickoff
The kickoff meeting happens in the first week after signature and names the executive sponsor.

## Timeline
### Target
A new customer should be live within 30 days of signature.
Training for administrators is scheduled during the second week.

## Handover
Professional services hand the account over to the CSM after go-live.
"""

HEALTH = """---
title: Health Scoring Guide
doc_type: guide
tags: [health]
---
# Health Scoring Guide

## Bands
An overall health score below 40 is red. A score from 40 to 59 is orange.
A score from 60 to 79 is yellow, and 80 or above is green.

## Components
The five components are deployment, adoption, breadth, engagement and outcomes.
"""

ACCOUNT_NOTE = """---
title: "Account note: Northwind Traders"
doc_type: account_note
accounts: [ACC-001]
---
# Account note: Northwind Traders

## Snapshot
Northwind Traders renews on 2027-01-15 and has an ARR of 420000 dollars.
"""


def write_corpus(root: Path) -> Path:
    (root / "playbooks").mkdir(parents=True, exist_ok=True)
    (root / "guides").mkdir(exist_ok=True)
    (root / "account-notes").mkdir(exist_ok=True)
    (root / "playbooks" / "onboarding.md").write_text(ONBOARDING)
    (root / "guides" / "health.md").write_text(HEALTH)
    (root / "account-notes" / "acc-001.md").write_text(ACCOUNT_NOTE)
    return root


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        self.seen.extend(texts)
        return super().embed(texts)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "embedding_model": "hashing",
        "answer_min_similarity": 0.05,
        "chunk_size": 400,
        "chunk_overlap": 40,
        "web_session_secret": "test-web-session-secret-0123456789",  # web UI (issue 13)
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "knowledge")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, HashingEmbedder())
    yield built
    built.close()


@pytest.fixture
def indexed(services: Services, corpus: Path) -> Services:
    report = services.ingestor().run([corpus])
    assert report.new == 3 and not report.skipped
    return services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn serving an app in a thread on a free loopback port."""

    def __init__(self, app: object, **options: Any) -> None:
        """`options`: more uvicorn.Config settings (e.g. an access log for the web UI tests)."""
        self.port = free_port()
        settings: dict[str, Any] = {"log_level": "warning", **options}
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, **settings)  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def live_client(settings: Settings, corpus: Path) -> Iterator[httpx.Client]:
    """A real server over the small corpus, and an HTTP client pointed at it."""
    from assistant.api.app import create_app

    ingesting = build_services(settings, HashingEmbedder())
    ingesting.ingestor().run([corpus])
    ingesting.close()
    with (
        LiveServer(create_app(settings, HashingEmbedder())) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client
