"""Embedding throughput of each backend on the same real chunks, in one run.

Loads and chunks `knowledge/` and the shared seeds with the product's own loaders and
chunker (`--chunks`, default 1,000, the first ones in discovery order), then embeds them
with `embed_in_context` (the call ingestion makes: chunk vectors plus the sentence vectors
of late chunking) through each backend: PyTorch fp32 (sentence-transformers), ONNX Runtime
fp32 and ONNX Runtime int8 (`ASSISTANT_EMBEDDING_BACKEND`). Each backend is loaded and
warmed up first; the `--trials` (default 2) rounds rotate the order of the backends and the
best round of each is kept. Process CPU seconds are printed beside wall time (steadier on a
shared machine), and the cosine of each backend's chunk vectors to torch's.
The last line is `embed int8/fp32-torch=N.NNx` (target >= 2.0).

    .venv/bin/python bench/embed.py [--chunks 1000] [--trials 2] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from assistant.config import Settings
from ingest.chunking import Chunk, chunk_document
from ingest.discovery import discover
from ingest.embedding import Backend, Embedder, build_embedder
from ingest.loaders import load_document

BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
DEFAULT_PATHS = [Path("knowledge"), Path("/work/shared/seeds")]
CACHE = Path(__file__).resolve().parent / ".cache" / "onnx"


def real_chunks(paths: Sequence[Path], limit: int, settings: Settings) -> list[Chunk]:
    chunks: list[Chunk] = []
    for source in discover(paths, settings.ingest_exclude).files:
        try:
            document = load_document(source.path, source.source)
        except Exception:
            continue
        chunks += chunk_document(document, settings.chunk_size, settings.chunk_overlap, "bench")
        if len(chunks) >= limit:
            break
    return chunks[:limit]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--paths", nargs="+", type=Path, default=DEFAULT_PATHS)
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--cache-dir", type=Path, default=CACHE, help="ONNX export cache")
    args = parser.parse_args(argv)
    settings = Settings()
    chunks = real_chunks([p for p in args.paths if p.exists()], args.chunks, settings)
    texts = [c.index_text for c in chunks]
    spans = [c.sentence_spans for c in chunks]
    print(
        f"{len(chunks)} chunks, {sum(map(len, texts)) // len(texts)} characters on average; "
        f"batch size {settings.embedding_batch_size}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    embedders: dict[Backend, Embedder] = {}
    for backend in BACKENDS:
        start = time.perf_counter()
        embedder = build_embedder(
            None, settings.embedding_batch_size, "cpu", backend, args.cache_dir
        )
        embedder.embed_in_context(texts[:16], spans[:16])  # load and warm up
        embedders[backend] = embedder
        print(f"{backend}: loaded and warmed up in {time.perf_counter() - start:.1f}s", flush=True)
    best: dict[Backend, tuple[float, float]] = {}
    vectors: dict[Backend, np.ndarray] = {}
    for trial in range(args.trials):
        order = BACKENDS[trial % 3 :] + BACKENDS[: trial % 3]
        for backend in order:
            start, cpu = time.perf_counter(), time.process_time()
            vectors[backend], _ = embedders[backend].embed_in_context(texts, spans)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(
                f"  [trial {trial + 1}] {backend}: {wall:.1f}s wall, {cpu:.1f}s CPU, "
                f"{len(texts) / wall:.1f} chunks/s (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            previous = best.get(backend)
            best[backend] = (
                (min(wall, previous[0]), min(cpu, previous[1])) if previous else (wall, cpu)
            )
    for backend in BACKENDS:
        wall, cpu = best[backend]
        cosine = (vectors[backend] * vectors["torch"]).sum(axis=1)
        print(
            f"{backend}: {len(texts) / wall:.1f} chunks/s (best wall {wall:.1f}s, CPU {cpu:.1f}s) "
            f"| x{best['torch'][0] / wall:.2f} wall, x{best['torch'][1] / cpu:.2f} CPU vs torch "
            f"| cosine to torch min {cosine.min():.4f} mean {cosine.mean():.4f}"
        )
    print(f"embed int8/fp32-torch={best['torch'][0] / best['onnx-int8'][0]:.2f}x")


if __name__ == "__main__":
    main()
