"""What the admin page shows, computed from the stored conversations and feedback: questions
per day by engine and intent, answer latency, declined questions, thumbs-down with comments
and the accounts asked about most. Each assistant message's payload holds its engine,
intent, `declined`, `timings_ms` and the account the answer was about (see
`ChatEngine.record_turn`); messages stored before those keys existed count as "unknown".
An answer the model wrote also holds its `usage` (tokens in and out, model calls, the cost
from the price table, `assistant.llm.usage`): summed per day and model, and per model.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from assistant.store.conversations import ConversationRow, MessageRow
from assistant.store.db import session_factory
from assistant.store.feedback import FeedbackStore

UNKNOWN = "unknown"


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    engine: str
    intent: str
    questions: int


@dataclass(frozen=True)
class Declined:
    asked_at: dt.datetime
    user: str
    question: str
    answer: str


@dataclass(frozen=True)
class ThumbsDown:
    feedback_id: int
    rated_at: dt.datetime
    user: str
    question: str
    answer: str
    comment: str | None


@dataclass
class LLMUsage:
    """Model usage of the answers of one model (and one day, in `llm_per_day`)."""

    model: str
    day: dt.date | None = None
    answers: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # the sum of the priced answers; None when none was
    unpriced: int = 0  # answers of a model the price table does not name
    estimated: int = 0  # answers whose tokens the endpoint did not report (estimated)

    def add(self, used: dict[str, Any]) -> None:
        self.answers += 1
        self.calls += _count(used.get("calls"))
        self.prompt_tokens += _count(used.get("prompt_tokens"))
        self.completion_tokens += _count(used.get("completion_tokens"))
        cost = used.get("cost_usd")
        if isinstance(cost, int | float) and not isinstance(cost, bool):
            self.cost_usd = round((self.cost_usd or 0.0) + float(cost), 6)
        else:
            self.unpriced += 1
        self.estimated += 1 if used.get("estimated") else 0


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass
class Usage:
    since: dt.date
    questions: int = 0
    per_day: list[DayCount] = field(default_factory=list)
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    timed: int = 0  # answers with a recorded total time
    declined: list[Declined] = field(default_factory=list)
    thumbs_down: list[ThumbsDown] = field(default_factory=list)
    top_accounts: list[tuple[str, int]] = field(default_factory=list)
    llm_per_day: list[LLMUsage] = field(default_factory=list)  # by day, then model
    llm_per_model: list[LLMUsage] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` from 0 to 1) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def usage(database: Engine, since: dt.date, top: int = 10) -> Usage:
    """The figures over the answers given on or after `since` (UTC days)."""
    sessions = session_factory(database)
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    result = Usage(since=since)
    days: Counter[tuple[dt.date, str, str]] = Counter()
    accounts: Counter[str] = Counter()
    totals: list[float] = []
    per_day: dict[tuple[dt.date, str], LLMUsage] = {}
    per_model: dict[str, LLMUsage] = {}
    with sessions() as session:
        rows = session.execute(
            select(MessageRow, ConversationRow.user)
            .join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
            .where(MessageRow.created_at >= start)
            .order_by(MessageRow.conversation_id, MessageRow.id)
        ).tuples()
        question: dict[str, str] = {}  # the last user message of each conversation
        for message, user in rows:
            if message.role == "user":
                question[message.conversation_id] = message.content
                continue
            if message.role != "assistant":
                continue
            payload = _payload(message.payload)
            asked = _aware(message.created_at)
            engine = str(payload.get("engine") or UNKNOWN)
            intent = str(payload.get("intent") or UNKNOWN)
            days[(asked.date(), engine, intent)] += 1
            result.questions += 1
            total = (payload.get("timings_ms") or {}).get("total")
            if isinstance(total, int | float):
                totals.append(float(total))
            if payload.get("account_id"):
                accounts[str(payload["account_id"])] += 1
            used = payload.get("usage")
            if isinstance(used, dict):
                model = str(used.get("model") or UNKNOWN)
                day = per_day.setdefault((asked.date(), model), LLMUsage(model, asked.date()))
                day.add(used)
                per_model.setdefault(model, LLMUsage(model)).add(used)
            if payload.get("declined"):
                result.declined.append(
                    Declined(
                        asked, user, question.get(message.conversation_id, ""), message.content
                    )
                )
    result.per_day = [
        DayCount(day, engine, intent, count)
        for (day, engine, intent), count in sorted(days.items())
    ]
    result.timed = len(totals)
    result.latency_p50_ms = percentile(totals, 0.5)
    result.latency_p95_ms = percentile(totals, 0.95)
    result.top_accounts = sorted(accounts.items(), key=lambda item: (-item[1], item[0]))[:top]
    result.declined.sort(key=lambda d: d.asked_at, reverse=True)
    result.llm_per_day = [per_day[key] for key in sorted(per_day)]
    result.llm_per_model = [per_model[key] for key in sorted(per_model)]
    for rated in reversed(FeedbackStore(database).rated("down")):
        if _aware(rated.feedback.created_at) < start:
            continue
        result.thumbs_down.append(
            ThumbsDown(
                rated.feedback.id,
                _aware(rated.feedback.created_at),
                rated.feedback.user,
                rated.question,
                rated.answer,
                rated.feedback.comment,
            )
        )
    return result
