"""One cluster for the module: Postgres, Redis, a Chroma server, two ingest workers and two
API workers, all real processes on loopback over one shared data directory (the BM25
snapshots), with the settings of the cluster profile."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from assistant.config import Settings
from assistant.store import migrate
from tests.accounts.test_postgres import postgres
from tests.cluster.servers import IngestWorker, chroma, redis
from tests.serving.processes import ENV, ServerProcess, child_env


@dataclass
class Cluster:
    data_dir: Path
    env: dict[str, str]  # ASSISTANT_* of every process
    database: Engine
    workers: list[IngestWorker] = field(default_factory=list)
    api: list[ServerProcess] = field(default_factory=list)

    def settings(self) -> Settings:
        values = {k.removeprefix("ASSISTANT_").lower(): v for k, v in self.env.items()}
        return Settings(_env_file=None, data_dir=self.data_dir, **values)  # type: ignore[arg-type]

    def start_worker(self, name: str, embed_delay: float = 0.0) -> IngestWorker:
        worker = IngestWorker(name, child_env(self.data_dir, **self.env), embed_delay)
        self.workers.append(worker)
        return worker


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    with (
        postgres() as database_url,
        redis(root / "redis") as redis_url,
        chroma(root / "chroma") as chroma_url,
    ):
        env = {
            "ASSISTANT_PROFILE": "cluster",
            "ASSISTANT_DATABASE_URL": database_url,
            "ASSISTANT_CHROMA_URL": chroma_url,
            "ASSISTANT_REDIS_URL": redis_url,
            "ASSISTANT_INGEST_SHARD_FILES": "4",
            "ASSISTANT_INGEST_VISIBILITY_TIMEOUT": "15",
            "ASSISTANT_INDEX_CHECK_INTERVAL": "0.2",
            **{k: v for k, v in ENV.items() if k.startswith("ASSISTANT_")},
        }
        engine = create_engine(database_url)
        migrate.upgrade(engine)  # what `assistant db upgrade` does
        cluster = Cluster(root / "shared", env, engine)
        cluster.data_dir.mkdir()
        try:
            cluster.start_worker("w1")
            cluster.start_worker("w2")
            cluster.api = [ServerProcess(cluster.data_dir, start_timeout=240, **env) for _ in "ab"]
            with ThreadPoolExecutor(max_workers=2) as starting:  # imports are slow: overlap
                list(starting.map(ServerProcess.__enter__, cluster.api))
            yield cluster
        finally:
            for server in cluster.api:
                if server.process is not None:
                    server.__exit__()
            for worker in cluster.workers:
                worker.stop()
            engine.dispose()
