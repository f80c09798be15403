"""Drafts written by the model: structured output, validated by the typed draft model, with
one repair attempt; a draft that still does not validate is a `ModelFailure`, so the engine
answers with the grounded draft instead.

The drafts package supplies a `DraftKit`: it recognises a draft request, gathers the
evidence (tool results, retrieved chunks) the grounded builder uses, and renders the draft
kind's prompt file from `prompts/` (instructions, output schema, evidence) into a `DraftJob`.
The output is asked for as a JSON object in the message text, which every chat-completions
server can produce (no vendor-specific `response_format` is needed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Protocol, cast

from pydantic import BaseModel, ValidationError

from assistant.engine.events import Event, StatusEvent
from assistant.engine.types import AnswerCheck, ChatResponse, Citation, ToolCall
from assistant.llm.client import MALFORMED, ModelCaller, ModelFailure, ModelTurn, TurnStream
from assistant.llm.postcheck import CitationFilter, cited, support, unsupported_numbers
from assistant.principal import Principal

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.I)


@dataclass
class DraftJob:
    kind: str
    model: type[BaseModel]  # the typed draft the JSON must validate against
    prompt: str  # the kind's prompt file rendered with its schema and evidence
    render: Callable[[BaseModel], str]  # the draft as Markdown, for the answer
    citations: list[Citation] = field(default_factory=list)  # chunks given, numbered [n]
    chunk_texts: dict[int, str] = field(default_factory=dict)
    tool_calls: list[ToolCall] = field(default_factory=list)
    request: str = "Write the draft now as one JSON object, and nothing else."
    fallback: ChatResponse | None = None  # the grounded draft, when the kit built it already


class DraftKit(Protocol):
    def plan(self, message: str, principal: Principal, account_id: str | None) -> DraftJob | None:
        """The job for a draft request (authorised with the principal); None for a message
        that is no draft request. Raises `GroundedAnswer` when the grounded engine should
        answer it instead (e.g. a draft request that needs a question back)."""


class GroundedAnswer(Exception):
    """The grounded engine answers this message; not a model failure (no fallback_reason)."""


class DraftInvalidError(ValueError):
    pass


def parse_draft(text: str, model: type[BaseModel]) -> BaseModel:
    """The draft in the reply: a JSON object, possibly fenced or wrapped in a sentence."""
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start == -1 or end < start:
        raise DraftInvalidError("the reply holds no JSON object")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as error:
        raise DraftInvalidError(f"the JSON does not parse: {error}") from error
    if not isinstance(data, dict):
        raise DraftInvalidError("the reply is not a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'the object'}: {e['msg']}"
            for e in error.errors(include_url=False)[:10]
        )
        raise DraftInvalidError(problems) from error


class LLMDrafter:
    def __init__(self, caller: ModelCaller, kit: DraftKit) -> None:
        self.caller = caller
        self.kit = kit

    def plan(self, message: str, principal: Principal, account_id: str | None) -> DraftJob | None:
        return self.kit.plan(message, principal, account_id)

    def run(self, job: DraftJob, deadline: float) -> Generator[Event, None, ChatResponse]:
        yield StatusEvent(stage="composing", message=f"drafting the {job.kind.replace('_', ' ')}")
        messages = [
            {"role": "system", "content": job.prompt},
            {"role": "user", "content": job.request},
        ]
        reply = self._complete(messages, deadline)
        try:
            draft = parse_draft(reply, job.model)
        except DraftInvalidError as error:
            yield StatusEvent(stage="composing", message="repairing the draft")
            messages += [
                {"role": "assistant", "content": reply},
                {
                    "role": "user",
                    "content": f"That draft is not valid: {error}. Reply with the corrected "
                    "JSON object only, following the schema exactly.",
                },
            ]
            reply = self._complete(messages, deadline)
            try:
                draft = parse_draft(reply, job.model)
            except DraftInvalidError as again:
                raise ModelFailure(MALFORMED, f"the draft did not validate: {again}") from again
        return self._response(job, draft)

    def _complete(self, messages: list[dict[str, str]], deadline: float) -> str:
        return _drain(self.caller.turn(list(messages), [], deadline)).content

    def _response(self, job: DraftJob, draft: BaseModel) -> ChatResponse:
        given = {c.n: c for c in job.citations}
        filtered = CitationFilter(set(given))
        answer = (filtered.feed(job.render(draft)) + filtered.flush()).strip()
        citations = [given[n] for n in sorted(cited(answer)) if n in given]
        numbers = support(
            [job.chunk_texts.get(c.n, c.snippet) for c in citations],
            [call.result for call in job.tool_calls],
        )
        payload = json.loads(draft.model_dump_json())
        return ChatResponse(
            conversation_id="",
            answer=answer,
            citations=citations,
            tool_calls=job.tool_calls,
            draft={"kind": job.kind, **payload} if "kind" not in payload else payload,
            check=AnswerCheck(
                dropped_citations=sorted(set(filtered.dropped)),
                unsupported_numbers=unsupported_numbers(answer, numbers),
            ),
        )


def _drain(turn: TurnStream) -> ModelTurn:
    """A model turn whose text is not streamed (JSON is no answer to show as it comes)."""
    while True:
        try:
            next(turn)
        except StopIteration as stop:
            return cast(ModelTurn, stop.value)
