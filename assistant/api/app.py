"""`create_app()`: the FastAPI application, its lifespan and one router per concern."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from assistant.api.deps import get_principal
from assistant.api.errors import install_error_handlers
from assistant.api.request_body import RequestBodyGuard
from assistant.api.routes import (
    accounts,
    chat,
    drafts,
    feedback,
    health,
    openai_compat,
    renewals,
    search,
)
from assistant.config import Settings, get_settings
from assistant.services import build_services
from ingest.embedding import Embedder

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """Build the app. Heavy resources are created in the lifespan, not here."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings or get_settings(), embedder)
        app.state.services = services
        services.warm_up()  # issue 15: the embedding model loads before /readyz says ready
        services.index.watch()  # a new index generation is loaded as soon as it is written
        for problem in services.rules_problems():
            log.warning("rules: %s", problem)
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="success-assistant",
        version="0.1.0",
        description="Answers with citations for sellers, solution architects and CSMs.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(RequestBodyGuard)  # size limit, strict JSON
    app.include_router(health.router)
    # every /api route needs a valid key (when a keys file is configured), even one that
    # forgets to ask for the principal itself
    api = APIRouter(prefix="/api", dependencies=[Depends(get_principal)])
    for module in (chat, search, accounts, renewals, drafts):
        api.include_router(module.router)
    api.include_router(feedback.router)
    app.include_router(api)
    # the OpenAI-compatible API, with the same authentication
    app.include_router(openai_compat.router, prefix="/v1", dependencies=[Depends(get_principal)])
    return app
