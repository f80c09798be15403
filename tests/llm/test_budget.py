"""The context budget as plain code (chunks by relevance, tool results by whole items, the
oldest turns first) and through the loop (a long tool result shortened, still JSON)."""

from __future__ import annotations

import json
from typing import Any

from assistant.engine.types import SearchHit
from assistant.llm.budget import NOTICE, fit_hits, fit_messages, fit_result
from assistant.llm.providers import estimate_tokens
from tests.llm.conftest import ADMIN, EngineFactory
from tests.llm.scripted import Call, ScriptedModel, content, tools


def hit(n: int, score: float, size: int) -> SearchHit:
    return SearchHit(
        chunk_id=f"c{n}", source="s.md", title="T", section="S", doc_type="guide",
        text="word " * size, score=score,
    )  # fmt: skip


def test_the_best_chunks_that_fit_stay_whole_in_their_order() -> None:
    hits = [hit(1, 0.5, 400), hit(2, 0.9, 400), hit(3, 0.7, 400), hit(4, 0.1, 40)]
    kept = fit_hits(hits, estimate_tokens("word " * 800) + 60)
    assert [h.chunk_id for h in kept] == ["c2", "c3"]  # c4 would pass the budget
    assert [h.chunk_id for h in fit_hits(hits[:1], 1)] == ["c1"]  # the best one always


def test_a_tool_result_loses_whole_items_from_the_end() -> None:
    result = {"count": 40, "accounts": [{"id": f"A-{i}", "note": "x" * 80} for i in range(40)]}
    fitted = fit_result(result, 400)
    assert estimate_tokens(fitted) <= 400
    kept = fitted["accounts"]
    assert kept == result["accounts"][: len(kept)] and 0 < len(kept) < 40
    assert fitted["accounts_omitted_items"] == 40 - len(kept)
    assert fit_result(result, 10_000) is result


def test_the_oldest_turns_go_first_then_old_tool_results() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "rules"},
        {"role": "user", "content": "old question " * 50},
        {"role": "assistant", "content": "old answer " * 50},
        {"role": "user", "content": "the question"},
        {"role": "tool", "tool_call_id": "a", "content": "first result " * 100},
        {"role": "tool", "tool_call_id": "b", "content": "latest result " * 20},
    ]
    assert fit_messages(messages, [], 200)
    assert [m["role"] for m in messages] == ["system", "user", "tool", "tool"]
    assert messages[2]["content"] == NOTICE and messages[3]["content"].startswith("latest")
    assert not fit_messages([{"role": "user", "content": "x " * 2000}], [], 100)


def test_a_long_tool_result_is_shortened_for_the_model(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    model.enqueue(tools(Call("list_accounts", {})), content("There are several accounts."))
    response = make_engine(context_tokens=12_000, max_tokens=1000).chat("list accounts", ADMIN)
    assert response.engine == "llm:scripted-1"
    sent = next(m for m in model.history[1]["messages"] if m["role"] == "tool")
    result = json.loads(sent["content"])["result"]
    full = response.tool_calls[0].result
    assert len(result["accounts"]) < len(full["accounts"])
    assert result["accounts"] == full["accounts"][: len(result["accounts"])]
    assert result["accounts_omitted_items"] == len(full["accounts"]) - len(result["accounts"])
