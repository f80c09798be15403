"""Scale figures of the two profiles, one run each (numbers for deploy/README.md).

1. Ingestion throughput of the cluster profile with 1 and with 2 ingest workers: real
   `assistant worker` processes (Celery on a real redis-server, Postgres from initdb,
   `chroma run`), files of SciFact abstracts, `assistant ingest --wait` timed from enqueue
   to the published BM25 snapshot (the workers' start-up is not counted).
2. Query latency at `--chunks` chunks, embedded (`assistant serve` over Chroma files, bm25s,
   SQLite) and cluster (`assistant serve` over Postgres, the Chroma server and the shared
   snapshot): `/api/search` p50/p95 over the SciFact test queries, sequential.

`--model` is `hashing` (deterministic token hashes: synthetic vectors, nearly free, which
isolates the cost of the rest: Chroma, BM25, the database) or `packaged` (the real
all-MiniLM-L6-v2 the product ships, as a user runs it); every figure says which. After
`--budget-minutes` the run stops cleanly (workers and servers terminated) and prints what it
measured so far.

    .venv/bin/python bench/scale.py --files 40 --chunks 5000        # a small run, minutes
    .venv/bin/python bench/scale.py --files 200 --chunks 100000 --model hashing
    .venv/bin/python bench/scale.py --skip latency --model packaged  # throughput, real model
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
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import create_engine, text

from assistant.store import migrate
from bench.beir import DATA, read_jsonl, read_qrels
from ingest.embedding import default_model_path
from tests.accounts.test_postgres import postgres
from tests.cluster.servers import chroma, redis
from tests.conftest import free_port
from tests.serving.processes import child_env, stop_process

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from assistant.cli import app; app()"]
ABSTRACTS_PER_FILE = 20  # about 30 chunks of 900 characters a file


class OutOfBudget(Exception):
    """The run's time budget is spent."""


class Budget:
    def __init__(self, minutes: float) -> None:
        self.deadline = time.monotonic() + minutes * 60

    def left(self) -> float:
        """Seconds left; OutOfBudget when none."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise OutOfBudget
        return left


class Report:
    """The figures measured, printed as they come and once more at the end."""

    def __init__(self, model: str) -> None:
        self.vectors = (
            "synthetic vectors (hashing embedder: token hashes, not a language model)"
            if model == "hashing"
            else "real vectors (the packaged all-MiniLM-L6-v2)"
        )
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        load = "/".join(f"{n:.1f}" for n in os.getloadavg())
        line = f"{line} [{self.vectors}; load average {load}]"
        self.lines.append(line)
        print(line, flush=True)

    def summary(self, stopped: str | None) -> None:
        print("\nmeasured" + (f" (stopped early: {stopped})" if stopped else "") + ":")
        for line in self.lines or ["nothing"]:
            print(f"  {line}")


class AssistantProcess:
    """`assistant <args>` in a child process (its output in a log file), SIGTERM to stop."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [*CLI, *args], env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


@contextmanager
def processes(*started: AssistantProcess) -> Iterator[list[AssistantProcess]]:
    try:
        yield list(started)
    finally:
        for process in started:
            process.stop()


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
            lines.append(f"## {doc['title']} ({n})\n\n{doc['text']}\n")
        (root / f"abstracts-{files:05d}.md").write_text("\n".join(lines), encoding="utf-8")
        files += 1
    return files


