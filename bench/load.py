"""Load test: 50 concurrent clients for 60 s against a real server (`make test-load`).

Builds a temporary data directory with the embedded defaults (Chroma files, bm25s, SQLite):
ingests knowledge/ and imports knowledge/accounts with the `assistant` CLI, then starts
`uvicorn --factory assistant.api.app:create_app` in a process of its own on a loopback
port. Each client loops over a mix of what users do: a question (`/api/chat`), a follow-up
in the same conversation, a streamed answer, a search, a thumbs-up on the last answer and
a `/healthz` probe. It prints requests, errors by status (and connection errors), p50 /
p95 / p99 per kind and overall, the slowest /healthz, and the server's RSS before and
after the run. Exit 1 when any request failed (a status >= 500 or a broken connection).

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--embedding-model hashing]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How fast are we supposed to get a new customer onboarded?",
    "What are the stages of our customer lifecycle?",
    "which KPIs do we track when landing a new logo?",
    "what does a red health score mean?",
    "how do we run a QBR?",
    "what is in the MEDDICC checklist?",
]
FOLLOW_UPS = ["and who owns that?", "what comes next?", "how long does it take?"]


def environment(data_dir: Path, model: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        PYTHONPATH=str(ROOT),
    )
    if model:
        env["ASSISTANT_EMBEDDING_MODEL"] = model
    return env


def cli(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-c", "from assistant.cli import app; app()", *args]
    subprocess.run(command, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()  # status >= 500 or a broken connection

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1
            if status >= 500:
                self.failures[f"{kind} {status}"] += 1

    def broken(self, kind: str, error: Exception) -> None:
        with self.lock:
            self.failures[f"{kind} {type(error).__name__}"] += 1


def client_loop(url: str, n: int, stop: threading.Event, tally: Tally) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        step = n  # clients start at different points of the mix
        conversation: str | None = None
        while not stop.is_set():
            step += 1
            kind = ("chat", "follow-up", "stream", "search", "feedback", "healthz")[step % 6]
            question = QUESTIONS[step % len(QUESTIONS)]
            start = time.perf_counter()
            try:
                if kind == "chat":
                    reply = client.post("/api/chat", json={"message": question})
                    if reply.status_code == 200:
                        conversation = reply.json()["conversation_id"]
                elif kind == "follow-up":
                    body = {"message": FOLLOW_UPS[step % 3], "conversation_id": conversation}
                    reply = client.post("/api/chat", json=body)
                elif kind == "stream":
                    body = {"message": question, "stream": True}
                    with client.stream("POST", "/api/chat", json=body) as reply:
                        text = "".join(reply.iter_text())
                    if reply.status_code == 200 and "event: done" not in text:
                        tally.broken(kind, RuntimeError("stream ended without done"))
                elif kind == "search":
                    reply = client.post("/api/search", json={"query": question})
                elif kind == "feedback":
                    if conversation is None:
                        continue
                    body = {"conversation_id": conversation, "rating": "up"}
                    reply = client.post("/api/feedback", json=body)
                else:
                    reply = client.get("/healthz")
            except httpx.HTTPError as error:
                tally.broken(kind, error)
                continue
            tally.add(kind, time.perf_counter() - start, reply.status_code)


PROBE = """
import json, sys, time, httpx
url, seconds = sys.argv[1], float(sys.argv[2])
latencies, end = [], time.monotonic() + seconds
with httpx.Client(base_url=url, timeout=30) as client:
    while time.monotonic() < end:
        start = time.perf_counter()
        client.get("/healthz")
        latencies.append(time.perf_counter() - start)
        time.sleep(0.1)
print(json.dumps(latencies))
"""


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    p50, p95, p99 = (float(np.percentile(values, q)) * 1000 for q in (50, 95, 99))
    return f"p50 {p50:8.1f}  p95 {p95:8.1f}  p99 {p99:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--embedding-model",
        default=None,
        help="ASSISTANT_EMBEDDING_MODEL for the server ('hashing' is fast; default: the real one)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="assistant-load-"))
    env = environment(workdir / "data", args.embedding_model)
    server: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        cli(env, "ingest", str(ROOT / "knowledge"))
        cli(env, "import-accounts", str(ROOT / "knowledge" / "accounts"))
        print(f"indexed knowledge/ and imported accounts in {time.perf_counter() - started:.0f}s")
        port = free_port()
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--factory", "assistant.api.app:create_app"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            ],
            env=env,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                print("the server did not become ready")
                return 1
            time.sleep(0.25)
        httpx.post(url + "/api/chat", json={"message": QUESTIONS[0]}, timeout=120)  # warm up
        before = rss_mb(server.pid)
        tally = Tally()
        stop = threading.Event()
        clients = [
            threading.Thread(target=client_loop, args=(url, n, stop, tally))
            for n in range(args.clients)
        ]
        began = time.perf_counter()
        for thread in clients:
            thread.start()
        # /healthz from a process of its own, so the clients' threads do not delay it
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, url, str(args.seconds)],
            capture_output=True,
            text=True,
            check=True,
        )
        probed = [float(v) for v in json.loads(probe.stdout)]
        stop.set()
        for thread in clients:
            thread.join(timeout=300)
        elapsed = time.perf_counter() - began
        after = rss_mb(server.pid)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)

    total = sum(tally.statuses.values())
    everything = [v for values in tally.latencies.values() for v in values]
    print(f"clients {args.clients}, {elapsed:.0f}s, model {args.embedding_model or 'default'}")
    print(f"requests {total} ({total / elapsed:.1f}/s)")
    print("statuses " + json.dumps(dict(sorted(tally.statuses.items()))))
    print("errors " + (json.dumps(dict(tally.failures)) if tally.failures else "0"))
    for kind, values in sorted(tally.latencies.items()):
        print(f"  {kind:<10} n {len(values):6d}  {percentiles(values)}")
    print(f"  {'all':<10} n {len(everything):6d}  {percentiles(everything)}")
    print(f"healthz probe (own process, every 0.1 s) n {len(probed)}  {percentiles(probed)}")
    print(f"healthz probe max {max(probed) * 1000:.1f} ms")
    print(f"RSS before {before:.0f} MB, after {after:.0f} MB")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
