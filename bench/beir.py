"""nDCG@10 on BEIR SciFact for dense, BM25 and hybrid retrieval, through the product's code.

Each abstract (title + text) is one chunk whose id is the corpus id. Dense retrieval is the
product's `DenseRetriever` over a Chroma collection in a temporary data directory, BM25 the
product's `LexicalIndex` (bm25s + the project tokenizer), hybrid the product's
`HybridRetriever` built from `Settings` exactly as the service builds it, so the figure
moves when the retrieval defaults in `assistant/config.py` move. Command-line knobs override
those defaults for tuning, which must use `--split train` only; report on `test`.

nDCG@10 follows BEIR: binary relevance (qrels score > 0), log2 discount, cut at 10, queries
without qrels skipped. Embeddings of the corpus and queries are cached as .npy under
`--cache-dir`, keyed by the model files and the exact texts. `--grid` also prints the best
fusion settings found on the chosen split. The last line is `hybrid ndcg@10=0.xxx`.

`--backends torch,onnx,onnx-int8` scores each embedding backend (`ASSISTANT_EMBEDDING_BACKEND`)
in the same run, side by side, and prints each one's change against the first; the last
line is then `hybrid ndcg@10 <backend>-<first>=+0.xxx` for the last backend.

    .venv/bin/python bench/beir.py [--split test|train] [--grid] [--fusion rrf] ...
    .venv/bin/python bench/beir.py --backends onnx,onnx-int8
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from assistant.config import Settings
from assistant.retrieval.dense import connect, open_collection
from assistant.retrieval.generation import LiveIndex
from assistant.retrieval.hybrid import Fusion, HybridRetriever
from assistant.retrieval.lexical import LexicalIndex, StoredChunk
from ingest.embedding import Backend, Embedder, Spans, Vectors, build_embedder, default_model_path

DATA = Path("/work/shared/benchmarks/scifact")
CACHE = Path(__file__).resolve().parent / ".cache"
K = 10


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def read_qrels(path: Path) -> dict[str, set[str]]:
    relevant: dict[str, set[str]] = {}
    with path.open(encoding="utf-8") as rows:
        next(rows)  # header
        for row in rows:
            query_id, doc_id, score = row.rstrip("\n").split("\t")
            if int(score) > 0:
                relevant.setdefault(query_id, set()).add(doc_id)
    return relevant


def ndcg_at_10(ranking: Sequence[str], relevant: set[str]) -> float:
    """Binary-relevance nDCG@10 with the log2 discount (BEIR / pytrec_eval ndcg_cut_10)."""
    dcg = sum(1 / math.log2(r + 1) for r, d in enumerate(ranking[:K], 1) if d in relevant)
    ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(relevant), K) + 1))
    return dcg / ideal


def mean_ndcg(rankings: dict[str, list[str]], qrels: dict[str, set[str]]) -> float:
    return float(np.mean([ndcg_at_10(rankings.get(q, []), rel) for q, rel in qrels.items()]))


def model_key(path: str) -> str:
    """Fingerprint of a model directory: file names and sizes, and the small files' bytes."""
    digest = hashlib.sha256()
    for file in sorted(Path(path).rglob("*")):
        if file.is_file():
            digest.update(f"{file.relative_to(path)}:{file.stat().st_size}".encode())
            if file.stat().st_size < 1 << 20:
                digest.update(file.read_bytes())
    return digest.hexdigest()


def cached_embed(
    embedder: Embedder,
    texts: Sequence[str],
    label: str,
    key: str,
    cache_dir: Path,
) -> Vectors:
    digest = hashlib.sha256(key.encode())
    for text in texts:
        digest.update(text.encode() + b"\x00")
    path = cache_dir / f"{label}-{digest.hexdigest()[:20]}.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float32)
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    print(f"embedded {len(texts)} {label} texts in {time.perf_counter() - start:.0f}s", flush=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), vectors)
    os.replace(path.with_suffix(".tmp.npy"), path)
    return vectors


