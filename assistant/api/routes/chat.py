"""POST /api/chat: a grounded, cited answer; conversations persist across turns."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.engine.types import ChatResponse

router = APIRouter(tags=["chat"])


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="the question or instruction")
    conversation_id: str | None = Field(default=None, max_length=64)
    account_id: str | None = Field(default=None, max_length=64)

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message must not be empty or blank")
        return value


@router.post("/chat", response_model=ChatResponse)
async def chat(
    request: ChatRequest, services: ServicesDep, principal: PrincipalDep
) -> ChatResponse:
    return await run_in_threadpool(
        services.chat.chat,
        request.message,
        principal,
        request.conversation_id,
        request.account_id,
    )
