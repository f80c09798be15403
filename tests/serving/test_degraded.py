"""Finding 15 of issue 11: retrieval that lost half of its index says so. With the BM25
files gone, answers and searches carry `degraded`, /readyz is 503 and says why, and a
one-pager (which reads the index) is a 503 "index unavailable", not a misleading 404."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx

from assistant.config import Settings
from assistant.retrieval.generation import LiveIndex
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import LexicalIndex, StoredChunk
from ingest.embedding import HashingEmbedder


def _wait_for(client: httpx.Client, status: int) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        reply = client.get("/readyz")
        if reply.status_code == status or time.monotonic() > deadline:
            return reply
        time.sleep(0.1)


def test_bm25_files_gone_is_reported(live_client: httpx.Client, settings: Settings) -> None:
    assert live_client.get("/readyz").status_code == 200
    question = {"message": "when should a new customer be live?"}
    assert live_client.post("/api/chat", json=question).json()["degraded"] == []
    shutil.rmtree(settings.lexical_path)

    ready = _wait_for(live_client, 503)
    assert ready.status_code == 503
    assert "BM25" in ready.json()["detail"] and "assistant ingest" in ready.json()["detail"]
    chat = live_client.post("/api/chat", json=question)
    assert chat.status_code == 200
    assert chat.json()["degraded"] and "lexical" in chat.json()["degraded"][0]
    assert chat.json()["citations"], "dense retrieval still answers"
    search = live_client.post("/api/search", json={"query": "kickoff meeting"}).json()
    assert search["hits"] and "lexical" in search["degraded"][0]
    streamed = live_client.post("/api/chat", json={**question, "stream": True}).text
    assert '"degraded": ["lexical' in streamed
    draft = live_client.post("/api/drafts/one_pager", json={"service": "onboarding"})
    assert draft.status_code == 503, draft.text
    assert "index is unavailable" in draft.json()["detail"]


def test_vector_index_unavailable_is_reported(tmp_path: Path) -> None:
    chunk = StoredChunk("c1", "The kickoff meeting names the executive sponsor.", {})
    LexicalIndex.build([chunk], [chunk.text], generation=1).save(tmp_path / "bm25")

    def broken() -> tuple[object, object, object]:
        raise OSError("chroma.sqlite3: disk I/O error")

    index = LiveIndex(tmp_path / "bm25", broken)  # type: ignore[arg-type]
    result = HybridRetriever(HashingEmbedder(), index).search("kickoff meeting", 3)
    assert [hit.chunk.id for hit in result.hits] == ["c1"]  # BM25 still answers
    assert result.degraded and "dense" in result.degraded[0] and "disk I/O" in result.degraded[0]
    index.close()
