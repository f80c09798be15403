"""The heavy resources (embedding model, Chroma, BM25, database), built once per process.

The API builds them in its lifespan, the CLI per command; tests pass a deterministic
embedder. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from sqlalchemy import Engine

from assistant.auth import KeyRing, load_keys
from assistant.config import Settings
from assistant.drafts.chat import DraftDesk
from assistant.drafts.kit import GroundedDraftKit
from assistant.drafts.knowledge import Knowledge
from assistant.drafts.service import DraftService
from assistant.drafts.templates import templates_dir
from assistant.engine.account_desk import AccountDesk
from assistant.engine.chat import ChatEngine
from assistant.engine.composer import ComposerConfig, GroundedComposer
from assistant.engine.events import AnswerEngine
from assistant.engine.streaming import GroundedStream
from assistant.llm.engine import LLMEngine, build_llm_engine
from assistant.retrieval.dense import connect, open_collection
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import LexicalStore
from assistant.retrieval.scoped_dense import PostFilteredDense
from assistant.rules import Problem, Rules, check_rules, load_rules
from assistant.store import accounts as _account_tables  # noqa: F401  (registers the tables)
from assistant.store.account_store import AccountStore
from assistant.store.conversations import ConversationStore
from assistant.store.db import build_engine, session_factory
from assistant.tools import ToolContext, ToolRegistry, build_registry
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
    accounts: AccountStore
    tools: ToolRegistry
    api_keys: KeyRing | None
    llm: LLMEngine | None = None  # when a model is configured
    drafts: DraftService | None = None  # success plans, pitches, one-pagers, MEDDICC reviews
    _rules_problems: list[Problem] | None = None

    @property
    def rules(self) -> Rules:
        return self.tools.context.rules

    def rules_problems(self) -> list[Problem]:
        """The citation check of the rules against the knowledge folder (run once)."""
        if self._rules_problems is None:
            self._rules_problems = check_rules(self.rules, self.settings.knowledge_dir)
        return self._rules_problems

    @property
    def engine(self) -> AnswerEngine:
        """The engine that answers: the LLM (falling back to grounded) when configured."""
        return self.llm if self.llm is not None else GroundedStream(self.chat)

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
        if self.llm is not None:
            self.llm.close()
        self.database.dispose()


def build_embedder_from(settings: Settings) -> Embedder:
    return build_embedder(
        settings.embedding_model, settings.embedding_batch_size, settings.embedding_device
    )


def build_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    api_keys = load_keys(settings.api_keys_file) if settings.api_keys_file else None
    embedder = embedder or build_embedder_from(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    chroma = connect(settings)
    collection = open_collection(chroma, settings.collection)
    lexical = LexicalStore(settings.lexical_path)
    retriever = HybridRetriever(
        embedder,
        PostFilteredDense(collection, settings.acl_overfetch),
        lexical,
        candidates=settings.retrieval_candidates,
        rrf_k=settings.rrf_k,
        dense_weight=settings.dense_weight,
        lexical_weight=settings.lexical_weight,
        fusion=settings.fusion,
    )
    composer = GroundedComposer(
        ComposerConfig(
            max_sentences=settings.answer_max_sentences,
            min_similarity=settings.answer_min_similarity,
            min_overlap=settings.answer_min_overlap,
            weak_similarity=settings.answer_weak_similarity,
            weak_overlap=settings.answer_weak_overlap,
        )
    )
    database = build_engine(settings)
    sessions = session_factory(database)
    accounts = AccountStore(sessions)
    rules = load_rules(settings.rules_path)
    tools = build_registry(ToolContext(accounts, settings.clock, rules))
    knowledge = Knowledge(lexical, retriever, composer, settings.retrieval_k, modules=rules.modules)
    drafts = DraftService.build(
        tools,
        accounts,
        knowledge,
        database,
        settings.clock,
        settings.prompts_dir,
        templates_dir(settings.draft_templates_dir, settings.knowledge_dir),
    )
    chat = ChatEngine(
        retriever,
        composer,
        ConversationStore(sessions),
        k=settings.retrieval_k,
        max_message_chars=settings.max_message_chars,
        desk=AccountDesk(tools, retriever, composer, settings.retrieval_k),
        drafts=DraftDesk(drafts),
    )
    return Services(
        settings,
        embedder,
        chroma,
        collection,
        lexical,
        retriever,
        database,
        chat,
        accounts,
        tools,
        api_keys,
        build_llm_engine(settings, chat, tools, GroundedDraftKit(DraftDesk(drafts))),
        drafts,
    )
