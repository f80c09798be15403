"""`create_app()`: the FastAPI application, its lifespan and one router per concern."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, FastAPI

from assistant import heap
from assistant.api.deps import get_principal
from assistant.api.errors import install_error_handlers
from assistant.api.request_body import RequestBodyGuard
from assistant.api.routes import (
    accounts,
    admin,
    charts,
    chat,
    conversations,
    drafts,
    feedback,
    health,
    openai_compat,
    renewals,
    search,
)
from assistant.api.startup import StartupCheck
from assistant.config import Settings, get_settings
from assistant.data_dir import check_writable
from assistant.services import build_services
from assistant.session_cookie import SessionSigner
from assistant.web.mount import mount as mount_web
from ingest.embedding import Embedder

if TYPE_CHECKING:  # Slack bot (issue 14): slack_bolt is imported only when a token is set
    from assistant.slack.surface import SlackSurface

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """Build the app. Heavy resources are created in the lifespan, not here."""

    # Slack bot (issue 14): mounted only when a bot token is set
    slack = slack_surface(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        chosen = settings or get_settings()
        # web UI (issue 13): no start without a session secret when a keys file is set
        app.state.sessions = SessionSigner.from_settings(chosen)
        services = build_services(chosen, embedder)
        app.state.services = services
        if slack is not None:  # Slack bot (issue 14)
            slack.start(services)
            app.state.slack = slack
        services.warm_up()  # issue 15: the embedding model loads before /readyz says ready
        services.index.watch()  # a new index generation is loaded as soon as it is written
        if services.dependencies is not None:  # cluster profile (issue 17): /readyz per dependency
            services.dependencies.watch()
        for problem in services.rules_problems():
            log.warning("rules: %s", problem)
        # hardening (issue 11): full garbage collections no longer walk what start-up built
        heap.settle()
        services.index.after_reload = heap.resettle
        try:
            yield
        finally:
            heap.release()
            services.close()

    app = FastAPI(
        title="success-assistant",
        version="0.1.0",
        description="Answers with citations for sellers, solution architects and CSMs.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(RequestBodyGuard)  # size limit, strict JSON
    # hardening (issue 11): however the app is started, an unwritable data directory stops
    # the start-up with one line, as `assistant serve` does
    app.add_middleware(StartupCheck, check=lambda: check_writable(settings or get_settings()))
    app.include_router(health.router)
    # every /api route needs a valid key (when a keys file is configured), even one that
    # forgets to ask for the principal itself
    api = APIRouter(prefix="/api", dependencies=[Depends(get_principal)])
    for module in (chat, search, accounts, renewals, drafts):
        api.include_router(module.router)
    api.include_router(feedback.router)
    # web UI (issue 13): the caller's conversations, admin figures; then the pages
    api.include_router(conversations.router)
    api.include_router(admin.router)
    api.include_router(charts.router)  # charts: health trend, licenses, portfolio 2x2 (d18)
    app.include_router(api)
    # the OpenAI-compatible API, with the same authentication
    app.include_router(openai_compat.router, prefix="/v1", dependencies=[Depends(get_principal)])
    if slack is not None:  # Slack bot (issue 14): Events API, commands, interactivity
        app.include_router(slack.router())
    # web UI (issue 13): pages at /, fragments at /ui, /static (under ASSISTANT_ROOT_PATH)
    mount_web(app, (settings or get_settings()).root_path)
    return app


def slack_surface(settings: Settings) -> SlackSurface | None:
    """The Slack bot when ASSISTANT_SLACK_BOT_TOKEN is set (issue 14); nothing otherwise."""
    if settings.slack_bot_token is None:
        return None
    from assistant.slack.surface import SlackSurface

    return SlackSurface(settings)


# hardening (issue 11): `uvicorn assistant.api.app:app` works as well as `--factory
# assistant.api.app:create_app`; the app is built when the server asks for it, not at import
def __getattr__(name: str) -> FastAPI:
    if name == "app":
        return create_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
