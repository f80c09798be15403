"""POST /api/chat: a cited answer; conversations persist across turns. With `"stream": true`
the answer comes as server-sent events (see `assistant.engine.events`)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from sse_starlette import EventSourceResponse

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.api.sse import event_stream
from assistant.engine.events import DoneEvent, Event
from assistant.engine.types import ChatResponse
from assistant.services import Services

router = APIRouter(tags=["chat"], responses=RESPONSES)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        description="the question or instruction", json_schema_extra={"pattern": r"\S"}
    )
    conversation_id: str | None = Field(default=None, min_length=1, max_length=64)
    account_id: str | None = Field(default=None, min_length=1, max_length=64)
    stream: StrictBool = Field(default=False, description="answer as server-sent events")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message must not be empty or blank")
        return value


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "with stream"}},
)
async def chat(
    request: ChatRequest, services: ServicesDep, principal: PrincipalDep
) -> ChatResponse | EventSourceResponse:
    args = (request.message, principal, request.conversation_id, request.account_id)
    if request.stream:
        # the request's own errors keep their status; then the first event leaves at once
        await run_in_threadpool(services.engine.check, *args)
        return event_stream(_reporting(services, services.engine.stream(*args)))
    response = await run_in_threadpool(services.engine.chat, *args)
    return with_degraded(services, response)


def with_degraded(services: Services, response: ChatResponse) -> ChatResponse:
    """The response naming what retrieval lacked, whichever path answered (a tool, a draft,
    the LLM): the loaded index generation's problems and those of this answer's search."""
    known = list(response.degraded)
    response.degraded = known + [p for p in services.index.peek().problems if p not in known]
    return response


def _reporting(services: Services, events: Iterator[Event]) -> Iterator[Event]:
    for event in events:
        if isinstance(event, DoneEvent):
            with_degraded(services, event.response)
        yield event
