"""What an ingest needs, and nothing more: the settings, the database (manifest and jobs
ledger), the Chroma collection and the embedding model, each made on first use.

`assistant ingest` (embedded profile) and the cluster's ingest workers use `IngestResources`
instead of the whole `Services` (issue 15): an ingest of an unchanged tree imports no model
library, and when the last run ended verified it does not open Chroma either
(`Ingestor._repair`). The server builds its in-process ingestor from its own resources
through `build_ingestor`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from assistant.config import Settings
from assistant.jobs.ledger import LOCAL_RUN, Ledger
from assistant.store.db import build_engine
from ingest.embedding import Embedder, build_embedder_from
from ingest.pipeline import Ingestor, IngestReport
from ingest.policy import IngestPolicy

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.config import System

# the embedded Chroma's database file, in its directory (`Settings.chroma_path`)
CHROMA_FILE = "chroma.sqlite3"


class LedgeredIngestor(Ingestor):
    """An in-process ingest recorded in the jobs ledger as one job, like an enqueued run's
    shards (ingest progress on the admin page, issues 13 and 17); `after_run` runs when it
    ends, whatever the outcome (the server loads the new index generation there)."""

    def __init__(
        self, *args: Any, after_run: Callable[[], object] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.after_run = after_run

    def run(self, roots: Sequence[Path], *, progress: bool = False) -> IngestReport:
        ledger, run_id = Ledger(self.database), f"{LOCAL_RUN}{uuid.uuid4().hex[:12]}"
        ledger.create(run_id, [0])
        ledger.running(run_id, 0, f"in-process (pid {os.getpid()})")
        try:
            report = super().run(roots, progress=progress)
        except BaseException as error:
            ledger.failed(run_id, 0, f"{type(error).__name__}: {error}")
            raise
        else:
            ledger.done(run_id, 0, report.chunks_embedded, report.skipped, files=report.seen)
            return report
        finally:
            if self.after_run is not None:
                self.after_run()


def build_ingestor(
    settings: Settings,
    collection: Collection | Callable[[], Collection],
    embedder: Embedder | None,
    database: Engine,
    *,
    ledgered: bool = False,
    after_run: Callable[[], object] | None = None,
) -> Ingestor:
    """The ingestor the settings describe (chunking, exclusions, limits and rules); one
    recorded in the jobs ledger when `ledgered` (`LedgeredIngestor`). `collection` may be
    a function that opens it: it is called only when Chroma is needed."""
    options: dict[str, Any] = {
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "exclude": settings.ingest_exclude,
        "policy": IngestPolicy.from_settings(settings),
        "chroma_file": None if settings.chroma_url else settings.chroma_path / CHROMA_FILE,
    }
    lexical = settings.lexical_path
    if ledgered:
        return LedgeredIngestor(
            collection, embedder, database, lexical, after_run=after_run, **options
        )
    return Ingestor(collection, embedder, database, lexical, **options)


@dataclass
class IngestResources:
    """The settings' database, Chroma collection and embedder, each built on first use and
    kept for the process (an ingest worker runs many jobs); `close()` releases them."""

    settings: Settings
    given_embedder: Embedder | None = None  # the settings' model when None
    _database: Engine | None = field(default=None, repr=False)
    _embedder: Embedder | None = field(default=None, repr=False)
    _collection: Collection | None = field(default=None, repr=False)
    _system: System | None = field(default=None, repr=False)
    _ingestors: dict[bool, Ingestor] = field(default_factory=dict, repr=False)

    @property
    def database(self) -> Engine:
        if self._database is None:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._database = build_engine(self.settings)
        return self._database

    @property
    def embedder(self) -> Embedder:
        """The embedder (its name and size known at once; the model loads on first use)."""
        if self._embedder is None:
            self._embedder = self.given_embedder or build_embedder_from(self.settings)
        return self._embedder

    def collection(self) -> Collection:
        """The Chroma collection, opened now if it was not yet (Chroma is imported here)."""
        if self._collection is None:
            from assistant.retrieval.dense import connect_private, open_collection

            s = self.settings
            client, self._system = connect_private(s)
            self._collection = open_collection(client, s.collection, s.vector_ef_search)
        return self._collection

    def ingestor(self, *, ledgered: bool = False) -> Ingestor:
        """An ingestor over these resources (one of each kind per process); Chroma opens
        only when the run needs it."""
        if ledgered not in self._ingestors:
            self._ingestors[ledgered] = build_ingestor(
                self.settings, self.collection, self.embedder, self.database, ledgered=ledgered
            )
        return self._ingestors[ledgered]

    def close(self) -> None:
        if self._system is not None:
            self._system.stop()
            self._system = None
        self._collection = None
        self._ingestors.clear()
        if self._database is not None:
            self._database.dispose()
            self._database = None
