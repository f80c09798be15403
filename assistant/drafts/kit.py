"""The drafts' side of the LLM path (`assistant.llm.drafting.DraftKit`): recognise a draft
request, gather the evidence the grounded builder uses (its tool calls and the chunks it
cites), and render the kind's prompt from `prompts/` with that evidence. The model's JSON
is validated by `bound_model`: the draft model with the given citations and tool calls
attached, so every marker and tool name it uses must resolve to the evidence it was given.

The grounded draft is built for its evidence but kept only when it is the answer (the model
failed); the model's draft is kept with its own id through `DraftJob.save`, so either one
downloads as DOCX from `GET /api/drafts/{id}.docx`.
"""

from __future__ import annotations

import json
from typing import Any, cast

from pydantic import BaseModel, Field, create_model

from assistant.drafts.chat import DraftDesk
from assistant.drafts.models import DraftBase, draft_schema
from assistant.drafts.service import markdown
from assistant.engine.types import ChatResponse, Citation, ToolCall
from assistant.llm.drafting import DraftJob
from assistant.principal import Principal


def bound_model(
    model: type[DraftBase],
    citations: list[Citation],
    tool_calls: list[ToolCall],
    sections: dict[str, str] | None = None,
    charts: list[Any] | None = None,
) -> type[DraftBase]:
    """`model` whose citation and tool-call lists (and section titles, and a success plan's
    charts) default to the evidence (and the template) given."""
    titles = dict(sections or {})
    fields: dict[str, Any] = {
        "sections": (dict[str, str], Field(default_factory=lambda: dict(titles))),
        "citations": (list[Citation], Field(default_factory=lambda: list(citations))),
        "tool_calls": (list[ToolCall], Field(default_factory=lambda: list(tool_calls))),
    }
    if charts is not None and "charts" in model.model_fields:
        kind = model.model_fields["charts"].annotation
        fields["charts"] = (kind, Field(default_factory=lambda: list(charts)))
    bound: type[DraftBase] = create_model(model.__name__, __base__=model, **fields)
    return bound


class GroundedDraftKit:
    def __init__(self, desk: DraftDesk) -> None:
        self.desk = desk

    def plan(self, message: str, principal: Principal, account_id: str | None) -> DraftJob | None:
        """The job for a draft request; None for other messages and for requests that need
        a question back (the grounded desk asks it)."""
        plan = self.desk.plan(message, principal, account_id)
        if plan is None or plan.request is None:
            return None
        service = self.desk.service
        grounded = service.build_draft(plan.kind, plan.request, principal)
        index = service.knowledge.lexical.index
        texts = {}
        for citation in grounded.citations:
            chunk = index.get(citation.chunk_id)
            texts[citation.n] = chunk.text if chunk else citation.snippet
        variables: dict[str, Any] = {
            "today": grounded.generated_on.isoformat(),
            "tool_results": json.dumps(
                [c.model_dump(mode="json") for c in grounded.tool_calls], indent=1
            ),
            "knowledge": "\n\n".join(
                f"[{c.n}] {c.title} > {c.section}\n{texts[c.n]}" for c in grounded.citations
            ),
        }
        for name in ("account_id", "service_id", "opportunity_id"):
            if hasattr(grounded, name):
                variables["service" if name == "service_id" else name] = getattr(grounded, name)
        prompt = service.prompts[plan.kind]
        variables = {k: v for k, v in variables.items() if k in prompt.variables}

        def render(draft: BaseModel) -> str:
            return markdown(cast(DraftBase, draft))

        def save(draft: BaseModel) -> str:
            return service.save(cast(DraftBase, draft), principal).draft_id

        def fallback() -> ChatResponse:
            kept = service.save(grounded, principal)
            composers = {
                name: "grounded"
                for name, value in kept.draft.items()
                if isinstance(value, dict | list)
                and name not in ("sections", "citations", "tool_calls")
            }
            return ChatResponse(
                conversation_id="",
                answer=kept.markdown,
                citations=kept.citations,
                tool_calls=kept.tool_calls,
                draft={"draft_id": kept.draft_id, "composers": composers, **kept.draft},
                engine="grounded",
            )

        return DraftJob(
            kind=plan.kind,
            model=bound_model(
                type(grounded),
                grounded.citations,
                grounded.tool_calls,
                grounded.sections,
                getattr(grounded, "charts", None),
            ),
            prompt=prompt.render(**variables),
            render=render,
            citations=grounded.citations,
            chunk_texts=texts,
            tool_calls=grounded.tool_calls,
            fallback=fallback,
            grounded=grounded.model_dump(mode="json"),
            schema=draft_schema(plan.kind, evidence=False),
            save=save,
        )
