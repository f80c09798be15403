"""Conversations and their messages, so a follow-up can build on the previous turn."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from assistant.errors import NotFoundError
from assistant.store.db import Base


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(String(200), default="local")
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class MessageRow(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ConversationTitleRow(Base):
    """The name a person gave a conversation (web UI, issue 13); a table of its own so that
    existing databases gain it through `create_all` without a column migration."""

    __tablename__ = "conversation_titles"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(String(200))


TITLE_CHARS = 80  # an untitled conversation is named by its first question, cut here


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    account_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    messages: int


@dataclass(frozen=True)
class Turn:
    role: str
    content: str
    payload: dict[str, Any]


class ConversationStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def history(self, conversation_id: str, user: str | None = None) -> list[Turn]:
        """The turns so far; NotFoundError for an unknown id (or another user's conversation)."""
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None or (user is not None and row.user != user):
                raise NotFoundError(f"conversation '{conversation_id}' does not exist")
            messages = session.scalars(
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id)
                .order_by(MessageRow.id)
            )
            return [Turn(m.role, m.content, json.loads(m.payload)) for m in messages]

    def messages(self, conversation_id: str, user: str) -> list[tuple[int, Turn]]:
        """(message id, turn) of each message of a conversation of `user` (NotFoundError
        for an unknown id or another user's conversation)."""
        with self._sessions() as session:
            _owned(session, conversation_id, user)
            rows = session.scalars(
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id)
                .order_by(MessageRow.id)
            )
            return [(m.id, Turn(m.role, m.content, json.loads(m.payload))) for m in rows]

    def of_user(
        self, user: str, limit: int = 100, only: str | None = None
    ) -> list[ConversationSummary]:
        """The conversations of `user`, the most recently active first (`only`: just it)."""
        with self._sessions() as session:
            last = func.max(MessageRow.created_at)
            query = (
                select(ConversationRow, last, func.count(MessageRow.id))
                .join(MessageRow, MessageRow.conversation_id == ConversationRow.id)
                .where(ConversationRow.user == user)
                .group_by(ConversationRow.id)
                .order_by(last.desc(), ConversationRow.id)
                .limit(limit)
            )
            if only is not None:
                query = query.where(ConversationRow.id == only)
            found = list(session.execute(query).tuples())
            ids = [row.id for row, _, _ in found]
            titles: dict[str, str] = dict(
                list(
                    session.execute(
                        select(
                            ConversationTitleRow.conversation_id, ConversationTitleRow.title
                        ).where(ConversationTitleRow.conversation_id.in_(ids))
                    ).tuples()
                )
            )
            firsts = _first_questions(session, [i for i in ids if i not in titles])
            return [
                ConversationSummary(
                    row.id,
                    titles.get(row.id) or _title_of(firsts.get(row.id, "")),
                    row.account_id,
                    _aware(row.created_at),
                    _aware(updated),
                    count,
                )
                for row, updated, count in found
            ]

    def rename(self, conversation_id: str, user: str, title: str) -> None:
        with self._sessions.begin() as session:
            _owned(session, conversation_id, user)
            row = session.get(ConversationTitleRow, conversation_id)
            if row is None:
                session.add(ConversationTitleRow(conversation_id=conversation_id, title=title))
            else:
                row.title = title

    def delete(self, conversation_id: str, user: str) -> None:
        """Delete a conversation of `user` with its messages, title and feedback."""
        with self._sessions.begin() as session:
            _owned(session, conversation_id, user)
            # explicit deletes: a database without enforced foreign keys keeps no orphans
            for table in _DEPENDENT_TABLES:
                if table in Base.metadata.tables:
                    dependent = Base.metadata.tables[table]
                    session.execute(
                        delete(dependent).where(dependent.c.conversation_id == conversation_id)
                    )
            session.execute(delete(ConversationRow).where(ConversationRow.id == conversation_id))

    def record_turn(
        self,
        conversation_id: str | None,
        user: str,
        account_id: str | None,
        messages: Sequence[tuple[str, str, dict[str, Any]]],
    ) -> str:
        """Start a conversation (when `conversation_id` is None) and add each (role, content,
        payload) of `messages`, in one transaction: a chat turn commits once, never by halves."""
        with self._sessions.begin() as session:
            if conversation_id is None:
                conversation_id = uuid.uuid4().hex
                session.add(ConversationRow(id=conversation_id, user=user, account_id=account_id))
            for role, content, payload in messages:
                session.add(
                    MessageRow(
                        conversation_id=conversation_id,
                        role=role,
                        content=content,
                        payload=json.dumps(payload, default=str),
                    )
                )
        return conversation_id


_DEPENDENT_TABLES = ("feedback", "conversation_titles", "messages")


def _owned(session: Session, conversation_id: str, user: str) -> ConversationRow:
    row = session.get(ConversationRow, conversation_id)
    if row is None or row.user != user:
        raise NotFoundError(f"conversation '{conversation_id}' does not exist")
    return row


def _first_questions(session: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    first = (
        select(func.min(MessageRow.id))
        .where(MessageRow.conversation_id.in_(ids), MessageRow.role == "user")
        .group_by(MessageRow.conversation_id)
    )
    rows = session.execute(
        select(MessageRow.conversation_id, MessageRow.content).where(MessageRow.id.in_(first))
    ).tuples()
    return {conversation: content for conversation, content in rows}


def _title_of(question: str) -> str:
    text = " ".join(question.split())
    if len(text) <= TITLE_CHARS:
        return text or "New chat"
    return text[: TITLE_CHARS - 1].rstrip() + "…"


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive; they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
