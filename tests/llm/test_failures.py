"""Every way the model can fail ends in the grounded answer with `fallback_reason`; the one
retry layer retries only what is transient, and never past the deadline."""

from __future__ import annotations

import time

import pytest

from assistant.engine.events import DoneEvent, StatusEvent
from tests.conftest import free_port
from tests.llm.conftest import ADMIN, EngineFactory
from tests.llm.scripted import Call, Reply, ScriptedModel, content, error, malformed, tools

QUESTION = "When should a new customer be live?"


def assert_grounded(response_engine: str, reason: str | None, expected: str) -> None:
    assert response_engine == "grounded" and reason == expected


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (error(429, headers={"retry-after": "0"}), "rate_limited"),
        (error(500), "server_error"),
        (error(503), "server_error"),
        (error(400, "unsupported parameter"), "http_error"),
        (error(401, "bad key"), "http_error"),
        (malformed(), "malformed_output"),
        # no choices: a completion without an answer; as a stream, one without an end
        (malformed('{"id": "x", "choices": []}'), "malformed_output|incomplete_stream"),
        (content(""), "malformed_output"),
        (content("slow", delay=0.6), "timeout"),
    ],
)
def test_failure_falls_back_to_the_grounded_answer(
    make_engine: EngineFactory, model: ScriptedModel, reply: Reply, reason: str, stream: bool
) -> None:
    model.enqueue(reply)
    response = make_engine(stream=stream, request_timeout=0.3).chat(QUESTION, ADMIN)
    plain, _, streamed = reason.partition("|")
    expected = (streamed or plain) if stream else plain
    assert_grounded(response.engine, response.fallback_reason, expected)
    assert "30 days" in response.answer and response.citations  # the grounded answer
    assert len(model.history) == 1  # retries are off
    # the grounded engine recorded the turn, so the conversation goes on
    assert response.conversation_id


def test_connection_error(make_engine: EngineFactory) -> None:
    engine = make_engine(base_url=f"http://127.0.0.1:{free_port()}/v1")
    response = engine.chat(QUESTION, ADMIN)
    assert_grounded(response.engine, response.fallback_reason, "connection_error")


def test_transient_errors_are_retried_once(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    model.enqueue(
        error(500, headers={"retry-after-ms": "10"}),
        error(429, headers={"retry-after-ms": "10"}),
        content("Live within 30 days [1]."),  # never reached: one retry only
    )
    response = make_engine(retries=1).chat(QUESTION, ADMIN)
    assert response.fallback_reason == "rate_limited" and len(model.history) == 2

    model.queue.clear()
    model.enqueue(error(502, headers={"retry-after-ms": "10"}), content("Hello there."))
    response = make_engine(retries=1).chat(QUESTION, ADMIN)
    assert response.engine == "llm:scripted-1" and response.answer == "Hello there."


def test_client_errors_are_not_retried(make_engine: EngineFactory, model: ScriptedModel) -> None:
    model.enqueue(error(400), content("never sent"))
    response = make_engine(retries=3).chat(QUESTION, ADMIN)
    assert response.fallback_reason == "http_error" and model.pending == 1


def test_no_retry_wait_past_the_deadline(make_engine: EngineFactory, model: ScriptedModel) -> None:
    model.enqueue(error(429, headers={"retry-after": "30"}), content("too late"))
    started = time.monotonic()
    response = make_engine(retries=2, deadline=1.0).chat(QUESTION, ADMIN)
    assert response.fallback_reason == "rate_limited" and model.pending == 1
    assert time.monotonic() - started < 1.0


def test_deadline_cuts_a_slow_step(make_engine: EngineFactory, model: ScriptedModel) -> None:
    model.enqueue(
        tools(Call("search_knowledge", {"query": "live"}), delay=0.25),
        content("Live within 30 days [1].", delay=2.0),
    )
    started = time.monotonic()
    response = make_engine(deadline=0.6, request_timeout=5.0).chat(QUESTION, ADMIN)
    elapsed = time.monotonic() - started
    assert response.fallback_reason == "deadline_exceeded"
    assert elapsed < 1.5  # the deadline, the grounded answer and some slack; not 2 s


def test_deadline_cuts_a_slow_stream(make_engine: EngineFactory, model: ScriptedModel) -> None:
    model.enqueue(content("word " * 40, chunk_delay=0.05))
    events = list(make_engine(deadline=0.4).stream(QUESTION, ADMIN))
    fallback = next(e for e in events if isinstance(e, StatusEvent) and e.stage == "fallback")
    assert fallback.discard  # text went out before the deadline: the client replaces it
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.response.fallback_reason == "deadline_exceeded"
    assert "30 days" in done.response.answer


def test_failure_after_a_tool_step(make_engine: EngineFactory, model: ScriptedModel) -> None:
    model.enqueue(tools(Call("search_knowledge", {"query": "live"})), error(500))
    events = list(make_engine().stream(QUESTION, ADMIN))
    kinds = [e.type for e in events]
    assert kinds[:1] == ["status"] and "tool_result" in kinds
    fallback = next(e for e in events if isinstance(e, StatusEvent) and e.stage == "fallback")
    assert not fallback.discard and fallback.engine == "grounded"
    done = events[-1]
    assert isinstance(done, DoneEvent)
    assert done.response.engine == "grounded" and done.response.fallback_reason == "server_error"
