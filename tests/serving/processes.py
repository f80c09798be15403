"""Real server processes for the serving tests: `assistant serve`-like uvicorn processes on
loopback over a data directory, and `assistant ingest` runs beside them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REPO, free_port

# what tests.conftest.make_settings sets, as the environment of a child process
ENV = {
    "ASSISTANT_EMBEDDING_MODEL": "hashing",
    "ASSISTANT_ANSWER_MIN_SIMILARITY": "0.05",
    "ASSISTANT_CHUNK_SIZE": "400",
    "ASSISTANT_CHUNK_OVERLAP": "40",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
}
LAUNCH = Path(__file__).with_name("launch.py")


def stop_process(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM (a graceful shutdown), then SIGKILL if it has not ended within `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ENV, ASSISTANT_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO), **extra)
    return env


def ingest(data_dir: Path, roots: Sequence[Path]) -> subprocess.CompletedProcess[str]:
    """`assistant ingest` in a process of its own."""
    command = [sys.executable, "-c", "from assistant.cli import app; app()", "ingest"]
    return subprocess.run(
        [*command, *map(str, roots)],
        env=child_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class ServerProcess:
    """uvicorn in a child process (tests/serving/launch.py) on a free loopback port."""

    def __init__(
        self, data_dir: Path, *, embed_delay: float = 0.0, start_timeout: float = 60, **env: str
    ) -> None:
        self.start_timeout = start_timeout
        self.port = free_port()
        self.data_dir = data_dir
        self.env = child_env(data_dir, **env)
        self.embed_delay = embed_delay
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCH), str(self.port), str(self.embed_delay)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.process.kill()  # never leave a half-started server behind
        self.process.wait()
        raise RuntimeError(f"server did not start within {self.start_timeout:g}s")

    def terminate(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 30) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        assert self.process is not None
        if self.process.poll() is None:
            return ""
        return self.process.stdout.read() if self.process.stdout else ""

    def __exit__(self, *_: object) -> None:
        assert self.process is not None
        stop_process(self.process)
        if self.process.stdout:
            self.process.stdout.close()