def command(env: dict[str, str], budget: Budget, *args: str) -> str:
    """`assistant <args>` to its end, within the budget."""
    try:
        done = subprocess.run(
            [*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=budget.left()
        )
    except subprocess.TimeoutExpired as expired:
        raise OutOfBudget from expired
    if done.returncode:
        raise RuntimeError(f"assistant {' '.join(args)}: {done.stdout}{done.stderr}")
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
    migrate.upgrade(engine)  # what `assistant db upgrade` does
    engine.dispose()


def latency(url: str, queries: list[str], budget: Budget) -> tuple[float, float, int]:
    """p50 and p95 in ms, and the queries measured (fewer when the budget ran out)."""
    times = []
    with httpx.Client(base_url=url, timeout=120) as client:
        client.post("/api/search", json={"query": queries[0], "k": 8}).raise_for_status()
        for query in queries:
            if budget.deadline < time.monotonic():
                break
            started = time.perf_counter()
            client.post("/api/search", json={"query": query, "k": 8}).raise_for_status()
            times.append(time.perf_counter() - started)
    if not times:
        raise OutOfBudget
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000, len(times)


def ready_workers(redis_url: str, count: int, budget: Budget) -> None:
    """Wait until `count` ingest workers answer a Celery ping."""
    from assistant.config import Settings
    from assistant.jobs.queue import celery_app

    app = celery_app(Settings(_env_file=None, redis_url=redis_url))  # type: ignore[call-arg]
    try:
        while len(app.control.ping(timeout=1.0)) < count:
            budget.left()
    finally:
        app.close()


def serve(env: dict[str, str], log: Path) -> tuple[AssistantProcess, str]:
    port = free_port()
    return AssistantProcess(["serve", "--port", str(port)], env, log), f"http://127.0.0.1:{port}"


def wait_ready(server: AssistantProcess, url: str, budget: Budget) -> dict[str, object]:
    """The server's /readyz once it is ready (its index loaded)."""
    while True:
        budget.left()
        if not server.running():
            raise RuntimeError(f"assistant serve exited: {server.log.name}")
        try:
            response = httpx.get(url + "/readyz", timeout=10)
            if response.status_code == 200:
                found: dict[str, object] = response.json()
                return found
        except httpx.HTTPError:
            pass
        time.sleep(1)


def throughput(
    args: argparse.Namespace, cluster: dict[str, str], root: Path, report: Report, budget: Budget
) -> None:
    corpus = root / "throughput"
    files = write_corpus(corpus, int(args.files * ABSTRACTS_PER_FILE * 1.5))
    database = cluster["ASSISTANT_DATABASE_URL"]
    for workers in (1, 2):
        reset(database)
        env = child_env(
            root / f"shared-{workers}", **cluster, ASSISTANT_COLLECTION=f"throughput{workers}"
        )
        started = [
            AssistantProcess(
                ["worker", "--name", f"w{n}", "--loglevel", "WARNING"],
                env,
                root / f"w{workers}-{n}.log",
            )
            for n in range(workers)
        ]
        with processes(*started):
            ready_workers(cluster["ASSISTANT_REDIS_URL"], workers, budget)  # start-up is not ingest
            begin = time.perf_counter()
            try:
                command(env, budget, "ingest", str(corpus), "--wait")
            except OutOfBudget:
                seconds, chunks = time.perf_counter() - begin, manifest_chunks(database)
                report.add(
                    f"throughput, {workers} worker(s), unfinished: {chunks} chunks of {files} "
                    f"files in {seconds:.0f}s = {chunks / seconds:.0f} chunks/s"
                )
                raise
            seconds = time.perf_counter() - begin
        chunks = manifest_chunks(database)
        report.add(
            f"throughput, {workers} worker(s): {files} files, {chunks} chunks in {seconds:.1f}s "
            f"= {chunks / seconds:.0f} chunks/s"
        )


def served_latency(
    profile: str,
    env: dict[str, str],
    log: Path,
    queries: list[str],
    budget: Budget,
    report: Report,
) -> None:
    """`assistant serve` over `env`'s data: once ready, its query latency, reported."""
    server, url = serve(env, log)
    with processes(server):
        ready = wait_ready(server, url, budget)
        p50, p95, measured = latency(url, queries, budget)
    report.add(
        f"latency {profile} at {ready['chunks']} chunks: p50={p50:.1f}ms p95={p95:.1f}ms "
        f"({measured} queries)"
    )


def query_latency(
    args: argparse.Namespace,
    base: dict[str, str],
    cluster: dict[str, str],
    root: Path,
    report: Report,
    budget: Budget,
) -> None:
    qrels = read_qrels(DATA / "qrels" / "test.tsv")
    every = {q["_id"]: q["text"] for q in read_jsonl(DATA / "queries.jsonl")}
    queries = [every[q] for q in qrels][:200]
    corpus = root / "latency"
    files = write_corpus(corpus, args.chunks)
    # embedded: `assistant ingest` in-process, then `assistant serve` over the data dir
    env = child_env(root / "embedded", **base)
    begin = time.perf_counter()
    command(env, budget, "ingest", str(corpus))
    report.add(f"embedded ingest of {files} files: {time.perf_counter() - begin:.0f}s")
    served_latency("embedded", env, root / "serve-embedded.log", queries, budget, report)
    # cluster: two `assistant worker`s ingest, then one `assistant serve` API worker
    reset(cluster["ASSISTANT_DATABASE_URL"])
    env = child_env(root / "cluster", **cluster, ASSISTANT_COLLECTION="latency")
    started = [
        AssistantProcess(
            ["worker", "--name", f"l{n}", "--loglevel", "WARNING"], env, root / f"l{n}.log"
        )
        for n in range(2)
    ]
    with processes(*started):
        ready_workers(cluster["ASSISTANT_REDIS_URL"], 2, budget)
        begin = time.perf_counter()
        command(env, budget, "ingest", str(corpus), "--wait")
        report.add(
            f"cluster ingest of {files} files (2 workers): {time.perf_counter() - begin:.0f}s"
        )
    served_latency("cluster", env, root / "serve-cluster.log", queries, budget, report)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="files for the throughput runs")
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks for latency")
    parser.add_argument(
        "--model", choices=["hashing", "packaged"], default="hashing", help="the embedder"
    )
    parser.add_argument("--budget-minutes", type=float, default=120.0)
    parser.add_argument("--skip", choices=["throughput", "latency"], default=None)
    args = parser.parse_args()
    budget, report = Budget(args.budget_minutes), Report(args.model)
    model = "hashing" if args.model == "hashing" else default_model_path()
    base = {
        "ASSISTANT_CHUNK_SIZE": "900",
        "ASSISTANT_CHUNK_OVERLAP": "120",
        "ASSISTANT_EMBEDDING_MODEL": model,
    }
    (ROOT / ".data").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="assistant-scale-", dir=ROOT / ".data"))
    stopped = None
    try:
        with ExitStack() as stack:
            cluster = {
                "ASSISTANT_PROFILE": "cluster",
                "ASSISTANT_DATABASE_URL": stack.enter_context(postgres()),
                "ASSISTANT_REDIS_URL": stack.enter_context(redis(root / "redis")),
                "ASSISTANT_CHROMA_URL": stack.enter_context(chroma(root / "chroma")),
                "ASSISTANT_INGEST_SHARD_FILES": "4",
                **base,
            }
            if args.skip != "throughput":
                throughput(args, cluster, root, report, budget)
            if args.skip != "latency":
                query_latency(args, base, cluster, root, report, budget)
    except OutOfBudget:
        stopped = f"the budget of {args.budget_minutes:g} minutes ran out"
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        report.summary(stopped)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
