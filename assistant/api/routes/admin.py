"""Admin figures: GET /api/admin/usage (questions per day by engine and intent, latency
p50/p95, declined questions, thumbs-down with comments, most asked-about accounts, model
tokens and cost per day and model) and
GET /api/admin/feedback-export (thumbs-down answers as candidate eval cases, YAML). Admin
role only (403 otherwise)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.evaluation.feedback_export import export_yaml
from assistant.jobs.progress import ingest_progress
from assistant.services import Services
from assistant.store.feedback import FeedbackStore
from assistant.store.usage import Usage, usage

router = APIRouter(prefix="/admin", tags=["admin"], responses=RESPONSES)
Days = Annotated[int, Query(ge=1, le=3660, description="the last N days, today included")]


class DayCountOut(BaseModel):
    day: dt.date
    engine: str
    intent: str
    questions: int


class DeclinedOut(BaseModel):
    asked_at: dt.datetime
    user: str
    question: str
    answer: str


class ThumbsDownOut(BaseModel):
    feedback_id: int
    rated_at: dt.datetime
    user: str
    question: str
    answer: str
    comment: str | None


class AccountCount(BaseModel):
    account_id: str
    answers: int


class LLMUsageOut(BaseModel):
    model: str
    day: dt.date | None = Field(description="the UTC day; null in the per-model totals")
    answers: int
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None = Field(description="sum over the priced answers; null if none")
    unpriced: int = Field(description="answers of a model the price table does not name")
    estimated: int = Field(description="answers whose tokens were estimated, not reported")


class UsageReport(BaseModel):
    since: dt.date
    questions: int
    per_day: list[DayCountOut]
    latency_p50_ms: float | None = Field(description="nearest-rank median of total time")
    latency_p95_ms: float | None
    timed: int = Field(description="answers with a recorded total time")
    declined: list[DeclinedOut]
    thumbs_down: list[ThumbsDownOut]
    top_accounts: list[AccountCount]
    llm_per_day: list[LLMUsageOut] = Field(description="model usage and cost per day and model")
    llm_per_model: list[LLMUsageOut] = Field(description="model usage and cost per model")

    @classmethod
    def of(cls, found: Usage) -> UsageReport:
        return cls(
            since=found.since,
            questions=found.questions,
            per_day=[DayCountOut(**vars(d)) for d in found.per_day],
            latency_p50_ms=found.latency_p50_ms,
            latency_p95_ms=found.latency_p95_ms,
            timed=found.timed,
            declined=[DeclinedOut(**vars(d)) for d in found.declined],
            thumbs_down=[ThumbsDownOut(**vars(t)) for t in found.thumbs_down],
            top_accounts=[AccountCount(account_id=a, answers=n) for a, n in found.top_accounts],
            llm_per_day=[LLMUsageOut(**vars(u)) for u in found.llm_per_day],
            llm_per_model=[LLMUsageOut(**vars(u)) for u in found.llm_per_model],
        )


def usage_report(services: Services, days: int) -> UsageReport:
    since = services.settings.clock() - dt.timedelta(days=days - 1)
    return UsageReport.of(usage(services.database, since))


@router.get("/usage", response_model=UsageReport)
async def admin_usage(
    services: ServicesDep, principal: PrincipalDep, days: Days = 30
) -> UsageReport:
    """What was asked and how it went, from the store."""
    principal.require_role("admin")
    return await run_in_threadpool(usage_report, services, days)


# ingest progress (web UI, issues 13 and 17) ------------------------------------------------


class IngestRunOut(BaseModel):
    run_id: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    finished: bool
    jobs: dict[str, int] = Field(description="jobs per status: queued, running, done, failed")
    files: int
    chunks_embedded: int
    redone: int = Field(description="jobs a second worker took after the first died")
    workers: list[str]
    errors: list[str]
    skipped: list[str] = Field(description="files left out, with why")


class IngestStatus(BaseModel):
    files: int
    files_done: int
    files_pending: int
    files_failed: int = Field(description="files the last run skipped")
    chunks: int
    generation: int
    published_generation: int | None = Field(description="the BM25 snapshot's generation")
    runs: list[IngestRunOut] = Field(description="the latest runs, newest first")


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def ingest_status(services: Services) -> IngestStatus:
    found = ingest_progress(services.settings, services.database)
    runs = [
        IngestRunOut(
            run_id=r.run_id,
            created_at=_utc(r.created_at),
            updated_at=_utc(r.updated_at) if r.updated_at is not None else None,
            finished=r.finished,
            jobs=r.jobs,
            files=r.files,
            chunks_embedded=r.chunks_embedded,
            redone=r.redone,
            workers=list(r.workers),
            errors=list(r.errors),
            skipped=list(r.skipped),
        )
        for r in found.runs
    ]
    values = {k: v for k, v in vars(found).items() if k != "runs"}
    return IngestStatus(**values, runs=runs)


@router.get("/ingest", response_model=IngestStatus)
async def admin_ingest(services: ServicesDep, principal: PrincipalDep) -> IngestStatus:
    """Ingest progress: the manifest's files, its generation, the latest runs' jobs (what
    `assistant ingest --status` prints)."""
    principal.require_role("admin")
    return await run_in_threadpool(ingest_status, services)


def feedback_export(services: Services) -> str:
    text, _ = export_yaml(FeedbackStore(services.database).rated("down"))
    return text


@router.get("/feedback-export", response_class=Response)
async def admin_feedback_export(services: ServicesDep, principal: PrincipalDep) -> Response:
    """Thumbs-down answers as a candidate eval suite (`assistant eval export-feedback`)."""
    principal.require_role("admin")
    text = await run_in_threadpool(feedback_export, services)
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="feedback-cases.yaml"'},
    )
