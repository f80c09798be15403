"""POST /api/feedback: thumbs up or down, with an optional comment, on an answer."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.store.feedback import FeedbackStore
from assistant.store.records import PositiveCount

router = APIRouter(tags=["feedback"], responses=RESPONSES)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(min_length=1, max_length=64, json_schema_extra={"pattern": r"\S"})
    message_id: PositiveCount | None = Field(
        default=None, description="the rated answer; the conversation's latest if omitted"
    )
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=4000)

    @field_validator("conversation_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("conversation_id must not be blank")
        return value.strip()

    @field_validator("comment")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None


class FeedbackResponse(BaseModel):
    id: int
    conversation_id: str
    message_id: int
    rating: Literal["up", "down"]
    comment: str | None
    created_at: dt.datetime


@router.post("/feedback", response_model=FeedbackResponse, status_code=201)
async def feedback(
    request: FeedbackRequest, services: ServicesDep, principal: PrincipalDep
) -> FeedbackResponse:
    def record() -> FeedbackResponse:
        saved = FeedbackStore(services.database).record(
            request.conversation_id,
            request.rating,
            message_id=request.message_id,
            comment=request.comment,
            user=principal.user,
        )
        return FeedbackResponse(
            id=saved.id,
            conversation_id=saved.conversation_id,
            message_id=saved.message_id,
            rating=request.rating,
            comment=saved.comment,
            created_at=saved.created_at,
        )

    return await run_in_threadpool(record)
