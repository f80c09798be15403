"""Questions the web UI has accepted and not yet answered (`pending_questions`).

`POST /ui/chat` checks a question and keeps it here under a random id; the page's
EventSource opens `GET /ui/chat/stream?id=<id>`, which takes the row (once: it is deleted in
the same transaction) and answers it. So the question never travels in a URL, where access
logs and proxies would record it, and any API worker can answer it (the row is in the
store's database, shared by a cluster's workers). A row is bound to the web session that
asked, lives `ttl` seconds, and older rows are deleted whenever a question is kept.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import DateTime, Engine, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from assistant.store.db import Base, session_factory


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class PendingQuestionRow(Base):
    __tablename__ = "pending_questions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session: Mapped[str] = mapped_column(String(64))  # a digest of the asking web session
    message: Mapped[str] = mapped_column(Text)
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class PendingQuestion:
    id: str
    message: str
    conversation_id: str | None
    account_id: str | None


class PendingQuestions:
    def __init__(self, engine: Engine, ttl: float = 120.0) -> None:
        self._sessions = session_factory(engine)
        self.ttl = dt.timedelta(seconds=ttl)

    def keep(
        self, session: str, message: str, conversation_id: str | None, account_id: str | None
    ) -> str:
        """The id of the question, kept for `session` (expired rows go first)."""
        now, question_id = _now(), secrets.token_hex(16)
        with self._sessions.begin() as db:
            db.execute(
                delete(PendingQuestionRow).where(PendingQuestionRow.created_at < now - self.ttl)
            )
            db.add(
                PendingQuestionRow(
                    id=question_id,
                    session=session,
                    message=message,
                    conversation_id=conversation_id,
                    account_id=account_id,
                    created_at=now,
                )
            )
        return question_id

    def take(self, question_id: str, session: str) -> PendingQuestion | None:
        """The question, removed; None when it is unknown, another session's, expired or
        already taken (a reconnecting EventSource never asks it twice)."""
        with self._sessions.begin() as db:
            row = db.scalar(select(PendingQuestionRow).where(PendingQuestionRow.id == question_id))
            if row is None or row.session != session:
                return None
            taken = db.execute(
                delete(PendingQuestionRow).where(
                    PendingQuestionRow.id == question_id, PendingQuestionRow.session == session
                )
            )
            if getattr(taken, "rowcount", 0) != 1:  # another request took it first
                return None
            if _aware(row.created_at) < _now() - self.ttl:
                return None
            return PendingQuestion(row.id, row.message, row.conversation_id, row.account_id)
