"""A naive RAG baseline, built the way most tutorials build one, to compare against.

LangChain's `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)` over the same
knowledge files (no section paths, no sentence vectors, no BM25), the same embedding model,
its own Chroma collection, the top 4 chunks by vector similarity, and the best chunk's text as
the answer. Its answer ends with the marker `[1]` (the chunk it copies), and all 4 chunks are
listed as citations, as a tutorial's "sources" would be. To be a fair opponent on questions
the knowledge base does not cover, it declines (and cites nothing) when the best chunk's
cosine similarity is under MIN_SIMILARITY, the cut-off that scores best on the dev split
(fact recall plus refusal accuracy, `eval/calibrate.py`), as a tutorial's "similarity score
threshold" retriever would.

The collection is rebuilt only when the files, the embedder or the splitter change (a
fingerprint in the collection's metadata).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.engine.types import ChatResponse, Citation, SearchHit, SearchResponse
from assistant.errors import InvalidInputError, LoaderError
from assistant.principal import Principal
from ingest.discovery import discover
from ingest.embedding import Embedder
from ingest.loaders import load_document
from ingest.pipeline import file_hash

COLLECTION = "naive_rag_baseline"
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
MIN_SIMILARITY = 0.494  # chosen on the dev split of eval/suites/knowledge.yaml by eval/calibrate.py
DECLINE = "I could not find this in the knowledge base."
_BATCH = 500


def split_text(text: str) -> list[str]:
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return [chunk for chunk in splitter.split_text(text) if chunk.strip()]


def _snippet(text: str, limit: int = 280) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


class NaiveRAG:
    """The tutorial pipeline behind the runner's `chat()` / `search()` interface."""

    name = "naive"

    def __init__(
        self,
        collection: Collection,
        embedder: Embedder,
        k: int = TOP_K,
        min_similarity: float = MIN_SIMILARITY,
    ) -> None:
        self.collection = collection
        self.embedder = embedder
        self.k = k
        self.min_similarity = min_similarity
        self._texts: dict[str, str] = {}

    @classmethod
    def build(
        cls,
        client: ClientAPI,
        embedder: Embedder,
        roots: Sequence[Path],
        exclude: Sequence[str] = (),
        name: str = COLLECTION,
        min_similarity: float = MIN_SIMILARITY,
    ) -> NaiveRAG:
        """Index the files under `roots` (as ingestion discovers them) unless the collection
        already holds exactly them."""
        files = discover(roots, exclude).files
        digest = hashlib.sha256(
            f"{embedder.name}:{embedder.dimension}:{CHUNK_SIZE}:{CHUNK_OVERLAP}".encode()
        )
        for file in sorted(files, key=lambda f: f.source):
            digest.update(f"\n{file.source}:{file_hash(file.path)}".encode())
        fingerprint = digest.hexdigest()
        existing = {c.name for c in client.list_collections()}
        if name in existing:
            collection = client.get_collection(name)
            if (collection.metadata or {}).get("fingerprint") == fingerprint:
                return cls(collection, embedder, min_similarity=min_similarity)
            client.delete_collection(name)
        collection = client.create_collection(
            name,
            metadata={"fingerprint": fingerprint},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        ids: list[str] = []
        texts: list[str] = []
        metadatas: list[dict[str, Any]] = []
        for file in files:
            try:
                document = load_document(file.path, file.source)
            except LoaderError:
                continue  # ingestion reports these; the baseline just goes without them
            for n, chunk in enumerate(split_text(document.text)):
                ids.append(f"naive:{file.source}#{n}")
                texts.append(chunk)
                metadatas.append({"source": file.source, "title": document.title})
        for start in range(0, len(ids), _BATCH):
            end = start + _BATCH
            vectors = embedder.embed(texts[start:end])
            collection.add(
                ids=ids[start:end],
                embeddings=vectors.tolist(),
                documents=texts[start:end],
                metadatas=metadatas[start:end],  # type: ignore[arg-type]
            )
        return cls(collection, embedder, min_similarity=min_similarity)

    def _top(self, query: str, k: int) -> list[SearchHit]:
        if not query.strip():
            raise InvalidInputError("message must not be empty or blank")
        if self.collection.count() == 0:
            return []
        vector = self.embedder.embed([query])[0]
        result = self.collection.query(
            query_embeddings=[vector.tolist()],
            n_results=min(k, self.collection.count()),
            include=["documents", "metadatas", "distances"],
        )
        documents = (result["documents"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        hits = []
        for id_, text, meta, distance in zip(
            result["ids"][0], documents, metadatas, distances, strict=True
        ):
            metadata = dict(meta or {})
            self._texts[id_] = text or ""
            hits.append(
                SearchHit(
                    chunk_id=id_,
                    source=str(metadata.get("source", "")),
                    title=str(metadata.get("title", "")),
                    section="",
                    doc_type="",
                    text=text or "",
                    score=round(1.0 - float(distance), 6),
                    dense_score=round(1.0 - float(distance), 6),
                )
            )
        return hits

    def search(self, query: str, principal: Principal, k: int | None = None) -> SearchResponse:
        started = time.perf_counter()
        hits = self._top(query, k or self.k)
        return SearchResponse(
            query=query, hits=hits, timings_ms={"total": (time.perf_counter() - started) * 1000}
        )

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse:
        """The best chunk as the answer, or a decline when even the best chunk is not similar
        enough; no conversation memory, no account tools."""
        started = time.perf_counter()
        hits = self._top(message, self.k)
        if not hits or hits[0].score < self.min_similarity:
            return ChatResponse(
                conversation_id=conversation_id or uuid.uuid4().hex,
                answer=DECLINE,
                declined=True,
                engine=self.name,
                timings_ms={"total": round((time.perf_counter() - started) * 1000, 2)},
            )
        citations = [
            Citation(
                n=n,
                chunk_id=hit.chunk_id,
                source=hit.source,
                title=hit.title,
                section="",
                snippet=_snippet(hit.text),
                score=hit.score,
            )
            for n, hit in enumerate(hits, 1)
        ]
        answer = f"{hits[0].text.rstrip()} [1]" if hits else ""
        return ChatResponse(
            conversation_id=conversation_id or uuid.uuid4().hex,
            answer=answer,
            citations=citations,
            engine=self.name,
            timings_ms={"total": round((time.perf_counter() - started) * 1000, 2)},
        )

    def chunk_text(self, chunk_id: str) -> str | None:
        if chunk_id not in self._texts:
            found = self.collection.get(ids=[chunk_id], include=["documents"])
            documents = found["documents"] or []
            if not documents:
                return None
            self._texts[chunk_id] = documents[0] or ""
        return self._texts[chunk_id]
