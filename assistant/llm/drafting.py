"""Drafts written by the model: structured output, validated by the typed draft model, with
one repair attempt; a draft that still does not validate is a `ModelFailure`, so the engine
answers with the grounded draft instead.

The drafts package supplies a `DraftKit`: it recognises a draft request, gathers the
evidence (tool results, retrieved chunks) the grounded builder uses, and renders the draft
kind's prompt file from `prompts/` (instructions, output schema, evidence) into a `DraftJob`.
The output is asked for as a JSON object: with `response_format` `json_schema` where the
endpoint takes it (`ASSISTANT_LLM_JSON_SCHEMA`; an endpoint that rejects it is asked in the
message text only, which every chat-completions server can answer). The validated draft's
figures are checked field by field against the evidence each field cites (`draft_check`),
the draft is kept with its own id through the kit's `save` (so its DOCX downloads like every
draft's), and the response says which composer wrote each section (`draft["composers"]`).
A prompt beyond the model's context is a `context_exceeded` failure (the grounded draft).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from pydantic import BaseModel, ValidationError

from assistant.engine.events import Event, StatusEvent
from assistant.engine.types import AnswerCheck, ChatResponse, Citation, ToolCall
from assistant.llm.client import ModelCaller
from assistant.llm.draft_check import check_draft
from assistant.llm.failures import CONTEXT, MALFORMED, ModelFailure
from assistant.llm.postcheck import CitationFilter, cited
from assistant.llm.providers import estimate_tokens
from assistant.llm.turns import ModelTurn, TurnStream
from assistant.llm.usage import Usage
from assistant.principal import Principal

# the draft's own fields, not sections written by a composer
META = frozenset({"kind", "title", "generated_on", "engine", "sections", "citations", "tool_calls"})

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
    # the grounded draft, kept and told when the model fails (the kit builds it for evidence)
    fallback: Callable[[], ChatResponse] | None = None
    grounded: dict[str, Any] | None = None  # the grounded draft's JSON, field by field
    schema: dict[str, Any] | None = None  # the JSON schema the model fills
    save: Callable[[BaseModel], str] | None = None  # keeps a draft, returns its id


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
        usage = Usage()
        config = self.caller.config
        if estimate_tokens(messages) > config.prompt_budget:
            raise ModelFailure(
                CONTEXT,
                f"the {job.kind} prompt does not fit {config.context_tokens} tokens "
                "(ASSISTANT_LLM_CONTEXT_TOKENS)",
            )
        response_format = None
        if config.json_schema and job.schema is not None:
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": job.kind, "schema": job.schema, "strict": False},
            }
        reply = self._complete(messages, deadline, response_format, usage)
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
            reply = self._complete(messages, deadline, response_format, usage)
            try:
                draft = parse_draft(reply, job.model)
            except DraftInvalidError as again:
                raise ModelFailure(MALFORMED, f"the draft did not validate: {again}") from again
        response = self._response(job, draft)
        response.usage = usage.as_payload(config.model, config.prices)
        return response

    def _complete(
        self,
        messages: list[dict[str, str]],
        deadline: float,
        response_format: dict[str, Any] | None,
        usage: Usage,
    ) -> str:
        turn = _drain(self.caller.turn(list(messages), [], deadline, response_format))
        usage.add(turn.usage)
        return turn.content

    def _response(self, job: DraftJob, draft: BaseModel) -> ChatResponse:
        """The draft with its figures checked, kept (its own id), rendered."""
        config = self.caller.config
        data = json.loads(draft.model_dump_json())
        if "engine" in data:
            data["engine"] = f"llm:{config.model}"
        results: dict[str, list[Any]] = {}
        for call in job.tool_calls:
            results.setdefault(call.name, []).append(call.result)
        texts = {c.n: job.chunk_texts.get(c.n, c.snippet) for c in job.citations}
        checked = check_draft(data, job.grounded, texts, results, config.numbers, META)
        try:
            draft = job.model.model_validate(checked.data)
        except ValidationError as error:
            raise ModelFailure(MALFORMED, f"the checked draft did not validate: {error}") from error
        given = {c.n: c for c in job.citations}
        filtered = CitationFilter(set(given))
        answer = (filtered.feed(job.render(draft)) + filtered.flush()).strip()
        citations = [given[n] for n in sorted(cited(answer)) if n in given]
        payload = json.loads(draft.model_dump_json())
        if "kind" not in payload:
            payload = {"kind": job.kind, **payload}
        head: dict[str, Any] = {}
        if job.save is not None:
            head["draft_id"] = job.save(draft)
        head["composers"] = checked.composers
        return ChatResponse(
            conversation_id="",
            answer=answer,
            citations=citations,
            tool_calls=job.tool_calls,
            draft={**head, **payload},
            check=AnswerCheck(
                dropped_citations=sorted(set(filtered.dropped)),
                unsupported_numbers=checked.flagged,
            ),
        )


def _drain(turn: TurnStream) -> ModelTurn:
    """A model turn whose text is not streamed (JSON is no answer to show as it comes)."""
    while True:
        try:
            next(turn)
        except StopIteration as stop:
            return cast(ModelTurn, stop.value)
