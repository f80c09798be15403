"""Issue 11, finding 17, whatever starts the app: an unwritable data directory stops the
start-up with the one line `assistant serve` prints (the directory and what to do), not a
Chroma or SQLite traceback, and with nothing created in it."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.api.app import create_app
from ingest.embedding import HashingEmbedder
from tests.conftest import REPO, LiveServer, free_port, make_settings
from tests.serving.processes import child_env

ADVICE = "make it writable for this user, or set ASSISTANT_DATA_DIR to a writable folder"


def _under_a_file(tmp_path: Path) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return blocker / "data"


def test_uvicorn_with_an_unwritable_data_dir_fails_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn serving `create_app()` (as `uvicorn --factory` does): the start-up fails
    with uvicorn's exit status, nothing listens, the one line is logged."""
    data_dir = _under_a_file(tmp_path)
    app = create_app(make_settings(data_dir), HashingEmbedder())
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_config=None)
    server = uvicorn.Server(config)
    with caplog.at_level(logging.ERROR, logger="uvicorn.error"), pytest.raises(SystemExit) as end:
        asyncio.run(server.serve())
    assert end.value.code == 3 and not server.started  # uvicorn's exit for a failed start-up
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert (
        errors[0]
        == f"error: data directory {data_dir} cannot be created (Not a directory): {ADVICE}"
    )
    assert errors[1:] == ["Application startup failed. Exiting."]
    assert not any(r.exc_info for r in caplog.records)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_a_writable_data_dir_starts(tmp_path: Path) -> None:
    """The check passes a fresh data directory: the app starts and answers."""
    app = create_app(make_settings(tmp_path / "data"), HashingEmbedder())
    with LiveServer(app) as server:
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_plain_uvicorn_command_fails_in_one_line(tmp_path: Path) -> None:
    """`uvicorn assistant.api.app:app`, without the CLI: exit 3 and the one line; no
    traceback."""
    data_dir = _under_a_file(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "assistant.api.app:app", "--port", str(free_port())],
        env=child_env(data_dir),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert f"ERROR:    error: data directory {data_dir} cannot be created" in output
    assert "Traceback" not in output and "chromadb" not in output
