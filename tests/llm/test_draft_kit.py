"""The drafts package's kit behind the LLM engine: the real prompt files and typed draft
models, a success plan written by the (scripted) model, validated, else the grounded draft."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.drafts.chat import DraftDesk
from assistant.drafts.kit import GroundedDraftKit
from assistant.drafts.knowledge import Knowledge
from assistant.drafts.service import DraftRequest, DraftService, docx
from assistant.drafts.store import DraftRecord
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


def grounded_json(kit: GroundedDraftKit) -> dict[str, Any]:
    grounded = kit.desk.service.build_draft(
        "success_plan", DraftRequest(account_id="ACC-002"), SELLER
    )
    return grounded.model_dump(mode="json", exclude={"citations", "tool_calls", "engine"})


def kept(kit: GroundedDraftKit) -> int:
    with kit.desk.service.store._sessions() as session:
        return session.query(DraftRecord).count()


def test_the_model_draft_is_kept_with_its_own_id_and_downloads(
    make_engine: EngineFactory, model: ScriptedModel, kit: GroundedDraftKit
) -> None:
    written = grounded_json(kit)
    before = kept(kit)
    model.enqueue(content(json.dumps(written)))
    response = make_engine(drafts=kit).chat(MESSAGE, SELLER)
    assert response.engine == "llm:scripted-1" and response.draft is not None
    assert kept(kit) == before + 1  # the model's draft only: the grounded one is not kept
    draft = kit.desk.service.load(str(response.draft["draft_id"]), SELLER)
    assert draft.engine == "llm:scripted-1" and response.draft["engine"] == "llm:scripted-1"
    assert docx(draft)[:2] == b"PK"
    composers = response.draft["composers"]
    assert composers["snapshot"] == "model" and set(composers.values()) == {"model"}
    # the grounded composer's own figures all rest on the evidence each field cites
    assert response.check is not None and response.check.unsupported_numbers == []
    asked = model.history[0]["response_format"]
    assert asked["type"] == "json_schema" and asked["json_schema"]["name"] == "success_plan"
    assert "citations" not in asked["json_schema"]["schema"]["properties"]
    assert response.usage is not None and response.usage["calls"] == 1


def test_an_endpoint_without_json_schema_is_asked_in_the_text(
    make_engine: EngineFactory, model: ScriptedModel, kit: GroundedDraftKit
) -> None:
    model.quirks = {"no_json_schema"}
    model.enqueue(content(json.dumps(grounded_json(kit))))
    response = make_engine(drafts=kit).chat(MESSAGE, SELLER)
    assert response.engine == "llm:scripted-1" and response.fallback_reason is None
    assert ["response_format" in h for h in model.history] == [True, False]


@pytest.mark.parametrize("numbers", ["remove", "mark"])
def test_an_invented_figure_is_removed_or_marked(
    make_engine: EngineFactory, model: ScriptedModel, kit: GroundedDraftKit, numbers: str
) -> None:
    written = grounded_json(kit)
    true_arr = written["snapshot"]["arr"]["value"]
    written["snapshot"]["arr"]["value"] = 990_000  # cites account_overview, which says not
    industry = written["snapshot"]["industry"]
    industry["value"] = f"{industry['value']}, 73 open tickets"
    model.enqueue(content(json.dumps(written)))
    response = make_engine(drafts=kit, numbers=numbers).chat(MESSAGE, SELLER)
    assert response.engine == "llm:scripted-1" and response.draft is not None
    assert response.check is not None
    assert set(response.check.unsupported_numbers) == {"990,000", "73"} or set(
        response.check.unsupported_numbers
    ) == {"990000", "73"}
    arr = response.draft["snapshot"]["arr"]
    industry_value = response.draft["snapshot"]["industry"]["value"]
    if numbers == "remove":
        assert arr["value"] == true_arr and "73" not in industry_value
        assert response.draft["composers"]["snapshot"] == "mixed"
        assert "990" not in response.answer and "73 open" not in response.answer
    else:
        assert arr["value"] == 990_000 and "unverified" in arr["note"]
        assert industry_value.endswith("73 open tickets (unverified figure)")
        assert "(unverified figure)" in response.answer
    stored = kit.desk.service.load(str(response.draft["draft_id"]), SELLER)
    assert stored.model_dump(mode="json")["snapshot"]["arr"] == arr


def test_the_grounded_fallback_is_kept_and_says_so(
    make_engine: EngineFactory, model: ScriptedModel, kit: GroundedDraftKit
) -> None:
    model.enqueue(content("no plan"), content("still no plan"))
    response = make_engine(drafts=kit).chat(MESSAGE, SELLER)
    assert response.engine == "grounded" and response.draft is not None
    assert kit.desk.service.load(str(response.draft["draft_id"]), SELLER).engine == "grounded"
    assert set(response.draft["composers"].values()) == {"grounded"}


def test_a_draft_prompt_beyond_the_context_gives_the_grounded_draft(
    make_engine: EngineFactory, model: ScriptedModel, kit: GroundedDraftKit
) -> None:
    response = make_engine(drafts=kit, context_tokens=4096, max_tokens=1024).chat(MESSAGE, SELLER)
    assert response.engine == "grounded" and response.fallback_reason == "context_exceeded"
    assert model.history == []
