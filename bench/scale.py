"""Scale figures of the two profiles, one run each (numbers for deploy/README.md).

1. Ingestion throughput of the cluster profile with 1 and with 2 ingest workers (Celery on a
   real redis-server, Postgres from initdb, `chroma run`): files of SciFact abstracts,
   `assistant ingest --wait` timed from enqueue to the published BM25 snapshot.
2. Query latency at `--chunks` chunks, embedded (one uvicorn over Chroma files, bm25s,
   SQLite) and cluster (an API worker over Postgres, the Chroma server, the shared
   snapshot): `/api/search` p50/p95 over the SciFact test queries, sequential.

The embedding model is `--model` (the settings' default model, or `hashing`: deterministic
and nearly free, which isolates the cost of the rest: Chroma, BM25, the database). Latency
at 100k chunks uses `--latency-model` (hashing by default: embedding 100k chunks with the
real model takes hours on two cores; the query vector is the same 384 floats either way).

    .venv/bin/python bench/scale.py [--files 200] [--chunks 100000] [--model hashing]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import create_engine, text

from assistant.store import migrate
from bench.beir import DATA, read_jsonl, read_qrels
from tests.cluster.servers import IngestWorker, chroma, postgres, redis
from tests.serving.processes import ServerProcess, child_env

ROOT = Path(__file__).resolve().parent.parent
ABSTRACTS_PER_FILE = 20  # about 30 chunks of 900 characters a file


def write_corpus(root: Path, chunks: int) -> int:
    """Markdown files of SciFact abstracts (repeated when more are needed); the files."""
    docs = read_jsonl(DATA / "corpus.jsonl")
    per_chunk = 1.5  # abstracts of ~1,400 characters give ~1.5 chunks each
    needed = int(chunks / per_chunk)
    root.mkdir(parents=True, exist_ok=True)
    files = 0
    for start in range(0, needed, ABSTRACTS_PER_FILE):
        lines = []
        for n in range(start, min(start + ABSTRACTS_PER_FILE, needed)):
            doc = docs[n % len(docs)]
            lines.append(f"## {doc['title']}\n\n{doc['text']}\n")
        (root / f"abstracts-{files:05d}.md").write_text("\n".join(lines), encoding="utf-8")
        files += 1
    return files


def command(env: dict[str, str], *args: str, timeout: float = 7200) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from assistant.cli import app; app()", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(done.stdout + done.stderr)
    return done.stdout


def manifest_chunks(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = int(connection.execute(text("select count(*) from ingest_chunks")).scalar_one())
    engine.dispose()
    return count


def reset(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("drop schema public cascade; create schema public"))
    migrate.upgrade(engine)
    engine.dispose()


def latency(url: str, queries: list[str]) -> tuple[float, float]:
    times = []
    with httpx.Client(base_url=url, timeout=120) as client:
        client.post("/api/search", json={"query": queries[0], "k": 8}).raise_for_status()
        for query in queries:
            started = time.perf_counter()
            client.post("/api/search", json={"query": query, "k": 8}).raise_for_status()
            times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000


def ready_workers(env: dict[str, str], count: int, timeout: float = 600) -> None:
    """Wait until `count` ingest workers answer a Celery ping."""
    from assistant.config import Settings
    from assistant.jobs.queue import celery_app

    app = celery_app(Settings(_env_file=None, redis_url=env["ASSISTANT_REDIS_URL"]))  # type: ignore[call-arg]
    deadline = time.monotonic() + timeout
    try:
        while len(app.control.ping(timeout=1.0)) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the ingest workers did not start")
    finally:
        app.close()


def wait_ready(url: str, timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(url + "/readyz", timeout=10).status_code == 200:
            return
        time.sleep(1)
    raise RuntimeError(f"{url} never became ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="files for the throughput runs")
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks for latency")
    parser.add_argument("--model", default="hashing", help="embedding model for throughput")
    parser.add_argument("--latency-model", default="hashing")
    parser.add_argument("--skip", choices=["throughput", "latency"], default=None)
    args = parser.parse_args()
    qrels = read_qrels(DATA / "qrels" / "test.tsv")
    every = {q["_id"]: q["text"] for q in read_jsonl(DATA / "queries.jsonl")}
    queries = [every[q] for q in qrels][:200]
    root = Path(tempfile.mkdtemp(prefix="assistant-scale-", dir=ROOT / ".data"))
    base = {"ASSISTANT_CHUNK_SIZE": "900", "ASSISTANT_CHUNK_OVERLAP": "120"}
    try:
        with ExitStack() as stack:
            database = stack.enter_context(postgres())
            broker = stack.enter_context(redis(root / "redis"))
            vectors = stack.enter_context(chroma(root / "chroma"))
            cluster = {
                "ASSISTANT_PROFILE": "cluster",
                "ASSISTANT_DATABASE_URL": database,
                "ASSISTANT_CHROMA_URL": vectors,
                "ASSISTANT_REDIS_URL": broker,
                "ASSISTANT_INGEST_SHARD_FILES": "4",
                **base,
            }
            if args.skip != "throughput":
                corpus = root / "throughput"
                files = write_corpus(corpus, int(args.files * ABSTRACTS_PER_FILE * 1.5))
                for workers in (1, 2):
                    reset(database)
                    data = root / f"shared-{workers}"
                    env = child_env(
                        data,
                        **cluster,
                        ASSISTANT_EMBEDDING_MODEL=args.model,
                        ASSISTANT_COLLECTION=f"throughput{workers}",
                    )
                    started = [IngestWorker(f"w{n}", env) for n in range(workers)]
                    try:
                        ready_workers(env, workers)  # start-up is not ingestion
                        begin = time.perf_counter()
                        command(env, "ingest", str(corpus.relative_to(ROOT)), "--wait")
                        seconds = time.perf_counter() - begin
                    finally:
                        for worker in started:
                            worker.stop()
                    chunks = manifest_chunks(database)
                    print(
                        f"throughput, {workers} worker(s), model {args.model}: {files} files, "
                        f"{chunks} chunks in {seconds:.1f}s = {chunks / seconds:.0f} chunks/s",
                        flush=True,
                    )
            if args.skip != "latency":
                corpus = root / "latency"
                files = write_corpus(corpus, args.chunks)
                model = {"ASSISTANT_EMBEDDING_MODEL": args.latency_model}
                # embedded: ingest in-process, then one server over the data dir
                data = root / "embedded"
                env = child_env(data, **base, **model)
                begin = time.perf_counter()
                command(env, "ingest", str(corpus.relative_to(ROOT)))
                print(
                    f"embedded ingest of {files} files: {time.perf_counter() - begin:.0f}s",
                    flush=True,
                )
                with ServerProcess(data, start_timeout=1800, **base, **model) as server:
                    wait_ready(server.url)
                    p50, p95 = latency(server.url, queries)
                    ready = httpx.get(server.url + "/readyz", timeout=10).json()
                print(
                    f"latency embedded at {ready['chunks']} chunks: p50={p50:.1f}ms "
                    f"p95={p95:.1f}ms",
                    flush=True,
                )
                # cluster: two ingest workers, then one API worker
                reset(database)
                data = root / "cluster"
                env = child_env(data, **cluster, **model, ASSISTANT_COLLECTION="latency")
                started = [IngestWorker(f"l{n}", env) for n in range(2)]
                try:
                    begin = time.perf_counter()
                    command(env, "ingest", str(corpus.relative_to(ROOT)), "--wait")
                    print(
                        f"cluster ingest of {files} files (2 workers): "
                        f"{time.perf_counter() - begin:.0f}s",
                        flush=True,
                    )
                finally:
                    for worker in started:
                        worker.stop()
                with ServerProcess(
                    data, start_timeout=1800, **cluster, **model, ASSISTANT_COLLECTION="latency"
                ) as server:
                    wait_ready(server.url)
                    p50, p95 = latency(server.url, queries)
                    ready = httpx.get(server.url + "/readyz", timeout=10).json()
                print(
                    f"latency cluster at {ready['chunks']} chunks: p50={p50:.1f}ms p95={p95:.1f}ms",
                    flush=True,
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
