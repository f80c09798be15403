"""The assistant as an OpenAI-compatible model: GET /v1/models, POST /v1/chat/completions.

Any OpenAI client (the official SDKs, Open WebUI, ...) can use it with the same API key as
/api. The last user message is the question; earlier user/assistant messages become the
conversation the engine follows up on. The answer's markers `[n]` become Markdown
footnotes `[^n]`, defined at the end of the content.

Extra fields (documented here and in the OpenAPI description):
- request: `account_id` (the account the user is looking at), `conversation_id` (continue a
  stored conversation instead of sending the history).
- response, at the top level of the completion (streaming: of the final chunk, the one with
  `finish_reason`): `citations` [{n, chunk_id, source, title, section, snippet, score}] and
  `assistant` {conversation_id, engine, fallback_reason, interrupted, declined, tool_calls,
  draft, check}.
- streaming: when the model fails after part of its answer was sent, a note saying so is
  sent, then the grounded answer; a failure after the start, or the server stopping (503),
  is an error chunk `{"error": {message, type, code}}` (the SDKs raise it) and `[DONE]`.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

import anyio
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool
from sse_starlette import EventSourceResponse

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.api.sse import SHUTDOWN_GRACE, until_shutdown
from assistant.config import Settings
from assistant.engine.events import AnswerEngine, DeltaEvent, DoneEvent, ErrorEvent, StatusEvent
from assistant.engine.types import ChatResponse, Citation
from assistant.errors import InvalidInputError, MessageTooLongError
from assistant.llm.postcheck import MARKER
from assistant.principal import Principal
from assistant.services import Services

router = APIRouter(tags=["openai-compatible"], responses=RESPONSES)
MODEL_ID = "success-assistant"
FALLBACK_NOTE = "\n\n---\n\n*The model failed; the answer below is the grounded one.*\n\n"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")  # image_url, ...: accepted, unused

    type: str = Field(max_length=64, description="only `text` parts are read")
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


NON_BLANK: dict[str, JsonValue] = {"type": "string", "pattern": r"\S"}
TEXT_PART: dict[str, JsonValue] = {
    "properties": {"type": {"const": "text"}, "text": NON_BLANK},
    "required": ["type", "text"],
}
# a user message with text: the last one is the question
ASKS: dict[str, JsonValue] = {
    "properties": {
        "role": {"const": "user"},
        "content": {"anyOf": [NON_BLANK, {"type": "array", "contains": TEXT_PART}]},
    },
    "required": ["role", "content"],
}


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ...: accepted, unused

    model: str = MODEL_ID
    messages: list[Message] = Field(
        min_length=1,
        description="the last `user` message is the question; earlier ones are the history",
        json_schema_extra={"contains": ASKS},
    )
    stream: StrictBool = False
    account_id: str | None = Field(default=None, min_length=1, max_length=64)
    conversation_id: str | None = Field(default=None, min_length=1, max_length=64)


@router.get("/models")
async def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "success-assistant"}
        ],
    }


@router.post(
    "/chat/completions",
    response_model=None,
    responses={200: {"content": {"text/event-stream": {}}, "description": "with stream"}},
)
async def completions(
    request: CompletionRequest, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any] | EventSourceResponse:
    """A chat completion (or, with `stream`, its chunks ending in `data: [DONE]`). Markers
    are Markdown footnotes `[^n]`. Extra request fields: `account_id`, `conversation_id`.
    Extra response fields (top level; streaming: on the final chunk): `citations` and
    `assistant` {conversation_id, engine, fallback_reason, declined, tool_calls, draft, check}.
    """
    engine = services.engine
    within_limits(request.messages, services.settings)
    question, earlier = _split(request.messages)
    await run_in_threadpool(
        engine.check, question, principal, request.conversation_id, request.account_id
    )
    conversation_id = request.conversation_id
    if conversation_id is None and earlier:
        conversation_id = await run_in_threadpool(_replay, services, principal, earlier)
    args = (question, principal, conversation_id, request.account_id)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if not request.stream:
        response = await run_in_threadpool(engine.chat, *args)
        return _completion(completion_id, response)
    shutdown = anyio.Event()
    return EventSourceResponse(
        _chunks(completion_id, engine, *args, shutdown),
        sep="\n",
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE,
    )


def footnotes(text: str) -> str:
    """`[1, 2]` -> `[^1][^2]`."""

    def note(match: re.Match[str]) -> str:
        lead = match.group()[: match.group().index("[")]
        return lead + "".join(f"[^{n.strip()}]" for n in re.split(r"[,;]", match.group(1)))

    return MARKER.sub(note, text)


def definitions(citations: list[Citation]) -> str:
    lines = [f"[^{c.n}]: {_label(c)} ({c.source})" for c in citations]
    return "\n\n" + "\n".join(lines) if lines else ""


def _label(citation: Citation) -> str:
    title, section = citation.title, citation.section
    if not section or section == title:
        return title
    return section if section.startswith(title) else f"{title}, {section}"


def extras(response: ChatResponse) -> dict[str, Any]:
    body = response.model_dump(mode="json")
    keep = (
        "conversation_id",
        "engine",
        "fallback_reason",
        "interrupted",
        "declined",
        "tool_calls",
        "draft",
    )
    meta = {key: body[key] for key in keep}
    meta["check"] = body.get("check")
    return {"citations": body["citations"], "assistant": meta}


def within_limits(messages: list[Message], settings: Settings) -> None:
    """413 for more messages than `max_history_messages` or an earlier message longer than
    `max_history_message_chars` (the question has the chat limit): nothing is stored then."""
    if len(messages) > settings.max_history_messages:
        raise MessageTooLongError(
            f"{len(messages)} messages; the limit is {settings.max_history_messages} "
            "(ASSISTANT_MAX_HISTORY_MESSAGES): send only the recent history, or continue a "
            "stored conversation with `conversation_id`"
        )
    limit = settings.max_history_message_chars
    for n, message in enumerate(messages):
        if len(message.text) > limit:
            raise MessageTooLongError(
                f"messages[{n}] has {len(message.text)} characters; the limit is {limit} "
                "(ASSISTANT_MAX_HISTORY_MESSAGE_CHARS): shorten or drop it"
            )


def _split(messages: list[Message]) -> tuple[str, list[Message]]:
    users = [i for i, m in enumerate(messages) if m.role == "user" and m.text.strip()]
    if not users:
        raise InvalidInputError("messages must contain a user message with text")
    last = users[-1]
    earlier = [m for m in messages[:last] if m.role in ("user", "assistant") and m.text.strip()]
    return messages[last].text, earlier


def _replay(services: Services, principal: Principal, earlier: list[Message]) -> str:
    """The history a client sent, stored as a conversation the engine can follow up on."""
    return services.chat.conversations.record_turn(
        None, principal.user, None, [(m.role, m.text, {}) for m in earlier]
    )


def _usage(response: ChatResponse) -> dict[str, int]:
    """The model's tokens behind the answer (LLM usage, issue 16); zeros when grounded."""
    used = response.usage or {}
    prompt, completion = int(used.get("prompt_tokens", 0)), int(used.get("completion_tokens", 0))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(completion_id: str, response: ChatResponse) -> dict[str, Any]:
    content = footnotes(response.answer) + definitions(response.citations)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(response),
        **extras(response),
    }


