"""The ingestion pipeline: discover -> load -> chunk -> embed -> Chroma + BM25, incrementally.

Re-running on an unchanged tree embeds nothing; a changed file (or changed metadata file,
or changed access/injection rules) replaces only its own chunks, and so does a file whose
vectors another embedder made (`ASSISTANT_EMBEDDING_BACKEND` or the model changed: vectors
of two embedders never mix in one collection); a deleted file's chunks
are removed; a run killed midway is repaired by the next one (see `ingest.manifest`).
Unreadable, unsupported and over-limit files, account exports and links out of the roots
are reported and skipped (`ingest.discovery`, `ingest.policy`); sentences that read as
instructions to an assistant are cut and reported as flagged (`ingest.injection`). One run
at a time writes a data directory (`ingest.writer_lock`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import Engine

from assistant.errors import LoaderError
from assistant.retrieval.lexical_stamp import stored_generation
from ingest.archives import over_unpacked_limit
from ingest.discovery import Discovery, SourceFile, discover
from ingest.embedding import Embedder, Vectors
from ingest.manifest import FileRecord, Manifest
from ingest.policy import IngestPolicy, over_chunk_limit, over_file_limit
from ingest.sidecars import ExternalMetadata, external_metadata
from ingest.writer_lock import WriterLock

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Where

    from ingest.chunking import Chunk

log = logging.getLogger(__name__)
_UPSERT_BATCH = 1000
_EMBED_SLICE = 128  # chunks per embedding call inside a group (each upserted on its own)


@dataclass
class IngestReport:
    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    repaired: int = 0
    reembedded: int = 0  # of `changed`: unchanged files whose vectors came from another embedder
    chunks_embedded: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # indexed, but a person should look: cut injected instructions, untagged account notes
    flagged: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"files seen {self.seen}, new {self.new}, changed {self.changed}"
            + (f" ({self.reembedded} for another embedder)" if self.reembedded else "")
            + f", removed {self.removed}, skipped {len(self.skipped)}, "
            f"chunks embedded {self.chunks_embedded}, {self.seconds:.1f}s"
            + (f", flagged {len(self.flagged)}" if self.flagged else "")
            + (f" (repaired {self.repaired} interrupted)" if self.repaired else "")
        )


@dataclass(frozen=True)
class _Todo:
    file: SourceFile
    digest: str
    known: bool
    external: ExternalMetadata


def _under(source: str, roots: Sequence[str]) -> bool:
    return any(source == root or source.startswith(root.rstrip("/") + "/") for root in roots)


def _sources(paths: Sequence[str]) -> Where:
    """A Chroma filter for the chunks of these source files."""
    return cast("Where", {"source": {"$in": list(paths)}})


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(content: str, external: ExternalMetadata, policy: IngestPolicy) -> str:
    """What a file is compared by: its bytes, its metadata files and the indexing rules."""
    extra = external.fingerprint()
    return hashlib.sha256(f"{content}|{extra}|{policy.fingerprint()}".encode()).hexdigest()


class Ingestor:
    """Keeps one Chroma collection, the manifest and the BM25 index in step."""

    def __init__(
        self,
        # the collection, or what opens it on first use: a run with nothing to write and a
        # verified last run (see `_repair`) never opens Chroma
        collection: Collection | Callable[[], Collection],
        embedder: Embedder | None,  # None: plans and repairs only (the cluster's enqueuer)
        database: Engine,
        lexical_path: Path,
        *,
        chunk_size: int,
        chunk_overlap: int,
        exclude: Sequence[str] = (),
        batch_chunks: int = 4096,
        policy: IngestPolicy | None = None,
        chroma_file: Path | None = None,
    ) -> None:
        self._collection: Collection | None = None
        self._open_collection: Callable[[], Collection] | None = None
        if callable(collection):
            self._open_collection = collection
        else:
            self._collection = collection
        self._embedder = embedder
        self.database = database  # the store's: the manifest tables live there
        self.lexical_path = lexical_path
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.exclude = list(exclude)
        # Chunks per group (whole files, at least this many): a group is sorted by length
        # before it is embedded, and bigger groups pad less (groups of 1,024 cost 6-8% more
        # model time than one sorted call, bench/ingest.py); files commit when their group is
        # stored, so a killed run redoes at most one group (about 2 minutes on 2 cores).
        self.batch_chunks = batch_chunks
        self.policy = policy or IngestPolicy()
        self.lock_path = lexical_path.parent / "ingest.lock"
        # the embedded Chroma's database file (None: a Chroma server): a run that finds the
        # manifest as the last verified run left it, with this same file, skips the count
        self.chroma_file = chroma_file

    @property
    def collection(self) -> Collection:
        if self._collection is None:
            assert self._open_collection is not None
            self._collection = self._open_collection()
        return self._collection

    @collection.setter
    def collection(self, collection: Collection) -> None:
        self._collection = collection

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            raise RuntimeError("this ingestor was built without an embedder: it cannot index")
        return self._embedder

    @embedder.setter
    def embedder(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def run(self, roots: Sequence[Path], *, progress: bool = False) -> IngestReport:
        """Index `roots`; raises `IngestLockedError` when another run holds the data dir."""
        start = time.perf_counter()
        report = IngestReport()
        with (
            WriterLock(self.lock_path, self.policy.lock_timeout),
            Manifest(self.database) as manifest,
        ):
            report.repaired = self._repair(manifest)
            found = self.discover(roots, manifest, report)
            self._index(manifest, found.files, report, progress)
            self._refresh_lexical(manifest)
            self._record_verified(manifest)
        report.seconds = time.perf_counter() - start
        return report

    # the pieces the cluster profile's jobs run apart (assistant.jobs) ---------------------
    def discover(
        self, roots: Sequence[Path], manifest: Manifest, report: IngestReport
    ) -> Discovery:
        """The files under `roots`; the chunks of files gone from them are removed."""
        found = discover(roots, self.exclude)
        report.skipped.extend(found.skipped)
        report.seen = len(found.files)
        known = manifest.files()
        present = {file.source for file in found.files}
        gone = [
            p
            for p in known
            if _under(p, found.root_names)
            and p not in present
            and (p in found.refused or not Path(p).exists())
        ]
        if gone:
            # the manifest first: a run killed in between leaves orphans in Chroma and a new
            # generation, so the next run counts and removes them (`_repair`)
            manifest.forget(gone)
            self.collection.delete(where=_sources(gone))
            report.removed = len(gone)
        return found

    def run_files(self, files: Sequence[SourceFile]) -> IngestReport:
        """Index these files (one job's share: no lock, no removal, no BM25 rebuild); a
        file left `pending` by a killed job is redone, its leftovers in Chroma deleted."""
        start = time.perf_counter()
        report = IngestReport(seen=len(files))
        with Manifest(self.database) as manifest:
            self._index(manifest, files, report, progress=False)
        report.seconds = time.perf_counter() - start
        return report

    def repair(self) -> int:
        """What interrupted runs left behind, undone (see `_repair`); the files repaired."""
        with Manifest(self.database) as manifest:
            return self._repair(manifest)

    def publish_lexical(self, timeout: float | None = None) -> int:
        """Rebuild the BM25 snapshot when the manifest moved on (one writer at a time, under
        the data dir's lock, waited for up to `timeout` seconds); the generation it has."""
        wait = self.policy.lock_timeout if timeout is None else timeout
        with WriterLock(self.lock_path, wait), Manifest(self.database) as m:
            self._refresh_lexical(m)
            return m.generation

    def _index(
        self,
        manifest: Manifest,
        files: Sequence[SourceFile],
        report: IngestReport,
        progress: bool,
    ) -> None:
        known = manifest.files()
        todo = [item for file in files if (item := self._check(file, known, report))]
        loaded = self._load(todo, report)
        self._embed_and_store(manifest, loaded, report, progress)

    def _check(
        self, file: SourceFile, known: dict[str, FileRecord], report: IngestReport
    ) -> _Todo | None:
        """The file to (re)index, or None when it is unchanged or cannot be indexed."""
        try:
            reason = over_file_limit(file.path, self.policy.limits)
            if reason is None:
                reason = over_unpacked_limit(file.path, self.policy.limits)
            if reason is not None:
                report.skipped.append((file.source, reason))
                return None
            external = external_metadata(file.path, list(file.folders), file.source)
            digest = _digest(file_hash(file.path), external, self.policy)
        except OSError as error:
            report.skipped.append((file.source, f"cannot read: {error}"))
            return None
        except LoaderError as error:
            report.skipped.append((file.source, error.reason))
            return None
        record = known.get(file.source)
        if record is not None and record.file_hash == digest:
            # the name is known before the model loads: an unchanged tree loads nothing
            if record.embedder == self.embedder.name:
                report.unchanged += 1
                return None
            report.reembedded += 1  # its vectors came from another embedder (or an unknown one)
        return _Todo(file, digest, record is not None, external)

    def _store_identity(self) -> int | None:
        """Which embedded Chroma store this is (its database file's inode), None when
        there is none to compare (a Chroma server, or no store yet)."""
        if self.chroma_file is None:
            return None
        try:
            return self.chroma_file.stat().st_ino % (1 << 31)  # the state table holds int32
        except OSError:
            return None

    def _verified(self, manifest: Manifest) -> bool:
        """True when the manifest is exactly as the last run that checked Chroma against
        it left it (same generation: every write to Chroma is preceded by a manifest
        change), on the same Chroma store (not deleted or replaced since)."""
        store = self._store_identity()
        return store is not None and manifest.verified() == (manifest.generation, store)

    def _record_verified(self, manifest: Manifest) -> None:
        """After a run: record that Chroma holds as many chunks as the manifest (so the
        next run with nothing to do need not open Chroma to count them)."""
        store = self._store_identity()
        if store is None or self._verified(manifest):
            return
        pending = any(record.status == "pending" for record in manifest.files().values())
        if not pending and self.collection.count() == manifest.chunk_count():
            manifest.record_verified(manifest.generation, store)

    def _repair(self, manifest: Manifest) -> int:
        """Undo what an interrupted run left behind: chunks of `pending` files, orphans.

        Chroma is counted against the manifest unless nothing is pending and the last run
        verified this very manifest generation on this very store (`_verified`)."""
        pending = [path for path, record in manifest.files().items() if record.status == "pending"]
        if not pending and self._verified(manifest):
            return 0
        if pending:
            self.collection.delete(where=_sources(pending))
            manifest.forget(pending)
        if self.collection.count() != manifest.chunk_count():
            expected = {chunk_id for chunk_id, *_ in manifest.all_chunks()}
            stored = set(self.collection.get(include=[])["ids"])
            orphans = sorted(stored - expected)
            for start in range(0, len(orphans), _UPSERT_BATCH):
                self.collection.delete(ids=orphans[start : start + _UPSERT_BATCH])
            incomplete = {
                metadata["source"]
                for chunk_id, _, _, metadata in manifest.all_chunks()
                if chunk_id not in stored
            }
            if incomplete:
                manifest.forget(sorted(incomplete))
                self.collection.delete(where=_sources(sorted(incomplete)))
            return len(pending) + len(incomplete) + (1 if orphans else 0)
        return len(pending)

    def _load(
        self, todo: Sequence[_Todo], report: IngestReport
    ) -> list[tuple[str, str, list[Chunk]]]:
        if not todo:
            return []
        # the loaders and the splitter (bs4, langchain: a few tenths of a second to import)
        # only when a file is to be read
        from ingest.chunking import chunk_document
        from ingest.loaders import load_document

        loaded: list[tuple[str, str, list[Chunk]]] = []
        limits = self.policy.limits
        for item in todo:
            source = item.file.source
            try:
                document = load_document(
                    item.file.path, source, item.external, self.policy.account_bound_types
                )
            except LoaderError as error:
                report.skipped.append((source, error.reason))
                log.warning("skipped %s: %s", source, error.reason)
                continue
            document.text, cut = self.policy.injection.cut(document.text)
            for snippet in cut:
                report.flagged.append(
                    (source, f"instructions to an assistant, not indexed: {snippet!r}")
                )
            if document.restricted and not document.accounts:
                report.flagged.append(
                    (
                        source,
                        f"{document.doc_type} without an account tag: visible to admins only "
                        f"(add `accounts:` in front matter or {item.file.path.name}.meta.yaml)",
                    )
                )
            # each chunk holds at most chunk_size characters: a longer text cannot fit
            least = len(document.text) // self.chunk_size
            reason = over_chunk_limit(least, limits, at_least=True)
            chunks: list[Chunk] = []
            if reason is None:
                chunks = chunk_document(document, self.chunk_size, self.chunk_overlap, item.digest)
                reason = over_chunk_limit(len(chunks), limits)
            if reason is not None:
                report.skipped.append((source, reason))
                continue
            loaded.append((source, item.digest, chunks))
            if item.known:
                report.changed += 1
            else:
                report.new += 1
        return loaded

    def _embed_and_store(
        self,
        manifest: Manifest,
        loaded: Sequence[tuple[str, str, list[Chunk]]],
        report: IngestReport,
        progress: bool,
    ) -> None:
        total = sum(len(chunks) for _, _, chunks in loaded)
        if not loaded:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(
            TextColumn("embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not progress or total == 0,
            transient=True,
        )
        with bar:
            task = bar.add_task("embedding", total=total)
            group: list[tuple[str, str, list[Chunk]]] = []
            for item in loaded:
                group.append(item)
                if sum(len(chunks) for _, _, chunks in group) >= self.batch_chunks:
                    self._store_group(manifest, group, report)
                    bar.advance(task, sum(len(chunks) for _, _, chunks in group))
                    group = []
            if group:
                self._store_group(manifest, group, report)
                bar.advance(task, sum(len(chunks) for _, _, chunks in group))

    def _store_group(
        self,
        manifest: Manifest,
        group: Sequence[tuple[str, str, list[Chunk]]],
        report: IngestReport,
    ) -> None:
        paths = [source for source, _, _ in group]
        manifest.mark_pending(paths)
        self.collection.delete(where=_sources(paths))
        chunks = [chunk for _, _, file_chunks in group for chunk in file_chunks]
        # Longest first, in slices: the model pads each batch to its longest text, so sorting
        # the whole group pads least; while one slice is embedded (torch releases the GIL),
        # a writer thread upserts the previous one into Chroma.
        order = sorted(range(len(chunks)), key=lambda i: -len(chunks[i].index_text))
        by_position: dict[int, Vectors] = {}
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-upsert") as writer:
            pending: list[Future[None]] = []
            for start in range(0, len(order), _EMBED_SLICE):
                part = [chunks[i] for i in order[start : start + _EMBED_SLICE]]
                vectors, spans = self.embedder.embed_in_context(
                    [chunk.index_text for chunk in part], [chunk.sentence_spans for chunk in part]
                )
                for i, span_vectors in zip(order[start : start + len(part)], spans, strict=True):
                    by_position[i] = span_vectors
                pending.append(writer.submit(self._upsert, part, vectors))
            for future in pending:
                future.result()  # an upsert that failed fails the run before anything commits
        sentence_vectors = [by_position[i] for i in range(len(chunks))]
        start = 0
        for source, digest, file_chunks in group:
            end = start + len(file_chunks)
            manifest.commit_file(
                source, digest, file_chunks, sentence_vectors[start:end], self.embedder.name
            )
            start = end
        report.chunks_embedded += len(chunks)

    def _upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        self.collection.upsert(
            ids=[chunk.id for chunk in chunks],
            embeddings=vectors,
            documents=[chunk.text for chunk in chunks],
            metadatas=[chunk.metadata for chunk in chunks],
        )

    def _refresh_lexical(self, manifest: Manifest) -> None:
        if stored_generation(self.lexical_path) == manifest.generation:
            return
        from assistant.retrieval.lexical import LexicalIndex, StoredChunk  # bm25s

        rows = list(manifest.all_chunks())
        index = LexicalIndex.build(
            [StoredChunk(chunk_id, text, metadata) for chunk_id, text, _, metadata in rows],
            [index_text for _, _, index_text, _ in rows],
            generation=manifest.generation,
            sentence_vectors=list(manifest.all_sentence_vectors(self.embedder.dimension)),
        )
        index.save(self.lexical_path)
