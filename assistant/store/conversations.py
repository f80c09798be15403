"""Conversations and their messages, so a follow-up can build on the previous turn."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
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
