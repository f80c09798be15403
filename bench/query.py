"""Chat latency over HTTP against the cost of retrieval's parts, measured in the same run.

Builds a temporary index of knowledge/ with the product's `Ingestor`, serves the real app
(`create_app(Settings(data_dir=tmp))`) with uvicorn on a loopback port in a thread, then
POSTs `/api/chat` for `--requests` questions (the `ask` strings of
eval/suites/knowledge.yaml, cycled), first one at a time and then from `--concurrency`
clients at once, and prints p50/p95 latency for each (plus the server's own timings).
It then times the parts directly on the same questions (query embedding + Chroma vector
search + BM25 search, the retrieval the request cannot avoid) and prints
p50(sequential chat) / p50(parts); the target is at most 1.5 (PASS/FAIL printed, exit 0).

    .venv/bin/python bench/query.py [--requests 200] [--concurrency 8] [--profile]

`--compare-backends torch,onnx-int8` serves the same index once per embedding backend
(`ASSISTANT_EMBEDDING_BACKEND`; the index is built with the first) in the same run and
prints each one's sequential and concurrent p50, and the p50 ratios to the first backend.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import uvicorn  # noqa: E402
import yaml  # noqa: E402

from assistant.api.app import create_app  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.services import Services, build_services  # noqa: E402
from ingest.embedding import Backend, Embedder, build_embedder  # noqa: E402

TARGET = 1.5
SUITE = ROOT / "eval" / "suites" / "knowledge.yaml"


def questions(path: Path, count: int) -> list[str]:
    suite = yaml.safe_load(path.read_text(encoding="utf-8"))
    asks = [str(case["ask"]) for case in suite["cases"] if str(case.get("ask", "")).strip()]
    if not asks:
        raise SystemExit(f"no `ask` strings in {path}")
    return [asks[n % len(asks)] for n in range(count)]


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def summary(label: str, millis: Sequence[float]) -> str:
    return f"{label}: p50 {pct(millis, 50):.1f} ms, p95 {pct(millis, 95):.1f} ms (n={len(millis)})"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn serving `app` on 127.0.0.1 in a daemon thread, stopped on exit."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def post_chat(client: httpx.Client, message: str) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    response = client.post("/api/chat", json={"message": message})
    millis = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return millis, dict(response.json())


def sequential(
    base: str, asks: Sequence[str], services: Services
) -> tuple[list[float], list[float], list[dict[str, Any]]]:
    """One request at a time, each paired with a direct timing of the parts on the same
    question (alternating which goes first), so both see the same machine load."""
    latencies, direct, bodies = [], [], []
    with httpx.Client(base_url=base, timeout=60) as client:
        for n, message in enumerate(asks):
            if n % 2:
                direct.append(part(services, message))
            millis, body = post_chat(client, message)
            if not n % 2:
                direct.append(part(services, message))
            latencies.append(millis)
            bodies.append(body)
    return latencies, direct, bodies


def concurrent(base: str, asks: Sequence[str], workers: int) -> tuple[list[float], float]:
    local = threading.local()

    def one(message: str) -> float:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=120)
        return post_chat(local.client, message)[0]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        latencies = list(pool.map(one, asks))
    return latencies, time.perf_counter() - start


def part(services: Services, message: str) -> float:
    """Query embedding + Chroma vector search + BM25 search, timed directly (ms)."""
    retriever, depth = services.retriever, services.settings.retrieval_candidates
    start = time.perf_counter()
    vector = retriever.embedder.embed([message])[0]
    retriever.dense.search(vector, depth)
    retriever.lexical.index.search(message, depth)
    return (time.perf_counter() - start) * 1000


def profiled(action: Callable[[], object], top: int = 30) -> None:
    """Run `action` in this thread under cProfile and print the top functions."""
    profile = cProfile.Profile()
    profile.enable()
    action()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=200, help="questions per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="clients in phase two")
    parser.add_argument("--suite", type=Path, default=SUITE, help="YAML with cases[].ask")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument(
        "--profile", action="store_true", help="also profile the chat engine in-process (cProfile)"
    )
    parser.add_argument(
        "--compare-backends",
        default=None,
        help="comma-separated embedding backends to serve in turn (e.g. torch,onnx-int8)",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=ROOT / "bench" / ".cache" / "onnx", help="ONNX cache"
    )
    return parser.parse_args(argv)


def real_embedder(backend: Backend, settings: Settings, cache: Path) -> Embedder:
    embedder = build_embedder(None, settings.embedding_batch_size, "cpu", backend, cache)
    embedder.embed(["warm-up"])
    return embedder


def serve_and_measure(
    settings: Settings, embedder: Embedder, asks: Sequence[str], args: argparse.Namespace
) -> tuple[list[float], list[float], list[dict[str, Any]], list[float], float]:
    app = create_app(settings, embedder)
    with Server(app) as server:
        base = f"http://127.0.0.1:{server.port}"
        services: Services = app.state.services
        sequential(base, asks[:10], services)  # warm-up: model, caches, connections
        seq, direct, bodies = sequential(base, asks, services)
        con, wall = concurrent(base, asks, args.concurrency)
        if args.profile:
            from assistant.engine.chat import Principal

            profiled(lambda: [services.chat.chat(m, Principal()) for m in asks[:50]])
    return seq, direct, bodies, con, wall


def compare_backends(args: argparse.Namespace, asks: Sequence[str]) -> None:
    backends: list[Backend] = [b.strip() for b in args.compare_backends.split(",")]  # type: ignore[misc]
    tmp = Path(tempfile.mkdtemp(prefix="bench-query-"))
    figures: dict[str, tuple[float, float, float]] = {}
    try:
        settings = Settings(data_dir=tmp)
        embedders = {b: real_embedder(b, settings, args.cache_dir) for b in backends}
        indexer = build_services(settings, embedders[backends[0]])
        print(f"index ({backends[0]}): {indexer.ingestor().run([args.knowledge]).summary()}")
        indexer.close()
        for backend in backends:
            seq, _, _, con, wall = serve_and_measure(settings, embedders[backend], asks, args)
            figures[backend] = (pct(seq, 50), pct(con, 50), len(con) / wall)
            print(f"[{backend}] " + summary("chat sequential", seq))
            print(
                f"[{backend}] "
                + summary(f"chat {args.concurrency} concurrent", con)
                + f", {len(con) / wall:.1f} req/s; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    base_seq, base_con, _ = figures[backends[0]]
    for backend in backends[1:]:
        seq50, con50, _rate = figures[backend]
        print(
            f"p50 {backend}/{backends[0]}: sequential {seq50:.1f}/{base_seq:.1f} ms "
            f"= {seq50 / base_seq:.2f}, {args.concurrency} concurrent {con50:.1f}/{base_con:.1f} "
            f"ms = {con50 / base_con:.2f}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    asks = questions(args.suite, args.requests)
    if args.compare_backends:
        compare_backends(args, asks)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-query-"))
    try:
        settings = Settings(data_dir=tmp)
        embedder = real_embedder(settings.embedding_backend, settings, args.cache_dir)
        indexer = build_services(settings, embedder)
        report = indexer.ingestor().run([args.knowledge])
        indexer.close()
        print(f"index: {report.summary()}", flush=True)
        seq, direct, bodies, con, wall = serve_and_measure(settings, embedder, asks, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(summary("chat sequential", seq))
    print(summary(f"chat {args.concurrency} concurrent", con) + f", {len(con) / wall:.1f} req/s")
    keys = sorted({key for body in bodies for key in body.get("timings_ms", {})})
    server_side = {k: [float(b["timings_ms"].get(k, 0.0)) for b in bodies] for k in keys}
    print(
        "server timings p50: "
        + ", ".join(f"{k} {pct(v, 50):.1f}" for k, v in server_side.items())
        + " ms"
    )
    print(summary("parts (embed + chroma + bm25)", direct))
    ratio = pct(seq, 50) / pct(direct, 50)
    print(
        f"p50 chat/parts ratio={ratio:.2f} target<={TARGET} {'PASS' if ratio <= TARGET else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
