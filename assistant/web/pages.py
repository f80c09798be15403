"""The pages: chat (`/`, `/c/{id}`), drafts, admin, sign-in and sign-out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from assistant.api.deps import get_services
from assistant.api.routes.admin import ingest_status, usage_report
from assistant.drafts.models import KINDS
from assistant.errors import AssistantError, AuthenticationError, NotFoundError
from assistant.principal import Principal
from assistant.services import Services
from assistant.session_cookie import COOKIE, CSRF_FIELD, csrf_ok, key_digest
from assistant.web.access import (
    Visitor,
    safe_next,
    set_session_cookie,
    signer_of,
    visitor,
)
from assistant.web.charts import attach_charts
from assistant.web.prefix import local, root
from assistant.web.templating import page
from assistant.web.views import AnswerView, answer_view

router = APIRouter(include_in_schema=False)


def account_options(services: Services, principal: Principal) -> list[tuple[str, str]]:
    """(id, name) of every account the principal may see, for the type-ahead picker."""
    return [(a.id, a.name) for a in services.accounts.accounts(principal.accounts)]


def base_context(request: Request, who: Visitor, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "csrf": who.session.csrf,
        "principal": who.principal,
        "keyed": who.keyed,
        "path": local(request.url.path),
        **extra,
    }


def conversation_views(
    services: Services, principal: Principal, conversation_id: str
) -> list[tuple[str, Any]]:
    """("user", text) and ("assistant", AnswerView) of each stored message."""
    messages = services.chat.conversations.messages(conversation_id, principal.user)
    shown: list[tuple[str, Any]] = []
    question = ""
    for message_id, turn in messages:
        if turn.role == "user":
            question = turn.content
            shown.append(("user", turn.content))
        elif turn.role == "assistant":
            view = answer_view(
                f"m{message_id}", conversation_id, message_id, question, turn.content, turn.payload
            )
            attach_charts(view, services, principal)
            shown.append(("assistant", view))
    return shown


def _chat_page(request: Request, conversation_id: str | None) -> Response:
    who = visitor(request)
    services = get_services(request)

    def build() -> dict[str, Any]:
        messages = (
            conversation_views(services, who.principal, conversation_id) if conversation_id else []
        )
        return {
            "messages": messages,
            "conversations": services.chat.conversations.of_user(who.principal.user),
            "accounts": account_options(services, who.principal),
        }

    try:
        found = build()
    except NotFoundError:
        return who.keep(
            page(
                "chat.html",
                404,
                **base_context(request, who, "Chat"),
                conversation_id="",
                current="",
                messages=[],
                conversations=services.chat.conversations.of_user(who.principal.user),
                accounts=account_options(services, who.principal),
                notice=f"conversation '{conversation_id}' does not exist (it may be deleted)",
            ),
            signer_of(request),
        )
    return who.keep(
        page(
            "chat.html",
            **base_context(request, who, "Chat"),
            conversation_id=conversation_id or "",
            current=conversation_id or "",
            notice=None,
            **found,
        ),
        signer_of(request),
    )


@router.get("/")
async def chat_page(request: Request) -> Response:
    return await run_in_threadpool(_chat_page, request, None)


@router.get("/c/{conversation_id}")
async def conversation_page(request: Request, conversation_id: str) -> Response:
    return await run_in_threadpool(_chat_page, request, conversation_id)


@router.get("/drafts")
async def drafts_page(request: Request) -> Response:
    who = visitor(request)
    services = get_services(request)

    def build() -> dict[str, Any]:
        drafts = services.drafts
        try:
            offered = drafts.knowledge.services(who.principal) if drafts is not None else []
        except AssistantError:
            offered = []
        accounts = account_options(services, who.principal)
        opportunities = services.accounts.opportunities([a for a, _ in accounts])
        return {
            "kinds": [(k, k.replace("_", " ").capitalize()) for k in KINDS],
            "accounts": accounts,
            "services": [(s.id, s.title) for s in offered],
            "opportunities": [(o.id, o.name, o.account_id) for o in opportunities],
        }

    found = await run_in_threadpool(build)
    return who.keep(
        page("drafts.html", **base_context(request, who, "Drafts"), **found),
        signer_of(request),
    )


@router.get("/admin")
async def admin_page(request: Request, days: Annotated[int, Query(ge=1, le=3660)] = 30) -> Response:
    who = visitor(request)
    services = get_services(request)
    if who.principal.role != "admin":
        return who.keep(
            page(
                "forbidden.html",
                403,
                **base_context(request, who, "Admin"),
                detail=f"the admin page needs the admin role; yours is '{who.principal.role}'",
            ),
            signer_of(request),
        )
    report = await run_in_threadpool(usage_report, services, days)
    ingest = await run_in_threadpool(ingest_status, services)
    return who.keep(
        page(
            "admin.html",
            **base_context(request, who, "Admin"),
            report=report,
            ingest=ingest,
            days=days,
            today=services.settings.clock(),
            since=report.since,
            intents=sorted({d.intent for d in report.per_day}),
            totals=_per_day_totals(report.per_day),
        ),
        signer_of(request),
    )


def _per_day_totals(rows: list[Any]) -> list[tuple[dt.date, int]]:
    totals: dict[dt.date, int] = {}
    for row in rows:
        totals[row.day] = totals.get(row.day, 0) + row.questions
    return sorted(totals.items())


@router.get("/sign-in")
async def sign_in_page(
    request: Request, next: str | None = None, expired: str | None = None
) -> Response:
    services = get_services(request)
    if services.api_keys is None:
        return RedirectResponse(root() + "/", status_code=303)
    notice = "Your session expired; sign in again." if expired else None
    return page("sign_in.html", title="Sign in", next=safe_next(next), notice=notice, error=None)


@router.post("/sign-in")
async def sign_in(
    request: Request,
    key: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    services = get_services(request)
    if services.api_keys is None:
        return RedirectResponse(root() + "/", status_code=303)
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        return page(
            "sign_in.html",
            403,
            title="Sign in",
            next=safe_next(next),
            notice=None,
            error="the sign-in form must be sent from this site",
        )
    try:
        services.api_keys.principal(f"Bearer {key.strip()}" if key.strip() else None)
    except AuthenticationError:
        return page(
            "sign_in.html",
            401,
            title="Sign in",
            next=safe_next(next),
            notice=None,
            error="that API key is not valid; paste the whole key you were given",
        )
    signer = signer_of(request)
    value, _ = signer.issue(key_digest(key))
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, value, signer)
    return response


@router.post("/sign-out")
async def sign_out(
    request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = ""
) -> Response:
    session = signer_of(request).read(request.cookies.get(COOKIE))
    if session is not None and not csrf_ok(session, csrf_token):
        return Response("missing or wrong CSRF token; reload the page", status_code=403)
    response = RedirectResponse(
        root() + ("/sign-in" if get_services(request).api_keys is not None else "/"),
        status_code=303,
    )
    response.delete_cookie(COOKIE, path="/")
    return response


__all__ = ["AnswerView", "router"]
