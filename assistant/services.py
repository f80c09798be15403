"""The heavy resources (embedding model, Chroma, BM25, database), built once per process.

The API builds them in its lifespan, the CLI per command; tests pass a deterministic
embedder. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from sqlalchemy import Engine

from assistant.config import Settings
from assistant.engine.chat import ChatEngine
from assistant.engine.composer import ComposerConfig, GroundedComposer
from assistant.retrieval.dense import DenseRetriever, connect, open_collection
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import LexicalStore
from assistant.store.conversations import ConversationStore
from assistant.store.db import build_engine, session_factory
from ingest.embedding import Embedder, build_embedder
from ingest.pipeline import Ingestor


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    chroma: ClientAPI
    collection: Collection
    lexical: LexicalStore
    retriever: HybridRetriever
    database: Engine
    chat: ChatEngine

    def ingestor(self) -> Ingestor:
        s = self.settings
        return Ingestor(
            self.collection,
            self.embedder,
            s.manifest_path,
            s.lexical_path,
            chunk_size=s.chunk_size,
            chunk_overlap=s.chunk_overlap,
            exclude=s.ingest_exclude,
        )

    def close(self) -> None:
        self.database.dispose()


def build_embedder_from(settings: Settings) -> Embedder:
    return build_embedder(
        settings.embedding_model, settings.embedding_batch_size, settings.embedding_device
    )


def build_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    embedder = embedder or build_embedder_from(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    chroma = connect(settings)
    collection = open_collection(chroma, settings.collection)
    lexical = LexicalStore(settings.lexical_path)
    retriever = HybridRetriever(
        embedder,
        DenseRetriever(collection),
        lexical,
        candidates=settings.retrieval_candidates,
        rrf_k=settings.rrf_k,
        dense_weight=settings.dense_weight,
        lexical_weight=settings.lexical_weight,
    )
    composer = GroundedComposer(
        ComposerConfig(
            max_sentences=settings.answer_max_sentences,
            min_similarity=settings.answer_min_similarity,
            min_overlap=settings.answer_min_overlap,
        )
    )
    database = build_engine(settings)
    chat = ChatEngine(
        retriever,
        composer,
        ConversationStore(session_factory(database)),
        k=settings.retrieval_k,
        max_message_chars=settings.max_message_chars,
    )
    return Services(settings, embedder, chroma, collection, lexical, retriever, database, chat)
