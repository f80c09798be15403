"""What the Slack bot keeps in the database, so several workers share it.

- `SlackThreadRow`: a Slack thread (channel, thread ts) and the asker -> the conversation
  that continues in it (one thread = one conversation per asker).
- `SlackEventRow`: every event id taken, with the asker and when, kept at least
  `slack_dedupe_seconds`: a retried delivery finds its id and is dropped; the per-user quota
  counts the rows of the window.

Tables are created on first use (`create_all` for these tables only).
"""

from __future__ import annotations

import datetime as dt
import weakref

from sqlalchemy import DateTime, Engine, String, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from assistant.store.conversations import ConversationRow, MessageRow
from assistant.store.db import Base, session_factory
from assistant.store.feedback import FeedbackRow

_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SlackThreadRow(Base):
    __tablename__ = "slack_threads"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    slack_user: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class SlackEventRow(Base):
    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slack_user: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, index=True
    )


class SlackStore:
    def __init__(self, engine: Engine, keep_seconds: float = 900.0) -> None:
        if engine not in _READY:
            tables = [
                ConversationRow.__table__,
                MessageRow.__table__,
                FeedbackRow.__table__,
                SlackThreadRow.__table__,
                SlackEventRow.__table__,
            ]
            Base.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
            _READY.add(engine)
        self._sessions = session_factory(engine)
        self.keep = dt.timedelta(seconds=keep_seconds)

    # -- retries ------------------------------------------------------------------------
    def claim(self, event_id: str, slack_user: str | None = None) -> bool:
        """True the first time an event id is seen; False for a retry of it. Rows older than
        the keep time go (never sooner than that)."""
        now = _now()
        try:
            with self._sessions.begin() as session:
                session.execute(
                    delete(SlackEventRow).where(SlackEventRow.received_at < now - self.keep)
                )
                session.add(
                    SlackEventRow(event_id=event_id, slack_user=slack_user, received_at=now)
                )
        except IntegrityError:
            return False
        return True

    def charge(self, event_id: str, slack_user: str) -> None:
        """Count a question of this user (quota): the row of its event, made if needed."""
        with self._sessions.begin() as session:
            row = session.get(SlackEventRow, event_id)
            if row is None:
                session.add(
                    SlackEventRow(event_id=event_id, slack_user=slack_user, received_at=_now())
                )
            else:
                row.slack_user = slack_user

    def seen(self, event_id: str) -> bool:
        with self._sessions() as session:
            return session.get(SlackEventRow, event_id) is not None

    def asked_since(self, slack_user: str, seconds: float) -> int:
        """How many events of this user were taken in the last `seconds` (quota)."""
        since = _now() - dt.timedelta(seconds=seconds)
        with self._sessions() as session:
            query = select(func.count()).where(
                SlackEventRow.slack_user == slack_user, SlackEventRow.received_at >= since
            )
            return int(session.scalar(query) or 0)

    # -- threads ------------------------------------------------------------------------
    def conversation(self, channel: str, thread_ts: str, slack_user: str) -> str | None:
        with self._sessions() as session:
            row = session.get(SlackThreadRow, (channel, thread_ts, slack_user))
            return row.conversation_id if row else None

    def answered(self, channel: str, thread_ts: str) -> bool:
        """Whether the bot holds a conversation in this thread (follow-ups are answered)."""
        with self._sessions() as session:
            query = select(SlackThreadRow.conversation_id).where(
                SlackThreadRow.channel == channel, SlackThreadRow.thread_ts == thread_ts
            )
            return session.scalars(query.limit(1)).first() is not None

    def link(self, channel: str, thread_ts: str, slack_user: str, conversation_id: str) -> None:
        with self._sessions.begin() as session:
            row = session.get(SlackThreadRow, (channel, thread_ts, slack_user))
            if row is None:
                session.add(
                    SlackThreadRow(
                        channel=channel,
                        thread_ts=thread_ts,
                        slack_user=slack_user,
                        conversation_id=conversation_id,
                    )
                )
            else:
                row.conversation_id = conversation_id

    # -- answers and feedback ---------------------------------------------------------------
    def latest_answer(self, conversation_id: str) -> int | None:
        """The id of the conversation's latest assistant message (what the buttons rate)."""
        with self._sessions() as session:
            query = (
                select(MessageRow.id)
                .where(
                    MessageRow.conversation_id == conversation_id, MessageRow.role == "assistant"
                )
                .order_by(MessageRow.id.desc())
            )
            return session.scalars(query.limit(1)).first()

    def answer(self, conversation_id: str, message_id: int) -> tuple[str, str] | None:
        """(content, payload JSON) of an assistant message of the conversation."""
        with self._sessions() as session:
            row = session.get(MessageRow, message_id)
            if row is None or row.conversation_id != conversation_id or row.role != "assistant":
                return None
            return row.content, row.payload

    def owner(self, conversation_id: str) -> str | None:
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            return row.user if row else None

    def comment(self, feedback_id: int, user: str, comment: str) -> bool:
        """Add the comment of the modal to a rating the same user gave; False if none."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(FeedbackRow)
                .where(FeedbackRow.id == feedback_id, FeedbackRow.user == user)
                .values(comment=comment)
            )
            return bool(getattr(result, "rowcount", 0))


__all__ = ["SlackEventRow", "SlackStore", "SlackThreadRow"]
