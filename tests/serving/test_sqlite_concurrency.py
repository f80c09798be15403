"""Finding 11 of issue 11: SQLite "database is locked" under 50 concurrent chats. Fifty
threads record chat turns, read histories and rate answers on one SQLite file at once (the
server's own stores, the same transactions as the API); none may fail, nothing may be lost.
The load test (bench/load.py) does the same through a real server for 60 s."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from assistant.store import accounts as _tables  # noqa: F401  (registers the tables)
from assistant.store.conversations import ConversationStore
from assistant.store.db import build_engine, session_factory
from assistant.store.feedback import FeedbackStore
from tests.conftest import make_settings

WRITERS = 50
SECONDS = 4.0
BUSY = 8


def test_fifty_concurrent_writers_get_no_locked_errors(tmp_path: Path) -> None:
    engine = build_engine(make_settings(tmp_path / "data"))
    conversations = ConversationStore(session_factory(engine))
    feedback = FeedbackStore(engine)
    errors: list[str] = []
    turns = [0] * WRITERS
    barrier = threading.Barrier(WRITERS + BUSY)

    def chat(n: int) -> None:
        user = f"user-{n}"
        barrier.wait()
        conversation: str | None = None
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            try:
                turn = [("user", f"question {turns[n]}", {}), ("assistant", "answer", {})]
                conversation = conversations.record_turn(conversation, user, None, turn)
                turns[n] += 1
                conversations.history(conversation, user)
                feedback.record(conversation, "up", user=user, comment=f"turn {turns[n]}")
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")
                return

    def busy() -> None:  # CPU work beside the writers, as in a server answering chats
        barrier.wait()
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            sum(i * i for i in range(20_000))

    threads = [threading.Thread(target=chat, args=(n,)) for n in range(WRITERS)]
    threads += [threading.Thread(target=busy) for _ in range(BUSY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == [], errors[:3]
        assert min(turns) > 0
        with engine.connect() as connection:
            stored = connection.exec_driver_sql("select count(*) from messages").scalar()
        assert stored == 2 * sum(turns)  # every turn that returned is stored, both messages
    finally:
        engine.dispose()


def test_a_write_transaction_takes_the_lock_before_it_reads(tmp_path: Path) -> None:
    """The root of "database is locked": a transaction that reads, then writes cannot wait
    for the lock. A writer's transaction must hold the write lock from its start."""
    settings = make_settings(tmp_path / "data")
    engine = build_engine(settings)
    sessions = session_factory(engine)
    other = sqlite3.connect(settings.sqlalchemy_url.removeprefix("sqlite:///"), timeout=0)
    try:
        with sessions.begin() as session:
            session.execute(text("select count(*) from conversations"))  # a read, no write yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("begin immediate")  # another writer cannot get in meanwhile
        other.execute("begin immediate")  # and can once the transaction is over
        other.execute("rollback")
        with sessions() as session:  # a read-only session takes no lock
            session.execute(text("select count(*) from conversations"))
            other.execute("begin immediate")
            other.execute("rollback")
    finally:
        other.close()
        engine.dispose()
