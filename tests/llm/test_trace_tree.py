"""One trace per turn: the root `turn` span and its children (planning, retrieval, tool calls,
model calls, composing, storing), with the right parents, for a grounded turn and an LLM turn
with a tool call; a stream stepped in a fresh context per step (as Starlette steps it) keeps
its tree."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from assistant import tracing
from assistant.engine.events import DoneEvent, Event
from assistant.services import Services
from tests.llm.conftest import SELLER, EngineFactory
from tests.llm.otel import reset_tracing
from tests.llm.scripted import Call, ScriptedModel, content, error, tools


def parents(finished: tuple[ReadableSpan, ...]) -> list[tuple[str, str | None]]:
    """(span name, parent span name) per span, in the order they ended."""
    names = {s.context.span_id: s.name for s in finished if s.context is not None}
    return [(s.name, names.get(s.parent.span_id) if s.parent else None) for s in finished]


def one_trace(finished: tuple[ReadableSpan, ...]) -> ReadableSpan:
    """The root of the single trace all spans belong to."""
    assert len({s.context.trace_id for s in finished if s.context is not None}) == 1
    (root,) = [s for s in finished if s.parent is None]
    return root


def attributes(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


def test_a_grounded_turn(llm_services: Services, spans: InMemorySpanExporter) -> None:
    response = llm_services.chat.chat("When should a customer be live?", SELLER)
    finished = spans.get_finished_spans()
    root = one_trace(finished)
    assert root.name == "turn"
    links = parents(finished)
    assert ("plan", "turn") in links
    assert ("retrieval.search", "turn") in links
    assert ("compose", "turn") in links
    assert links[-2:] == [("store.turn", "turn"), ("turn", None)]
    assert attributes(root) == {
        "engine": "grounded",
        "intent": "knowledge",
        "conversation_id": response.conversation_id,
        "declined": False,
    }  # and no question text
    plan = next(s for s in finished if s.name == "plan")
    assert attributes(plan)["scope"] == "knowledge"


def test_a_grounded_account_turn_has_its_tool_calls(
    llm_services: Services, spans: InMemorySpanExporter
) -> None:
    llm_services.chat.chat("What is Contoso's ARR?", SELLER)
    finished = spans.get_finished_spans()
    one_trace(finished)
    links = parents(finished)
    assert ("tool.call", "turn") in links and ("compose", "turn") not in links
    tool = next(s for s in finished if s.name == "tool.call")
    assert attributes(tool) == {"tool": "account_overview", "ok": True}


def test_an_llm_turn_with_a_tool_call(
    make_engine: EngineFactory, model: ScriptedModel, spans: InMemorySpanExporter
) -> None:
    model.enqueue(
        tools(
            Call("search_knowledge", {"query": "go live"}),
            Call("account_overview", {"account_id": "ACC-002"}),
        ),
        content("Contoso Health renews on 2026-12-20 [1]."),
    )
    engine = make_engine(prices={"scripted-1": (1.0, 2.0)})
    response = engine.chat("How is Contoso doing?", SELLER)
    finished = spans.get_finished_spans()
    root = one_trace(finished)
    assert root.name == "turn"
    links = parents(finished)
    searches = [s for s in finished if attributes(s).get("tool") == "search_knowledge"]
    (search,) = searches
    retrieval = next(s for s in finished if s.name == "retrieval.search")
    assert retrieval.parent is not None and search.context is not None
    assert retrieval.parent.span_id == search.context.span_id  # retrieval below its tool call
    assert links == [
        ("plan", "turn"),
        ("llm.call", "turn"),
        ("retrieval.search", "tool.call"),
        ("tool.call", "turn"),
        ("tool.call", "turn"),
        ("llm.call", "turn"),
        ("compose", "turn"),
        ("store.turn", "turn"),
        ("turn", None),
    ]
    assert attributes(root) == {
        "engine": "llm:scripted-1",
        "intent": "overview",  # the planner's reading, given to the model
        "conversation_id": response.conversation_id,
        "declined": False,
    }
    first = next(s for s in finished if s.name == "llm.call")
    call = attributes(first)
    assert call["model"] == "scripted-1" and call["provider"] == "other"
    assert call["finish_reason"] == "tool_calls" and call["tool_calls"] == 2
    prompt, completion = int(call["prompt_tokens"]), int(call["completion_tokens"])  # type: ignore[call-overload]
    assert prompt > 0 and completion > 0
    assert call["cost_usd"] == round((prompt * 1.0 + completion * 2.0) / 1_000_000, 6)
    compose = next(s for s in finished if s.name == "compose")
    assert attributes(compose)["composer"] == "llm"


def test_the_grounded_fallback_is_a_child_of_the_turn(
    make_engine: EngineFactory, model: ScriptedModel, spans: InMemorySpanExporter
) -> None:
    model.enqueue(error(500))
    make_engine().chat("When should a customer be live?", SELLER)
    finished = spans.get_finished_spans()
    root = one_trace(finished)
    links = parents(finished)
    assert ("llm.call", "turn") in links and ("answer.grounded", "turn") in links
    assert ("retrieval.search", "answer.grounded") in links
    assert ("store.turn", "answer.grounded") in links
    assert attributes(root)["engine"] == "grounded"
    assert attributes(root)["fallback_reason"] == "server_error"
    failed = next(s for s in finished if s.name == "llm.call")
    assert not failed.status.is_ok


def stepped_in_fresh_contexts(events: Iterator[Event]) -> list[Event]:
    """Each step in another thread and a fresh copy of the context, as Starlette's thread
    pool steps a sync stream (a span made current in one step is gone in the next)."""
    out: list[Event] = []
    box: list[Event | None] = []

    def step() -> None:
        box.append(contextvars.Context().run(next, events, None))

    while True:
        thread = threading.Thread(target=step)
        thread.start()
        thread.join()
        event = box.pop()
        if event is None:
            return out
        out.append(event)


def test_a_stream_stepped_in_fresh_contexts_keeps_one_tree(
    make_engine: EngineFactory, model: ScriptedModel, spans: InMemorySpanExporter
) -> None:
    model.enqueue(tools(Call("account_overview", {"account_id": "ACC-002"})), content("Fine."))
    events = stepped_in_fresh_contexts(make_engine().stream("How is Contoso doing?", SELLER))
    assert isinstance(events[-1], DoneEvent)
    finished = spans.get_finished_spans()
    assert one_trace(finished).name == "turn"
    assert {parent for name, parent in parents(finished) if name != "turn"} == {"turn"}
    with tracing.span("after") as _:
        pass  # nothing of the turn leaked into the caller's context
    assert parents(spans.get_finished_spans())[-1] == ("after", None)


def test_the_question_text_only_when_allowed(llm_services: Services) -> None:
    exporter = InMemorySpanExporter()
    assert tracing.configure("none", span_exporter=exporter, question_text=True)
    try:
        llm_services.chat.chat("When should a customer be live?", SELLER)
    finally:
        reset_tracing()
    root = one_trace(exporter.get_finished_spans())
    assert attributes(root)["question"] == "When should a customer be live?"
