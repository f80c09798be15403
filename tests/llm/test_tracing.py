"""OpenTelemetry spans for model calls, tool calls and retrieval; off (not even imported)
unless an exporter is configured."""

from __future__ import annotations

import subprocess
import sys

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.conftest import REPO
from tests.llm.conftest import SELLER, EngineFactory
from tests.llm.scripted import Call, ScriptedModel, content, error, tools


def test_spans_of_an_answer(
    make_engine: EngineFactory, model: ScriptedModel, spans: InMemorySpanExporter
) -> None:
    model.enqueue(
        tools(
            Call("search_knowledge", {"query": "live"}),
            Call("account_overview", {"account_id": "ACC-002"}),
        ),
        content("Done."),
    )
    make_engine(numbers="flag").chat("How is Contoso doing?", SELLER)
    finished = spans.get_finished_spans()
    names = [s.name for s in finished]
    assert names.count("llm.call") == 2
    assert "retrieval.search" in names and "tool.call" in names
    call = next(s for s in finished if s.name == "llm.call")
    assert call.attributes is not None and call.attributes["model"] == "scripted-1"
    assert call.attributes["prompt_tokens"] > 0 and call.attributes["finish_reason"] == "tool_calls"
    tool = [s for s in finished if s.name == "tool.call"]
    assert {s.attributes["tool"] for s in tool if s.attributes} >= {"account_overview"}


def test_a_failed_call_is_an_error_span(
    make_engine: EngineFactory, model: ScriptedModel, spans: InMemorySpanExporter
) -> None:
    model.enqueue(error(500))
    response = make_engine().chat("hello there", SELLER)
    assert response.fallback_reason == "server_error"
    (call,) = [s for s in spans.get_finished_spans() if s.name == "llm.call"]
    assert not call.status.is_ok


def test_off_by_default_without_importing_opentelemetry() -> None:
    """`assistant.tracing` costs nothing when off (Chroma imports OpenTelemetry for its own
    telemetry anyway, so the check is of this module alone)."""
    code = (
        "import sys; from assistant.config import Settings; from assistant import tracing; "
        "tracing.configure(Settings(_env_file=None).otel_exporter)\n"
        "with tracing.span('x', a=1) as s: s.set(b=2)\n"
        "print(tracing.enabled(), any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]
