"""POST /api/search: the ranked chunks with their scores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.engine.types import SearchResponse
from assistant.retrieval.filters import SearchFilter
from assistant.store.records import not_a_bool

router = APIRouter(tags=["search"], responses=RESPONSES)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(json_schema_extra={"pattern": r"\S"}, description="not blank")
    k: Annotated[int, Field(ge=1, le=50), BeforeValidator(not_a_bool)] = 8
    doc_type: list[str] | None = Field(
        default=None, max_length=50, description="only these document types"
    )
    account: str | None = Field(
        default=None, max_length=64, description="only chunks about this account"
    )

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must not be empty or blank")
        return value


@router.post("/search", response_model=SearchResponse)
async def search(
    request: SearchRequest, services: ServicesDep, principal: PrincipalDep
) -> SearchResponse:
    where = SearchFilter(
        doc_types=frozenset(request.doc_type) if request.doc_type else None,
        account=request.account.upper() if request.account else None,
    )
    return await run_in_threadpool(services.chat.search, request.query, principal, request.k, where)
