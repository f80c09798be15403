"""Structured drafts through the model: validated against the typed model, one repair attempt,
then the grounded answer. The kit here is a small stand-in with the `DraftKit` interface."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.engine.events import DraftEvent
from assistant.engine.types import Citation
from assistant.llm.drafting import DraftJob, GroundedAnswer
from assistant.llm.engine import LLMEngine
from assistant.principal import Principal
from assistant.services import Services
from tests.llm.conftest import SELLER, EngineFactory
from tests.llm.scripted import ScriptedModel, content


class MiniPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["success_plan"] = "success_plan"
    account_id: str
    arr: int = Field(description="from account_overview")
    objective: str = Field(description="a playbook objective, with its marker [n]")


def render(draft: BaseModel) -> str:
    assert isinstance(draft, MiniPlan)
    return f"# Success plan {draft.account_id}\n\nARR: {draft.arr}\n\nObjective: {draft.objective}"


class MiniKit:
    """Recognises "draft ..." and gathers its evidence as the caller."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def plan(self, message: str, principal: Principal, account_id: str | None) -> DraftJob | None:
        if not message.lower().startswith("draft"):
            return None
        _, call = self.services.tools.run("account_overview", {"account_id": "ACC-002"}, principal)
        citation = Citation(
            n=1,
            chunk_id="c1",
            source="playbooks/onboarding.md",
            title="Onboarding Playbook",
            section="Timeline",
            snippet="A new customer should be live within 30 days of signature.",
            score=1.0,
        )
        schema = json.dumps(MiniPlan.model_json_schema())
        return DraftJob(
            kind="success_plan",
            model=MiniPlan,
            prompt=f"Fill this schema: {schema}\nEvidence: {call.result}\n[1] {citation.snippet}",
            render=render,
            citations=[citation],
            tool_calls=[call],
        )


def engine_with_kit(make_engine: EngineFactory, services: Services) -> LLMEngine:
    return make_engine(drafts=MiniKit(services))


GOOD = {"account_id": "ACC-002", "arr": 880000, "objective": "Go live in 30 days [1]."}


def test_valid_draft(
    make_engine: EngineFactory, model: ScriptedModel, llm_services: Services
) -> None:
    model.enqueue(content(f"Here it is:\n```json\n{json.dumps(GOOD)}\n```"))
    events = list(engine_with_kit(make_engine, llm_services).stream("Draft a plan", SELLER))
    response = events[-1].response  # type: ignore[union-attr]
    assert response.engine == "llm:scripted-1" and response.fallback_reason is None
    assert response.draft == {"kind": "success_plan", **GOOD, "composers": {}}
    assert [e.draft for e in events if isinstance(e, DraftEvent)] == [response.draft]
    assert "ARR: 880000" in response.answer and response.citations[0].n == 1
    assert response.check.unsupported_numbers == [] and len(model.history) == 1
    assert "tools" not in model.history[0]


def test_one_repair_attempt(
    make_engine: EngineFactory, model: ScriptedModel, llm_services: Services
) -> None:
    broken = {**GOOD, "arr": "lots", "extra": 1}
    model.enqueue(content(json.dumps(broken)), content(json.dumps(GOOD)))
    response = engine_with_kit(make_engine, llm_services).chat("Draft a plan", SELLER)
    assert response.draft == {"kind": "success_plan", **GOOD, "composers": {}}
    repair = model.history[1]["messages"][-1]["content"]
    assert "arr" in repair and "extra" in repair and "corrected JSON" in repair


def test_invalid_twice_falls_back_to_grounded(
    make_engine: EngineFactory, model: ScriptedModel, llm_services: Services
) -> None:
    model.enqueue(content("no JSON here"), content('{"account_id": "ACC-002"}'))
    response = engine_with_kit(make_engine, llm_services).chat("Draft a plan", SELLER)
    assert response.engine == "grounded" and response.fallback_reason == "malformed_output"
    assert len(model.history) == 2


def test_draft_citations_and_numbers_are_checked(
    make_engine: EngineFactory, model: ScriptedModel, llm_services: Services
) -> None:
    invented = {**GOOD, "arr": 990000, "objective": "Go live in 30 days [1][4]."}
    model.enqueue(content(json.dumps(invented)))
    response = engine_with_kit(make_engine, llm_services).chat("Draft a plan", SELLER)
    assert response.check.dropped_citations == [4]
    assert response.check.unsupported_numbers == ["990000"]
    assert "[4]" not in response.answer


class AskBackKit:
    def plan(self, message: str, principal: Principal, account_id: str | None) -> DraftJob | None:
        raise GroundedAnswer


def test_a_kit_can_hand_the_message_to_the_grounded_engine(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    response = make_engine(drafts=AskBackKit()).chat("When should a customer be live?", SELLER)
    assert response.engine == "grounded" and response.fallback_reason is None
    assert "30 days" in response.answer and model.history == []