class LookupEmbedder:
    """Serves precomputed query vectors to the retriever (falls back to the real model)."""

    def __init__(self, inner: Embedder, known: dict[str, Vectors]) -> None:
        self.inner, self.known = inner, known
        self.name, self.dimension = inner.name, inner.dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        if all(t in self.known for t in texts):
            return np.stack([self.known[t] for t in texts]).astype(np.float32)
        return self.inner.embed(texts)

    def embed_in_context(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> tuple[Vectors, list[Vectors]]:
        return self.inner.embed_in_context(texts, spans)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", type=Path, default=DATA, help="BEIR SciFact folder")
    parser.add_argument("--split", choices=["test", "train"], default="test")
    parser.add_argument("--cache-dir", type=Path, default=CACHE, help="embedding cache")
    parser.add_argument("--model", default=None, help="model directory (default: packaged)")
    parser.add_argument("--grid", action="store_true", help="search fusion settings on --split")
    parser.add_argument(
        "--backends",
        default=None,
        help="comma-separated embedding backends to compare (default: the configured one)",
    )
    parser.add_argument("--fusion", choices=["convex", "rrf"], default=None, help="override")
    for name, kind in (
        ("rrf-k", int),
        ("dense-weight", float),
        ("lexical-weight", float),
        ("retrieval-candidates", int),
    ):
        parser.add_argument(
            f"--{name}", type=kind, default=None, help=f"override Settings.{name.replace('-', '_')}"
        )
    return parser.parse_args(argv)


def settings_for(args: argparse.Namespace, data_dir: Path) -> Settings:
    overrides = {
        key: value
        for key in ("fusion", "rrf_k", "dense_weight", "lexical_weight", "retrieval_candidates")
        if (value := getattr(args, key)) is not None
    }
    return Settings(data_dir=data_dir, **overrides)


def build(
    settings: Settings, ids: list[str], texts: list[str], vectors: Vectors, embedder: LookupEmbedder
) -> HybridRetriever:
    chroma = connect(settings)
    collection = open_collection(chroma, settings.collection, settings.vector_ef_search)
    for start in range(0, len(ids), 1000):
        end = start + 1000
        collection.upsert(
            ids=ids[start:end], embeddings=vectors[start:end], documents=texts[start:end]
        )
    chunks = [StoredChunk(i, t, {}) for i, t in zip(ids, texts, strict=True)]
    LexicalIndex.build(chunks, texts, generation=1).save(settings.lexical_path)
    # the bench writes and reads in this one process: its client sees every write
    return HybridRetriever(
        embedder,
        LiveIndex(settings.lexical_path, lambda: (chroma, collection, None)),
        overfetch=1,
        candidates=settings.retrieval_candidates,
        rrf_k=settings.rrf_k,
        dense_weight=settings.dense_weight,
        lexical_weight=settings.lexical_weight,
        fusion=settings.fusion,
    )


def grid(
    hybrid: HybridRetriever, queries: list[tuple[str, str]], qrels: dict[str, set[str]]
) -> None:
    """Both fusions with a range of knobs, through the product's retriever."""
    configs: list[tuple[Fusion, int, int, float]] = [
        ("convex", depth, 60, weight)
        for depth, weight in itertools.product((20, 40, 100), (0.5, 0.75, 1.0, 1.25, 1.5, 2.0))
    ]
    configs += [
        ("rrf", depth, rrf_k, weight)
        for depth, rrf_k, weight in itertools.product((20, 40, 100), (10, 60), (0.75, 1.0, 1.5))
    ]
    results: list[tuple[float, str]] = []
    for fusion, depth, rrf_k, weight in configs:
        hybrid.fusion, hybrid.candidates, hybrid.rrf_k = fusion, depth, rrf_k
        hybrid.lexical_weight = weight
        rankings = {q: [h.chunk.id for h in hybrid.search(text, K).hits] for q, text in queries}
        label = f"fusion={fusion} candidates={depth} lexical_weight={weight}"
        if fusion == "rrf":
            label += f" rrf_k={rrf_k}"
        results.append((mean_ndcg(rankings, qrels), label))
    for score, label in sorted(results, reverse=True)[:10]:
        print(f"  grid {score:.4f}  {label}")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.grid and args.split != "train":
        raise SystemExit("--grid tunes settings: use it with --split train only")
    corpus = read_jsonl(args.data / "corpus.jsonl")
    ids = [str(doc["_id"]) for doc in corpus]
    texts = [f"{doc.get('title', '')}\n{doc.get('text', '')}".strip() for doc in corpus]
    qrels = read_qrels(args.data / "qrels" / f"{args.split}.tsv")
    queries = {str(q["_id"]): q["text"] for q in read_jsonl(args.data / "queries.jsonl")}
    qrels = {q: rel for q, rel in qrels.items() if q in queries}
    query_ids = sorted(qrels, key=int)
    print(f"SciFact {args.split}: {len(corpus)} documents, {len(query_ids)} queries with qrels")

    backends = [b.strip() for b in (args.backends or Settings().embedding_backend).split(",")]
    results: list[tuple[str, dict[str, float]]] = []
    for backend in backends:
        if backend not in ("torch", "onnx", "onnx-int8"):
            raise SystemExit(f"--backends: unknown backend {backend!r} (torch, onnx, onnx-int8)")
        scores = score_backend(args, backend, ids, texts, queries, query_ids, qrels)  # type: ignore[arg-type]
        results.append((backend, scores))
    print("published (test): bm25 0.665, all-MiniLM-L6-v2 dense 0.645; target hybrid >= 0.69")
    for backend, scores in results:
        label = f" [{backend}]" if len(results) > 1 else ""
        for name in ("dense", "bm25", "hybrid"):
            print(f"{name} ndcg@10={scores[name]:.3f}{label}")
    first, base = results[0]
    for backend, scores in results[1:]:
        print(f"dense ndcg@10 {backend}-{first}={scores['dense'] - base['dense']:+.4f}")
        print(f"hybrid ndcg@10 {backend}-{first}={scores['hybrid'] - base['hybrid']:+.4f}")


def score_backend(
    args: argparse.Namespace,
    backend: Backend,
    ids: list[str],
    texts: list[str],
    queries: dict[str, str],
    query_ids: list[str],
    qrels: dict[str, set[str]],
) -> dict[str, float]:
    model_path = args.model or default_model_path()
    defaults = Settings()
    real = build_embedder(
        model_path,
        defaults.embedding_batch_size,
        "cpu",
        backend,
        args.cache_dir / "onnx",
    )
    key = model_key(model_path) + ("" if backend == "torch" else f":{backend}")
    doc_vectors = cached_embed(real, texts, f"scifact-corpus-{backend}", key, args.cache_dir)
    query_texts = [queries[q] for q in query_ids]
    query_vectors = cached_embed(
        real, query_texts, f"scifact-{args.split}-queries-{backend}", key, args.cache_dir
    )
    embedder = LookupEmbedder(real, dict(zip(query_texts, query_vectors, strict=True)))

    with tempfile.TemporaryDirectory(prefix="bench-beir-") as tmp:
        settings = settings_for(args, Path(tmp))
        hybrid = build(settings, ids, texts, doc_vectors, embedder)
        lexical = hybrid.lexical.index
        print(
            f"[{backend}] settings: fusion={settings.fusion} "
            f"candidates={settings.retrieval_candidates} rrf_k={settings.rrf_k} "
            f"dense_weight={settings.dense_weight} lexical_weight={settings.lexical_weight}"
        )
        runs: dict[str, dict[str, list[str]]] = {"dense": {}, "bm25": {}, "hybrid": {}}
        start = time.perf_counter()
        for query_id, text, vector in zip(query_ids, query_texts, query_vectors, strict=True):
            dense = [c.id for c, _ in hybrid.dense.search(vector, 100)]
            bm25 = [c.id for c, _ in lexical.search(text, 100)]
            runs["dense"][query_id], runs["bm25"][query_id] = dense[:K], bm25[:K]
            runs["hybrid"][query_id] = [h.chunk.id for h in hybrid.search(text, K).hits]
        elapsed = time.perf_counter() - start
        print(f"[{backend}] searched {len(query_ids)} queries in {elapsed:.1f}s")
        if args.grid:
            grid(hybrid, list(zip(query_ids, query_texts, strict=True)), qrels)
    return {name: mean_ndcg(run, qrels) for name, run in runs.items()}


if __name__ == "__main__":
    main()
