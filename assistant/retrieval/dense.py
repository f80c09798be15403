"""The dense half of hybrid retrieval: a Chroma collection (local files or a server)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.config import System

from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.lexical import StoredChunk


def connect(settings: Settings) -> ClientAPI:
    """PersistentClient under the data directory, or HttpClient when a server URL is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigurationError(
                f"ASSISTANT_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}"
            )
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 80),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def connect_private(settings: Settings) -> tuple[ClientAPI, System | None]:
    """A client that sees the data as it is on disk now, and the Chroma system only it uses.

    chromadb keeps one System (with its HNSW index in memory) per directory for the whole
    process, and that index never learns of another process's writes. So the client is
    taken out of that cache at once: the next call gets a fresh System that reads the files
    again, and this one lives until its owner stops it (`System.stop()`). A client of a
    Chroma server sees every write; it is returned as is, with no system to stop.
    """
    client = connect(settings)
    if settings.chroma_url:
        return client, None
    identifier = str(getattr(client, "_identifier", ""))
    with SharedSystemClient._refcount_lock:
        system = SharedSystemClient._identifier_to_system.pop(identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)
    return client, system


def open_collection(client: ClientAPI, name: str, ef_search: int) -> Collection:
    """The cosine collection `name`, searched with breadth `ef_search` (set on a collection
    made before, or with another breadth, so every process searches it alike)."""
    collection = client.get_or_create_collection(
        name,
        configuration={"hnsw": {"space": "cosine", "ef_search": ef_search}},
        embedding_function=None,
    )
    hnsw = (collection.configuration or {}).get("hnsw") or {}
    if hnsw.get("ef_search") != ef_search:
        collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
    return collection


# Ranks are (distance rounded to this many places, id): the same chunks in any write order
# rank alike, and near-equal distances (float noise) do not decide an order.
_DISTANCE_PLACES = 6


class DenseRetriever:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def search(
        self, query_vector: np.ndarray, k: int, where: SearchFilter | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """Top `k` chunks with their cosine similarity; equal similarities in id order.

        A few more than `k` are fetched, so chunks tied at the cut are all seen and the
        cut falls by id, not by where the index happened to put them."""
        result = self.collection.query(
            query_embeddings=[query_vector.tolist()],
            n_results=k + max(8, k // 2),
            where=where.chroma_where() if where is not None else None,
            include=["documents", "metadatas", "distances"],
        )
        ids: Sequence[str] = result["ids"][0]
        documents: Sequence[str | None] = (result["documents"] or [[]])[0]
        metadatas: Sequence[Any] = (result["metadatas"] or [[]])[0]
        distances: Sequence[float] = (result["distances"] or [[]])[0]
        rows = sorted(
            zip(ids, documents, metadatas, distances, strict=True),
            key=lambda row: (round(float(row[3]), _DISTANCE_PLACES), row[0]),
        )
        return [
            (StoredChunk(id_, document or "", dict(metadata or {})), 1.0 - float(distance))
            for id_, document, metadata, distance in rows[:k]
        ]

    def similarities(self, query_vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the query to the stored vectors of `ids` (the ones that exist)."""
        if not ids:
            return {}
        found = self.collection.get(ids=list(ids), include=["embeddings"])
        embeddings = found["embeddings"]
        if embeddings is None or len(embeddings) == 0:
            return {}
        matrix = np.asarray(embeddings, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * (float(np.linalg.norm(query_vector)) or 1.0)
        cosines = matrix @ np.asarray(query_vector, dtype=np.float32) / np.maximum(norms, 1e-12)
        return {id_: float(c) for id_, c in zip(found["ids"], cosines, strict=True)}
