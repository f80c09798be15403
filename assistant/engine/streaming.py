"""The grounded engine as a stream: `status` leaves before any retrieval or composition, a
second `status` once the answer is composed and before it is stored, then the stored response
is told as events (tool calls, citations, answer pieces, draft, done). A consumer that closes
the stream (the client stopped or left) before the second step ends stores nothing.

`response_events` is shared with the LLM engine, which tells its grounded fallback the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant import tracing
from assistant.engine.chat import ChatEngine
from assistant.engine.events import (
    CitationEvent,
    DeltaEvent,
    DoneEvent,
    DraftEvent,
    Event,
    StatusEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from assistant.engine.types import ChatResponse
from assistant.principal import Principal

_PIECE = re.compile(r"\S+\s*|\s+")


def pieces(text: str, size: int = 48) -> Iterator[str]:
    """The text in pieces of about `size` characters, cut only after whitespace (a marker
    like `[12]` is never split); the pieces join back to the text exactly."""
    piece = ""
    for match in _PIECE.finditer(text):
        piece += match.group()
        if len(piece) >= size and piece[-1].isspace():
            yield piece
            piece = ""
    if piece:
        yield piece


def response_events(response: ChatResponse) -> Iterator[Event]:
    """A finished response as events: tools, citations, answer pieces, draft, then done."""
    for i, call in enumerate(response.tool_calls, 1):
        yield ToolCallEvent(id=f"T{i}", name=call.name, arguments=call.arguments)
        yield ToolResultEvent(
            id=f"T{i}",
            name=call.name,
            ok=True,
            result=call.result,
            as_of=call.as_of,
            source=call.source,
        )
    for citation in response.citations:
        yield CitationEvent(**citation.model_dump())
    for piece in pieces(response.answer):
        yield DeltaEvent(text=piece)
    if response.draft is not None:
        yield DraftEvent(draft=response.draft)
    yield DoneEvent(response=response)


def check_request(
    engine: ChatEngine,
    message: str,
    principal: Principal,
    conversation_id: str | None,
    account_id: str | None,
) -> None:
    """The errors `engine.chat` would raise for the request itself (422, 413, 403, 404), so a
    stream can answer them with their HTTP status before it starts."""
    engine.validate(message)
    if account_id is not None:
        account_id = principal.require(account_id)
        if engine.desk is not None:
            engine.desk.tools.context.store.account(account_id)
    if conversation_id is not None:
        engine.conversations.history(conversation_id, principal.user)


class GroundedStream:
    """The grounded ChatEngine behind the streaming contract of `AnswerEngine`."""

    name = "grounded"

    def __init__(self, engine: ChatEngine) -> None:
        self.engine = engine

    def check(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None,
        account_id: str | None,
    ) -> None:
        check_request(self.engine, message, principal, conversation_id, account_id)

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse:
        return self.engine.chat(message, principal, conversation_id, account_id)

    @tracing.own_context
    def stream(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> Iterator[Event]:
        with tracing.turn(message, engine="grounded", conversation_id=conversation_id):
            yield StatusEvent(
                stage="received", message="searching the knowledge base", engine=self.name
            )
            commit = self.engine.prepare(message, principal, conversation_id, account_id)
            # a step of its own: a client that left (Stop) closes the stream here, nothing
            # stored
            yield StatusEvent(stage="composing", message="writing the answer", engine=self.name)
            yield from response_events(commit())
