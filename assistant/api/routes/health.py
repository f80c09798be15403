"""Liveness and readiness. Both are `async` and read only what is in memory, so they answer
on the event loop at once however busy the worker threads are (a hung model, a saturated
thread pool) and never wait on Chroma or the database."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from assistant.api.deps import get_services

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the loaded index generation has both halves holding the same chunks; 503
    otherwise, with `detail` saying what is missing and what to do."""
    # not a dependency: FastAPI runs a plain-function dependency in the thread pool, which
    # is exactly what may be full
    services = get_services(request)
    generation = services.index.peek()  # the reload itself runs off the request path
    chunks = generation.chunks
    lexical = len(generation.lexical)
    problems = list(generation.problems)
    ready = not problems and chunks > 0 and lexical == chunks
    # each dependency's last check (assistant.dependencies, off the request path)
    checks = services.dependencies.checks if services.dependencies is not None else {}
    covered = {"lexical" if p.startswith("lexical") else "vectors" for p in problems}
    failing = [
        f"{name}: {check.detail}"
        for name, check in checks.items()
        if not check.ok and name not in covered  # the generation's problems say it already
    ]
    ready = ready and not failing
    body: dict[str, object] = {
        "status": "ready" if ready else "not ready",
        "generation": generation.number,
        "chunks": chunks,
        "lexical_chunks": lexical,
        "embedding_model": services.embedder.name,
        "profile": services.settings.profile,
        "dependencies": {name: check.as_dict() for name, check in checks.items()},
    }
    rules_problems = services.rules_problems()  # computed once, at start-up
    body["rules"] = {
        "file": str(services.settings.rules_path),
        "problems": [str(problem) for problem in rules_problems],
    }
    if rules_problems:
        body["warning"] = (
            "some business rules no longer match the sections they cite; see rules.problems"
        )
    if problems or failing:
        body["degraded"] = problems + failing
        body["detail"] = "; ".join(problems + failing)
    elif not ready:
        body["detail"] = "the knowledge index is empty or out of step; run `assistant ingest`"
    return JSONResponse(body, status_code=200 if ready else 503)
