"""Serve the app like `assistant serve`, with settings from the environment; a second
argument > 0 slows query encoding by that many seconds (a stand-in for a busy model).

    python tests/serving/launch.py PORT [EMBED_DELAY]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import uvicorn

from assistant.api.app import create_app
from assistant.config import Settings
from ingest.embedding import HashingEmbedder, Vectors


class SlowEmbedder(HashingEmbedder):
    """The hashing embedder, `delay` seconds slower per call."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def embed(self, texts: Sequence[str]) -> Vectors:
        time.sleep(self.delay)
        return super().embed(texts)


def main(port: int, delay: float) -> None:
    embedder = SlowEmbedder(delay) if delay > 0 else HashingEmbedder()
    app = create_app(Settings(), embedder)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
