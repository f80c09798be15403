"""Ingest throughput against raw embedding-model throughput, measured in the same run.

For each scale (the corpus once, and replicated `--repeat` times for a steady-state figure)
this script ingests the corpus into a fresh temporary data directory through the product's
own `Ingestor.run` (discover, load, chunk, embed, Chroma upsert, manifest, BM25 rebuild),
then encodes the very same chunks' `index_text` with `embedder.embed` (same model, same batch
size, one call). It prints chunks/s for both, how much of the ingest time was spent inside
the embedder, and the ratio ingest/raw; the target is a ratio of at least 0.9 (PASS/FAIL is
printed, the exit status is 0 either way).

The model is warmed up once before anything is timed. Each scale is measured `--trials`
times (default 2), alternating whether the ingest or the raw encode goes first, and the
best figure of each is kept: on a shared machine a single pair can be off by tens of
percent either way. The CPU-time ratio (process CPU seconds, all threads, raw/ingest) is
printed beside it as a cross-check that moves much less with other processes' load.

    .venv/bin/python bench/ingest.py [--paths knowledge ...] [--repeat 2] [--trials 2]

`--backends torch,onnx-int8` measures the corpus once per embedding backend in the same run
(`--trials` rounds, the order rotating) and prints the ingest speedup of each against the
first; the last line is then `ingest <backend>/<first>=N.NNx ratio=...` (target >= 1.8x
with the ingest/raw ratio still >= 0.9).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import Settings
from assistant.services import build_services
from ingest.embedding import Backend, Embedder, build_embedder
from ingest.manifest import Manifest

TARGET = 0.9
DEFAULT_PATHS = [Path("knowledge"), Path("/work/shared/seeds")]


class TimedEmbedder:
    """Wraps the real embedder and adds up the seconds spent inside its `embed*` methods."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if not (callable(value) and name.startswith("embed")):
            return value

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


@dataclass
class Trial:
    chunks: int
    ingest_s: float
    embed_in_ingest_s: float
    raw_s: float
    ingest_cpu: float  # process CPU seconds (all threads): steadier than wall time under load
    raw_cpu: float

    @property
    def ingest_rate(self) -> float:
        return self.chunks / self.ingest_s

    @property
    def raw_rate(self) -> float:
        return self.chunks / self.raw_s


