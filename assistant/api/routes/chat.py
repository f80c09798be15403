"""POST /api/chat: a cited answer; conversations persist across turns. With `"stream": true`
the answer comes as server-sent events (see `assistant.engine.events`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from sse_starlette import EventSourceResponse

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.api.sse import event_stream
from assistant.engine.types import ChatResponse

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
        return event_stream(services.engine.stream(*args))
    return await run_in_threadpool(services.engine.chat, *args)
