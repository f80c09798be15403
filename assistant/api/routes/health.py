"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from assistant.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when the knowledge index is loaded and holds chunks (503 otherwise)."""
    chunks = services.collection.count()
    lexical = len(services.lexical.index)
    ready = chunks > 0 and lexical == chunks
    body: dict[str, object] = {
        "status": "ready" if ready else "not ready",
        "chunks": chunks,
        "lexical_chunks": lexical,
        "embedding_model": services.embedder.name,
    }
    problems = services.rules_problems()
    body["rules"] = {
        "file": str(services.settings.rules_path),
        "problems": [str(problem) for problem in problems],
    }
    if problems:
        body["warning"] = (
            "some business rules no longer match the sections they cite; see rules.problems"
        )
    if not ready:
        body["detail"] = "the knowledge index is empty or out of step; run `assistant ingest`"
    return JSONResponse(body, status_code=200 if ready else 503)
