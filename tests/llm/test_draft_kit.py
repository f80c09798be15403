"""The drafts package's kit behind the LLM engine: the real prompt files and typed draft
models, a success plan written by the (scripted) model, validated, else the grounded draft."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from assistant.drafts.chat import DraftDesk
from assistant.drafts.kit import GroundedDraftKit
from assistant.drafts.knowledge import Knowledge
from assistant.drafts.service import DraftRequest, DraftService
from assistant.services import Services
from tests.llm.conftest import SELLER, EngineFactory
from tests.llm.scripted import ScriptedModel, content

MESSAGE = "Draft a success plan for Contoso Health"


@pytest.fixture
def kit(llm_services: Services) -> Iterator[GroundedDraftKit]:
    s = llm_services
    knowledge = Knowledge(
        s.lexical, s.retriever, s.chat.composer, s.settings.retrieval_k, modules=s.rules.modules
    )
    service = DraftService.build(s.tools, s.accounts, knowledge, s.database, s.settings.clock)
    yield GroundedDraftKit(DraftDesk(service))


def test_model_writes_the_success_plan(
    make_engine: EngineFactory, model: ScriptedModel, kit: GroundedDraftKit
) -> None:
    grounded = kit.desk.service.build_draft(
        "success_plan", DraftRequest(account_id="ACC-002"), SELLER
    )
    written = grounded.model_dump(mode="json", exclude={"citations", "tool_calls", "engine"})
    model.enqueue(content(json.dumps(written)))
    response = make_engine(drafts=kit).chat(MESSAGE, SELLER)
    assert response.engine == "llm:scripted-1" and response.fallback_reason is None
    assert response.draft is not None and response.draft["kind"] == "success_plan"
    assert response.draft["snapshot"]["arr"]["value"] == 880000
    prompt = model.history[0]["messages"][0]["content"]
    assert "needs_input" in prompt and "ACC-002" in prompt and '"snapshot"' in prompt
    assert response.check is not None and response.check.dropped_citations == []


def test_invalid_twice_gives_the_grounded_draft(
    make_engine: EngineFactory, model: ScriptedModel, kit: GroundedDraftKit
) -> None:
    model.enqueue(content('{"kind": "success_plan"}'), content("still no plan"))
    response = make_engine(drafts=kit).chat(MESSAGE, SELLER)
    assert response.engine == "grounded" and response.fallback_reason == "malformed_output"
    assert response.draft is not None and response.draft["kind"] == "success_plan"
    assert "corrected JSON" in model.history[1]["messages"][-1]["content"]
