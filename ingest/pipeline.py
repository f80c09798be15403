"""The ingestion pipeline: discover -> load -> chunk -> embed -> Chroma + BM25, incrementally.

Re-running on an unchanged tree embeds nothing; a changed file replaces only its own chunks;
a deleted file's chunks are removed; a run killed midway is repaired by the next one (see
`ingest.manifest`). Unreadable or unsupported files are reported and skipped.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.errors import LoaderError
from assistant.retrieval.lexical import LexicalIndex, StoredChunk
from ingest.chunking import Chunk, chunk_document
from ingest.embedding import Embedder, Vectors
from ingest.loaders import is_supported, load_document
from ingest.manifest import Manifest

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
    chunks_embedded: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"files seen {self.seen}, new {self.new}, changed {self.changed}, "
            f"removed {self.removed}, skipped {len(self.skipped)}, "
            f"chunks embedded {self.chunks_embedded}, {self.seconds:.1f}s"
            + (f" (repaired {self.repaired} interrupted)" if self.repaired else "")
        )


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str  # the name stored in metadata: relative to the working directory when inside


def source_name(path: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)


def discover(
    roots: Sequence[Path], exclude: Sequence[str], report: IngestReport
) -> tuple[list[SourceFile], list[str]]:
    """Files under `roots` (hidden and excluded ones left out) and the roots' source names."""
    files: dict[str, SourceFile] = {}
    root_names: list[str] = []
    for root in roots:
        if not root.exists():
            report.skipped.append((root.as_posix(), "no such file or directory"))
            continue
        root_names.append(source_name(root))
        candidates: Iterator[Path] = iter([root]) if root.is_file() else root.rglob("*")
        for path in sorted(candidates):
            relative = path.relative_to(root).as_posix() if path != root else path.name
            if not path.is_file() or any(part.startswith(".") for part in Path(relative).parts):
                continue
            if path != root and _excluded(relative, exclude):
                continue
            source = source_name(path)
            if not is_supported(path):
                report.skipped.append((source, f"unsupported file type '{path.suffix}'"))
                continue
            files[source] = SourceFile(path, source)
    return list(files.values()), root_names


def _under(source: str, roots: Sequence[str]) -> bool:
    return any(source == root or source.startswith(root.rstrip("/") + "/") for root in roots)


def _sources(paths: Sequence[str]) -> Where:
    """A Chroma filter for the chunks of these source files."""
    return cast(Where, {"source": {"$in": list(paths)}})


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Ingestor:
    """Keeps one Chroma collection, the manifest and the BM25 index in step."""

    def __init__(
        self,
        collection: Collection,
        embedder: Embedder,
        manifest_path: Path,
        lexical_path: Path,
        *,
        chunk_size: int,
        chunk_overlap: int,
        exclude: Sequence[str] = (),
        batch_chunks: int = 4096,
    ) -> None:
        self.collection = collection
        self.embedder = embedder
        self.manifest_path = manifest_path
        self.lexical_path = lexical_path
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.exclude = list(exclude)
        # Chunks per group (whole files, at least this many): a group is sorted by length
        # before it is embedded, and bigger groups pad less (groups of 1,024 cost 6-8% more
        # model time than one sorted call, bench/ingest.py); files commit when their group is
        # stored, so a killed run redoes at most one group (about 2 minutes on 2 cores).
        self.batch_chunks = batch_chunks

    def run(self, roots: Sequence[Path], *, progress: bool = False) -> IngestReport:
        start = time.perf_counter()
        report = IngestReport()
        with Manifest(self.manifest_path) as manifest:
            report.repaired = self._repair(manifest)
            files, root_names = discover(roots, self.exclude, report)
            report.seen = len(files)
            known = manifest.files()
            todo: list[tuple[SourceFile, str, bool]] = []
            for file in files:
                try:
                    digest = file_hash(file.path)
                except OSError as error:
                    report.skipped.append((file.source, f"cannot read: {error}"))
                    continue
                record = known.get(file.source)
                if record is not None and record.file_hash == digest:
                    report.unchanged += 1
                else:
                    todo.append((file, digest, record is not None))

            present = {file.source for file in files}
            gone = [p for p in known if _under(p, root_names) and p not in present]
            gone = [p for p in gone if not Path(p).exists()]
            if gone:
                self.collection.delete(where=_sources(gone))
                manifest.forget(gone)
                report.removed = len(gone)

            loaded = self._load(todo, report)
            self._embed_and_store(manifest, loaded, report, progress)
            self._refresh_lexical(manifest)
        report.seconds = time.perf_counter() - start
        return report

    def _repair(self, manifest: Manifest) -> int:
        """Undo what an interrupted run left behind: chunks of `pending` files, orphans."""
        pending = [path for path, record in manifest.files().items() if record.status == "pending"]
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
        self, todo: Sequence[tuple[SourceFile, str, bool]], report: IngestReport
    ) -> list[tuple[str, str, list[Chunk]]]:
        loaded: list[tuple[str, str, list[Chunk]]] = []
        for file, digest, is_known in todo:
            try:
                document = load_document(file.path, file.source)
            except LoaderError as error:
                report.skipped.append((file.source, error.reason))
                log.warning("skipped %s: %s", file.source, error.reason)
                continue
            chunks = chunk_document(document, self.chunk_size, self.chunk_overlap, digest)
            loaded.append((file.source, digest, chunks))
            if is_known:
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
            manifest.commit_file(source, digest, file_chunks, sentence_vectors[start:end])
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
        if LexicalIndex.stored_generation(self.lexical_path) == manifest.generation:
            return
        rows = list(manifest.all_chunks())
        index = LexicalIndex.build(
            [StoredChunk(chunk_id, text, metadata) for chunk_id, text, _, metadata in rows],
            [index_text for _, _, index_text, _ in rows],
            generation=manifest.generation,
            sentence_vectors=list(manifest.all_sentence_vectors(self.embedder.dimension)),
        )
        index.save(self.lexical_path)
