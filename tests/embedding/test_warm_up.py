"""A server loads its (lazy) embedding model before it serves: the first question does not
pay for the model load, and /readyz answers only once it could answer at full speed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.services import build_services
from ingest.embedding import Embedder, HashingEmbedder, LazyEmbedder
from tests.conftest import LiveServer


def test_serve_loads_the_model_before_it_is_ready(settings: Settings, corpus: Path) -> None:
    indexer = build_services(settings, HashingEmbedder())
    indexer.ingestor().run([corpus])
    indexer.close()
    builds: list[str] = []

    def build() -> Embedder:
        builds.append("built")
        return HashingEmbedder()

    lazy = LazyEmbedder("hashing (lazy)", 384, build)
    with LiveServer(create_app(settings, lazy)) as server:
        assert builds == ["built"] and lazy.loaded
        ready = httpx.get(f"{server.url}/readyz", timeout=30)
        assert ready.status_code == 200
        assert ready.json()["embedding_model"] == "hashing (lazy)"
        chat = httpx.post(f"{server.url}/api/chat", json={"message": "onboarding"}, timeout=30)
        assert chat.status_code == 200
    assert builds == ["built"]  # once, however many requests


def test_a_lazy_embedder_refuses_a_model_of_another_dimension() -> None:
    lazy = LazyEmbedder("wrong", 128, HashingEmbedder)
    with pytest.raises(ConfigurationError, match="config says 128 dimensions, the model gives 384"):
        lazy.embed(["text"])
    assert not lazy.loaded
