"""The OTLP exporter for real: the app, configured with `ASSISTANT_OTEL_EXPORTER=otlp` and
the endpoint of a real gRPC trace collector on loopback, sends the spans of a streamed turn
(an LLM answer with a tool call) there, with their names and parents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant import tracing
from assistant.engine.types import ChatResponse
from tests.accounts.keys import SELLER_KEY
from tests.conftest import LiveServer
from tests.llm.collector import Collector
from tests.llm.live import serve, stream_chat
from tests.llm.otel import reset_tracing
from tests.llm.scripted import Call, ScriptedModel, content, tools


@pytest.fixture
def collector() -> Iterator[Collector]:
    reset_tracing()  # whatever an earlier test left
    with Collector() as running:
        yield running
    reset_tracing()


def test_a_turn_reaches_the_collector(
    data_dir: Path,
    model_server: tuple[ScriptedModel, LiveServer],
    model: ScriptedModel,
    collector: Collector,
) -> None:
    model.enqueue(
        tools(Call("account_overview", {"account_id": "ACC-002"})),
        content("Contoso Health is doing fine."),
    )
    settings = {
        "llm_base_url": f"{model_server[1].url}/v1",
        "otel_exporter": "otlp",
        "otel_endpoint": collector.endpoint,
    }
    with serve(data_dir, **settings) as server, httpx.Client(base_url=server.url) as client:
        events = stream_chat(client, SELLER_KEY, message="How is Contoso doing?")
        done = ChatResponse.model_validate(events[-1][1])
        assert tracing.flush()  # the batch exporter sends now, not in 5 s
        received = collector.spans()
    assert done.engine == "llm:scripted-1" and not done.fallback_reason
    assert {s.service for s in received} == {"success-assistant"}
    assert len({s.trace_id for s in received}) == 1
    by_id = {s.span_id: s for s in received}
    # FastAPI traces each request through the global tracer provider (ours): one trace from
    # the HTTP request down to the model calls
    (root,) = [s for s in received if not s.parent_span_id]
    assert root.name == "POST /api/chat" and root.attributes["http.response.status_code"] == 200
    (turn,) = [s for s in received if s.name == "turn"]
    assert by_id[turn.parent_span_id].name == "fastapi.endpoint"
    assert turn.attributes == {
        "engine": "llm:scripted-1",
        "intent": "overview",
        "conversation_id": done.conversation_id,
        "declined": False,
    }  # no question text
    below = sorted(s.name for s in received if s.parent_span_id and by_id[s.parent_span_id] is turn)
    assert below == ["compose", "llm.call", "llm.call", "plan", "store.turn", "tool.call"]
    calls = [s for s in received if s.name == "llm.call"]
    assert [c.attributes["finish_reason"] for c in calls] == ["tool_calls", "stop"]
    assert all(c.attributes["prompt_tokens"] > 0 for c in calls)
    tool = next(s for s in received if s.name == "tool.call")
    assert tool.attributes == {"tool": "account_overview", "ok": True}
