"""SQLAlchemy engine and session factory: SQLite in the data directory, Postgres by URL.

SQLite under concurrent chats: WAL (readers never wait for the writer), a busy timeout
from settings, and one writer path. `Sessions.begin()` (every write in the stores) opens
its transaction with `BEGIN IMMEDIATE`, so a writer takes the write lock before it reads
and waits for it (up to the busy timeout) there; within one process, writers to one
SQLite engine first queue on a lock, so only other processes (an import, a second server)
ever wait in SQLite's busy handler. A plain deferred transaction that reads
and then writes cannot wait: when another writer committed in between, SQLite answers
"database is locked" at once (the snapshot is stale), which is what 50 concurrent chats
hit. Read-only sessions (`Sessions()`) stay deferred and take no lock.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from assistant.config import Settings

_WRITER = "assistant_sqlite_writer"  # execution option: this connection's transaction writes
# one writer at a time per SQLite engine in this process: writers queue on a lock instead
# of polling SQLite's busy handler, which under load lets a writer starve past its timeout
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


class Base(DeclarativeBase):
    pass


def build_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout},
            # one connection per thread that needs one: the server runs ~40 worker threads
            pool_size=10,
            max_overflow=50,
            pool_timeout=settings.sqlite_busy_timeout,
        )
        busy_ms = int(settings.sqlite_busy_timeout * 1000)

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record):  # type: ignore[no-untyped-def]
            connection.isolation_level = None  # SQLAlchemy's `begin` event emits BEGIN
            cursor = connection.cursor()
            cursor.execute("pragma foreign_keys=on")
            cursor.execute("pragma journal_mode=wal")
            cursor.execute(f"pragma busy_timeout={busy_ms}")
            # No fsync per commit (a chat turn commits three times): safe against a crashed
            # process; a power cut may lose the last turns, never corrupt the database.
            cursor.execute("pragma synchronous=normal")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            writes = connection.get_execution_options().get(_WRITER, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        _WRITE_LOCKS[engine] = threading.Lock()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    # the schema is the migrations' (issue 17): applied here in the embedded profile,
    # checked in the cluster one (`assistant db upgrade` applies it there)
    from assistant.store import migrate

    if settings.migrates_on_start:
        migrate.upgrade(engine)
    else:
        migrate.require_current(engine)
    return engine


class Sessions(sessionmaker[Session]):
    """Sessions of one engine: `Sessions()` to read, `Sessions.begin()` to write (one
    transaction, committed at the end of the block, the SQLite write lock taken first)."""

    def __init__(self, engine: Engine, **options: Any) -> None:
        super().__init__(engine, **options)
        self.writer = engine.execution_options(**{_WRITER: True})
        self._lock = _WRITE_LOCKS.get(engine)  # None: not SQLite, or not built here

    def begin(self) -> AbstractContextManager[Session]:
        return self._writing()

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with ExitStack() as stack:
            if self._lock is not None:
                stack.enter_context(self._lock)
            session = stack.enter_context(self(bind=self.writer))
            stack.enter_context(session.begin())
            yield session


def session_factory(engine: Engine) -> Sessions:
    return Sessions(engine, expire_on_commit=False)
