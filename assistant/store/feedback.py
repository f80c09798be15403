"""Thumbs up / down on assistant messages, so bad answers can become eval cases.

The table is created on first use (`FeedbackStore` calls `create_all` for it), so it does not
depend on this module being imported before `build_engine` runs.
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import DateTime, Engine, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from assistant.errors import InvalidInputError, NotFoundError
from assistant.store.conversations import ConversationRow, MessageRow
from assistant.store.db import Base, session_factory
from assistant.store.records import INT_MAX

Rating = Literal["up", "down"]
_READY: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines whose tables exist


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    user: Mapped[str] = mapped_column(String(200), default="local")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


@dataclass(frozen=True)
class Feedback:
    id: int
    conversation_id: str
    message_id: int
    rating: str
    comment: str | None
    user: str
    created_at: dt.datetime


@dataclass(frozen=True)
class RatedAnswer:
    """A rated assistant message with the user message it answered (for export)."""

    feedback: Feedback
    question: str
    answer: str
    account_id: str | None


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(
        row.id,
        row.conversation_id,
        row.message_id,
        row.rating,
        row.comment,
        row.user,
        row.created_at,
    )


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        if engine not in _READY:
            tables = [ConversationRow.__table__, MessageRow.__table__, FeedbackRow.__table__]
            Base.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
            _READY.add(engine)
        self._sessions = session_factory(engine)  # writes take the lock first (store.db)

    def record(
        self,
        conversation_id: str,
        rating: Rating,
        *,
        message_id: int | None = None,
        comment: str | None = None,
        user: str | None = None,
    ) -> Feedback:
        """Rate an assistant message of a conversation (its latest one when no id is given).

        InvalidInputError for a rating or message id that cannot be one; NotFoundError for an
        unknown conversation (or another user's, when `user` is given)
        or a message that is not an assistant message of it; InvalidInputError when the
        conversation has no assistant message yet.
        """
        if rating not in get_args(Rating):
            raise InvalidInputError(f"rating must be one of {', '.join(get_args(Rating))}")
        if message_id is not None and not 1 <= message_id <= INT_MAX:
            raise InvalidInputError(f"message_id must be from 1 to {INT_MAX}")
        with self._sessions.begin() as session:
            conversation = session.get(ConversationRow, conversation_id)
            if conversation is None or (user is not None and conversation.user != user):
                raise NotFoundError(f"conversation '{conversation_id}' does not exist")
            query = select(MessageRow).where(
                MessageRow.conversation_id == conversation_id, MessageRow.role == "assistant"
            )
            if message_id is not None:
                message = session.scalars(query.where(MessageRow.id == message_id)).first()
                if message is None:
                    raise NotFoundError(
                        f"message {message_id} is not an answer in conversation '{conversation_id}'"
                    )
            else:
                message = session.scalars(query.order_by(MessageRow.id.desc())).first()
                if message is None:
                    raise InvalidInputError(
                        f"conversation '{conversation_id}' has no answer to rate yet"
                    )
            row = FeedbackRow(
                conversation_id=conversation_id,
                message_id=message.id,
                rating=rating,
                comment=comment,
                user=user or conversation.user,
            )
            session.add(row)
            session.flush()
            return _feedback(row)

    def rated(self, rating: Rating | None = None) -> list[RatedAnswer]:
        """Rated answers (oldest first), each with the user message before it."""
        with self._sessions() as session:
            query = select(FeedbackRow, MessageRow).join(
                MessageRow, MessageRow.id == FeedbackRow.message_id
            )
            if rating is not None:
                query = query.where(FeedbackRow.rating == rating)
            found: list[RatedAnswer] = []
            for row, message in session.execute(query.order_by(FeedbackRow.id)).tuples():
                question = session.scalars(
                    select(MessageRow)
                    .where(
                        MessageRow.conversation_id == message.conversation_id,
                        MessageRow.role == "user",
                        MessageRow.id < message.id,
                    )
                    .order_by(MessageRow.id.desc())
                ).first()
                conversation = session.get(ConversationRow, message.conversation_id)
                account = _account_of(question) or (
                    conversation.account_id if conversation else None
                )
                found.append(
                    RatedAnswer(
                        _feedback(row),
                        question.content if question else "",
                        message.content,
                        account,
                    )
                )
            return found


def _account_of(message: MessageRow | None) -> str | None:
    if message is None:
        return None
    try:
        value = json.loads(message.payload).get("account_id")
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None
