"""The chat engine: conversation state, retrieval and composition behind one call."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from assistant import tracing
from assistant.engine.composer import Composition, GroundedComposer
from assistant.engine.initials import without_letter
from assistant.engine.planner.state import STANDS_ALONE_WORDS, State
from assistant.engine.types import ChatResponse, Fallback, SearchHit, SearchResponse
from assistant.errors import InvalidInputError, MessageTooLongError
from assistant.principal import Principal
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.hybrid import HybridRetriever, SearchResult
from assistant.retrieval.text import tokenize
from assistant.store.conversations import ConversationStore, Turn

if TYPE_CHECKING:
    from assistant.drafts.chat import DraftDesk
    from assistant.engine.account_desk import AccountDesk

__all__ = ["ChatEngine", "Principal", "retrieval_query"]

_CONTINUES = re.compile(r"^\s*(and|also|so|then|what about|how about|what if|why|same)\b", re.I)
_FOLLOW_UP = re.compile(
    _CONTINUES.pattern + r"|\b(it|its|that|this|those|these|they|them|their|there|he|she)\b",
    re.I,
)


def retrieval_query(message: str, history: list[Turn]) -> str:
    """A short follow-up ("and for partners?") is searched together with the last question."""
    previous = next((t.content for t in reversed(history) if t.role == "user"), None)
    if previous and len(tokenize(message)) <= 6 and _FOLLOW_UP.search(message):
        return f"{previous} {message}"
    return message


def _stands_alone(message: str) -> bool:
    """Whether a message that reads as a follow-up only by a pronoun says enough to be
    searched on its own first ("What's a tiger team and when do we use it?")."""
    return not _CONTINUES.search(message) and len(tokenize(message)) >= STANDS_ALONE_WORDS


class ChatEngine:
    def __init__(
        self,
        retriever: HybridRetriever,
        composer: GroundedComposer,
        conversations: ConversationStore,
        *,
        k: int = 8,
        max_message_chars: int = 4000,
        desk: AccountDesk | None = None,
        drafts: DraftDesk | None = None,
    ) -> None:
        self.desk = desk
        self.drafts = drafts  # draft requests, answered before account questions
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
        self,
        query: str,
        principal: Principal,
        k: int | None = None,
        where: SearchFilter | None = None,
    ) -> SearchResponse:
        query = self.validate(query)
        if where is not None and where.account is not None:
            principal.require(where.account)  # 403 for an account outside the scope
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
        return SearchResponse(
            query=query,
            hits=hits,
            timings_ms=_rounded(result.timings_ms),
            degraded=result.degraded,
        )

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
        *,
        fallback: Fallback | None = None,
    ) -> ChatResponse:
        """The grounded answer, stored as a turn of the conversation; `fallback` (the model
        failed, this answer replaces it) is set on the response before it is stored."""
        with tracing.turn(message, engine="grounded", conversation_id=conversation_id):
            prepared = self.prepare(
                message, principal, conversation_id, account_id, fallback=fallback
            )
            return prepared()

    def prepare(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
        *,
        fallback: Fallback | None = None,
    ) -> Callable[[], ChatResponse]:
        """The grounded answer, computed but not stored yet: calling the result stores the
        turn and returns the response (a stream that is stopped before then stores nothing)."""
        started = time.perf_counter()
        text = self.validate(message)
        if account_id is not None:
            account_id = principal.require(account_id)
            if self.desk is not None:
                self.desk.tools.context.store.account(account_id)  # 404 for an unknown id
        history = (
            self.conversations.history(conversation_id, principal.user) if conversation_id else []
        )
        state = conversation_state(history, principal)
        if self.drafts is not None:
            about = account_id or state.account_id
            drafted = self.drafts.reply(text, principal, about)
            if drafted is not None:
                response = ChatResponse(
                    conversation_id=conversation_id or "",
                    answer=drafted.answer,
                    citations=drafted.citations,
                    tool_calls=drafted.tool_calls,
                    draft=drafted.draft,
                    declined=drafted.declined,
                    engine="grounded",
                )
                about = drafted.account_id or about
                return partial(
                    self._record,
                    conversation_id,
                    principal,
                    text,
                    account_id,
                    response,
                    about,
                    started,
                    intent="draft",
                    fallback=fallback,
                )
        if self.desk is not None:
            context = account_id or state.account_id
            reply = self.desk.reply(text, principal, context, state)
            if reply is not None:
                state = reply.state or state
                return partial(
                    self._record,
                    conversation_id,
                    principal,
                    text,
                    account_id,
                    ChatResponse(
                        conversation_id=conversation_id or "",
                        answer=reply.answer,
                        citations=reply.citations,
                        tool_calls=reply.tool_calls,
                        declined=reply.declined,
                        engine="grounded",
                    ),
                    reply.account_id or context,
                    started,
                    state,
                    intent=reply.plan.intent if reply.plan is not None else None,
                    fallback=fallback,
                )
        # a knowledge turn: "what do we do about it?" next is about its topic, not an account
        state = replace(state, intent="knowledge")
        query = retrieval_query(text, history)
        tries = [query, text] if query != text else [text]
        if len(tries) == 2 and _stands_alone(text):
            tries.reverse()
        for attempt in tries:  # the other reading when the first declines
            result, composition, timings = self._knowledge(attempt, text, principal)
            if not composition.declined:
                break
        response = ChatResponse(
            conversation_id=conversation_id or "",
            answer=composition.answer,
            citations=composition.citations,
            declined=composition.declined,
            engine="grounded",
            timings_ms=timings,
            degraded=result.degraded,
        )
        return partial(
            self._record,
            conversation_id,
            principal,
            text,
            account_id,
            response,
            None,
            started,
            state,
            fallback=fallback,
        )

    def _knowledge(
        self, query: str, text: str, principal: Principal
    ) -> tuple[SearchResult, Composition, dict[str, float]]:
        """The knowledge base's answer to `query` (`text` with the last question when it
        reads as a follow-up), with the retrieval and composition timings."""
        depth = max(self.k, self.composer.config.chunks_considered)
        # "what's the E in <acronym>?" is searched without the letter first (a lone letter
        # matches any word it is, "e-mail"), and as asked when nothing spells the acronym;
        # also in the knowledge base's own names for its concepts
        for searched in dict.fromkeys([without_letter(query), query]):
            result = self.retriever.search(
                self.composer.glossary.expand(searched),
                depth,
                SearchFilter(visible_accounts=principal.accounts),
            )
            compose_start = time.perf_counter()
            with tracing.span("compose", composer="grounded") as span:
                composition = self.composer.compose(
                    query, result, focus=text if query != text else None
                )
                span.set(citations=len(composition.citations), declined=composition.declined)
            if composition.signals.get("answer_spelled"):
                break
        timings = dict(result.timings_ms)
        timings["compose"] = (time.perf_counter() - compose_start) * 1000
        return result, composition, timings

    def _record(
        self,
        conversation_id: str | None,
        principal: Principal,
        text: str,
        account_id: str | None,
        response: ChatResponse,
        about: str | None,
        started: float,
        state: State | None = None,
        *,
        intent: str | None = "knowledge",
        fallback: Fallback | None = None,
    ) -> ChatResponse:
        if fallback is not None:
            fallback.apply(response)
        timings = dict(response.timings_ms)
        timings["total"] = (time.perf_counter() - started) * 1000
        response.timings_ms = _rounded(timings)
        self.record_turn(
            conversation_id, principal, text, account_id, response, about, state, intent=intent
        )
        return response

    def record_turn(
        self,
        conversation_id: str | None,
        principal: Principal,
        text: str,
        account_id: str | None,
        response: ChatResponse,
        about: str | None,
        state: State | None = None,
        *,
        intent: str | None = None,
    ) -> None:
        """Persist the question and `response` in one transaction (a new conversation when
        `conversation_id` is None) and set `response.conversation_id`; the account the answer
        was about and the conversation `state` (result sets, the caller's name) let a
        follow-up build on it; only ids the principal may see are kept."""
        payload: dict[str, object] = {
            "citations": [c.model_dump() for c in response.citations],
            "tool_calls": [c.model_dump() for c in response.tool_calls],
            "engine": response.engine,
            "account_id": about,
            # for the admin page (web UI, issue 13): what was asked and how it went
            "intent": intent,
            "declined": response.declined,
            "timings_ms": dict(response.timings_ms),
        }
        if response.fallback_reason is not None:  # the model failed; this answer replaced it
            payload["fallback_reason"] = response.fallback_reason
            payload["interrupted"] = response.interrupted
        if response.usage is not None:  # LLM usage (issue 16), read by the admin figures
            payload["usage"] = response.usage
        if response.draft is not None:  # web UI (issue 13): the DOCX link after a reload
            payload["draft"] = {
                "draft_id": response.draft.get("draft_id"),
                "kind": response.draft.get("kind"),
            }
        if state is not None:
            kept = state.scoped(principal)
            if about and principal.can_see(about):
                kept.account_id = about
            payload["state"] = kept.dump()
        with tracing.span("store.turn"):
            response.conversation_id = self.conversations.record_turn(
                conversation_id,
                principal.user,
                account_id,
                [
                    ("user", text, {"account_id": account_id}),
                    ("assistant", response.answer, payload),
                ],
            )
        tracing.annotate_turn(
            engine=response.engine,
            intent=intent,
            conversation_id=response.conversation_id,
            declined=response.declined,
            fallback_reason=response.fallback_reason,
        )


def conversation_state(history: list[Turn], principal: Principal) -> State:
    """The state after the stored turns, re-checked against the caller's scope."""
    payloads = [t.payload for t in history if t.role == "assistant"]
    return State.load(payloads).scoped(principal)


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 2) for key, value in timings.items()}
