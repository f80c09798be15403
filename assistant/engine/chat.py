"""The chat engine: conversation state, retrieval and composition behind one call."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from assistant.engine.composer import GroundedComposer
from assistant.engine.types import ChatResponse, SearchHit, SearchResponse
from assistant.errors import InvalidInputError, MessageTooLongError
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.text import tokenize
from assistant.store.conversations import ConversationStore, Turn

_FOLLOW_UP = re.compile(
    r"^\s*(and|also|so|then|what about|how about|what if|why|same)\b"
    r"|\b(it|its|that|this|those|these|they|them|their|there|he|she)\b",
    re.I,
)


@dataclass(frozen=True)
class Principal:
    """Who asks. `accounts` None means every account (local single-user mode, admins)."""

    user: str = "local"
    role: str = "admin"
    accounts: frozenset[str] | None = None


def retrieval_query(message: str, history: list[Turn]) -> str:
    """A short follow-up ("and for partners?") is searched together with the last question."""
    previous = next((t.content for t in reversed(history) if t.role == "user"), None)
    if previous and len(tokenize(message)) <= 6 and _FOLLOW_UP.search(message):
        return f"{previous} {message}"
    return message


class ChatEngine:
    def __init__(
        self,
        retriever: HybridRetriever,
        composer: GroundedComposer,
        conversations: ConversationStore,
        *,
        k: int = 8,
        max_message_chars: int = 4000,
    ) -> None:
        self.retriever = retriever
        self.composer = composer
        self.conversations = conversations
        self.k = k
        self.max_message_chars = max_message_chars

    def validate(self, message: str) -> str:
        text = message.strip()
        if not text:
            raise InvalidInputError("message must not be empty or blank")
        if len(message) > self.max_message_chars:
            raise MessageTooLongError(
                f"message has {len(message)} characters; the limit is {self.max_message_chars}"
            )
        return text

    def search(
        self, query: str, principal: Principal, k: int | None = None, where: SearchFilter | None = None
    ) -> SearchResponse:
        query = self.validate(query)
        scoped = SearchFilter(
            doc_types=where.doc_types if where else None,
            account=where.account if where else None,
            visible_accounts=principal.accounts,
        )
        result = self.retriever.search(query, k or self.k, scoped)
        hits = [
            SearchHit(
                chunk_id=hit.chunk.id,
                source=str(hit.metadata.get("source", "")),
                title=str(hit.metadata.get("title", "")),
                section=str(hit.metadata.get("section", "")),
                doc_type=str(hit.metadata.get("doc_type", "")),
                text=hit.chunk.text,
                score=round(hit.score, 6),
                dense_score=None if hit.dense_score is None else round(hit.dense_score, 6),
                lexical_score=None if hit.lexical_score is None else round(hit.lexical_score, 6),
            )
            for hit in result.hits
        ]
        return SearchResponse(query=query, hits=hits, timings_ms=_rounded(result.timings_ms))

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse:
        started = time.perf_counter()
        text = self.validate(message)
        history = (
            self.conversations.history(conversation_id, principal.user) if conversation_id else []
        )
        query = retrieval_query(text, history)
        result = self.retriever.search(query, self.k, SearchFilter(visible_accounts=principal.accounts))
        compose_start = time.perf_counter()
        composition = self.composer.compose(query, result)
        timings = dict(result.timings_ms)
        timings["compose"] = (time.perf_counter() - compose_start) * 1000

        if conversation_id is None:
            conversation_id = self.conversations.create(principal.user, account_id)
        self.conversations.append(conversation_id, "user", text, {"account_id": account_id})
        response = ChatResponse(
            conversation_id=conversation_id,
            answer=composition.answer,
            citations=composition.citations,
            declined=composition.declined,
            engine="grounded",
        )
        self.conversations.append(
            conversation_id,
            "assistant",
            response.answer,
            {"citations": [c.model_dump() for c in response.citations], "engine": response.engine},
        )
        timings["total"] = (time.perf_counter() - started) * 1000
        response.timings_ms = _rounded(timings)
        return response


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 2) for key, value in timings.items()}
