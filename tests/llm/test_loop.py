"""The tool loop through the real SDK against the scripted model: search and account tools,
argument errors back to the model, the citation post-check, the step bound, history."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assistant.engine.events import DeltaEvent, DoneEvent, StatusEvent, ToolResultEvent
from tests.llm.conftest import ADMIN, SELLER, EngineFactory
from tests.llm.scripted import Call, ScriptedModel, content, tools


def tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == "tool"]


@pytest.mark.parametrize("stream", [True, False])
def test_search_then_cited_answer(
    make_engine: EngineFactory, model: ScriptedModel, stream: bool
) -> None:
    model.enqueue(
        tools(Call("search_knowledge", {"query": "how soon should a customer be live"})),
        content("A new customer should be live within 30 days of signature [1]."),
    )
    engine = make_engine(stream=stream)
    response = engine.chat("When should a new customer be live?", ADMIN)

    assert response.engine == "llm:scripted-1" and response.fallback_reason is None
    assert response.answer == "A new customer should be live within 30 days of signature [1]."
    assert [c.n for c in response.citations] == [1]
    assert response.citations[0].title == "Onboarding Playbook"
    assert response.check is not None and response.check.unsupported_numbers == []
    first = model.history[0]
    assert first["model"] == "scripted-1" and first.get("stream", False) is stream
    offered = {t["function"]["name"] for t in first["tools"]}
    assert {"search_knowledge", "account_overview", "health_score"} <= offered
    (sent,) = tool_messages(model.history[1])
    assert sent["tool_call_id"] == "call_0"
    assert '<document n="1" title="Onboarding Playbook"' in sent["content"]
    assert "untrusted data" in sent["content"]
    # the turn is kept: a follow-up sees it, without the old markers
    follow = engine.grounded.conversations.history(response.conversation_id, ADMIN.user)
    assert [t.role for t in follow] == ["user", "assistant"]


def test_account_tool_result_and_provenance(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    model.enqueue(
        tools(Call("account_overview", {"account_id": "acc-002"})),
        content("Contoso Health has an ARR of $880,000 and renews on 2026-12-20."),
    )
    events = list(make_engine().stream("What is Contoso's ARR?", SELLER))
    kinds = [e.type for e in events]
    assert kinds[0] == "status" and kinds[-1] == "done"
    assert kinds.index("tool_call") < kinds.index("tool_result") < kinds.index("delta")
    result = next(e for e in events if isinstance(e, ToolResultEvent))
    assert result.ok and result.result["arr"] == 880000 and result.source == "accounts"
    done = events[-1]
    assert isinstance(done, DoneEvent)
    response = done.response
    assert [c.name for c in response.tool_calls] == ["account_overview"]
    assert response.tool_calls[0].arguments == {"account_id": "ACC-002"}
    assert response.check is not None and response.check.unsupported_numbers == []
    assert "".join(e.text for e in events if isinstance(e, DeltaEvent)) == response.answer
    sent = json.loads(tool_messages(model.history[1])[0]["content"])
    assert sent["result"]["arr"] == 880000 and sent["as_of"] == "2026-11-01"


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (Call("account_overview", '{"account_id": "ACC-002"'), "must be a JSON object"),
        (Call("account_overview", {"account_id": "nope"}), "account_id 'nope'"),
        (Call("account_overview", {"account": "ACC-002"}), "account_id is missing"),
        (Call("health_score", {"account_id": "ACC-002", "months": -3}), "months"),
        (Call("search_knowledge", {"query": ""}), "query"),
        (Call("delete_everything", {}), "unknown tool 'delete_everything'"),
        (Call("account_overview", {"account_id": "ACC-999"}), "ACC-999"),
    ],
)
def test_bad_arguments_go_back_to_the_model(
    make_engine: EngineFactory, model: ScriptedModel, call: Call, fragment: str
) -> None:
    model.enqueue(tools(call), content("I could not look that up."))
    response = make_engine().chat("Tell me about Contoso", ADMIN)
    assert response.engine == "llm:scripted-1" and response.answer == "I could not look that up."
    assert response.tool_calls == []
    (message,) = tool_messages(model.history[1])
    assert fragment in json.loads(message["content"])["error"]


def test_citation_postcheck_drops_chunks_never_given(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    model.enqueue(
        tools(Call("search_knowledge", {"query": "health score bands red", "k": 2})),
        content(
            "A score below 40 is red [1]. Green starts at 80 [2, 7]. "
            "Renewals close 95 days early [9]."
        ),
    )
    events = list(make_engine(numbers="flag").stream("What are the health bands?", ADMIN))
    response = events[-1].response  # type: ignore[union-attr]
    assert response.answer == (
        "A score below 40 is red [1]. Green starts at 80 [2]. Renewals close 95 days early."
    )
    assert "".join(e.text for e in events if isinstance(e, DeltaEvent)) == response.answer
    assert [c.n for c in response.citations] == [1, 2]
    assert response.check.dropped_citations == [7, 9]
    assert response.check.unsupported_numbers == ["95"]  # in no chunk it was given


def test_steps_are_bounded_and_the_last_offers_no_tools(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    loop = tools(Call("search_knowledge", {"query": "onboarding"}))
    model.enqueue(loop, loop, content("Onboarding starts with a kickoff [1]."))
    response = make_engine(max_steps=3).chat("How does onboarding start?", ADMIN)
    assert response.fallback_reason is None and response.citations[0].n == 1
    assert ["tools" in r for r in model.history] == [True, True, False]

    model.enqueue(loop, loop, loop)
    response = make_engine(max_steps=3).chat("How does onboarding start?", ADMIN)
    assert response.engine == "grounded" and response.fallback_reason == "max_steps_exceeded"


def test_follow_up_carries_history_without_old_markers(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    engine = make_engine()
    model.enqueue(
        tools(Call("search_knowledge", {"query": "kickoff"})),
        content("The kickoff happens in the first week [1]."),
        content("It names the executive sponsor."),
    )
    first = engine.chat("When is the kickoff?", ADMIN)
    second = engine.chat("Who does it name?", ADMIN, first.conversation_id)
    assert second.conversation_id == first.conversation_id
    sent = model.history[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"] == "The kickoff happens in the first week."
    assert second.citations == [] and second.check.dropped_citations == []


def test_status_comes_first(make_engine: EngineFactory, model: ScriptedModel) -> None:
    model.enqueue(content("Hello."))
    events = list(make_engine().stream("Hi there", ADMIN))
    assert isinstance(events[0], StatusEvent) and events[0].stage == "received"
    assert events[0].engine == "llm:scripted-1"
