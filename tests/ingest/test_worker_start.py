"""An ingest worker (`assistant worker`) loads its embedding model before it takes jobs, as
an API worker does before it is ready: the first job runs at full speed, and a model that
cannot load stops the worker at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import ConfigurationError
from assistant.jobs.worker import build_worker
from ingest.embedding import Embedder, HashingEmbedder, LazyEmbedder
from tests.conftest import make_settings


def lazy(build: Embedder | None = None) -> LazyEmbedder:
    def made() -> Embedder:
        if build is None:
            raise ConfigurationError("the model files are missing")
        return build

    return LazyEmbedder("hashing", HashingEmbedder().dimension, made)


def test_the_worker_loads_the_model_at_start_when_asked(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0")
    cold, warm = lazy(HashingEmbedder()), lazy(HashingEmbedder())
    build_worker(settings, cold).close()
    build_worker(settings, warm, warm_up=True).close()
    assert not cold.loaded and warm.loaded


def test_a_model_that_cannot_load_stops_the_worker_at_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError, match="model files"):
        build_worker(settings, lazy(), warm_up=True)
