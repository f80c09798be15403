"""Server mode for real: `chroma run` on loopback, the assistant on HttpClient."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.engine.chat import Principal
from assistant.errors import ConfigurationError
from assistant.retrieval.dense import connect
from assistant.services import build_services
from ingest.embedding import HashingEmbedder
from tests.conftest import free_port, make_settings


def chroma_binary() -> str:
    found = Path(sys.executable).with_name("chroma")
    return str(found) if found.exists() else (shutil.which("chroma") or "chroma")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [chroma_binary(), "run", "--path", str(tmp_path / "server"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("chroma server did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_ingest_and_answer_through_a_chroma_server(
    chroma_server: str, corpus: Path, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "data", chroma_url=chroma_server)
    services = build_services(settings, HashingEmbedder())
    try:
        report = services.ingestor().run([corpus])
        assert report.new == 3
        assert not (settings.data_dir / "chroma").exists()  # vectors live in the server
        response = services.chat.chat("When should a new customer be live?", Principal())
        assert "30 days" in response.answer
        assert services.ingestor().run([corpus]).chunks_embedded == 0
    finally:
        services.close()

    # a second instance (another worker) with its own data dir sees the same vectors
    other = build_services(
        make_settings(tmp_path / "data2", chroma_url=chroma_server), HashingEmbedder()
    )
    try:
        assert other.collection.count() == report.chunks_embedded
    finally:
        other.close()


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://x", "http://"])
def test_bad_chroma_url_is_a_configuration_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigurationError, match="ASSISTANT_CHROMA_URL"):
        connect(make_settings(tmp_path, chroma_url=url))
