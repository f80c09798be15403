"""The cluster profile's servers, real, on loopback: Postgres (initdb into a temp dir),
redis-server, `chroma run`, ingest workers (`tests/cluster/launch_worker.py`) and API
workers (`tests.serving.processes.ServerProcess`)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, free_port
from tests.integration.test_chroma_server import chroma_binary
from tests.serving.processes import stop_process

QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
LAUNCH_WORKER = Path(__file__).with_name("launch_worker.py")


def _until(ready: object, what: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 180  # a loaded machine imports slowly
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if ready():  # type: ignore[operator]
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start")


@contextmanager
def redis(root: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make system-deps)")
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
        ],
        **QUIET,
    )  # type: ignore[call-overload]
    import redis as redis_client

    client = redis_client.Redis(port=port, socket_timeout=1)
    try:
        _until(client.ping, "redis-server", process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def chroma(root: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [chroma_binary(), "run", "--path", str(root), "--port", str(port)], **QUIET
    )  # type: ignore[call-overload]
    url = f"http://127.0.0.1:{port}"
    try:
        _until(
            lambda: httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200,
            "chroma run",
            process,
        )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


class IngestWorker:
    """An ingest worker process; `kill()` is kill -9 (no acknowledgement, no clean-up)."""

    def __init__(self, name: str, env: dict[str, str], embed_delay: float = 0.0) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCH_WORKER), name, str(embed_delay)],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        stop_process(self.process)
