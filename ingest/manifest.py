"""The ingestion manifest: which file (path, content hash) produced which chunks.

SQLite in the data directory. A file is marked `pending` before its chunks are touched and
`done` (with its chunks) after they are all in Chroma, in one transaction each; a run that
dies in between leaves `pending` rows, and the next run deletes whatever those files left in
Chroma before indexing them again. The chunk table also feeds the BM25 rebuild, and the
generation counter tells the lexical index whether it is current.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ingest.chunking import Chunk
from ingest.embedding import Vectors

_SCHEMA = """
create table if not exists files (
    path text primary key,
    file_hash text not null,
    status text not null check (status in ('pending', 'done')),
    chunk_count integer not null default 0
);
create table if not exists chunks (
    id text primary key,
    path text not null references files(path) on delete cascade,
    position integer not null,
    text text not null,
    index_text text not null,
    metadata text not null,
    sentence_vectors blob
);
create index if not exists chunks_path on chunks(path);
create table if not exists meta (key text primary key, value text not null);
"""


@dataclass(frozen=True)
class FileRecord:
    path: str
    file_hash: str
    status: str
    chunk_count: int


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        # WAL + NORMAL: a commit no longer waits for an fsync (one per file adds up), and a
        # killed process still loses nothing; a power cut may take back the last commits,
        # which leaves files `pending` or chunks Chroma has and the manifest lacks: exactly
        # what the next run's repair (pending rows, count check, orphans) already undoes.
        self._db.execute("pragma synchronous=normal")
        self._db.execute("pragma foreign_keys=on")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def files(self) -> dict[str, FileRecord]:
        rows = self._db.execute("select path, file_hash, status, chunk_count from files")
        return {row[0]: FileRecord(*row) for row in rows}

    def mark_pending(self, paths: Sequence[str]) -> None:
        with self._transaction():
            self._db.executemany(
                "insert into files(path, file_hash, status) values (?, '', 'pending') "
                "on conflict(path) do update set status = 'pending'",
                [(path,) for path in paths],
            )
            self._bump()

    def commit_file(
        self,
        path: str,
        file_hash: str,
        chunks: Sequence[Chunk],
        sentence_vectors: Sequence[Vectors] | None = None,
    ) -> None:
        """Record a file as done with its chunks (and each chunk's sentence vectors)."""
        vectors = sentence_vectors if sentence_vectors is not None else [None] * len(chunks)
        with self._transaction():
            self._db.execute("delete from chunks where path = ?", (path,))
            self._db.execute(
                "insert into files(path, file_hash, status, chunk_count) values (?, ?, 'done', ?) "
                "on conflict(path) do update set file_hash = excluded.file_hash, "
                "status = 'done', chunk_count = excluded.chunk_count",
                (path, file_hash, len(chunks)),
            )
            self._db.executemany(
                "insert into chunks(id, path, position, text, index_text, metadata, "
                "sentence_vectors) values (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.id,
                        path,
                        n,
                        c.text,
                        c.index_text,
                        json.dumps(c.metadata),
                        None if v is None else v.astype(np.float16).tobytes(),
                    )
                    for n, (c, v) in enumerate(zip(chunks, vectors, strict=True))
                ],
            )
            self._bump()

    def forget(self, paths: Sequence[str]) -> None:
        with self._transaction():
            self._db.executemany("delete from files where path = ?", [(p,) for p in paths])
            self._bump()

    def chunk_ids(self, path: str) -> list[str]:
        rows = self._db.execute("select id from chunks where path = ? order by position", (path,))
        return [row[0] for row in rows]

    def all_chunks(self) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """(id, text, index_text, metadata) of every chunk, in a stable order."""
        rows = self._db.execute(
            "select id, text, index_text, metadata from chunks order by path, position"
        )
        for chunk_id, text, index_text, metadata in rows:
            yield chunk_id, text, index_text, json.loads(metadata)

    def all_sentence_vectors(self, dimension: int) -> Iterator[npt.NDArray[np.float16] | None]:
        """Each chunk's sentence vectors (float16 on disk), in the order of `all_chunks`."""
        rows = self._db.execute("select sentence_vectors from chunks order by path, position")
        for (blob,) in rows:
            if blob is None:
                yield None
            else:
                yield np.frombuffer(blob, dtype=np.float16).reshape(-1, dimension)

    def chunk_count(self) -> int:
        return int(self._db.execute("select count(*) from chunks").fetchone()[0])

    @property
    def generation(self) -> int:
        row = self._db.execute("select value from meta where key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self) -> None:
        self._db.execute(
            "insert into meta(key, value) values ('generation', '1') on conflict(key) "
            "do update set value = cast(value as integer) + 1"
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("begin immediate")

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._db.execute("rollback" if kind else "commit")
