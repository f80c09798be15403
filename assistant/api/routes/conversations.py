"""The caller's conversations: GET /api/conversations, GET /api/conversations/{id} (its
messages), PATCH /api/conversations/{id} (rename), DELETE /api/conversations/{id}.

Only the caller's own conversations exist for them: another user's id is a 404, as for
POST /api/chat."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.store.conversations import ConversationSummary

router = APIRouter(tags=["conversations"], responses=RESPONSES)
ConversationPath = Annotated[str, Path(min_length=1, max_length=64)]


class ConversationItem(BaseModel):
    id: str
    title: str = Field(description="the name given, else the first question")
    account_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime = Field(description="when the latest message was stored")
    messages: int

    @classmethod
    def of(cls, summary: ConversationSummary) -> ConversationItem:
        return cls(
            id=summary.id,
            title=summary.title,
            account_id=summary.account_id,
            created_at=summary.created_at,
            updated_at=summary.updated_at,
            messages=summary.messages,
        )


class ConversationList(BaseModel):
    conversations: list[ConversationItem]


class Message(BaseModel):
    id: int
    role: str
    content: str
    payload: dict[str, Any] = Field(
        description="for answers: citations, tool_calls, engine, intent, declined, timings_ms"
    )


class ConversationDetail(BaseModel):
    id: str
    messages: list[Message]


class Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": r"\S"})

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("title must not be empty or blank")
        return " ".join(value.split())


@router.get("/conversations", response_model=ConversationList)
async def list_conversations(
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ConversationList:
    """The caller's conversations, the most recently active first."""
    found = await run_in_threadpool(services.chat.conversations.of_user, principal.user, limit)
    return ConversationList(conversations=[ConversationItem.of(s) for s in found])


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
async def conversation(
    conversation_id: ConversationPath, services: ServicesDep, principal: PrincipalDep
) -> ConversationDetail:
    """The messages of one of the caller's conversations, oldest first."""
    found = await run_in_threadpool(
        services.chat.conversations.messages, conversation_id, principal.user
    )
    return ConversationDetail(
        id=conversation_id,
        messages=[
            Message(id=i, role=t.role, content=t.content, payload=t.payload) for i, t in found
        ],
    )


@router.patch("/conversations/{conversation_id}", response_model=ConversationItem)
async def rename_conversation(
    conversation_id: ConversationPath,
    body: Rename,
    services: ServicesDep,
    principal: PrincipalDep,
) -> ConversationItem:
    """Give one of the caller's conversations a name."""
    store = services.chat.conversations

    def rename() -> ConversationItem:
        store.rename(conversation_id, principal.user, body.title)
        return ConversationItem.of(store.of_user(principal.user, 1, only=conversation_id)[0])

    return await run_in_threadpool(rename)


@router.delete("/conversations/{conversation_id}", status_code=204, response_class=Response)
async def delete_conversation(
    conversation_id: ConversationPath, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Delete one of the caller's conversations with its messages and feedback."""
    await run_in_threadpool(services.chat.conversations.delete, conversation_id, principal.user)
    return Response(status_code=204)
