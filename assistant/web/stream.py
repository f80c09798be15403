"""The chat stream of the web UI: the engine's events as server-sent HTML fragments.

POST /ui/chat checks the question (the engine's own `check`: 422, 403, 404 before anything
streams), keeps it server-side (`assistant.store.pending`) and answers with the question and
a placeholder; the placeholder's EventSource (htmx SSE extension) opens
GET /ui/chat/stream?id=<opaque id>, which takes the question, runs the engine's `stream` and
sends each event as a fragment:

    step     a status or tool step, appended to the steps list
    discard  the model failed: the text so far is cleared (the grounded answer follows)
    delta    the next piece of the answer, as escaped text
    done     the finished answer (sanitised Markdown, sources, data used, charts, feedback)
             with out-of-band updates of the conversation id and the sidebar
    failed   the request failed after the stream started: the error, in the conversation
    end      the last event; the page closes the EventSource on it

The id is bound to the session, valid for `STREAM_TTL` seconds and used once (a
reconnecting EventSource gets a `failed` event instead of asking the question again). Stop
closes the EventSource: the engine's stream is closed before its next step and nothing of
the turn is stored (`assistant.api.sse.until_shutdown`).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import AsyncIterator, Callable

from fastapi.concurrency import run_in_threadpool
from sse_starlette import ServerSentEvent

from assistant.engine.events import (
    DeltaEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    StatusEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from assistant.session_cookie import WebSession
from assistant.web.templating import fragment
from assistant.web.views import _arguments

STREAM_TTL = 120.0


def binding(session: WebSession) -> str:
    """What ties a pending question to the web session that asked it."""
    return hashlib.sha256(session.csrf.encode("utf-8")).hexdigest()[:32]


def _step(text: str, kind: str) -> ServerSentEvent:
    return ServerSentEvent(data=f'<li class="step {kind}">{html.escape(text)}</li>', event="step")


def failed(key: str, detail: str, status: int) -> ServerSentEvent:
    body = fragment("error.html", key=key, detail=detail, status=status)
    return ServerSentEvent(data=body, event="failed")


async def html_events(
    key: str, events: AsyncIterator[Event], finished: Callable[[DoneEvent], str]
) -> AsyncIterator[ServerSentEvent]:
    """Each engine event as its fragment; `finished` renders the `done` fragment (in a
    worker thread: it reads the store)."""
    async for event in events:
        if isinstance(event, StatusEvent):
            if event.discard:
                yield ServerSentEvent(
                    data='<span class="visually-hidden">answer restarted</span>', event="discard"
                )
            yield _step(event.message or event.stage, "status")
        elif isinstance(event, ToolCallEvent):
            yield _step(f"Looking up {event.name} ({_arguments(event.arguments)})", "tool")
        elif isinstance(event, ToolResultEvent):
            outcome = "done" if event.ok else f"failed: {event.error or 'no result'}"
            as_of = f", as of {event.as_of}" if event.as_of else ""
            yield _step(f"{event.name}: {outcome}{as_of}", "tool")
        elif isinstance(event, DeltaEvent):
            if event.text:
                yield ServerSentEvent(data=html.escape(event.text), event="delta")
        elif isinstance(event, DoneEvent):
            try:
                body = await run_in_threadpool(finished, event)
            except Exception as error:  # the answer is stored; say so rather than hang
                detail = getattr(error, "args", [""])[0] or "the answer could not be shown"
                yield failed(key, f"{detail}; reload the page to see the stored answer", 500)
            else:
                yield ServerSentEvent(data=body, event="done")
        elif isinstance(event, ErrorEvent):
            if event.final:
                yield failed(key, event.detail, event.status)
            else:  # the model's text is withdrawn; the grounded answer follows in this stream
                yield _step(event.detail, "status")
    yield ServerSentEvent(data="end", event="end")
