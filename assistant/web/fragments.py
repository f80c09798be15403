"""The htmx requests of the pages (`/ui/...`): ask and stream, the sidebar (list, rename,
delete), feedback and drafts. Each calls what the matching API route calls and answers
with HTML; a request the API would refuse gets the same message, in the page."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from assistant.api.deps import get_services
from assistant.api.errors import status_for
from assistant.api.sse import SHUTDOWN_GRACE, until_shutdown
from assistant.drafts.service import DraftRequest, parse_kind
from assistant.engine.events import DoneEvent, Event
from assistant.errors import AssistantError, InvalidInputError
from assistant.principal import Principal
from assistant.services import Services
from assistant.store.feedback import FeedbackStore
from assistant.store.pending import PendingQuestions
from assistant.web.access import Visitor, visitor
from assistant.web.charts import attach_charts
from assistant.web.markdown import render
from assistant.web.prefix import root
from assistant.web.stream import STREAM_TTL, binding, failed, html_events
from assistant.web.templating import fragment
from assistant.web.views import answer_view, highlight_needs_input

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ui", include_in_schema=False)
_ACCOUNT_ID = re.compile(r"^\s*([Aa][Cc][Cc]-\d{3,})\b")
Text = Annotated[str, Form(max_length=20_000)]


def _html(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status_code)


def problem(error: AssistantError) -> HTMLResponse:
    """The message a request's error would have had from the API, as a page fragment."""
    status = status_for(error)
    return _html(fragment("error.html", key="", detail=str(error), status=status), status)


def pick_account(services: Services, principal: Principal, picked: str) -> str | None:
    """The account of the picker's text: "ACC-001 · Name", an id or a name the caller may
    see; InvalidInputError saying what to type otherwise."""
    text = " ".join(picked.split())
    if not text:
        return None
    match = _ACCOUNT_ID.match(text)
    if match:
        return match.group(1).upper()
    wanted = text.casefold()
    for account in services.accounts.accounts(principal.accounts):
        if account.name.casefold() == wanted:
            return account.id
    raise InvalidInputError(
        f"no account of yours is called '{text}': pick one from the list (its id or name)"
    )


class FragmentRefused(Exception):
    """A fragment request refused before its route ran (e.g. a missing CSRF token): the
    error is answered as HTML for the page, not as the API's JSON."""

    def __init__(self, error: AssistantError) -> None:
        super().__init__(str(error))
        self.error = error


def _who(request: Request) -> Visitor:
    try:
        return visitor(request, fragment=True)
    except AssistantError as error:
        raise FragmentRefused(error) from error


