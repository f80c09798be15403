"""The cluster profile for real: ingest through Celery workers into Postgres and a Chroma
server, answer through two API workers, kill a worker mid-ingest, ingest while serving."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from assistant.engine.chat import Principal
from assistant.engine.types import ChatResponse, SearchResponse
from assistant.evaluation.runner import SuiteResult, run_suite
from assistant.evaluation.suite import load_suite
from assistant.jobs.ledger import Ledger
from assistant.retrieval.dense import connect, open_collection
from assistant.retrieval.lexical import LexicalIndex
from assistant.services import build_services
from assistant.store.manifest import IngestJob
from ingest.embedding import HashingEmbedder
from ingest.manifest import Manifest
from tests.cluster.conftest import Cluster
from tests.conftest import REPO, make_settings
from tests.serving.processes import child_env

pytestmark = pytest.mark.cluster
SUITE = REPO / "eval" / "suites" / "knowledge.yaml"


class HttpEngine:
    """The eval runner's engine over the API workers' REST API, taking turns: one call goes
    to the next worker (a conversation's turns land on different workers: nothing about it
    may live in one worker's memory)."""

    def __init__(self, urls: list[str]) -> None:
        self.clients = [httpx.Client(base_url=url, timeout=60) for url in urls]
        self.calls = 0
        self.served = [0 for _ in urls]

    def _next(self) -> httpx.Client:
        n = self.calls % len(self.clients)
        self.calls += 1
        self.served[n] += 1
        return self.clients[n]

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse:
        body = {"message": message, "conversation_id": conversation_id, "account_id": account_id}
        response = self._next().post("/api/chat", json=body)
        response.raise_for_status()
        return ChatResponse.model_validate(response.json())

    def search(self, query: str, principal: Principal, k: int | None = None) -> SearchResponse:
        response = self._next().post("/api/search", json={"query": query, "k": k or 8})
        response.raise_for_status()
        return SearchResponse.model_validate(response.json())


def assistant(cluster: Cluster, *args: str, timeout: float = 300) -> str:
    """The `assistant` command with the cluster's settings, run from the repository."""
    done = subprocess.run(
        [sys.executable, "-c", "from assistant.cli import app; app()", *args],
        env=child_env(cluster.data_dir, **cluster.env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def consistent(cluster: Cluster) -> tuple[set[str], int]:
    """Manifest, Chroma and the published BM25 snapshot hold the same chunks, each once."""
    settings = cluster.settings()
    with Manifest(cluster.database) as manifest:
        files = manifest.files()
        expected = [chunk_id for chunk_id, *_ in manifest.all_chunks()]
        generation = manifest.generation
    assert all(record.status == "done" for record in files.values()), "pending files left"
    assert len(expected) == len(set(expected))
    collection = open_collection(connect(settings), settings.collection, settings.vector_ef_search)
    stored = collection.get(include=[])["ids"]
    assert len(stored) == len(set(stored))
    assert sorted(stored) == sorted(expected), "orphans or missing chunks in Chroma"
    lexical = LexicalIndex.load(settings.lexical_path)
    assert lexical.generation == generation
    assert sorted(chunk.id for chunk in lexical.chunks) == sorted(expected)
    return set(expected), generation


def follow(cluster: Cluster, generation: int, timeout: float = 60) -> None:
    """Wait until every API worker serves this BM25 generation."""
    deadline = time.monotonic() + timeout
    for server in cluster.api:
        while True:
            body = httpx.get(server.url + "/readyz", timeout=5).json()
            if body.get("generation") == generation and body.get("status") == "ready":
                break
            assert time.monotonic() < deadline, f"{server.url} stays at {body}"
            time.sleep(0.2)


def figures(result: SuiteResult) -> dict[str, object]:
    """The suite's scores (latencies aside: they are the machine's, not the answers')."""
    return {k: v for k, v in result.summary.items() if not k.endswith("_ms")}


@pytest.fixture(scope="module")
def ingested(cluster: Cluster) -> int:
    out = assistant(cluster, "ingest", "knowledge", "--wait")
    assert "finished" in out and "failed" not in out, out
    chunks, generation = consistent(cluster)
    assert len(chunks) > 300
    follow(cluster, generation)
    return generation


@pytest.fixture(scope="module")
def embedded_result(tmp_path_factory: pytest.TempPathFactory) -> SuiteResult:
    services = build_services(make_settings(tmp_path_factory.mktemp("embedded")), HashingEmbedder())
    try:
        services.ingestor().run([Path("knowledge")])
        return run_suite(services.chat, load_suite(SUITE))
    finally:
        services.close()


@pytest.mark.timeout(900)  # 174 chats and searches over HTTP; minutes on a loaded machine
def test_the_knowledge_suite_through_both_api_workers_scores_as_embedded(
    cluster: Cluster, ingested: int, embedded_result: SuiteResult
) -> None:
    expected = figures(embedded_result)
    assert expected["cases"] > 100 and expected["hit_at_5"] > 0.5
    engine = HttpEngine([server.url for server in cluster.api])
    result = run_suite(engine, load_suite(SUITE))
    assert figures(result) == expected
    assert [c.retrieved for c in result.cases] == [c.retrieved for c in embedded_result.cases]
    assert [c.response.answer for c in result.cases] == [
        c.response.answer for c in embedded_result.cases
    ]
    assert min(engine.served) > 100  # each worker answered a share of it


def test_readiness_reports_each_dependency(cluster: Cluster, ingested: int) -> None:
    body = httpx.get(cluster.api[0].url + "/readyz", timeout=5).json()
    dependencies = body["dependencies"]
    assert {name: d["ok"] for name, d in dependencies.items()} == {
        "database": True,
        "vectors": True,
        "lexical": True,
        "broker": True,
    }


def test_status_shows_the_finished_run(cluster: Cluster, ingested: int) -> None:
    out = assistant(cluster, "ingest", "--status")
    assert "finished" in out and "0 pending" in out, out
    assert f"BM25 snapshot generation {ingested}" in out


def _corpus(root: Path, files: int) -> Path:
    """`files` copies of shipped playbooks under new names (distinct sources)."""
    sources = sorted((REPO / "knowledge" / "playbooks").glob("*.md"))
    root.mkdir(parents=True)
    for n in range(files):
        shutil.copy(sources[n % len(sources)], root / f"copy-{n:02d}.md")
    return root


def test_ingest_while_serving_answers_every_request(
    cluster: Cluster, ingested: int, tmp_path: Path
) -> None:
    corpus = _corpus(REPO / ".data" / f"cluster-serving-{tmp_path.name}", 12)
    errors: list[str] = []
    answered = 0
    stop = threading.Event()

    def ask(url: str) -> None:
        nonlocal answered
        with httpx.Client(base_url=url, timeout=60) as client:
            while not stop.is_set():
                response = client.post("/api/chat", json={"message": "How do we onboard?"})
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                answered += 1

    threads = [threading.Thread(target=ask, args=(s.url,)) for s in cluster.api for _ in "ab"]
    try:
        for thread in threads:
            thread.start()
        assistant(cluster, "ingest", "knowledge", str(corpus.relative_to(REPO)), "--wait")
        _, generation = consistent(cluster)
        follow(cluster, generation)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        shutil.rmtree(corpus, ignore_errors=True)
    assert errors == [] and answered > 10


@pytest.mark.timeout(900)  # several processes starting on a loaded machine
def test_a_killed_worker_s_job_is_redone_with_no_duplicate_and_no_orphan(
    cluster: Cluster, ingested: int
) -> None:
    corpus = _corpus(REPO / ".data" / "cluster-kill", 16)
    slow = cluster.start_worker("slow", embed_delay=0.4)  # takes jobs too, slowly
    try:
        for worker in cluster.workers[:2]:
            worker.stop()  # only the slow worker takes the first job
        done = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from assistant.cli import app; app()",
                "ingest",
                str(corpus.relative_to(REPO)),
                "--wait",
            ],
            env=child_env(cluster.data_dir, **cluster.env),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _wait_for_pending(cluster)
        slow.kill()  # mid-job: files pending, some of their chunks already in Chroma
        cluster.start_worker("w3")
        output, _ = done.communicate(timeout=120)
        assert done.returncode == 0, output
        assert "redone after a worker died" in output, output
        chunks, generation = consistent(cluster)
        assert len(chunks) > 300
        with Manifest(cluster.database) as manifest:
            kill_files = [p for p in manifest.files() if "cluster-kill" in p]
        assert len(kill_files) == 16
        follow(cluster, generation)
        with cluster.database.connect() as connection:
            statuses = set(connection.scalars(select(IngestJob.status)))
        assert statuses == {"done"}
    finally:
        shutil.rmtree(corpus, ignore_errors=True)


def _wait_for_pending(cluster: Cluster, timeout: float = 180) -> None:
    """Until the new run has a file pending (the `assistant ingest` process starting up and
    enqueueing takes a minute or more on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Manifest(cluster.database) as manifest:
            if any(r.status == "pending" for r in manifest.files().values()):
                return
        time.sleep(0.05)
    raise AssertionError(f"no job started: {Ledger(cluster.database).runs(1)}")
