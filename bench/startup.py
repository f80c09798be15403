"""Cold-start wall times of the real command line, per embedding backend, in one run.

Ingests `knowledge/` once per backend into a data directory of its own (not timed; the
manifest records each file's embedder, so another backend's ingest is no no-op), then for each
backend (`--backends`, default `torch,onnx,onnx-int8`; `ASSISTANT_EMBEDDING_BACKEND`) and each of
`--trials` rounds (the backend order rotates) it times, each in a fresh process:

- `assistant ask "<question>"` from start to the printed answer;
- `assistant ingest knowledge` on the unchanged tree (nothing to embed);
- `assistant serve` from start until `/readyz` answers 200 (the model loaded), with the
  serving process's resident memory (RSS) at that moment.

The best round of each is kept. The last line is for the configured default backend:
`startup ask=Ns noop-ingest=Ns serve-ready=Ns` (targets 4 s, 2 s and 6 s).

    .venv/bin/python bench/startup.py [--backends torch,onnx,onnx-int8] [--trials 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from assistant.config import Settings  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "onnx"
ASSISTANT = Path(sys.executable).parent / "assistant"


def first_question() -> str:
    suite = yaml.safe_load((ROOT / "eval" / "suites" / "knowledge.yaml").read_text())
    return next(str(c["ask"]) for c in suite["cases"] if str(c.get("ask", "")).strip())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data_dir: Path, backend: str, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        PYTHONPATH=str(ROOT),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        ASSISTANT_DATA_DIR=str(data_dir),
        ASSISTANT_EMBEDDING_BACKEND=backend,
        ASSISTANT_EMBEDDING_CACHE_DIR=str(cache),
    )
    return env


def timed(args: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run([str(ASSISTANT), *args], cwd=ROOT, env=env, capture_output=True)
    if result.returncode != 0:
        raise SystemExit(f"assistant {' '.join(args)} failed: {result.stderr.decode()[-2000:]}")
    return time.perf_counter() - start


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve_ready(env: dict[str, str], timeout: float = 600.0) -> tuple[float, float]:
    """Seconds from `assistant serve` to /readyz 200, and the server's RSS then (MiB)."""
    port = free_port()
    start = time.perf_counter()
    server = subprocess.Popen(
        [str(ASSISTANT), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - start < timeout:
            if server.poll() is not None:
                raise SystemExit(f"assistant serve exited with {server.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - start, rss_mib(server.pid)
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"assistant serve was not ready within {timeout:.0f}s")
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backends", default="torch,onnx,onnx-int8")
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--cache-dir", type=Path, default=CACHE, help="ONNX export cache")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="where the per-backend data directories go"
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    default = Settings(_env_file=None).embedding_backend  # type: ignore[call-arg]
    question = first_question()
    figures: dict[str, list[tuple[float, float, float, float]]] = {b: [] for b in backends}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        # one data directory per backend: the manifest records which embedder made each
        # file's vectors, so an ingest under another backend than the last re-embeds (not a
        # no-op); each is ingested once with its own backend, untimed
        data: dict[str, Path] = {}
        for backend in backends:
            data[backend] = (args.data_dir or Path(tmp) / "data") / backend
            env = environment(data[backend], backend, args.cache_dir)
            first = timed(["ingest", "knowledge"], env)
            print(f"first ingest ({backend}): {first:.1f}s; load {os.getloadavg()[0]:.1f}")
        for trial in range(args.trials):
            shift = trial % len(backends)
            for backend in backends[shift:] + backends[:shift]:
                env = environment(data[backend], backend, args.cache_dir)
                ask = timed(["ask", question], env)
                print(f"  [trial {trial + 1}] {backend}: ask {ask:.1f}s", flush=True)
                noop = timed(["ingest", "knowledge"], env)
                print(f"  [trial {trial + 1}] {backend}: noop ingest {noop:.1f}s", flush=True)
                ready, rss = serve_ready(env)
                figures[backend].append((ask, noop, ready, rss))
                print(
                    f"  [trial {trial + 1}] {backend}: ask {ask:.1f}s, noop ingest {noop:.1f}s, "
                    f"serve ready {ready:.1f}s (RSS {rss:.0f} MiB); "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    best: dict[str, tuple[float, ...]] = {}
    for backend, rows in figures.items():
        best[backend] = tuple(min(column) for column in zip(*rows, strict=True))
        ask, noop, ready, rss = best[backend]
        print(
            f"{backend}: ask {ask:.1f}s, noop ingest {noop:.1f}s, serve ready {ready:.1f}s, "
            f"RSS at ready {rss:.0f} MiB (best of {len(rows)})"
        )
    ask, noop, ready, _ = best.get(default, best[backends[-1]])
    print(f"startup ask={ask:.1f}s noop-ingest={noop:.1f}s serve-ready={ready:.1f}s")


if __name__ == "__main__":
    main()
