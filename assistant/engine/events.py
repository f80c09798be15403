"""What an engine tells a streaming client while it works, and the contract both engines keep.

A stream is a sequence of events ending in exactly one `done` (the complete response, the
authority on the answer) or one `error` (`final`). One `error` can come before `done`: when
the model fails after part of its answer was streamed (`final: false`, with the `reason`),
the text streamed so far is withdrawn; a `status` fallback, the grounded answer and its
`done` (`fallback_reason`, `interrupted: true`) follow. A client that stops at the first
`error` still shows the right thing: the answer failed.

    status       {stage, message, engine}      progress; the first event of every stream.
                                               stage "fallback" (with `discard`) means the
                                               model failed and the text streamed so far is
                                               replaced by the grounded answer that follows
    tool_call    {id, name, arguments}         a tool is about to run
    tool_result  {id, name, ok, result, error, as_of, source}
    citation     {n, chunk_id, source, title, section, snippet, score}
    delta        {text}                        the next piece of the answer
    draft        {draft}                       a typed draft (success plan, pitch, ...)
    done         ChatResponse                  the final response, as POST /api/chat returns it
    error        {status, detail, final, reason}
                                               the request failed after the stream started
                                               (final), or the model's streamed answer broke
                                               off (final false, status 502, reason as in
                                               `fallback_reason`) and the grounded one follows
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from assistant.engine.types import ChatResponse, Citation
from assistant.principal import Principal

Stage = Literal["received", "searching", "thinking", "composing", "fallback"]


class StatusEvent(BaseModel):
    type: Literal["status"] = "status"
    stage: Stage
    message: str = ""
    engine: str = ""
    discard: bool = False


class ToolCallEvent(BaseModel):
    type: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    arguments: Any = None


class ToolResultEvent(BaseModel):
    type: Literal["tool_result"] = "tool_result"
    id: str
    name: str
    ok: bool
    result: Any = None
    error: str | None = None
    as_of: str | None = None
    source: str | None = None


class CitationEvent(Citation):
    type: Literal["citation"] = "citation"


class DeltaEvent(BaseModel):
    type: Literal["delta"] = "delta"
    text: str


class DraftEvent(BaseModel):
    type: Literal["draft"] = "draft"
    draft: dict[str, Any]


class DoneEvent(BaseModel):
    type: Literal["done"] = "done"
    response: ChatResponse


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    status: int
    detail: str
    final: bool = True  # false: the stream goes on with the grounded answer and `done`
    reason: str | None = None  # why the model failed (a fallback reason), when it did


Event = (
    StatusEvent
    | ToolCallEvent
    | ToolResultEvent
    | CitationEvent
    | DeltaEvent
    | DraftEvent
    | DoneEvent
    | ErrorEvent
)


def payload(event: Event) -> dict[str, Any]:
    """The JSON body of an event on the wire (`done` carries the response itself)."""
    if isinstance(event, DoneEvent):
        return event.response.model_dump(mode="json")
    return event.model_dump(mode="json", exclude={"type"})


class AnswerEngine(Protocol):
    """Both engines: one complete answer, or the same answer as a stream of events."""

    @property
    def name(self) -> str: ...

    def check(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None,
        account_id: str | None,
    ) -> None:
        """Raise the request's error (422, 403, 404) before a stream starts."""

    def chat(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> ChatResponse: ...

    def stream(
        self,
        message: str,
        principal: Principal,
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> Iterator[Event]: ...
