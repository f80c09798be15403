"""Finding 1 of issue 11: `assistant ingest` in another process while a server runs over the
same data directory. The server must take up the new generation (BM25 and Chroma together)
with no error during or after the ingest, and find the new documents without a restart."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from assistant.services import build_services
from ingest.embedding import HashingEmbedder
from tests.conftest import make_settings, write_corpus
from tests.serving import processes

QUESTIONS = [
    "when is the kickoff meeting",
    "what is an orange health score",
    "quartzline escalation procedure",
    "Northwind Traders renewal",
]


def _new_doc(corpus: Path, round_: int, n: int) -> str:
    word = f"quartzline{round_}x{n}"
    (corpus / "playbooks" / f"escalation-{round_}-{n}.md").write_text(
        f"---\ntitle: Escalation {round_}-{n}\ndoc_type: playbook\n---\n# Escalation\n\n"
        f"## Procedure\nThe {word} escalation procedure names an owner within one day.\n"
    )
    return word


def test_ingest_in_another_process_while_serving(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "knowledge")
    data = tmp_path / "data"
    first = build_services(make_settings(data), HashingEmbedder())
    first.ingestor().run([corpus])
    first.close()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    stop = threading.Event()
    with processes.ServerProcess(data) as server:

        def ask() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                n = 0
                while not stop.is_set():
                    question = QUESTIONS[n % len(QUESTIONS)]
                    n += 1
                    try:
                        if n % 2:
                            reply = client.post("/api/search", json={"query": question, "k": 5})
                        else:
                            reply = client.post("/api/chat", json={"message": question})
                    except httpx.HTTPError as error:  # a reset connection counts as a failure
                        failures.append(repr(error))
                        continue
                    statuses[reply.status_code] += 1
                    if reply.status_code != 200:
                        failures.append(f"{reply.status_code} {reply.text[:300]}")

        askers = [threading.Thread(target=ask) for _ in range(3)]
        for thread in askers:
            thread.start()
        try:
            # new documents and a changed one (its old chunks go), in another process
            words = [_new_doc(corpus, 1, n) for n in range(6)]
            health = corpus / "guides" / "health.md"
            health.write_text(health.read_text() + "\nThe bands were revised this year.\n")
            processes.ingest(data, [corpus])
            # the server finds the last documents without a restart
            found = False
            with httpx.Client(base_url=server.url, timeout=30) as client:
                deadline = time.monotonic() + 15
                while not found and time.monotonic() < deadline:
                    reply = client.post("/api/search", json={"query": words[-1], "k": 3})
                    hits = reply.json()["hits"] if reply.status_code == 200 else []
                    found = bool(hits) and words[-1] in hits[0]["text"]
                    time.sleep(0.2)
                ready = client.get("/readyz").json()
            time.sleep(1.0)  # and keeps answering after the swap
        finally:
            stop.set()
            for thread in askers:
                thread.join(timeout=60)
    assert failures == [], failures[:3]
    assert statuses[200] > 20
    assert found, f"{words[-1]} not found after the ingest"
    assert ready["status"] == "ready" and ready["chunks"] == ready["lexical_chunks"]
