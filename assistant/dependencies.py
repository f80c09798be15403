"""What the service depends on, checked off the request path: the database (reachable, at
the code's schema revision), the vector index (Chroma: the server's heartbeat, or the local
collection), the lexical index (the loaded BM25 generation) and, in the cluster profile,
the broker of the ingest jobs (Redis). `/readyz` reports the last check of each."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, text

from assistant.config import Settings
from assistant.retrieval.generation import LiveIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    seconds: float  # how long the check took
    at: float  # time.time() of the check

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail, "ms": round(self.seconds * 1000, 1)}


class Dependencies:
    def __init__(
        self, settings: Settings, database: Engine, index: LiveIndex, interval: float = 5.0
    ) -> None:
        self.settings = settings
        self.database = database
        self.index = index
        self.interval = interval
        self.checks: dict[str, Check] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def probes(self) -> dict[str, Callable[[], str]]:
        probes = {"database": self._database, "vectors": self._vectors, "lexical": self._lexical}
        if self.settings.redis_url:
            probes["broker"] = self._broker
        return probes

    def check(self) -> dict[str, Check]:
        results: dict[str, Check] = {}
        for name, probe in self.probes().items():
            started = time.perf_counter()
            try:
                detail, ok = probe(), True
            except Exception as error:  # any failure is the dependency's state, reported
                detail, ok = f"{type(error).__name__}: {error}", False
            results[name] = Check(ok, detail, time.perf_counter() - started, time.time())
        self.checks = results
        return results

    def watch(self) -> None:
        """Check now, then every `interval` seconds in a thread of its own."""
        self.check()
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.check()

        self._thread = threading.Thread(target=loop, name="dependency-checks", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _database(self) -> str:
        from assistant.store import migrate

        with self.database.connect() as connection:
            connection.execute(text("select 1"))
        migrate.require_current(self.database)
        return f"{self.database.dialect.name}, schema {migrate.head_revision()}"

    def _vectors(self) -> str:
        generation = self.index.peek()
        if generation.collection is None:
            raise RuntimeError("; ".join(generation.problems) or "Chroma is not open")
        if generation.client is not None and self.settings.chroma_url:
            generation.client.heartbeat()
            return f"Chroma server {self.settings.chroma_url}"
        return f"local Chroma, {generation.chunks} chunks"

    def _lexical(self) -> str:
        generation = self.index.peek()
        problems = [p for p in generation.problems if p.startswith("lexical")]
        if problems:
            raise RuntimeError("; ".join(problems))
        return f"BM25 generation {generation.number}, {len(generation.lexical)} chunks"

    def _broker(self) -> str:
        import redis

        assert self.settings.redis_url is not None
        client = redis.Redis.from_url(self.settings.redis_url, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
        return "Redis"