@router.post("/chat")
async def ask(
    request: Request,
    message: Text = "",
    conversation_id: Annotated[str, Form(max_length=64)] = "",
    account: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    who = _who(request)
    services = get_services(request)
    conversation = conversation_id.strip() or None
    try:
        account_id = pick_account(services, who.principal, account)
        await run_in_threadpool(
            services.engine.check, message, who.principal, conversation, account_id
        )
    except AssistantError as error:
        return problem(error)
    pending = PendingQuestions(services.database, STREAM_TTL)
    question_id = await run_in_threadpool(
        pending.keep, binding(who.session), message.strip(), conversation, account_id
    )
    key = f"t{question_id[:16]}"
    return _html(fragment("pending.html", key=key, question=message.strip(), id=question_id))


@router.get("/chat/stream")
async def stream(request: Request, id: Annotated[str, Query(max_length=64)] = "") -> Response:
    who = _who(request)
    services = get_services(request)
    pending = PendingQuestions(services.database, STREAM_TTL)
    turn = await run_in_threadpool(pending.take, id, binding(who.session))
    if turn is None:
        detail = "this answer stream has expired or was already used; send the question again"
        refused = html_events("", _no_events(), lambda _: "")
        return EventSourceResponse(
            _after(failed("", detail, 410), refused), headers={"Cache-Control": "no-store"}
        )
    key = f"t{turn.id[:16]}"

    def finished(done: DoneEvent) -> str:
        return _finished(services, who.principal, key, turn.message, done)

    events = services.engine.stream(
        turn.message, who.principal, turn.conversation_id, turn.account_id
    )
    shutdown = anyio.Event()
    return EventSourceResponse(
        html_events(key, until_shutdown(events, shutdown), finished),
        headers={"Cache-Control": "no-store"},
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE,
    )


async def _no_events() -> AsyncIterator[Event]:
    return
    yield  # an async generator with nothing in it


async def _after(
    first: ServerSentEvent, rest: AsyncIterator[ServerSentEvent]
) -> AsyncIterator[ServerSentEvent]:
    yield first
    async for event in rest:
        yield event


def _finished(
    services: Services, principal: Principal, key: str, question: str, done: DoneEvent
) -> str:
    response = done.response
    store = services.chat.conversations
    messages = store.messages(response.conversation_id, principal.user)
    message_id = next((i for i, t in reversed(messages) if t.role == "assistant"), None)
    view = answer_view(
        key,
        response.conversation_id,
        message_id,
        question,
        response.answer,
        response.model_dump(mode="json"),
    )
    attach_charts(view, services, principal)
    return fragment(
        "done.html",
        answer=view,
        conversations=store.of_user(principal.user),
        current=response.conversation_id,
    )


@router.get("/conversations")
async def conversations(request: Request, current: str = "") -> Response:
    who = _who(request)
    store = get_services(request).chat.conversations
    found = await run_in_threadpool(store.of_user, who.principal.user)
    return _html(fragment("sidebar.html", conversations=found, current=current))


@router.post("/conversations/{conversation_id}/rename")
async def rename(
    request: Request,
    conversation_id: str,
    title: Annotated[str, Form(max_length=500)] = "",
    current: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    who = _who(request)
    store = get_services(request).chat.conversations
    name = " ".join(title.split())
    if not name or len(name) > 200:
        return problem(InvalidInputError("a conversation name needs 1 to 200 characters"))
    try:
        await run_in_threadpool(store.rename, conversation_id, who.principal.user, name)
    except AssistantError as error:
        return problem(error)
    found = await run_in_threadpool(store.of_user, who.principal.user)
    return _html(fragment("sidebar.html", conversations=found, current=current))


@router.post("/conversations/{conversation_id}/delete")
async def delete(
    request: Request, conversation_id: str, current: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    who = _who(request)
    store = get_services(request).chat.conversations
    try:
        await run_in_threadpool(store.delete, conversation_id, who.principal.user)
    except AssistantError as error:
        return problem(error)
    if current == conversation_id:
        return Response(status_code=200, headers={"HX-Redirect": root() + "/"})
    found = await run_in_threadpool(store.of_user, who.principal.user)
    return _html(fragment("sidebar.html", conversations=found, current=current))


@router.post("/feedback")
async def feedback(
    request: Request,
    conversation_id: Annotated[str, Form(max_length=64)],
    message_id: Annotated[int | None, Form(ge=1)] = None,
    rating: Annotated[str, Form(max_length=8)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    who = _who(request)
    services = get_services(request)
    if rating not in ("up", "down"):
        return problem(InvalidInputError("rating must be up or down"))

    def record() -> Any:
        return FeedbackStore(services.database).record(
            conversation_id,
            rating,  # type: ignore[arg-type]
            message_id=message_id,
            comment=comment.strip() or None,
            user=who.principal.user,
        )

    try:
        saved = await run_in_threadpool(record)
    except AssistantError as error:
        return problem(error)
    return _html(fragment("feedback_saved.html", saved=saved))


@router.post("/drafts")
async def draft(
    request: Request,
    kind: Annotated[str, Form(max_length=40)] = "",
    account: Annotated[str, Form(max_length=300)] = "",
    service: Annotated[str, Form(max_length=200)] = "",
    opportunity: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    who = _who(request)
    services = get_services(request)
    drafts = services.drafts
    if drafts is None:
        return problem(InvalidInputError("drafting is not configured on this server"))

    def create() -> str:
        account_id = pick_account(services, who.principal, account)
        body = DraftRequest(
            account_id=account_id,
            service=service.strip() or None,
            opportunity_id=opportunity.strip().split(" ")[0] or None,
        )
        result = drafts.create(parse_kind(kind), body, who.principal)
        citations = {c.n for c in result.citations}
        markup = highlight_needs_input(render(result.markdown, citations, f"d{result.draft_id}"))
        view = answer_view(
            f"d{result.draft_id}", "", None, "", result.markdown, result.model_dump(mode="json")
        )
        if result.kind == "success_plan" and account_id:
            view.account_id = account_id
        attach_charts(view, services, who.principal)
        return fragment("draft.html", result=result, html=markup, view=view)

    try:
        return _html(await run_in_threadpool(create))
    except AssistantError as error:
        return problem(error)