async def _chunks(
    completion_id: str,
    engine: AnswerEngine,
    question: str,
    principal: Principal,
    conversation_id: str | None,
    account_id: str | None,
    shutdown: anyio.Event,
) -> AsyncIterator[str]:
    """The completion's chunks, then `[DONE]`. A failure after the start, or the server
    stopping, is an OpenAI-style error chunk (`{"error": {message, type, code}}`, which the
    OpenAI SDKs raise as `APIError`) before `[DONE]`."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [choice],
            **extra,
        }
        return json.dumps(body)

    yield chunk({"role": "assistant", "content": ""})
    events = engine.stream(question, principal, conversation_id, account_id)
    async for event in until_shutdown(events, shutdown):
        if isinstance(event, DeltaEvent):
            yield chunk({"content": footnotes(event.text)})
        elif isinstance(event, StatusEvent) and event.stage == "fallback" and event.discard:
            yield chunk({"content": FALLBACK_NOTE})
        elif isinstance(event, DoneEvent):
            if notes := definitions(event.response.citations):
                yield chunk({"content": notes})
            yield chunk({}, "stop", **extras(event.response))
        elif isinstance(event, ErrorEvent) and event.final:  # not final: the note says it
            yield json.dumps({"error": error_object(event)})
    yield "[DONE]"


def error_object(event: ErrorEvent) -> dict[str, Any]:
    """An `error` event as OpenAI writes errors: message, type, code (here the status)."""
    kind = "service_unavailable" if event.status == 503 else "server_error"
    if event.status < 500:
        kind = "invalid_request_error"
    return {"message": event.detail, "type": kind, "code": event.status}
