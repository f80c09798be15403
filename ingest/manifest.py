"""The ingestion manifest: which file (path, content hash) produced which chunks.

Tables of the store (`assistant.store.manifest`): the data directory's SQLite database in the
embedded profile, Postgres in the cluster one, where every ingest worker shares it. A file is
marked `pending` before its chunks are touched and `done` (with its chunks) after they are
all in Chroma, in one transaction each; a run that dies in between leaves `pending` rows,
and the next run (or the job redone by another worker) deletes whatever those files left in
Chroma before indexing them again. The chunk table also feeds the BM25 rebuild, and the
generation counter tells the lexical index whether it is current.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, Table, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assistant.store.db import session_factory
from assistant.store.manifest import IngestChunk, IngestFile, IngestState
from ingest.embedding import Vectors

if TYPE_CHECKING:
    from ingest.chunking import Chunk  # the splitter (langchain) only where files are split

_FILES = cast(Table, IngestFile.__table__)
_CHUNKS = cast(Table, IngestChunk.__table__)
_STATE = cast(Table, IngestState.__table__)
_GENERATION = "generation"
# the generation and Chroma store at which a run last found Chroma holding the manifest's
# chunks (`Ingestor._record_verified`)
_VERIFIED_GENERATION, _VERIFIED_STORE = "verified_generation", "verified_store"
_IN_BATCH = 500  # paths per `in (...)`


@dataclass(frozen=True)
class FileRecord:
    path: str
    file_hash: str
    status: str
    chunk_count: int
    embedder: str | None = None  # the embedder of its vectors (None: not recorded)


class Manifest:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def close(self) -> None:
        """Nothing to release: the engine belongs to the caller."""

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def files(self) -> dict[str, FileRecord]:
        query = select(
            _FILES.c.path,
            _FILES.c.file_hash,
            _FILES.c.status,
            _FILES.c.chunk_count,
            _FILES.c.embedder,
        )
        with self._sessions() as session:
            return {row[0]: FileRecord(*row) for row in session.execute(query)}

    def mark_pending(self, paths: Sequence[str]) -> None:
        with self._sessions.begin() as session:
            known = self._known(session, paths)
            for part in _batches([p for p in paths if p in known]):
                session.execute(
                    update(_FILES).where(_FILES.c.path.in_(part)).values(status="pending")
                )
            fresh = [
                {"path": p, "file_hash": "", "status": "pending", "chunk_count": 0}
                for p in dict.fromkeys(paths)
                if p not in known
            ]
            if fresh:
                session.execute(insert(_FILES), fresh)
            _bump(session)

    def commit_file(
        self,
        path: str,
        file_hash: str,
        chunks: Sequence[Chunk],
        sentence_vectors: Sequence[Vectors] | None = None,
        embedder: str | None = None,
    ) -> None:
        """Record a file as done with its chunks (and each chunk's sentence vectors), and
        the embedder that produced its vectors."""
        vectors = sentence_vectors if sentence_vectors is not None else [None] * len(chunks)
        with self._sessions.begin() as session:
            session.execute(delete(_CHUNKS).where(_CHUNKS.c.path == path))
            values = {
                "file_hash": file_hash,
                "status": "done",
                "chunk_count": len(chunks),
                "embedder": embedder,
            }
            if self._known(session, [path]):
                session.execute(update(_FILES).where(_FILES.c.path == path).values(**values))
            else:
                session.execute(insert(_FILES).values(path=path, **values))
            rows = [
                {
                    "id": c.id,
                    "path": path,
                    "position": n,
                    "text": c.text,
                    "index_text": c.index_text,
                    "metadata": json.dumps(c.metadata),
                    "sentence_vectors": None if v is None else v.astype(np.float16).tobytes(),
                }
                for n, (c, v) in enumerate(zip(chunks, vectors, strict=True))
            ]
            if rows:
                session.execute(insert(_CHUNKS), rows)
            _bump(session)

    def forget(self, paths: Sequence[str]) -> None:
        with self._sessions.begin() as session:
            for part in _batches(list(paths)):
                # chunks first: SQLite cascades only with foreign keys on, Postgres always
                session.execute(delete(_CHUNKS).where(_CHUNKS.c.path.in_(part)))
                session.execute(delete(_FILES).where(_FILES.c.path.in_(part)))
            _bump(session)

    def chunk_ids(self, path: str) -> list[str]:
        query = select(_CHUNKS.c.id).where(_CHUNKS.c.path == path).order_by(_CHUNKS.c.position)
        with self._sessions() as session:
            return list(session.scalars(query))

    def all_chunks(self) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """(id, text, index_text, metadata) of every chunk, in a stable order (path, then
        position; sorted here, so SQLite and Postgres collations give the same order)."""
        query = select(
            _CHUNKS.c.path,
            _CHUNKS.c.position,
            _CHUNKS.c.id,
            _CHUNKS.c.text,
            _CHUNKS.c.index_text,
            _CHUNKS.c.metadata,
        )
        with self._sessions() as session:
            rows = sorted(session.execute(query), key=lambda row: (row[0], row[1]))
        for _, _, chunk_id, text, index_text, metadata in rows:
            yield chunk_id, text, index_text, json.loads(metadata)

    def all_sentence_vectors(self, dimension: int) -> Iterator[npt.NDArray[np.float16] | None]:
        """Each chunk's sentence vectors (float16 on disk), in the order of `all_chunks`."""
        query = select(_CHUNKS.c.path, _CHUNKS.c.position, _CHUNKS.c.sentence_vectors)
        with self._sessions() as session:
            rows = sorted(session.execute(query), key=lambda row: (row[0], row[1]))
        for _, _, blob in rows:
            if blob is None:
                yield None
            else:
                yield np.frombuffer(blob, dtype=np.float16).reshape(-1, dimension)

    def embedders(self) -> dict[str | None, int]:
        """Files done per embedder of their vectors (None: indexed before it was recorded)."""
        query = (
            select(_FILES.c.embedder, func.count())
            .where(_FILES.c.status == "done")
            .group_by(_FILES.c.embedder)
        )
        with self._sessions() as session:
            return {name: int(count) for name, count in session.execute(query)}

    def chunk_count(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(_CHUNKS)) or 0)

    @property
    def generation(self) -> int:
        query = select(_STATE.c.value).where(_STATE.c.key == _GENERATION)
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    def verified(self) -> tuple[int, int] | None:
        """(generation, store) of the last run that found Chroma holding the manifest's
        chunks; None when no run recorded it."""
        keys = (_VERIFIED_GENERATION, _VERIFIED_STORE)
        query = select(_STATE.c.key, _STATE.c.value).where(_STATE.c.key.in_(keys))
        with self._sessions() as session:
            values = {str(key): int(value) for key, value in session.execute(query)}
        if set(values) != set(keys):
            return None
        return int(values[_VERIFIED_GENERATION]), int(values[_VERIFIED_STORE])

    def record_verified(self, generation: int, store: int) -> None:
        """Record that Chroma held exactly the chunks of `generation` (no new generation)."""
        with self._sessions.begin() as session:
            for key, value in ((_VERIFIED_GENERATION, generation), (_VERIFIED_STORE, store)):
                updated = session.execute(
                    update(_STATE).where(_STATE.c.key == key).values(value=value)
                )
                if not updated.rowcount:  # type: ignore[attr-defined]
                    session.execute(insert(_STATE).values(key=key, value=value))

    @staticmethod
    def _known(session: Session, paths: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for part in _batches(list(paths)):
            known.update(session.scalars(select(_FILES.c.path).where(_FILES.c.path.in_(part))))
        return known


def _bump(session: Session) -> None:
    """One more generation (a row lock on Postgres: concurrent workers take turns)."""
    bumped = session.execute(
        update(_STATE).where(_STATE.c.key == _GENERATION).values(value=_STATE.c.value + 1)
    )
    if not bumped.rowcount:  # type: ignore[attr-defined]
        # the first change: two workers may get here at once, so insert-or-nothing, then bump
        dialect = session.get_bind().dialect.name
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert_(_STATE).values(key=_GENERATION, value=0).on_conflict_do_nothing())
        session.execute(
            update(_STATE).where(_STATE.c.key == _GENERATION).values(value=_STATE.c.value + 1)
        )


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _IN_BATCH):
        yield items[start : start + _IN_BATCH]
