"""Run an ingest worker like `assistant worker`, settings from the environment; a second
argument > 0 slows each embedding call by that many seconds (so a test can kill it mid-job).

    python tests/cluster/launch_worker.py NAME [EMBED_DELAY]
"""

from __future__ import annotations

import sys

from assistant.config import Settings
from assistant.jobs.worker import build_worker
from tests.serving.launch import SlowEmbedder


def main(name: str, delay: float) -> None:
    app = build_worker(Settings(), SlowEmbedder(delay))
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            f"--hostname={name}@%h",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
