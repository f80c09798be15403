"""The retrieval ACL filter at scale: Chroma `where` filter against over-fetch + post-filter.

Builds a temporary Chroma collection of `--chunks` chunks (random unit vectors standing in
for embeddings; the HNSW cost does not depend on what the vectors mean) whose metadata
mirror the real ingestion: `restricted` and an `accounts` list on the account-tagged share
(`--tagged`, spread over `--accounts` accounts). For a principal who may see `--scope`
accounts it then times, over `--queries` random queries:

    unfiltered   query(n=k), no filter                   (an admin: the floor)
    where        query(n=k, where=SearchFilter.chroma_where())   (the current code path)
    post-filter  query(n=k*factor), keep SearchFilter.matches; fall back to `where` when
                 fewer than k survive

and prints p50/p95 latency, recall@k of both against an exact (brute-force) search, and
the post-filter fallback rate. Random vectors are the hardest case for HNSW recall.

    .venv/bin/python bench/acl_filter.py [--chunks 100000] [--queries 100]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from assistant.retrieval.filters import SearchFilter


def build(
    path: Path, args: argparse.Namespace, rng: np.random.Generator
) -> tuple[Any, np.ndarray, list[dict[str, Any]]]:
    """The collection, plus every vector and metadata kept for exact (brute-force) answers."""
    client = chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(
        "acl", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    started = time.perf_counter()
    every_vector: list[np.ndarray] = []
    every_metadata: list[dict[str, Any]] = []
    for start in range(0, args.chunks, 5000):
        size = min(5000, args.chunks - start)
        vectors = sample(rng, size, args)
        metadatas: list[dict[str, Any]] = []
        for _ in range(size):
            if rng.random() < args.tagged:
                account = f"ACC-{int(rng.integers(args.accounts)) + 1:04d}"
                metadatas.append({"restricted": True, "accounts": [account], "doc_type": "note"})
            else:
                metadatas.append({"restricted": False, "doc_type": "playbook"})
        every_vector.append(vectors)
        every_metadata += metadatas
        collection.add(
            ids=[f"c{start + i}" for i in range(size)],
            embeddings=vectors.tolist(),  # type: ignore[arg-type]
            metadatas=metadatas,  # type: ignore[arg-type]
            documents=[f"chunk {start + i}" for i in range(size)],
        )
    print(f"built {collection.count():,} chunks in {time.perf_counter() - started:.0f} s")
    return collection, np.concatenate(every_vector), every_metadata


def sample(rng: np.random.Generator, size: int, args: argparse.Namespace) -> np.ndarray:
    """Unit vectors: uniform at random, or (--clusters N) around N topic centres, which is
    closer to real embeddings (and to the recall HNSW reaches on them)."""
    if args.clusters:
        centres = np.random.default_rng(11).standard_normal((args.clusters, args.dim))
        picked = centres[rng.integers(args.clusters, size=size)]
        vectors = picked + args.spread * rng.standard_normal((size, args.dim))
    else:
        vectors = rng.standard_normal((size, args.dim))
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def timed(fn: Callable[[], list[str]], runs: list[float]) -> list[str]:
    started = time.perf_counter()
    ids = fn()
    runs.append((time.perf_counter() - started) * 1000)
    return ids


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument(
        "--tagged", type=float, default=0.68, help="share of account chunks (shipped KB: 68%)"
    )
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument(
        "--scope", type=int, nargs="+", default=[5, 50], help="accounts the principal sees"
    )
    parser.add_argument("--k", type=int, default=40, help="per-retriever candidates")
    parser.add_argument("--factor", type=int, nargs="+", default=[4, 8], help="over-fetch")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=0, help="topic centres (0 = uniform)")
    parser.add_argument("--spread", type=float, default=0.35, help="noise around a centre")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    folder = Path(tempfile.mkdtemp(prefix="acl-bench-"))
    try:
        collection, vectors, metadatas = build(folder, args, rng)
        shape = f"{args.clusters} clusters" if args.clusters else "uniform random"
        print(
            f"{args.chunks:,} chunks ({shape}), {args.tagged:.0%} account-tagged over "
            f"{args.accounts} accounts; k={args.k}; {args.queries} queries per row"
        )
        for scope_size in args.scope:
            for factor in args.factor:
                measure(collection, vectors, metadatas, args, rng, scope_size, factor)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(
    collection: Any,
    vectors: np.ndarray,
    metadatas: list[dict[str, Any]],
    args: argparse.Namespace,
    rng: np.random.Generator,
    scope_size: int,
    factor: int,
) -> None:
    scope = frozenset(f"ACC-{i:04d}" for i in range(1, scope_size + 1))
    where_filter = SearchFilter(visible_accounts=scope)
    where = where_filter.chroma_where()
    allowed = np.fromiter((where_filter.matches(m) for m in metadatas), bool, len(metadatas))

    def query(vector: list[float], n: int, clause: Any = None) -> dict[str, Any]:
        return dict(
            collection.query(
                query_embeddings=[vector], n_results=n, where=clause, include=["metadatas"]
            )
        )

    runs: dict[str, list[float]] = {"unfiltered": [], "where": [], "post-filter": []}
    fallbacks = 0
    recall: dict[str, list[float]] = {"where": [], "post-filter": []}
    for _ in range(args.queries):
        vector = sample(rng, 1, args)[0].tolist()
        timed(lambda v=vector: query(v, args.k)["ids"][0], runs["unfiltered"])
        exact = timed(lambda v=vector: query(v, args.k, where)["ids"][0], runs["where"])

        def post(v: list[float] = vector) -> list[str]:
            nonlocal fallbacks
            got = query(v, args.k * factor)
            kept = [
                id_
                for id_, meta in zip(got["ids"][0], got["metadatas"][0], strict=True)
                if where_filter.matches(dict(meta or {}))
            ][: args.k]
            if len(kept) < args.k:
                fallbacks += 1
                return list(query(v, args.k, where)["ids"][0])
            return kept

        kept = timed(post, runs["post-filter"])
        scores = np.where(allowed, vectors @ np.asarray(vector, dtype=np.float32), -np.inf)
        truth = {f"c{i}" for i in np.argsort(-scores)[: args.k]}
        recall["where"].append(len(truth & set(exact)) / args.k)
        recall["post-filter"].append(len(truth & set(kept)) / args.k)
    print(f"principal sees {scope_size} accounts, over-fetch x{factor}:")
    for name, values in runs.items():
        print(f"  {name:12} p50 {pct(values, 50):7.1f} ms   p95 {pct(values, 95):7.1f} ms")
    print(
        f"  recall@{args.k} against exact search: where {np.mean(recall['where']):.1%}, "
        f"post-filter {np.mean(recall['post-filter']):.1%}; post-filter fell back to "
        f"`where` in {fallbacks}/{args.queries} queries"
    )


if __name__ == "__main__":
    main()
