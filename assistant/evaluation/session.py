"""One `assistant eval` run: load the suites, build the services (per pinned date), make sure
the knowledge index (and the accounts store, for account cases) is filled, and run every
suite through our engine and the engines compared against it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.config import Settings
from assistant.engine.chat import ChatEngine
from assistant.engine.types import ChatResponse, SearchResponse
from assistant.errors import ConfigurationError, InvalidInputError
from assistant.evaluation.grounding import SupportCheck
from assistant.evaluation.naive import NaiveRAG
from assistant.evaluation.report import SuiteRun
from assistant.evaluation.runner import (
    LATENCIES,
    METRICS,
    CaseResult,
    EvalEngine,
    JudgeFn,
    Scorer,
    SuiteResult,
    run_suite,
)
from assistant.evaluation.suite import SplitChoice, Suite, load_suite
from assistant.llm.engine import LLMEngine
from assistant.principal import Principal
from assistant.services import Services, build_services
from ingest.embedding import Embedder

COMPARABLE = ("naive",)
Say = Callable[[str], None]


class ProgressHook(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def advance(self) -> None: ...


class _Silent:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass
class LoadedSuites:
    suites: list[tuple[Path, Suite]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def load_suites(paths: Sequence[Path], split: SplitChoice = "all") -> LoadedSuites:
    """The suites to run, restricted to the cases of `split`; a suite still flagged
    `needs_review` is skipped with the reason. Raises InvalidInputError for an unreadable or
    invalid suite file."""
    loaded = LoadedSuites()
    for path in paths:
        suite = load_suite(path)
        if suite.needs_review:
            loaded.skipped.append((path, "needs_review: true (complete its TODOs first)"))
        else:
            loaded.suites.append((path, suite.select(split)))
    return loaded


def unknown_thresholds(suite: Suite) -> list[str]:
    return [name for name in suite.thresholds if name not in METRICS and name not in LATENCIES]


def suite_settings(settings: Settings, suite: Suite) -> Settings:
    """The settings a suite runs with: its pinned date, and for a suite about another
    knowledge folder than the configured one, that folder with its own rules file and its own
    index and database (a subdirectory of the data directory named for the folder), so the
    two knowledge bases never mix."""
    update: dict[str, object] = {}
    if suite.today is not None:
        update["today"] = suite.today
    folder = suite.knowledge_dir
    if folder is not None and folder.resolve() != settings.knowledge_dir.resolve():
        if not folder.is_dir():
            raise InvalidInputError(
                f"suite {suite.suite!r}: knowledge_dir {folder} is not a folder (paths are "
                "relative to the working directory)"
            )
        key = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:8]
        update |= {
            "knowledge_dir": folder,
            "rules_file": None,
            "data_dir": settings.data_dir / "suites" / f"{folder.name}-{key}",
            "database_url": None,
            "collection": f"{settings.collection}-{key}",
        }
    return settings.model_copy(update=update) if update else settings


def needs_accounts(suite: Suite) -> bool:
    """A case about an account (by id or by its tools) or a conversation (whose turns name
    accounts and refer back to them) needs the account store."""
    return any(
        case.turns or step.account or step.tools for case in suite.cases for step in case.steps()
    )


def ensure_index(services: Services, say: Say) -> None:
    """Ingest the knowledge folder when the index is empty (a fresh data directory)."""
    if services.collection.count() > 0:
        return
    folder = services.settings.knowledge_dir
    say(f"the knowledge index in {services.settings.data_dir} is empty: ingesting {folder} first")
    report = services.ingestor().run([folder])
    say(report.summary())


def ensure_accounts(services: Services, say: Say) -> None:
    """Import the shipped account exports when the accounts store is empty."""
    if services.accounts.accounts():
        return
    from assistant.store.db import session_factory
    from assistant.store.importer import AccountImporter

    folder = services.settings.knowledge_dir / "accounts"
    if not folder.is_dir():
        say(f"the accounts store is empty and {folder} does not exist: account cases will fail")
        return
    say(f"the accounts store is empty: importing {folder} first")
    report = AccountImporter(session_factory(services.database), services.rules).run(
        folder, services.settings.clock()
    )
    say(report.summary())


def chunk_lookup(services: Services) -> Callable[[str], str | None]:
    def text(chunk_id: str) -> str | None:
        chunk = services.lexical.index.get(chunk_id)
        return chunk.text if chunk is not None else None

    return text


@dataclass
class LLMUnderTest:
    """The LLM engine answers (as the API's chat route calls it); retrieval metrics come from
    the hybrid search it uses as its tool."""

    llm: LLMEngine
    grounded: ChatEngine

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse:
        return self.llm.chat(message, principal, conversation_id, account_id)

    def search(self, query: str, principal: Principal, k: int | None = None) -> SearchResponse:
        return self.grounded.search(query, principal, k)


@dataclass
class Evaluation:
    settings: Settings
    embedder: Embedder
    compare: Sequence[str] = ()
    principal: Principal = field(default_factory=Principal)
    say: Say = print
    progress: ProgressHook = field(default_factory=_Silent)
    engine: str = "grounded"  # or "llm": the configured LLM engine
    judge: JudgeFn | None = None

    def __post_init__(self) -> None:
        self.check = SupportCheck(embed=self.embedder.embed)
        self._naive: dict[Path, NaiveRAG] = {}  # per knowledge folder

    def run(self, suites: Sequence[tuple[Path, Suite]]) -> list[SuiteRun]:
        runs: list[SuiteRun] = []
        for path, suite in suites:
            settings = suite_settings(self.settings, suite)
            services = build_services(settings, self.embedder)
            try:
                runs.append(self._run_one(services, path, suite))
            finally:
                services.close()
        return runs

    def _run_one(self, services: Services, path: Path, suite: Suite) -> SuiteRun:
        ensure_index(services, self.say)
        if needs_accounts(suite):
            ensure_accounts(services, self.say)
        engine: EvalEngine = services.chat
        name = "grounded"
        if self.engine == "llm":
            if services.llm is None:
                raise ConfigurationError("no LLM configured: set ASSISTANT_LLM_MODEL")
            engine, name = LLMUnderTest(services.llm, services.chat), services.llm.name
        scorer = Scorer(self.check, chunk_lookup(services), self.judge)
        run = SuiteRun(path.as_posix(), self._run(engine, suite, scorer, name))
        if "naive" in self.compare:
            naive = self._naive_engine(services)
            scorer = Scorer(self.check, naive.chunk_text, self.judge)
            run.others["naive"] = self._run(naive, suite, scorer, "naive")
        return run

    def _naive_engine(self, services: Services) -> NaiveRAG:
        s = services.settings
        if s.knowledge_dir not in self._naive:
            self.say("building the naive RAG baseline (reused while the files are unchanged)")
            self._naive[s.knowledge_dir] = NaiveRAG.build(
                services.chroma, self.embedder, [s.knowledge_dir], s.ingest_exclude
            )
        return self._naive[s.knowledge_dir]

    def _run(self, engine: EvalEngine, suite: Suite, scorer: Scorer, name: str) -> SuiteResult:
        turns = sum(len(case.steps()) for case in suite.cases)
        self.progress.start(f"{suite.suite} ({name})", turns)

        def advance(_: CaseResult) -> None:
            self.progress.advance()

        return run_suite(engine, suite, self.principal, advance, scorer, name)
