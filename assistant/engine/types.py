"""The response contract every engine, route and client shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field


class Citation(BaseModel):
    n: int = Field(description="the marker [n] used in the answer")
    chunk_id: str
    source: str
    title: str
    section: str
    snippet: str
    score: float


class ToolCall(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: Any = None
    as_of: str | None = None
    source: str | None = None


class AnswerCheck(BaseModel):
    """The post-check of a model-written answer (the grounded composer needs none)."""

    dropped_citations: list[int] = Field(
        default_factory=list, description="markers [n] removed: the model was not given chunk n"
    )
    unsupported_numbers: list[str] = Field(
        default_factory=list,
        description="figures found in neither a tool result, a cited chunk nor the question",
    )


class ChatResponse(BaseModel):
    conversation_id: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    draft: dict[str, Any] | None = None
    engine: str = "grounded"
    fallback_reason: str | None = None
    interrupted: bool = Field(
        default=False,
        description="the model failed after part of its answer was written (and streamed, "
        "to a client that asked for a stream): that text is withdrawn; this answer, the "
        "grounded one (see fallback_reason), replaces it",
    )
    declined: bool = False
    timings_ms: dict[str, float] = Field(default_factory=dict)
    check: AnswerCheck | None = None
    degraded: list[str] = Field(
        default_factory=list,
        description="what retrieval lacked for this answer and why (empty when whole)",
    )
    # LLM usage (issue 16): tokens in/out and cost of the model calls behind this answer
    usage: dict[str, Any] | None = Field(
        default=None,
        description="prompt_tokens, completion_tokens, cost_usd (None without a price)",
    )


@dataclass(frozen=True)
class Fallback:
    """Why the grounded engine answers in the model's place: set on the response before it
    is stored, so the stored turn says so too."""

    reason: str
    interrupted: bool = False  # the model's text had been streamed when it failed

    def apply(self, response: ChatResponse) -> ChatResponse:
        response.fallback_reason = self.reason
        response.interrupted = self.interrupted
        return response


class SearchHit(BaseModel):
    chunk_id: str
    source: str
    title: str
    section: str
    doc_type: str
    text: str
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]
    timings_ms: dict[str, float] = Field(default_factory=dict)
    degraded: list[str] = Field(
        default_factory=list, description="what retrieval lacked and why (empty when whole)"
    )