def replicate(paths: Sequence[Path], copies: int, workdir: Path) -> list[Path]:
    """The roots to ingest: `paths` themselves, or `copies` copies of each under `workdir`."""
    if copies == 1:
        return list(paths)
    roots: list[Path] = []
    for n in range(copies):
        for path in paths:
            target = workdir / f"copy{n}" / path.name
            if path.is_dir():
                shutil.copytree(path, target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            roots.append(target)
    return roots


def raw_encode(embedder: TimedEmbedder, texts: Sequence[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `embed` call over `texts`."""
    start, cpu = time.perf_counter(), time.process_time()
    embedder.inner.embed(texts)
    return time.perf_counter() - start, time.process_time() - cpu


def run_trial(
    roots: Sequence[Path], embedder: TimedEmbedder, workdir: Path, texts: list[str] | None
) -> tuple[Trial, list[str]]:
    """Ingest into a fresh data directory and encode its chunks raw. Given the chunk texts
    of an earlier trial, the raw encode goes first (so neither always follows the other)."""
    raw_s, raw_cpu = raw_encode(embedder, texts) if texts is not None else (0.0, 0.0)
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=workdir))
    settings = Settings(data_dir=data_dir)
    services = build_services(settings, cast(Embedder, embedder))
    try:
        ingestor = services.ingestor()
        embedder.seconds = 0.0
        start, cpu = time.perf_counter(), time.process_time()
        report = ingestor.run(roots)
        ingest_s, ingest_cpu = time.perf_counter() - start, time.process_time() - cpu
        embed_s = embedder.seconds
        if report.skipped:
            print(f"  ({len(report.skipped)} files skipped, e.g. {report.skipped[0]})")
        with Manifest(services.database) as manifest:
            stored = [index_text for _, _, index_text, _ in manifest.all_chunks()]
    finally:
        services.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    if len(stored) != report.chunks_embedded or (texts is not None and stored != texts):
        raise SystemExit(f"manifest holds {len(stored)} chunks, {report.chunks_embedded} embedded")
    if texts is None:
        raw_s, raw_cpu = raw_encode(embedder, stored)
    return Trial(len(stored), ingest_s, embed_s, raw_s, ingest_cpu, raw_cpu), stored


def measure(
    label: str,
    roots: Sequence[Path],
    embedder: TimedEmbedder,
    args: argparse.Namespace,
    workdir: Path,
) -> float:
    trials: list[Trial] = []
    texts: list[str] | None = None
    for n in range(args.trials):
        trial, stored = run_trial(roots, embedder, workdir, texts if n % 2 else None)
        texts = stored
        trials.append(trial)
        print(
            f"  [{label} trial {n + 1}] {trial.chunks} chunks: ingest {trial.ingest_s:.1f}s "
            f"(embedder {trial.embed_in_ingest_s:.1f}s, rest "
            f"{trial.ingest_s - trial.embed_in_ingest_s:.1f}s), raw encode {trial.raw_s:.1f}s; "
            f"CPU seconds: ingest {trial.ingest_cpu:.1f}, raw {trial.raw_cpu:.1f}",
            flush=True,
        )
    ingest_rate = max(t.ingest_rate for t in trials)
    raw_rate = max(t.raw_rate for t in trials)
    ratio = ingest_rate / raw_rate
    cpu_ratio = min(t.raw_cpu for t in trials) / min(t.ingest_cpu for t in trials)
    print(
        f"{label}: {trials[0].chunks} chunks | ingest {ingest_rate:.1f} chunks/s | "
        f"raw encode {raw_rate:.1f} chunks/s | ratio {ratio:.3f} "
        f"({'PASS' if ratio >= TARGET else 'FAIL'} vs >= {TARGET}) | "
        f"CPU-time ratio {cpu_ratio:.3f}",
        flush=True,
    )
    return ratio


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--paths",
        nargs="+",
        type=Path,
        default=DEFAULT_PATHS,
        help="files or folders to ingest (default: knowledge/ and shared seeds)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="also measure on the corpus copied N times (1 = only once)",
    )
    parser.add_argument(
        "--trials",
        type=int,
        default=2,
        help="measurements per scale, alternating which goes first; the best of each is kept",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="embedding batch size (default: Settings().embedding_batch_size)",
    )
    parser.add_argument("--model", default=None, help="model directory (default: packaged)")
    parser.add_argument("--backends", default=None, help="e.g. torch,onnx-int8: compare them")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(__file__).resolve().parent / ".cache" / "onnx"
    )
    return parser.parse_args(argv)


def compare(args: argparse.Namespace, paths: Sequence[Path], batch_size: int) -> None:
    backends: list[Backend] = [b.strip() for b in args.backends.split(",")]  # type: ignore[misc]
    embedders = {}
    for backend in backends:
        inner = build_embedder(args.model, batch_size, "cpu", backend, args.cache_dir)
        inner.embed([f"warm-up sentence number {n} for the model" for n in range(128)])
        embedders[backend] = TimedEmbedder(inner)
    trials: dict[str, list[Trial]] = {b: [] for b in backends}
    texts: list[str] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        for n in range(args.trials):
            shift = n % len(backends)
            for backend in backends[shift:] + backends[:shift]:
                trial, texts = run_trial(paths, embedders[backend], Path(tmp), texts)
                trials[backend].append(trial)
                print(
                    f"  [trial {n + 1}] {backend}: {trial.chunks} chunks, ingest "
                    f"{trial.ingest_s:.1f}s (embedder {trial.embed_in_ingest_s:.1f}s), raw "
                    f"{trial.raw_s:.1f}s; load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    rates = {b: max(t.ingest_rate for t in ts) for b, ts in trials.items()}
    ratios = {b: rates[b] / max(t.raw_rate for t in ts) for b, ts in trials.items()}
    for backend in backends:
        print(
            f"{backend}: ingest {rates[backend]:.1f} chunks/s, ingest/raw ratio "
            f"{ratios[backend]:.3f}, x{rates[backend] / rates[backends[0]]:.2f} vs {backends[0]}"
        )
    last = backends[-1]
    print(
        f"ingest {last}/{backends[0]}={rates[last] / rates[backends[0]]:.2f}x "
        f"ratio={ratios[last]:.3f}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    paths = [p for p in args.paths if p.exists()]
    if not paths:
        raise SystemExit(f"none of {[str(p) for p in args.paths]} exists")
    batch_size = args.batch_size or Settings().embedding_batch_size
    if args.backends:
        compare(args, paths, batch_size)
        return
    settings = Settings()
    embedder = TimedEmbedder(
        build_embedder(args.model, batch_size, "cpu", settings.embedding_backend, args.cache_dir)
    )
    embedder.inner.embed([f"warm-up sentence number {n} for the model" for n in range(128)])
    print(f"model {embedder.name}, batch size {batch_size}, paths {[str(p) for p in paths]}")
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        for copies in dict.fromkeys([1, max(args.repeat, 1)]):
            roots = replicate(paths, copies, workdir / f"corpus{copies}")
            ratios.append(measure(f"corpus x{copies}", roots, embedder, args, workdir))
    verdict = "PASS" if ratios[-1] >= TARGET else "FAIL"
    print(f"ingest/raw ratio={ratios[-1]:.3f} target>={TARGET} {verdict}")


if __name__ == "__main__":
    main()
