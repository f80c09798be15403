"""The web UI's pending questions: kept server-side between POST /ui/chat and its stream,
bound to the session, taken once, expiring; and over HTTP, a stream opened with an id that
is unknown, another session's or used already answers with a 410 in the page, asking
nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, update

from assistant.store.db import build_engine, session_factory
from assistant.store.migrate import upgrade
from assistant.store.pending import PendingQuestionRow, PendingQuestions
from tests.accounts.keys import ADMIN_KEY
from tests.api.conftest import Served
from tests.conftest import make_settings


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    engine = build_engine(make_settings(tmp_path / "data"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pending(database: Engine) -> PendingQuestions:
    return PendingQuestions(database, ttl=60)


def backdate(database: Engine, question_id: str, seconds: float) -> None:
    with session_factory(database).begin() as db:
        db.execute(
            update(PendingQuestionRow)
            .where(PendingQuestionRow.id == question_id)
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds))
        )


def test_a_question_is_taken_once_and_only_by_its_session(pending: PendingQuestions) -> None:
    kept = pending.keep("session-a", "How fast is onboarding?", "c1", "ACC-001")
    assert re.fullmatch(r"[0-9a-f]{32}", kept)
    assert pending.take(kept, "session-b") is None  # another session cannot use (or burn) it
    taken = pending.take(kept, "session-a")
    assert taken is not None
    assert (taken.message, taken.conversation_id, taken.account_id) == (
        "How fast is onboarding?",
        "c1",
        "ACC-001",
    )
    assert pending.take(kept, "session-a") is None  # a reconnect never asks it again
    assert pending.take("no-such-id", "session-a") is None


def test_an_old_question_expires_and_is_cleared(
    pending: PendingQuestions, database: Engine
) -> None:
    old = pending.keep("s", "asked long ago", None, None)
    backdate(database, old, 61)
    assert pending.take(old, "s") is None
    backdate(database, pending.keep("s", "another one", None, None), 61)
    pending.keep("s", "a new one", None, None)  # keeping a question clears expired ones
    with session_factory(database)() as db:
        assert list(db.scalars(select(PendingQuestionRow.message))) == ["a new one"]


def test_a_stream_id_is_single_use_over_http(keyed: Served) -> None:
    with httpx.Client(base_url=keyed.url, timeout=30) as client:
        client.post("/sign-in", data={"key": ADMIN_KEY, "next": "/"})
        page = client.get("/").text
        csrf = re.search(r'X-CSRF-Token": "([^"]+)"', page)
        assert csrf is not None
        asked = client.post(
            "/ui/chat",
            data={"message": "When should a new customer be live?"},
            headers={"X-CSRF-Token": csrf.group(1)},
        )
        found = re.search(r'sse-connect="/ui/chat/stream\?id=([0-9a-f]{32})"', asked.text)
        assert found is not None and "customer be live" not in found.group(0)
        first = client.get(f"/ui/chat/stream?id={found.group(1)}").text
        assert "event: done" in first and "30 days" in first
        again = client.get(f"/ui/chat/stream?id={found.group(1)}").text
        assert "event: failed" in again and "410" in again and "event: done" not in again
        with httpx.Client(base_url=keyed.url, timeout=30) as other:  # another session
            other.post("/sign-in", data={"key": ADMIN_KEY, "next": "/"})
            asked = client.post(
                "/ui/chat",
                data={"message": "What is a health score?"},
                headers={"X-CSRF-Token": csrf.group(1)},
            )
            found = re.search(r"stream\?id=([0-9a-f]{32})", asked.text)
            assert found is not None
            stolen = other.get(f"/ui/chat/stream?id={found.group(1)}").text
            assert "event: failed" in stolen and "event: done" not in stolen
        assert "event: done" in client.get(f"/ui/chat/stream?id={found.group(1)}").text
