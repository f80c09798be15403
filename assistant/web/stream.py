"""The chat stream of the web UI: the engine's events as server-sent HTML fragments.

POST /ui/chat checks the question (the engine's own `check`: 422, 403, 404 before anything
streams) and answers with the question and a placeholder holding a signed stream token;
the placeholder's EventSource (htmx SSE extension) opens GET /ui/chat/stream?t=<token>,
which runs the engine's `stream` and sends each event as a fragment:

    step     a status or tool step, appended to the steps list
    discard  the model failed: the text so far is cleared (the grounded answer follows)
    delta    the next piece of the answer, as escaped text
    done     the finished answer (sanitised Markdown, sources, data used, charts, feedback)
             with out-of-band updates of the conversation id and the sidebar
    failed   the request failed after the stream started: the error, in the conversation
    end      the last event; the page closes the EventSource on it

The token is bound to the session, valid for `STREAM_TTL` seconds and used once (a
reconnecting EventSource gets a `failed` event instead of asking the question again).
"""

from __future__ import annotations

import hashlib
import html
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sse_starlette import ServerSentEvent

from assistant.api.sse import guarded
from assistant.engine.events import (
    DeltaEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    StatusEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from assistant.session_cookie import SessionSigner, WebSession
from assistant.web.templating import fragment
from assistant.web.views import _arguments

STREAM_TTL = 120.0
_KEPT_NONCES = 10_000


class UsedTokens:
    """Nonces of stream tokens already used (bounded; older ones have expired anyway)."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_use(self, nonce: str) -> bool:
        with self._lock:
            if nonce in self._seen:
                return False
            self._seen[nonce] = None
            while len(self._seen) > _KEPT_NONCES:
                self._seen.popitem(last=False)
            return True


@dataclass(frozen=True)
class Turn:
    message: str
    conversation_id: str | None
    account_id: str | None
    nonce: str


def _binding(session: WebSession) -> str:
    return hashlib.sha256(session.csrf.encode("utf-8")).hexdigest()[:16]


def seal_turn(
    signer: SessionSigner,
    session: WebSession,
    message: str,
    conversation_id: str | None,
    account_id: str | None,
) -> tuple[str, str]:
    """(token, nonce) for the stream of one question."""
    nonce = secrets.token_hex(8)
    body: dict[str, object] = {
        "s": _binding(session),
        "m": message,
        "c": conversation_id,
        "a": account_id,
        "n": nonce,
    }
    return signer.seal(body), nonce


def open_turn(signer: SessionSigner, session: WebSession, token: str) -> Turn | None:
    """The question of a token made for this session and not expired; None otherwise."""
    body = signer.unseal(token, STREAM_TTL)
    if body is None or body.get("s") != _binding(session):
        return None
    message, nonce = body.get("m"), body.get("n")
    conversation, account = body.get("c"), body.get("a")
    if not isinstance(message, str) or not isinstance(nonce, str):
        return None
    return Turn(
        message,
        conversation if isinstance(conversation, str) else None,
        account if isinstance(account, str) else None,
        nonce,
    )


def _step(text: str, kind: str) -> ServerSentEvent:
    return ServerSentEvent(data=f'<li class="step {kind}">{html.escape(text)}</li>', event="step")


def failed(key: str, detail: str, status: int) -> ServerSentEvent:
    body = fragment("error.html", key=key, detail=detail, status=status)
    return ServerSentEvent(data=body, event="failed")


def html_events(
    key: str, events: Iterator[Event], finished: Callable[[DoneEvent], str]
) -> Iterator[ServerSentEvent]:
    """Each engine event as its fragment; `finished` renders the `done` fragment."""
    for event in guarded(events):
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
                body = finished(event)
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
