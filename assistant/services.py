"""The heavy resources (embedding model, Chroma, BM25, database), built once per process.

The API builds them in its lifespan, the CLI per command; tests pass a deterministic
embedder. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import System
from sqlalchemy import Engine

from assistant import tracing
from assistant.auth import KeyRing, load_keys
from assistant.config import Settings
from assistant.dependencies import Dependencies
from assistant.drafts.chat import DraftDesk
from assistant.drafts.knowledge import Knowledge
from assistant.drafts.service import DraftService
from assistant.drafts.templates import templates_dir
from assistant.engine.account_desk import AccountDesk
from assistant.engine.chat import ChatEngine
from assistant.engine.composer import ComposerConfig, Composition, GroundedComposer
from assistant.engine.events import AnswerEngine
from assistant.engine.glossary import Glossary
from assistant.engine.streaming import GroundedStream
from assistant.errors import IndexNotReadyError
from assistant.ingest_resources import build_ingestor
from assistant.retrieval.dense import connect_private, open_collection
from assistant.retrieval.generation import LiveIndex
from assistant.retrieval.hybrid import HybridRetriever, SearchResult
from assistant.rules import Problem, Rules, check_rules, load_rules
from assistant.store import accounts as _account_tables  # noqa: F401  (registers the tables)
from assistant.store.account_store import AccountStore
from assistant.store.conversations import ConversationStore
from assistant.store.db import build_engine, session_factory
from assistant.tools import ToolContext, ToolRegistry, build_registry
from assistant.workers import CpuPool
from ingest.embedding import Embedder, build_embedder_from
from ingest.pipeline import Ingestor

if TYPE_CHECKING:
    from assistant.llm.engine import LLMEngine


class PooledComposer(GroundedComposer):
    """The grounded composer with its scoring run in the CPU pool (`assistant.workers`)."""

    def __init__(self, config: ComposerConfig, cpu: CpuPool, glossary: Glossary | None = None):
        super().__init__(config, glossary)
        self.cpu = cpu

    def compose(
        self,
        question: str,
        result: SearchResult,
        *,
        about_account: bool = False,
        focus: str | None = None,
    ) -> Composition:
        compose = super().compose
        return self.cpu.run(compose, question, result, about_account=about_account, focus=focus)


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    index: LiveIndex  # BM25 + Chroma of one ingest, reloaded when ingestion writes a new one
    retriever: HybridRetriever
    database: Engine
    chat: ChatEngine
    accounts: AccountStore
    tools: ToolRegistry
    api_keys: KeyRing | None
    cpu: CpuPool
    llm: LLMEngine | None = None  # when a model is configured
    drafts: DraftService | None = None  # success plans, pitches, one-pagers, MEDDICC reviews
    # cluster profile (issue 17): each dependency's last check, for /readyz
    dependencies: Dependencies | None = None
    _closed: bool = field(default=False, repr=False)
    _rules_problems: list[Problem] | None = field(default=None, repr=False)

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

    @property
    def collection(self) -> Collection:
        """The Chroma collection of the current index generation."""
        collection = self.index.current.collection
        if collection is None:
            raise IndexNotReadyError(
                "the vector index is unavailable: " + "; ".join(self.index.current.problems)
            )
        return collection

    @property
    def chroma(self) -> ClientAPI:
        """The Chroma client of the current index generation."""
        client = self.index.current.client
        if client is None:
            raise IndexNotReadyError(
                "the vector index is unavailable: " + "; ".join(self.index.current.problems)
            )
        return client

    @property
    def lexical(self) -> LiveIndex:
        """Has `.index`: the BM25 index of the current generation."""
        return self.index

    def ingestor(self) -> Ingestor:
        """An in-process ingest (recorded in the jobs ledger); when it ends, the index
        loads the new generation."""
        collection = self.index.pin().collection  # its Chroma system stays open for writing
        if collection is None:
            raise IndexNotReadyError(
                "the vector index cannot be opened: " + "; ".join(self.index.current.problems)
            )
        return build_ingestor(
            self.settings,
            collection,
            self.embedder,
            self.database,
            ledgered=True,
            after_run=lambda: self.index.refresh(force=True),
        )

    def warm_up(self) -> None:
        """Load the embedding model now (it loads on first use otherwise): a server is
        ready only when it can answer at full speed (issue 15)."""
        load = getattr(self.embedder, "load", None)
        if callable(load):
            load()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        tracing.flush()  # the spans of the last turns leave before the process does
        if self.llm is not None:
            self.llm.close()
        self.cpu.close()
        if self.dependencies is not None:
            self.dependencies.close()
        self.index.close()
        self.database.dispose()


def _llm_engine(
    settings: Settings, chat: ChatEngine, tools: ToolRegistry, drafts: DraftService
) -> LLMEngine | None:
    """The LLM engine when a model is configured. Its modules (the OpenAI SDK: about a
    second of imports) load only then, so an ingest or a grounded-only server skips them."""
    if not settings.llm_model:
        return None
    from assistant.drafts.kit import GroundedDraftKit
    from assistant.llm.engine import build_llm_engine

    return build_llm_engine(settings, chat, tools, GroundedDraftKit(DraftDesk(drafts)))


def build_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    tracing.configure(  # spans of every turn, whichever engine answers (issue 16)
        settings.otel_exporter, settings.otel_endpoint, question_text=settings.otel_question_text
    )
    api_keys = load_keys(settings.api_keys_file) if settings.api_keys_file else None
    embedder = embedder or build_embedder_from(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cpu = CpuPool(settings.cpu_workers, settings.cpu_queue_timeout)

    def open_chroma() -> tuple[ClientAPI, Collection, System | None]:
        client, system = connect_private(settings)
        return (
            client,
            open_collection(client, settings.collection, settings.vector_ef_search),
            system,
        )

    index = LiveIndex(
        settings.lexical_path, open_chroma, check_interval=settings.index_check_interval
    )
    retriever = HybridRetriever(
        embedder,
        index,
        overfetch=settings.acl_overfetch,
        cpu=cpu,
        candidates=settings.retrieval_candidates,
        rrf_k=settings.rrf_k,
        dense_weight=settings.dense_weight,
        lexical_weight=settings.lexical_weight,
        fusion=settings.fusion,
    )
    rules = load_rules(settings.rules_path)
    composer = PooledComposer(
        ComposerConfig.from_settings(settings), cpu, Glossary.from_rules(rules)
    )
    database = build_engine(settings)
    sessions = session_factory(database)
    accounts = AccountStore(sessions)
    tools = build_registry(ToolContext(accounts, settings.clock, rules))
    knowledge = Knowledge(index, retriever, composer, settings.retrieval_k, modules=rules.modules)
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
        desk=AccountDesk(
            tools,
            retriever,
            composer,
            settings.retrieval_k,
            exemplar_cache=settings.data_dir / "cache",
        ),
        drafts=DraftDesk(drafts),
    )
    services = Services(
        settings,
        embedder,
        index,
        retriever,
        database,
        chat,
        accounts,
        tools,
        api_keys,
        cpu,
        _llm_engine(settings, chat, tools, drafts),
        drafts,
    )
    services.dependencies = Dependencies(settings, database, index)
    return services
