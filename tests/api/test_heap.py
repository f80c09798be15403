"""The `/healthz` outlier of issue 11 (2.1 s under `make test-load`): full garbage
collections walked the ~600,000 objects start-up built, holding the GIL for seconds. A
serving app freezes them (`assistant.heap`), refreezes after an index reload, and gives them
back at shutdown."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import httpx
import pytest

from assistant.api.app import create_app
from ingest.embedding import HashingEmbedder
from tests.conftest import LiveServer, make_settings


def test_a_serving_app_keeps_its_start_up_objects_out_of_collections(
    tmp_path: Path, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(tmp_path / "data"), HashingEmbedder())
    assert gc.get_freeze_count() == 0
    with LiveServer(app) as server:
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the app's services, the libraries, everything built so far
        services = app.state.services
        services.ingestor().run([corpus])  # a new generation
        with caplog.at_level(logging.INFO, logger="assistant.heap"):
            assert services.index.refresh(force=True)
        assert any("heap resettled" in r.getMessage() for r in caplog.records)
        assert gc.get_freeze_count() > 0  # frozen again after the reload's collection
    assert gc.get_freeze_count() == 0  # given back at shutdown
